#!/usr/bin/env python3
"""End-to-end test of the eBPF datapath (`gatewarden datapath ...`).

Needs root. Re-executes itself in a network namespace of its own (unshare -n), on
loopback only, creates a cgroup v2 directory (under the mount found in
/proc/self/mountinfo) and a private bpffs pin directory, and removes all three at
the end. Backends are servers in this process (outside the cgroup); clients run in
the cgroup (client.py). Checks:
  1. a process outside the cgroup is not load-balanced;
  2. 2,000 connections on a 95/5 TCPRoute land within +-2 points of 95/5, and the
     datapath's counters agree with what the client saw;
  3. getpeername() shows the frontend on every connection;
  4. UDP (unconnected and connected): the reply comes from the frontend;
  5. weights changed 100 times under load: zero failed connections;
  5b. bad input (malformed state, a directory that is not a cgroup): exit 2 with
     a message, nothing changed;
  6. `datapath sync --every` killed (SIGKILL) and restarted under load: zero failed
     connections, traffic kept flowing while it was dead, and the restarted one
     adopts the pinned maps and converges to the changed weights;
  7. detach removes everything.
Without root: exit 77 (skip) with the reason, or 1 when CI is set.
Usage: run.py GATEWARDEN
"""
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
VIP, TCP_PORT, UDP_PORT = "127.100.0.1", 8080, 5353
SKIP = 77


def skip(reason):
    if os.environ.get("CI"):
        print("FAIL: cannot run in CI: " + reason)
        sys.exit(1)
    print("SKIP: " + reason)
    sys.exit(SKIP)


def check(cond, what):
    if not cond:
        raise AssertionError(what)
    print("ok   " + what, flush=True)


def cgroup2_mount():
    with open("/proc/self/mountinfo") as f:
        for line in f:
            parts = line.split()
            dash = parts.index("-")
            if parts[dash + 1] == "cgroup2":
                return parts[4].replace("\\040", " ")
    return None


class Servers:
    """TCP servers answering one tag byte per connection, and a UDP echo."""

    def __init__(self):
        self.socks = []
        for port, tag in ((18081, b"A"), (18082, b"B")):
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", port))
            s.listen(1024)
            self.socks.append(s)
            threading.Thread(target=self.tcp, args=(s, tag), daemon=True).start()
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind(("127.0.0.1", 18083))
        self.socks.append(u)
        threading.Thread(target=self.udp, args=(u,), daemon=True).start()

    @staticmethod
    def tcp(s, tag):
        while True:
            try:
                c, _ = s.accept()
            except OSError:
                return
            try:
                c.sendall(tag)
            except OSError:
                pass
            c.close()

    @staticmethod
    def udp(u):
        while True:
            try:
                data, addr = u.recvfrom(100)
                u.sendto(b"echo:" + data, addr)
            except OSError:
                return


