#!/usr/bin/env python3
"""count.py: user-space instructions per whole request of a `gatewarden serve` that runs
under `valgrind --tool=callgrind` (bench/webhook/run.sh starts it).

    count.py PORT CA PID OUTPREFIX N SERVICE.json ROUTE.json

Over one keep-alive TLS connection it posts the Service review to /validate and to
/mutate in ABBA phases of N requests each (validate, mutate, mutate, validate, twice),
then the HTTPRoute review to /validate. Before a phase it zeroes callgrind's counters
(callgrind_control -z) and after it dumps them (-d): a phase's total over N is what one
request costs the server in user space: TLS records, HTTP parsing, the review, the
answer, logging and metrics. Kernel work is not counted. Instruction counts do not move
with the machine's load, so the Service's two endpoints can be compared to a fraction
of a percent where CPU time cannot.

Prints one line per phase ("validate svc 162575.3") and a last line
"median validate=V mutate=M route=R".
"""
import glob
import http.client
import os
import ssl
import statistics
import subprocess
import sys
import time


def main():
    port, ca, pid, prefix, n = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
    bodies = {"svc": open(sys.argv[6], "rb").read(), "route": open(sys.argv[7], "rb").read()}
    ctx = ssl.create_default_context(cafile=ca)
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=120)

    def post(ep, body):
        conn.request("POST", "/" + ep, body=body, headers={"Content-Type": "application/json"})
        r = conn.getresponse()
        data = r.read()
        if r.status != 200:
            sys.exit("count.py: /%s answered %d: %s" % (ep, r.status, data[:200]))

    def control(arg):
        subprocess.run(["callgrind_control", arg, pid], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def dump_total():
        # callgrind_control talks to the process through vgdb and returns once the
        # dump is written
        before = set(glob.glob(prefix + ".*"))
        control("-d")
        new = set(glob.glob(prefix + ".*")) - before
        if not new:
            sys.exit("count.py: callgrind wrote no dump")
        total = None
        for f in new:
            with open(f) as fp:
                for line in fp:
                    if line.startswith("summary:"):
                        total = int(line.split()[1])
        if total is None:
            sys.exit("count.py: no summary line in %s" % sorted(new))
        return total

    # warm-up: the connection's handshake, the first reviews (the memo, lazily built
    # indexes), and at last the Service itself, so that no phase starts with the tail
    # of a longer request
    for _ in range(20):
        post("validate", bodies["route"])
        post("mutate", bodies["svc"])
        post("validate", bodies["svc"])
    res = {"validate": [], "mutate": [], "route": []}
    phases = [("validate", "svc"), ("mutate", "svc"), ("mutate", "svc"), ("validate", "svc")] * 2
    phases.append(("validate", "route"))
    for ep, body in phases:
        time.sleep(0.3)  # the server is idle: nothing of the last phase is left running
        control("-z")
        for _ in range(n):
            post(ep, bodies[body])
        per = dump_total() / n
        print("%s %s %.1f" % (ep, body, per), flush=True)
        res["route" if body == "route" else ep].append(per)
    print("median validate=%.1f mutate=%.1f route=%.1f" % tuple(statistics.median(res[k]) for k in ("validate", "mutate", "route")))


if __name__ == "__main__":
    main()
