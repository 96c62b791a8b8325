#!/usr/bin/env python3
"""`gatewarden reconcile` against the test API server.

usage: reconcile_test.py GATEWARDEN_BINARY

1. TLS: listeners with an expired certificate, a key that does not match and a route
   hostname the certificate does not cover each get one Warning Event on their
   Gateway; the healthy listener gets none.
2. Back-fill: exactly the generated Services that lack the policy's annotation are
   patched, once; a Service whose loadBalancerClass differs keeps it (reported).
   A second run (another replica) writes no patch and no new Event.
3. Leader election: two long-running reconcilers; the leader is frozen (SIGSTOP),
   the other takes the Lease over and repairs a stripped Service; the old leader,
   resumed, never writes again. Across the whole run the writers (Lease writes
   aside) form one sequence A* B*: never both.
4. A slow API server: a Lease call it never answers gives up at its deadline and the
   next round takes the Lease; SIGTERM ends a replica whose write hangs.
"""
import base64
import http.client
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kubetest  # noqa: E402
from kubetest import check, log_record  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
TLS = os.path.join(HERE, "..", "data", "tls")
GW = "/apis/gateway.networking.k8s.io/v1"
ANN = "policy.example.com/backfilled"


def pem(name):
    return base64.b64encode(open(os.path.join(TLS, name), "rb").read()).decode()


def secret(name, cert, key):
    return {"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
            "metadata": {"name": name, "namespace": "infra"},
            "data": {"tls.crt": pem(cert), "tls.key": pem(key)}}


def listener(name, host, ref):
    return {"name": name, "protocol": "HTTPS", "port": 443, "hostname": host,
            "tls": {"mode": "Terminate", "certificateRefs": [{"name": ref}]}}


def gateway(name, listeners):
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
            "metadata": {"name": name, "namespace": "infra"},
            "spec": {"gatewayClassName": "cilium", "listeners": listeners}}


def route(name, host):
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": {"name": name, "namespace": "infra"},
            "spec": {"parentRefs": [{"name": "gw-good"}], "hostnames": [host],
                     "rules": [{"backendRefs": [{"name": "svc-d", "port": 80}]}]}}


def service(name, owner=None, annotations=None, lbclass=None):
    s = {"apiVersion": "v1", "kind": "Service",
         "metadata": {"name": name, "namespace": "infra", "labels": {}, "annotations": annotations or {}},
         "spec": {"type": "LoadBalancer", "ports": [{"port": 443}]}}
    if owner:
        s["metadata"]["labels"]["gateway.networking.k8s.io/gateway-name"] = owner
    if lbclass:
        s["spec"]["loadBalancerClass"] = lbclass
    return s


POLICY = """apiVersion: policy.gatewarden.io/v1alpha1
kind: ServicePolicy
metadata: {name: backfill-test}
spec:
  gateways: {gatewayClassNames: [cilium]}
  service:
    loadBalancerClass: service.k8s.aws/nlb
    annotations: {%s: "yes"}
""" % ANN


def events(srv):
    return srv.must("GET", "/api/v1/namespaces/infra/events")["items"]


def svc(srv, name):
    return srv.must("GET", "/api/v1/namespaces/infra/services/" + name)


def writes(srv, resource=None):
    return [w for w in srv.stats()["writelog"] if resource is None or w["resource"] == resource]


def wait_for(what, fn, guard=60):
    for _ in range(guard * 10):  # hang guard, not a timing threshold
        v = fn()
        if v:
            return v
        time.sleep(0.1)
    check(False, "waited for " + what)
    return None


def backtrace(pid):
    """Every thread's stack of a live process (gdb), to say where a hang is."""
    try:
        r = subprocess.run(["gdb", "-p", str(pid), "-batch", "-nx", "-ex", "thread apply all bt"],
                           capture_output=True, text=True, timeout=60)
        return r.stdout[-8000:]
    except (OSError, subprocess.TimeoutExpired) as e:
        return "(no backtrace: %s)" % e


