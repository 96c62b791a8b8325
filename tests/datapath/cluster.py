#!/usr/bin/env python3
"""`gatewarden datapath sync --kubeconfig` end to end, against the project's test API
server (tests/apiserver/apiserver.py).

Needs root. Re-executes itself in a network namespace of its own (unshare -n), on
loopback only; the API server, the backends (servers in this process, outside the
cgroup) and `datapath sync` run there; clients run in a cgroup v2 directory of their
own (client.py). A private bpffs pin directory and the cgroup are removed at the end.
The cluster holds a Gateway (IPAddress 127.100.0.1, a TCP and a UDP listener), a
TCPRoute split over two Services and a UDPRoute, the Services' endpoints being
EndpointSlices on 127.0.0.1 (their clusterIPs lead nowhere). Checks:
  1. before the watch cache's first full sync nothing is programmed: a frontend
     programmed earlier from a file stays while the API server fails the
     EndpointSlice list, and goes only once the cache has synced (it is not in the
     cluster);
  2. the cluster's frontends are programmed from the watch cache: slots match the
     weights, connections reach the backends (EndpointSlices, not clusterIPs) and the
     split and `datapath stats` agree; UDP is answered from the frontend;
  3. a weight change made through the API server (merge patch of the TCPRoute) shows
     in `datapath list`, and in `stats` for the connections made afterwards; a burst
     of changes is programmed in fewer passes than changes, ending on the last;
  4. `datapath sync` killed (SIGKILL) while connections flow, the route changed while
     it is dead, and restarted: zero failed connections, and the restarted process
     converges to the change;
  5. deleting the TCPRoute removes its frontend (the UDP one stays);
  6. SIGTERM: exit 0.
Without root: exit 77 (skip) with the reason, or 1 when CI is set.
Usage: cluster.py GATEWARDEN
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "apiserver"))
import run as dprun  # noqa: E402  (Servers, skip, check, cgroup2_mount)
import kubetest  # noqa: E402

VIP, TCP_PORT, UDP_PORT = "127.100.0.1", 8080, 5353
OLD_VIP = "127.100.0.9"
GWAPI = "/apis/gateway.networking.k8s.io"
NSP = "/namespaces/dp"
check, skip = dprun.check, dprun.skip

# a frontend programmed from a file before the cluster sync starts; the cluster does
# not have it, so it must stay until the cache has synced, then go
OLD_STATE = """apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: old, namespace: dp}
spec:
  gatewayClassName: gatewarden
  addresses: [{type: IPAddress, value: %s}]
  listeners: [{name: tcp, protocol: TCP, port: 9999}]
---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TCPRoute
metadata: {name: old, namespace: dp}
spec:
  parentRefs: [{name: old}]
  rules: [{backendRefs: [{name: old, port: 18081}]}]