class Test:
    def __init__(self, gw):
        self.gw = gw
        self.tmp = tempfile.mkdtemp(prefix="gw-dptest-")
        self.pin = "/sys/fs/bpf/gw-dptest-%d" % os.getpid()
        mnt = cgroup2_mount()
        if mnt is None:
            skip("no cgroup v2 filesystem mounted")
        self.cg = os.path.join(mnt, "gw-dptest-%d" % os.getpid())
        self.template = open(os.path.join(HERE, "state.yaml.in")).read()
        self.state = os.path.join(self.tmp, "state.yaml")
        self.procs = []

    def write_state(self, wa, wb, path=None):
        text = self.template.replace("@WA@", str(wa)).replace("@WB@", str(wb))
        tmp = (path or self.state) + ".tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.rename(tmp, path or self.state)  # readers never see half a file

    def gwrun(self, *args, check_rc=True):
        cmd = [self.gw, "datapath"] + list(args) + ["--pin-dir", self.pin]
        p = subprocess.run(cmd, capture_output=True, text=True)
        if check_rc and p.returncode != 0:
            raise AssertionError("%s: exit %d\n%s%s" % (" ".join(cmd), p.returncode, p.stdout, p.stderr))
        return p

    def in_cgroup(self):
        cg = self.cg

        def enter():
            with open(os.path.join(cg, "cgroup.procs"), "w") as f:
                f.write(str(os.getpid()))
        return enter

    def client(self, *args, cgroup=True):
        cmd = [sys.executable, os.path.join(HERE, "client.py")] + [str(a) for a in args]
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True,
                             preexec_fn=self.in_cgroup() if cgroup else None)
        self.procs.append(p)
        return p

    def result(self, p):
        out, _ = p.communicate(timeout=600)
        if p.returncode != 0:
            raise AssertionError("client exited %d: %s" % (p.returncode, out))
        return json.loads(out)

    def stats(self):
        return json.loads(self.gwrun("stats", "-o", "json").stdout)

    def tcp_frontend(self, doc):
        for f in doc["frontends"]:
            if f["address"] == VIP and f["port"] == TCP_PORT and f["protocol"] == "TCP":
                return f
        raise AssertionError("no TCP frontend in %s" % doc)

    def run(self):
        os.makedirs(self.cg)
        self.write_state(95, 5)
        p = self.gwrun("sync", "--state", self.state)
        check("2 frontends" in p.stdout, "sync programs the TCP and the UDP frontend")
        self.gwrun("attach", "--cgroup", self.cg)
        self.servers = Servers()

        r = self.result(self.client("refused", VIP, TCP_PORT, cgroup=False))
        check(not r["connected"], "a process outside the cgroup is not load-balanced (errno %s)" % r.get("errno"))

        n = 2000
        r = self.result(self.client("split", n, VIP, TCP_PORT))
        a, b = r["counts"].get("A", 0), r["counts"].get("B", 0)
        check(r["failures"] == 0 and a + b == n, "%d connections, no failure (%s)" % (n, r["errors"]))
        share = 100.0 * a / n
        check(abs(share - 95.0) <= 2.0, "95/5 route: %.2f%% / %.2f%% (within +-2 points)" % (share, 100 - share))
        check(r["wrong_peer"] == 0, "getpeername() shows %s:%d on every connection" % (VIP, TCP_PORT))
        fe = self.tcp_frontend(self.stats())
        seen = {(x["port"]): x["connections"] for x in fe["backends"]}
        check(fe["connections"] == n and seen.get(18081) == a and seen.get(18082) == b,
              "datapath stats agree: %s" % seen)

        r = self.result(self.client("udp", VIP, UDP_PORT))
        check(r["unconnected"] == {"data": "echo:ping", "from": [VIP, UDP_PORT]},
              "UDP sendto/recvfrom: the reply comes from the frontend %s" % r["unconnected"])
        check(r["connected"] == {"data": "echo:pong", "peer": [VIP, UDP_PORT]},
              "connected UDP: reply and getpeername show the frontend %s" % r["connected"])

        # bad input: a clear error, nothing changed
        before = self.gwrun("list", "-o", "json").stdout
        bad = os.path.join(self.tmp, "bad.yaml")
        with open(bad, "w") as f:
            f.write("kind: Gateway\nmetadata: {name: [unclosed\n")
        p = self.gwrun("sync", "--state", bad, check_rc=False)
        check(p.returncode == 2 and p.stderr.strip() != "", "malformed state: exit 2 with a message (%s)"
              % p.stderr.strip().splitlines()[-1][:120])
        check(self.gwrun("list", "-o", "json").stdout == before, "malformed state changes nothing")
        p = self.gwrun("attach", "--cgroup", self.tmp, check_rc=False)
        check(p.returncode == 2 and "cgroup" in p.stderr, "attach to a directory that is not a cgroup: exit 2 (%s)"
              % p.stderr.strip()[:120])
        p = self.gwrun("sync", check_rc=False)
        check(p.returncode == 2 and "--state" in p.stderr, "sync without --state: usage error")

        # --allow-http: an HTTP listener whose only HTTPRoute is one catch-all rule with
        # no filters is carried at L4; one with a filter is not (it needs L7)
        http = os.path.join(self.tmp, "http.yaml")
        with open(http, "w") as f:
            f.write(HTTP_STATE)
        p = self.gwrun("sync", "--allow-http", "--state", self.state, "--state", http)
        listed = json.loads(self.gwrun("list", "-o", "json").stdout)
        ports = sorted(fe["port"] for fe in listed["frontends"] if fe["address"] == HTTP_VIP)
        check(ports == [8081], "--allow-http carries the catch-all HTTPRoute's listener only: %s (%s)"
              % (ports, p.stdout.strip()))
        p = self.gwrun("sync", "--state", self.state, "--state", http)
        listed = json.loads(self.gwrun("list", "-o", "json").stdout)
        check(not [fe for fe in listed["frontends"] if fe["address"] == HTTP_VIP],
              "without --allow-http no HTTP listener is carried (%s)" % p.stdout.strip())
        self.gwrun("sync", "--state", self.state)

        # weights changed 100 times under load
        stop = os.path.join(self.tmp, "stop-1")
        load = self.client("load", stop, VIP, TCP_PORT)
        weights = [(50, 50), (0, 100), (100, 0), (5, 95), (95, 5)]
        for i in range(100):
            self.write_state(*weights[i % len(weights)])
            p = self.gwrun("sync", "--state", self.state)
            if "1 changed" not in p.stdout:
                raise AssertionError("change %d did not reprogram: %s" % (i, p.stdout))
        open(stop, "w").close()
        r = self.result(load)
        total = sum(r["counts"].values())
        check(total > 0 and r["failures"] == 0,
              "100 weight changes under load: %d connections, %d failed %s" % (total, r["failures"], r["errors"]))
        check(len(r["counts"]) == 2, "both backends served during the changes: %s" % r["counts"])

        # the programming process killed and restarted under load
        self.write_state(95, 5)
        syncer = subprocess.Popen([self.gw, "datapath", "sync", "--every", "0.05", "--state", self.state,
                                   "--pin-dir", self.pin], stdout=subprocess.DEVNULL)
        self.procs.append(syncer)
        stop = os.path.join(self.tmp, "stop-2")
        load = self.client("load", stop, VIP, TCP_PORT)
        time.sleep(0.5)
        syncer.send_signal(signal.SIGKILL)
        syncer.wait()
        before = self.tcp_frontend(self.stats())["connections"]
        self.write_state(0, 100)  # what the restarted process must converge to
        time.sleep(0.5)
        during = self.tcp_frontend(self.stats())["connections"] - before
        check(during > 0, "connections flow while no gatewarden process runs (%d in 0.5 s)" % during)
        syncer = subprocess.Popen([self.gw, "datapath", "sync", "--every", "0.05", "--state", self.state,
                                   "--pin-dir", self.pin], stdout=subprocess.DEVNULL)
        self.procs.append(syncer)
        converged = False
        for _ in range(200):  # a bounded wait for convergence, not a timing assertion
            fe = self.tcp_frontend(json.loads(self.gwrun("list", "-o", "json").stdout))
            slots = {x["port"]: x["slots"] for x in fe["backends"]}
            if slots.get(18081, 0) == 0 and slots.get(18082, 0) == fe["slots"] == 1:
                converged = True
                break
            time.sleep(0.05)
        check(converged, "the restarted process adopts the pinned maps and converges to 0/100")
        time.sleep(0.3)
        open(stop, "w").close()
        r = self.result(load)
        total = sum(r["counts"].values())
        check(total > 0 and r["failures"] == 0,
              "kill -9 and restart under load: %d connections, %d failed %s" % (total, r["failures"], r["errors"]))
        syncer.send_signal(signal.SIGTERM)
        check(syncer.wait(timeout=30) == 0, "sync --every stops cleanly on SIGTERM")

        # removing the route removes its frontend
        with open(self.state, "w") as f:
            f.write(self.template.split("---\napiVersion: gateway.networking.k8s.io/v1alpha2\nkind: TCPRoute")[0])
        p = self.gwrun("sync", "--state", self.state)
        fronts = json.loads(self.gwrun("list", "-o", "json").stdout)["frontends"]
        check(len(fronts) == 0, "routes removed from the state: their frontends are removed (%s)" % p.stdout.strip())

        p = self.gwrun("detach")
        check(not os.path.exists(self.pin), "detach removes the pins")
        r = self.result(self.client("refused", VIP, TCP_PORT))
        check(not r["connected"], "after detach the cgroup is not load-balanced any more")

    def cleanup(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        subprocess.run([self.gw, "datapath", "detach", "--pin-dir", self.pin], capture_output=True)
        # exited clients can keep the cgroup populated for a moment
        for _ in range(300):
            try:
                if os.path.isdir(self.cg):
                    os.rmdir(self.cg)
                break
            except OSError:
                time.sleep(0.1)
        if os.path.isdir(self.cg):
            print("warning: could not remove %s" % self.cg)
        for name in os.listdir(self.tmp):
            os.unlink(os.path.join(self.tmp, name))
        os.rmdir(self.tmp)


HTTP_VIP = "127.100.0.2"
# a Gateway with two HTTP listeners: one route that needs no L7 processing, one that does
HTTP_STATE = """
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: web, namespace: dp}
spec:
  gatewayClassName: gatewarden
  addresses: [{type: IPAddress, value: %s}]
  listeners:
  - {name: plain, protocol: HTTP, port: 8081}
  - {name: rewrite, protocol: HTTP, port: 8082}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: plain, namespace: dp}
spec:
  parentRefs: [{name: web, sectionName: plain}]
  rules:
  - backendRefs: [{name: svc-a, port: 18081}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: rewrite, namespace: dp}
spec:
  parentRefs: [{name: web, sectionName: rewrite}]
  rules:
  - filters:
    - type: RequestHeaderModifier
      requestHeaderModifier: {set: [{name: x-a, value: b}]}
    backendRefs: [{name: svc-b, port: 18082}]
""" % HTTP_VIP


def main_in_netns(script, make_test):
    """Run make_test(gatewarden).run() as root in a network namespace of its own:
    the script re-executes itself under `unshare -n` first. Returns the exit code."""
    if len(sys.argv) != 2:
        sys.exit("usage: %s GATEWARDEN" % os.path.basename(script))
    gw = os.path.abspath(sys.argv[1])
    if os.geteuid() != 0:
        skip("needs root (BPF programs, cgroups, network namespaces)")
    if os.environ.get("GW_DPTEST_IN_NETNS") != "1":
        env = dict(os.environ, GW_DPTEST_IN_NETNS="1")
        try:
            p = subprocess.run(["unshare", "-n", sys.executable, os.path.abspath(script), gw], env=env)
        except FileNotFoundError:
            skip("unshare(1) is not installed")
        sys.exit(p.returncode)
    if subprocess.run(["ip", "link", "set", "lo", "up"]).returncode != 0:
        skip("cannot bring up loopback in the test's network namespace")
    if not os.path.exists("/sys/kernel/btf/vmlinux"):
        skip("the kernel has no BTF")
    t = make_test(gw)
    try:
        t.run()
    except AssertionError as e:
        print("FAIL: %s" % e)
        return 1
    finally:
        t.cleanup()
    print("PASS")
    return 0


def main():
    return main_in_netns(__file__, Test)


if __name__ == "__main__":
    sys.exit(main())
