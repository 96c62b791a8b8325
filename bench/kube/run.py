#!/usr/bin/env python3
"""bench/kube: the watch cache against the test API server (tests/apiserver/apiserver.py).

    python3 bench/kube/run.py BUILD_DIR        (BUILD_DIR holds tests/apiserver/kcache_dump)

1. Initial sync: 10,000 HTTPRoutes, 1,000 Gateways, 10,000 Services (plus their
   namespaces) preloaded in the server; kcache_dump starts, lists every resource in
   pages of 500 and opens its watches. Reported: time from process start to the first
   full sync (every resource synced) and the process's peak RSS (VmHWM). Best of RUNS.
   The same for the slim cache serve keeps (kcache_dump --slim; the tool also logs
   every applied event, which it holds), and for `gatewarden serve --kubeconfig`
   itself: time to /readyz 200 and its peak and current RSS once ready.
2. Event-to-decision latency: with the reconciler running on the synced cache, a
   steady stream of HTTPRoute updates (RATE per second for SECONDS) is written to the
   server; each carries its send time. Reported: write-to-cache delay (p50/p99/max;
   the server's watch fan-out included) and the reconciler's change-to-decision time
   (a full TLS/route pass over the cache, average and max).
Everything runs on loopback over HTTPS; the server is Python, so its serialisation
is part of the sync time.
"""
import http.client
import json
import os
import ssl
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "apiserver"))
import kubetest  # noqa: E402

ROUTES, GATEWAYS, SERVICES, NAMESPACES = 10000, 1000, 10000, 100
RUNS = int(os.environ.get("RUNS", "3"))
RATE = float(os.environ.get("RATE", "20"))
SECONDS = float(os.environ.get("SECONDS", "20"))