---
apiVersion: v1
kind: Service
metadata: {name: old, namespace: dp}
spec: {clusterIP: 127.0.0.1, ports: [{port: 18081}]}
""" % OLD_VIP


def tcproute_rules(wa, wb):
    return [{"backendRefs": [{"name": "svc-a", "port": 80, "weight": wa},
                             {"name": "svc-b", "port": 80, "weight": wb}]}]


def tcproute(wa, wb):
    return {"apiVersion": "gateway.networking.k8s.io/v1alpha2", "kind": "TCPRoute",
            "metadata": {"name": "split", "namespace": "dp"},
            "spec": {"parentRefs": [{"name": "edge", "sectionName": "tcp"}], "rules": tcproute_rules(wa, wb)}}


def service(name, cluster_ip, port_name, protocol="TCP"):
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": "dp"},
            "spec": {"clusterIP": cluster_ip,
                     "ports": [{"name": port_name, "port": 80, "protocol": protocol}]}}


def slice_(svc, port_name, port, protocol="TCP"):
    return {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {"name": svc + "-x1", "namespace": "dp",
                         "labels": {"kubernetes.io/service-name": svc}},
            "addressType": "IPv4",
            "endpoints": [{"addresses": ["127.0.0.1"], "conditions": {"ready": True}}],
            "ports": [{"name": port_name, "port": port, "protocol": protocol}]}


class Test(dprun.Test):
    def __init__(self, gw):
        super().__init__(gw)
        self.pin = "/sys/fs/bpf/gw-dpctest-%d" % os.getpid()
        self.cg = os.path.join(os.path.dirname(self.cg), "gw-dpctest-%d" % os.getpid())
        self.srv = None
        self.syncer = None
        self.logs = []

    # ---- the sync process
    def start_sync(self):
        log = os.path.join(self.tmp, "sync-%d.log" % len(self.logs))
        self.logs.append(log)
        with open(log, "w") as f:
            self.syncer = subprocess.Popen([self.gw, "datapath", "sync", "--kubeconfig", self.srv.kubeconfig,
                                            "--pin-dir", self.pin], stdout=f, stderr=subprocess.STDOUT)
        self.procs.append(self.syncer)
        return log

    def log_text(self):
        return open(self.logs[-1]).read()

    def frontends(self):
        return json.loads(self.gwrun("list", "-o", "json").stdout)["frontends"]

    def find(self, fronts, addr, port, proto="TCP"):
        for f in fronts:
            if f["address"] == addr and f["port"] == port and f["protocol"] == proto:
                return f
        return None

    def wait_for(self, pred, what, tries=600):
        """Bounded wait (hang guard, not a timing assertion) for pred(frontends)."""
        fronts = None
        for _ in range(tries):
            if self.syncer is not None and self.syncer.poll() is not None:
                raise AssertionError("datapath sync exited %d while waiting for %s:\n%s" %
                                     (self.syncer.returncode, what, self.log_text()))
            fronts = self.frontends()
            if pred(fronts):
                return fronts
            time.sleep(0.05)
        raise AssertionError("timed out waiting for %s; frontends %s\nsync log:\n%s" %
                             (what, fronts, self.log_text()))

    def slots(self, fronts):
        f = self.find(fronts, VIP, TCP_PORT)
        if f is None:
            return None
        return {b["port"]: b["slots"] for b in f["backends"]}

    # ---- the cluster
    def populate(self, wa, wb):
        s = self.srv
        s.must("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "dp"}})
        s.must("POST", GWAPI + "/v1/gatewayclasses", {
            "apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass", "metadata": {"name": "gatewarden"},
            "spec": {"controllerName": "example.com/gatewarden"}})
        s.must("POST", GWAPI + "/v1" + NSP + "/gateways", {
            "apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
            "metadata": {"name": "edge", "namespace": "dp"},
            "spec": {"gatewayClassName": "gatewarden", "addresses": [{"type": "IPAddress", "value": VIP}],
                     "listeners": [{"name": "tcp", "protocol": "TCP", "port": TCP_PORT},
                                   {"name": "udp", "protocol": "UDP", "port": UDP_PORT}]}})
        # clusterIPs that lead nowhere: only the EndpointSlices reach the servers
        for name, ip, pname, port, proto in (("svc-a", "10.96.0.11", "tcp", 18081, "TCP"),
                                             ("svc-b", "10.96.0.12", "tcp", 18082, "TCP"),
                                             ("svc-u", "10.96.0.13", "dns", 18083, "UDP")):
            s.must("POST", "/api/v1" + NSP + "/services", service(name, ip, pname, proto))
            s.must("POST", "/apis/discovery.k8s.io/v1" + NSP + "/endpointslices", slice_(name, pname, port, proto))
        s.must("POST", GWAPI + "/v1alpha2" + NSP + "/tcproutes", tcproute(wa, wb))
        s.must("POST", GWAPI + "/v1alpha2" + NSP + "/udproutes", {
            "apiVersion": "gateway.networking.k8s.io/v1alpha2", "kind": "UDPRoute",
            "metadata": {"name": "dns", "namespace": "dp"},
            "spec": {"parentRefs": [{"name": "edge", "sectionName": "udp"}],
                     "rules": [{"backendRefs": [{"name": "svc-u", "port": 80}]}]}})

    def patch_weights(self, wa, wb):
        self.srv.must("PATCH", GWAPI + "/v1alpha2" + NSP + "/tcproutes/split",
                      {"spec": {"rules": tcproute_rules(wa, wb)}}, ctype="application/merge-patch+json")

    def run(self):
        os.makedirs(self.cg)
        self.srv = kubetest.Server(dir=os.path.join(self.tmp, "apiserver"))
        self.gwrun("attach", "--cgroup", self.cg)
        self.servers = dprun.Servers()

        # 1. nothing is programmed before the first full sync
        old = os.path.join(self.tmp, "old.yaml")
        with open(old, "w") as f:
            f.write(OLD_STATE)
        self.gwrun("sync", "--state", old)
        check(self.find(self.frontends(), OLD_VIP, 9999) is not None, "a frontend programmed from a file")
        self.populate(75, 25)
        self.srv.control(faults=[{"verb": "list", "resource": "endpointslices", "action": "500", "count": 1000000}])
        self.start_sync()
        for _ in range(300):  # hang guard: until the failing list has been tried a few times
            if self.srv.stats()["faults"].get("500", 0) >= 3:
                break
            time.sleep(0.05)
        time.sleep(0.3)
        fronts = self.frontends()
        check(self.syncer.poll() is None and "synced" not in self.log_text(),
              "EndpointSlice list failing: the watch cache is not synced (%d failed lists)"
              % self.srv.stats()["faults"].get("500", 0))
        check(len(fronts) == 1 and self.find(fronts, OLD_VIP, 9999) is not None,
              "not synced: nothing programmed, the earlier frontend stays (no empty plan)")
        self.srv.control(clearFaults=True)
        fronts = self.wait_for(lambda fr: self.find(fr, OLD_VIP, 9999) is None and self.slots(fr) is not None,
                               "the first programming after the sync", tries=1200)
        check("watch cache synced" in self.log_text(), "the sync is logged before the first programming")

        # 2. programmed from the cache
        sl = self.slots(fronts)
        check(sl == {18081: 3, 18082: 1}, "75/25 TCPRoute from the API server: slots %s (3 + 1)" % sl)
        fe = self.find(fronts, VIP, TCP_PORT)
        check("TCPRoute dp/split" in fe["source"], "source names the route: %s" % fe["source"])
        n = 1000
        r = self.result(self.client("split", n, VIP, TCP_PORT))
        a, b = r["counts"].get("A", 0), r["counts"].get("B", 0)
        check(r["failures"] == 0 and a + b == n, "%d connections reach the EndpointSlices' backends (%s)"
              % (n, r["errors"]))
        check(abs(100.0 * a / n - 75.0) <= 5.0, "75/25 route: %.1f%% / %.1f%%" % (100.0 * a / n, 100.0 * b / n))
        st = self.tcp_frontend(self.stats())
        seen = {x["port"]: x["connections"] for x in st["backends"]}
        check(st["connections"] == n and seen.get(18081) == a and seen.get(18082) == b,
              "datapath stats agree: %s" % seen)
        r = self.result(self.client("udp", VIP, UDP_PORT))
        check(r["unconnected"] == {"data": "echo:ping", "from": [VIP, UDP_PORT]},
              "UDPRoute from the API server: the reply comes from the frontend %s" % r["unconnected"])

        # 3. a weight change through the API server
        self.patch_weights(10, 90)
        fronts = self.wait_for(lambda fr: self.slots(fr) == {18081: 1, 18082: 9}, "the 10/90 weights")
        check(True, "merge patch of the TCPRoute to 10/90: `datapath list` shows 1 + 9 slots")
        before = {x["port"]: x["connections"] for x in self.tcp_frontend(self.stats())["backends"]}
        r = self.result(self.client("split", n, VIP, TCP_PORT))
        a, b = r["counts"].get("A", 0), r["counts"].get("B", 0)
        after = {x["port"]: x["connections"] for x in self.tcp_frontend(self.stats())["backends"]}
        da, db = after.get(18081, 0) - before.get(18081, 0), after.get(18082, 0) - before.get(18082, 0)
        check(r["failures"] == 0 and (da, db) == (a, b) and abs(100.0 * db / n - 90.0) <= 4.0,
              "stats after the change: +%d / +%d connections (%.1f%% to B)" % (da, db, 100.0 * db / n))

        # 3b. a burst of changes is coalesced (at most one programming per 200 ms)
        passes = self.log_text().count("datapath: ")
        burst = [(w, 100 - w) for w in range(20, 80, 3)]
        for wa, wb in burst:
            self.patch_weights(wa, wb)
        self.patch_weights(15, 85)
        last = {18081: 3, 18082: 17}  # 15/85 = 3 + 17 slots
        self.wait_for(lambda fr: self.slots(fr) == last, "the burst's last weights")
        time.sleep(0.5)
        passes = self.log_text().count("datapath: ") - passes
        check(0 < passes < len(burst) + 1 and self.slots(self.frontends()) == last,
              "%d changes through the API server, %d programming passes, the last one wins"
              % (len(burst) + 1, passes))

        # 4. killed and restarted while connections flow
        stop = os.path.join(self.tmp, "stop-1")
        load = self.client("load", stop, VIP, TCP_PORT)
        time.sleep(0.5)
        self.syncer.send_signal(signal.SIGKILL)
        self.syncer.wait()
        self.patch_weights(0, 100)  # made while no sync runs
        c0 = self.tcp_frontend(self.stats())["connections"]
        time.sleep(0.5)
        during = self.tcp_frontend(self.stats())["connections"] - c0
        check(during > 0, "connections flow while no sync process runs (%d in 0.5 s)" % during)
        check(self.slots(self.frontends()) == last, "the pinned maps keep the last plan")
        self.start_sync()
        self.wait_for(lambda fr: self.slots(fr) in ({18082: 1}, {18081: 0, 18082: 1}),
                      "the restarted sync to converge to 0/100")
        check(True, "the restarted sync adopts the pinned maps and converges to the change made meanwhile")
        time.sleep(0.3)
        open(stop, "w").close()
        r = self.result(load)
        total = sum(r["counts"].values())
        check(total > 0 and r["failures"] == 0,
              "kill -9 and restart under load: %d connections, %d failed %s" % (total, r["failures"], r["errors"]))

        # 5. the route deleted through the API server
        self.srv.must("DELETE", GWAPI + "/v1alpha2" + NSP + "/tcproutes/split")
        fronts = self.wait_for(lambda fr: self.find(fr, VIP, TCP_PORT) is None, "the TCP frontend to go")
        check(self.find(fronts, VIP, UDP_PORT, "UDP") is not None,
              "TCPRoute deleted: its frontend is removed, the UDPRoute's stays")
        r = self.result(self.client("refused", VIP, TCP_PORT))
        check(not r["connected"], "connections to the removed frontend are not balanced any more")

        # 6. SIGTERM
        self.syncer.send_signal(signal.SIGTERM)
        rc = self.syncer.wait(timeout=30)
        check(rc == 0 and "stopping" in self.log_text(), "SIGTERM: exit %d, logged" % rc)
        self.syncer = None
        check(self.find(self.frontends(), VIP, UDP_PORT, "UDP") is not None, "what is programmed stays after exit")

    def cleanup(self):
        try:
            if self.srv is not None:
                self.srv.stop()
        finally:
            shutil.rmtree(os.path.join(self.tmp, "apiserver"), ignore_errors=True)
            super().cleanup()


def main():
    return dprun.main_in_netns(__file__, Test)


if __name__ == "__main__":
    sys.exit(main())