def main():
    gw = sys.argv[1]
    tmp = tempfile.mkdtemp(prefix="gw-reconcile-")
    pol = os.path.join(tmp, "policy.yaml")
    with open(pol, "w") as f:
        f.write(POLICY)
    srv = kubetest.Server("--bookmark-interval", "0.5")
    procs = []
    try:
        srv.must("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "infra"}})
        srv.must("POST", GW + "/gatewayclasses", {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass",
                                                  "metadata": {"name": "cilium"},
                                                  "spec": {"controllerName": "io.cilium/gateway-controller"}})
        for s in (secret("tls-good", "example-cert.pem", "example-key.pem"),
                  secret("tls-expired", "expired-cert.pem", "expired-key.pem"),
                  secret("tls-mismatch", "example-cert.pem", "other-key.pem")):
            srv.must("POST", "/api/v1/namespaces/infra/secrets", s)
        srv.must("POST", GW + "/namespaces/infra/gateways",
                 gateway("gw-good", [listener("https", "*.example.com", "tls-good")]))
        srv.must("POST", GW + "/namespaces/infra/gateways",
                 gateway("gw-bad", [listener("old", "old.example.com", "tls-expired"),
                                    listener("mis", "a.example.com", "tls-mismatch")]))
        srv.must("POST", GW + "/namespaces/infra/httproutes", route("deep", "a.b.example.com"))
        srv.must("POST", GW + "/namespaces/infra/httproutes", route("shop", "shop.example.com"))
        srv.must("POST", "/api/v1/namespaces/infra/services", service("svc-a", owner="gw-good"))
        srv.must("POST", "/api/v1/namespaces/infra/services", service("svc-b", owner="gw-good",
                                                                       annotations={ANN: "yes"},
                                                                       lbclass="service.k8s.aws/nlb"))
        srv.must("POST", "/api/v1/namespaces/infra/services", service("svc-c", owner="gw-bad", lbclass="other"))
        srv.must("POST", "/api/v1/namespaces/infra/services", service("svc-d"))
        before = {n: svc(srv, n)["metadata"]["resourceVersion"] for n in ("svc-a", "svc-b", "svc-c", "svc-d")}

        base = [gw, "reconcile", "--kubeconfig", srv.kubeconfig, "--policy", pol, "--lease-namespace", "infra"]
        r = subprocess.run(base + ["--once", "--identity", "first"], capture_output=True, text=True, timeout=120)
        check(r.returncode == 0, "reconcile --once exits 0 (stderr: %s)" % r.stderr[-500:])

        # ---- TLS events
        evs = events(srv)
        by = {}
        for e in evs:
            by.setdefault((e["involvedObject"]["name"], e["reason"]), []).append(e)
        check(len(by.get(("gw-bad", "CertificateExpired"), [])) == 1, "one CertificateExpired Event on gw-bad")
        check(len(by.get(("gw-bad", "CertificateInvalid"), [])) == 1,
              "one CertificateInvalid Event on gw-bad (key does not match)")
        deep = by.get(("gw-good", "CertificateHostnameMismatch"), [])
        check(len(deep) == 1 and "a.b.example.com" in deep[0]["message"],
              "one CertificateHostnameMismatch Event on gw-good naming route hostname a.b.example.com")
        check(not any("shop.example.com" in e["message"] for e in evs), "the covered route hostname is not reported")
        check(all(e["type"] == "Warning" and e["involvedObject"]["kind"] in ("Gateway", "Service") for e in evs),
              "Events are Warnings on Gateways and Services")
        check(len(by.get(("svc-c", "LoadBalancerClassImmutable"), [])) == 1,
              "the loadBalancerClass difference of svc-c is reported (Event), not written")

        # ---- back-fill
        after = {n: svc(srv, n) for n in ("svc-a", "svc-b", "svc-c", "svc-d")}
        check(after["svc-a"]["metadata"]["annotations"].get(ANN) == "yes", "svc-a back-filled")
        check(after["svc-c"]["metadata"]["annotations"].get(ANN) == "yes", "svc-c back-filled")
        check(after["svc-c"]["spec"].get("loadBalancerClass") == "other", "svc-c keeps its loadBalancerClass")
        check(after["svc-b"]["metadata"]["resourceVersion"] == before["svc-b"], "svc-b (already right) untouched")
        check(after["svc-d"]["metadata"]["resourceVersion"] == before["svc-d"], "svc-d (not generated) untouched")
        patches = [w for w in writes(srv, "services") if w["method"] == "PATCH"]
        check(sorted(w["name"] for w in patches) == ["svc-a", "svc-c"],
              "exactly svc-a and svc-c patched, once each: %s" % [w["name"] for w in patches])
        nev = len(events(srv))

        # ---- idempotent: a second replica writes nothing new
        r = subprocess.run(base + ["--once", "--identity", "second"], capture_output=True, text=True, timeout=120)
        check(r.returncode == 0, "second run exits 0 (exit %d; stderr: %s)" % (r.returncode, r.stderr[-3000:]))
        patches2 = [w for w in writes(srv, "services") if w["method"] == "PATCH"]
        check(len(patches2) == len(patches), "second run: no patch (no write loop)")
        check(len(events(srv)) == nev, "second run: no new Event (deduplicated by name)")

        # ---- leader election: never both write
        logs = {}
        for ident in ("A", "B"):
            logs[ident] = open(os.path.join(tmp, ident + ".log"), "w+")
            extra = []
            if ident == "A":  # /metrics and /healthz over HTTPS (the API server's test certificate)
                extra = ["--metrics-listen", "127.0.0.1:0", "--tls-cert", os.path.join(srv.dir, "server.crt"),
                         "--tls-key", os.path.join(srv.dir, "server.key")]
            procs.append((ident, subprocess.Popen(base + ["--identity", ident, "--lease-duration", "2",
                                                          "--resync", "1"] + extra, stderr=logs[ident])))

        def metrics_port():
            rec = log_record(logs["A"], lambda r: r.get("msg") == "metrics listening")
            return rec["port"] if rec else None

        mport = wait_for("the metrics server", metrics_port)

        def fetch(path):
            conn = http.client.HTTPSConnection("127.0.0.1", mport, context=srv.ctx, timeout=10)
            conn.request("GET", path)
            r = conn.getresponse()
            return r.status, r.read().decode()

        wait_for("/healthz 200 after the sync", lambda: fetch("/healthz")[0] == 200)
        # the first pass follows the sync: wait for its figures (hang guard)
        wait_for("the first pass's metrics", lambda: "gatewarden_reconcile_passes_total 0" not in fetch("/metrics")[1])
        st, text = fetch("/metrics")
        expired = [ln for ln in text.splitlines()
                   if ln.startswith('gatewarden_certificate_expiry_seconds{namespace="infra",name="tls-expired"}')]
        check(st == 200 and len(expired) == 1 and float(expired[0].split()[-1]) < 0,
              "/metrics: certificate expiry seconds per Secret (negative for the expired one)")
        check('gatewarden_kcache_synced{resource="Gateway"} 1' in text, "/metrics: the cache's counters")
        lease_path = "/apis/coordination.k8s.io/v1/namespaces/infra/leases/gatewarden-reconciler"

        def holder(ids=("A", "B")):
            st, b = srv.call("GET", lease_path)
            h = b["spec"].get("holderIdentity") if st == 200 else None
            return h if h in ids else None

        first = wait_for("a leader", holder)
        other = "B" if first == "A" else "A"
        pid = dict(procs)[first].pid
        os.kill(pid, signal.SIGSTOP)
        took = wait_for("the other replica to take the Lease over", lambda: holder() == other)
        took_at = time.time()
        check(bool(took), "after the leader froze, %s took the Lease over" % other)
        if not took:
            op = dict(procs)[other]
            print("replica %s: %s" % (other, "running" if op.poll() is None else "exited with %d" % op.returncode))
            if op.poll() is None:
                print(backtrace(op.pid))
        strip = svc(srv, "svc-a")
        strip["metadata"]["annotations"].pop(ANN, None)
        srv.must("PUT", "/api/v1/namespaces/infra/services/svc-a", strip)
        check(bool(wait_for("svc-a repaired by the new leader",
                            lambda: svc(srv, "svc-a")["metadata"]["annotations"].get(ANN) == "yes")),
              "the new leader repaired svc-a")
        os.kill(pid, signal.SIGCONT)
        time.sleep(3)  # give the resumed replica the chance to misbehave (not a threshold)
        strip = svc(srv, "svc-a")
        strip["metadata"]["annotations"].pop(ANN, None)
        srv.must("PUT", "/api/v1/namespaces/infra/services/svc-a", strip)
        check(bool(wait_for("svc-a repaired again",
                            lambda: svc(srv, "svc-a")["metadata"]["annotations"].get(ANN) == "yes")),
              "svc-a repaired again after the old leader resumed")
        time.sleep(2)
        # Writes that took effect. A deposed leader can still have one request in
        # flight (decided before it was frozen, sent after): such a write must be
        # refused by its precondition (the Service patch tests the resourceVersion it
        # was computed from; Events have deterministic names), so it never lands.
        late = [w for w in writes(srv) if w["ua"] == "gatewarden-reconcile/" + first and w["resource"] != "leases"
                and w["t"] > took_at and 200 <= w.get("status", 0) < 300]
        check(not late, "the frozen leader landed no write after %s took over: %s" % (other, late))
        seq = [w["ua"].split("/", 1)[-1] for w in writes(srv)
               if w["ua"].startswith("gatewarden-reconcile/") and w["resource"] != "leases"
               and w["ua"].split("/", 1)[-1] in ("A", "B") and 200 <= w.get("status", 0) < 300]
        switches = sum(1 for i in range(1, len(seq)) if seq[i] != seq[i - 1])
        check(seq and seq[-1] == other and switches <= 1,
              "writers form one sequence %s* %s* (never both): %s" % (first, other, "".join(seq)))
        for ident, p in procs:
            p.send_signal(signal.SIGTERM)
        for ident, p in procs:
            try:
                rc = p.wait(30)
            except subprocess.TimeoutExpired:
                print("replica %s still runs 30 s after SIGTERM; its threads:\n%s" % (ident, backtrace(p.pid)))
                p.kill()
                rc = p.wait()
            check(rc == 0, "replica %s exits 0 on SIGTERM" % ident)
        procs = []
        if kubetest.failures:
            for ident in logs:
                logs[ident].seek(0)
                tail = logs[ident].read()[-6000:]
                print("---- replica %s, last of its log:\n%s" % (ident, tail))

        # ---- a slow API server: a Lease call gives up at its deadline (the lease
        # duration) and the next tick succeeds; SIGTERM ends a write still in flight
        logs["C"] = open(os.path.join(tmp, "C.log"), "w+")
        srv.must("POST", "/_control", {"faults": [{"verb": "get", "resource": "leases", "action": "hang"}]})
        c = subprocess.Popen(base + ["--identity", "C", "--lease-duration", "2", "--resync", "1"], stderr=logs["C"])
        procs = [("C", c)]

        gave_up = wait_for("C's unanswered Lease call to give up",
                           lambda: log_record(logs["C"], lambda r: r.get("msg") == "leader election round failed"
                                         and "deadline" in r.get("error", "")))
        check(bool(gave_up), "an unanswered Lease call gives up at its deadline: %s" % (gave_up or {}).get("error"))
        check(bool(wait_for("C to take the Lease", lambda: holder(("C",)))), "the next round takes the Lease")
        srv.must("POST", "/_control", {"faults": [{"verb": "patch", "resource": "services", "action": "hang"}]})
        strip = svc(srv, "svc-a")
        strip["metadata"]["annotations"].pop(ANN, None)
        srv.must("PUT", "/api/v1/namespaces/infra/services/svc-a", strip)
        wait_for("C's patch to hang", lambda: srv.stats()["faults"].get("hang", 0) >= 2)
        c.send_signal(signal.SIGTERM)
        try:
            rc = c.wait(30)  # hang guard: the hung patch would hold it for 120 s
        except subprocess.TimeoutExpired:
            print("replica C still runs 30 s after SIGTERM; its threads:\n%s" % backtrace(c.pid))
            c.kill()
            rc = c.wait()
        check(rc == 0, "SIGTERM ends a replica whose write the API server never answers (exit %d)" % rc)
        procs = []
        if kubetest.failures:
            logs["C"].seek(0)
            print("---- replica C, last of its log:\n%s" % logs["C"].read()[-6000:])
    finally:
        for ident, p in procs:
            if p.poll() is None:
                try:
                    os.kill(p.pid, signal.SIGCONT)
                except OSError:
                    pass
                p.kill()
                p.wait()
        srv.stop()
    return kubetest.finish()


if __name__ == "__main__":
    sys.exit(main())