def objects():
    out = []
    for n in range(NAMESPACES):
        out.append({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ns%d" % n}})
    out.append({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass", "metadata": {"name": "bench"},
                "spec": {"controllerName": "example.com/bench"}})
    for g in range(GATEWAYS):
        ns = "ns%d" % (g % NAMESPACES)
        out.append({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
                    "metadata": {"name": "gw%d" % g, "namespace": ns, "managedFields": [{"manager": "bench"}]},
                    "spec": {"gatewayClassName": "bench", "listeners": [
                        {"name": "http", "protocol": "HTTP", "port": 80, "hostname": "*.g%d.example.com" % g}]}})
    for r in range(ROUTES):
        g = r % GATEWAYS
        ns = "ns%d" % (g % NAMESPACES)
        out.append({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
                    "metadata": {"name": "r%d" % r, "namespace": ns, "labels": {"app": "a%d" % r},
                                 "managedFields": [{"manager": "bench", "fieldsV1": {"f:spec": {}}}]},
                    "spec": {"parentRefs": [{"name": "gw%d" % g}], "hostnames": ["h%d.g%d.example.com" % (r, g)],
                             "rules": [{"matches": [{"path": {"type": "PathPrefix", "value": "/p%d" % r}}],
                                        "backendRefs": [{"name": "s%d" % r, "port": 80}]}]}})
    for s in range(SERVICES):
        ns = "ns%d" % ((s % GATEWAYS) % NAMESPACES)
        out.append({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s%d" % s, "namespace": ns},
                    "spec": {"type": "ClusterIP", "ports": [{"port": 80, "targetPort": 8080}],
                             "selector": {"app": "a%d" % s}}})
    return out


def proc_kb(pid, field):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def serve_rss(build, srv, tmp, results):
    """gatewarden serve on the same API server (--kubeconfig: its slim watch cache):
    the time to /readyz 200 and its memory then (VmHWM, VmRSS)."""
    gw = os.path.join(build, "cli", "gatewarden")
    if not os.path.exists(gw):
        print("serve: %s not built, skipped" % gw)
        return
    key, crt = os.path.join(tmp, "s.key"), os.path.join(tmp, "s.crt")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", key, "-out", crt, "-days", "1", "-subj", "/CN=127.0.0.1"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    port = 18000 + os.getpid() % 1000
    t0 = time.time()
    p = subprocess.Popen([gw, "serve", "--listen", "127.0.0.1:%d" % port, "--tls-cert", crt, "--tls-key", key,
                          "--kubeconfig", srv.kubeconfig, "--quiet", "--shutdown-delay", "0"],
                         stderr=subprocess.DEVNULL)
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ready = None
    try:
        while time.time() - t0 < 120 and p.poll() is None:
            try:
                c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=5)
                c.request("GET", "/readyz")
                st = c.getresponse().status
                c.close()
                if st == 200:
                    ready = time.time() - t0
                    break
            except OSError:
                pass
            time.sleep(0.05)
        if ready is None:
            print("serve: not ready after 120 s")
            return
        time.sleep(1)
        hwm, rss = proc_kb(p.pid, "VmHWM"), proc_kb(p.pid, "VmRSS")
        results["serve"] = {"ready_s": ready, "vmhwm_kb": hwm, "vmrss_kb": rss}
        print("gatewarden serve --kubeconfig: ready in %.2f s; peak RSS %d kB, RSS once ready %d kB" %
              (ready, hwm, rss))
    finally:
        p.terminate()
        p.wait(30)


def main():
    build = sys.argv[1]
    tool = os.path.join(build, "tests", "apiserver", "kcache_dump")
    tmp = tempfile.mkdtemp(prefix="gw-bench-kube-")
    load = os.path.join(tmp, "objects.json")
    objs = objects()
    with open(load, "w") as f:
        json.dump(objs, f)
    srv = kubetest.Server("--load", load, "--bookmark-interval", "5")
    results = {"objects": len(objs)}
    try:
        # the reconciler's cache (whole objects), then serve's (--slim: what admission
        # reads, routes kept as compact text)
        for mode, extra in (("sync", []), ("sync_slim", ["--slim"])):
            syncs = []
            for _ in range(RUNS):
                p = subprocess.Popen([tool, srv.kubeconfig, "--page", "500"] + extra, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
                p.stdin.write("ready\n")
                p.stdin.flush()
                syncs.append(json.loads(p.stdout.readline()))
                p.stdin.write("quit\n")
                p.stdin.flush()
                p.wait(60)
            best = min(syncs, key=lambda s: s["ready_ms"])
            results[mode] = syncs
            print("%s: initial sync of %d objects: best %.0f ms of %s; peak RSS %s" %
                  ("serve's slim cache" if extra else "the reconciler's cache", best["objects"], best["ready_ms"],
                   [round(s["ready_ms"]) for s in syncs], [s["vmhwm_kb"] for s in syncs]))

        serve_rss(build, srv, tmp, results)

        p = subprocess.Popen([tool, srv.kubeconfig, "--page", "500", "--reconcile"], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
        p.stdin.write("ready\n")
        p.stdin.flush()
        p.stdout.readline()
        time.sleep(2)  # let the first full pass finish before the stream starts
        p.stdin.write("reset\n")
        p.stdin.flush()
        p.stdout.readline()
        conn = http.client.HTTPSConnection("127.0.0.1", srv.port, context=srv.ctx, timeout=30)
        sent = 0
        t_end = time.time() + SECONDS
        t_next = time.time()
        i = 0
        while time.time() < t_end:
            r = i % ROUTES
            ns = "ns%d" % ((r % GATEWAYS) % NAMESPACES)
            patch = {"metadata": {"annotations": {"bench.gatewarden.io/sent": "%.6f" % time.time()}},
                     "spec": {"hostnames": ["h%d-%d.g%d.example.com" % (r, i, r % GATEWAYS)]}}
            conn.request("PATCH", "/apis/gateway.networking.k8s.io/v1/namespaces/%s/httproutes/r%d" % (ns, r),
                         body=json.dumps(patch), headers={"Authorization": "Bearer " + srv.token,
                                                          "Content-Type": "application/merge-patch+json"})
            resp = conn.getresponse()
            resp.read()
            assert resp.status == 200, resp.status
            sent += 1
            i += 1
            time.sleep(max(0.0, t_next - time.time()))
            t_next += 1.0 / RATE
        conn.close()
        time.sleep(2)
        p.stdin.write("latency\n")
        p.stdin.flush()
        lat = json.loads(p.stdout.readline())
        p.stdin.write("quit\n")
        p.stdin.flush()
        p.wait(60)
        results["latency"] = lat
        results["updates_sent"] = sent
        results["rate"] = RATE
        results["seconds"] = SECONDS
        print("steady stream: %d updates at %.0f/s; write-to-cache p50 %.1f ms, p99 %.1f ms, max %.1f ms; "
              "cache-to-decision avg %.1f ms, max %.1f ms over %d decisions" %
              (sent, RATE, lat["p50_ms"], lat["p99_ms"], lat["max_ms"], lat.get("decision_avg_ms", 0),
               lat.get("decision_max_ms", 0), lat.get("decisions", 0)))
    finally:
        srv.stop()
    out = os.path.join(HERE, "..", "out")
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "kube.json"), "w") as f:
        json.dump(results, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
