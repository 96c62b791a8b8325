#!/usr/bin/env python3
"""Client side of tests/datapath/run.py. run.py starts it inside the test cgroup
(so the datapath programs see its sockets) and reads one JSON line from stdout.

  client.py split N ADDR PORT     N TCP connections; each reads the backend's tag
  client.py load STOPFILE ADDR PORT   connect in a loop until STOPFILE exists
  client.py udp ADDR PORT         unconnected and connected UDP to the frontend
  client.py refused ADDR PORT     one connect, expected to fail
"""
import json
import os
import socket
import struct
import sys


def one(addr, port):
    """One connection: returns (tag, peer). Closes with RST (no TIME_WAIT)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.settimeout(5)
    try:
        s.connect((addr, port))
        peer = s.getpeername()
        tag = s.recv(1)
        return tag.decode() if tag else "", peer
    finally:
        s.close()


def split(n, addr, port):
    counts, wrong_peer, failures, errors = {}, 0, 0, []
    for _ in range(n):
        try:
            tag, peer = one(addr, port)
        except OSError as e:
            failures += 1
            errors.append(str(e))
            continue
        if peer != (addr, port):
            wrong_peer += 1
        if tag == "":
            failures += 1
            continue
        counts[tag] = counts.get(tag, 0) + 1
    return {"counts": counts, "wrong_peer": wrong_peer, "failures": failures, "errors": errors[:5]}


def load(stopfile, addr, port):
    counts, failures, errors = {}, 0, []
    while not os.path.exists(stopfile):
        try:
            tag, _ = one(addr, port)
        except OSError as e:
            failures += 1
            errors.append(str(e))
            continue
        if tag == "":
            failures += 1
            errors.append("no tag")
            continue
        counts[tag] = counts.get(tag, 0) + 1
    return {"counts": counts, "failures": failures, "errors": errors[:5]}


def udp(addr, port):
    out = {}
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.settimeout(5)
    u.sendto(b"ping", (addr, port))
    data, src = u.recvfrom(100)
    out["unconnected"] = {"data": data.decode(), "from": list(src)}
    u.close()
    c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    c.settimeout(5)
    c.connect((addr, port))
    c.send(b"pong")
    data = c.recv(100)
    out["connected"] = {"data": data.decode(), "peer": list(c.getpeername())}
    c.close()
    return out


def refused(addr, port):
    try:
        one(addr, port)
        return {"connected": True}
    except OSError as e:
        return {"connected": False, "errno": e.errno}


def main():
    mode = sys.argv[1]
    if mode == "split":
        res = split(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]))
    elif mode == "load":
        res = load(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif mode == "udp":
        res = udp(sys.argv[2], int(sys.argv[3]))
    elif mode == "refused":
        res = refused(sys.argv[2], int(sys.argv[3]))
    else:
        sys.exit("client.py: unknown mode " + mode)
    print(json.dumps(res), flush=True)


if __name__ == "__main__":
    main()
