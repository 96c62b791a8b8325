#!/usr/bin/env python3
"""The watch cache under a scripted storm of changes and faults.

usage: kcache_storm.py KCACHE_DUMP_BINARY

Phase A: writes while watches are dropped (closed with and without an answer,
mid-stream), throttled (429 with Retry-After) and failed (500). Every write must reach
the cache exactly once: resuming from the last resourceVersion loses nothing.

Phase B: the server's history is compacted (watches get 410 Gone, as an HTTP status
and in-stream; continue tokens expire) while writes go on. The cache must relist and
end equal to the server; no event may be applied twice or out of order.

Both phases end when the cache equals the server (the test then checks all the above)
or after a hang guard of 120 s (a failure, not a timing threshold).
"""
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kubetest  # noqa: E402

GW = "/apis/gateway.networking.k8s.io/v1"
KINDS = {"httproutes": ("HTTPRoute", GW), "gateways": ("Gateway", GW), "services": ("Service", "/api/v1")}


def check(cond, msg):
    kubetest.check(cond, msg, quiet=True)  # checks run per applied event


def server_state(srv):
    out = {}
    for plural, (kind, base) in KINDS.items():
        b = srv.must("GET", "%s/%s" % (base, plural))
        for o in b["items"]:
            out[(kind, o["metadata"].get("namespace", ""), o["metadata"]["name"])] = o["metadata"]["resourceVersion"]
    for o in srv.must("GET", "/api/v1/namespaces")["items"]:
        out[("Namespace", "", o["metadata"]["name"])] = o["metadata"]["resourceVersion"]
    return out



def converge(srv, cache):
    want = server_state(srv)
    for _ in range(1200):  # hang guard: 120 s
        d = cache.dump()
        if d["ready"] and d["state"] == want:
            return d
        time.sleep(0.1)
    d = cache.dump()
    missing = {k: v for k, v in want.items() if d["state"].get(k) != v}
    extra = {k: v for k, v in d["state"].items() if k not in want}
    check(False, "cache did not converge: %d differ, %d extra, e.g. %s %s" %
          (len(missing), len(extra), list(missing.items())[:3], list(extra.items())[:3]))
    return d


def route(name, ns, host):
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": {"name": name, "namespace": ns, "managedFields": [{"manager": "x"}]},
            "spec": {"hostnames": [host], "parentRefs": [{"name": "gw"}],
                     "rules": [{"backendRefs": [{"name": "svc", "port": 80}]}]}}


def writes(srv, rng, n, log):
    """n random writes; log gets (kind, ns, name, rv, type) for each one that happened."""
    for i in range(n):
        ns = rng.choice(["a", "b"])
        name = "r%d" % rng.randrange(25)
        path = "%s/namespaces/%s/httproutes" % (GW, ns)
        op = rng.random()
        st, cur = srv.call("GET", "%s/%s" % (path, name))
        if st == 404:
            st, b = srv.call("POST", path, route(name, ns, "h%d.example.com" % i))
            if st == 201:
                log.append(("HTTPRoute", ns, name, b["metadata"]["resourceVersion"], "ADDED"))
        elif op < 0.25:
            st, b = srv.call("DELETE", "%s/%s" % (path, name))
            if st == 200:
                log.append(("HTTPRoute", ns, name, b["metadata"]["resourceVersion"], "DELETED"))
        else:
            patch = {"spec": {"hostnames": ["h%d.example.com" % i]},
                     "metadata": {"resourceVersion": cur["metadata"]["resourceVersion"]}}
            st, b = srv.call("PATCH", "%s/%s" % (path, name), patch, "application/merge-patch+json")
            # a patch that changes nothing keeps the resourceVersion and sends no event
            if st == 200 and b["metadata"]["resourceVersion"] != cur["metadata"]["resourceVersion"]:
                log.append(("HTTPRoute", ns, name, b["metadata"]["resourceVersion"], "MODIFIED"))
        if i % 10 == 0:
            svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s%d" % (i % 7), "namespace": ns},
                   "spec": {"ports": [{"port": 80 + i}]}}
            st, old = srv.call("GET", "/api/v1/namespaces/%s/services/s%d" % (ns, i % 7))
            before = old["metadata"]["resourceVersion"] if st == 200 else None
            st, b = srv.call("POST", "/api/v1/namespaces/%s/services" % ns, svc)
            if st == 409:
                st, b = srv.call("PUT", "/api/v1/namespaces/%s/services/s%d" % (ns, i % 7), svc)
            if st == 201 or (st == 200 and b["metadata"]["resourceVersion"] != before):
                log.append(("Service", ns, "s%d" % (i % 7), b["metadata"]["resourceVersion"],
                            "ADDED" if st == 201 else "MODIFIED"))


def check_order(applied):
    last = {}
    for kind, ns, name, rv, typ in applied:
        key = (kind, ns, name)
        prev = last.get(key)
        if prev is not None:
            if typ == "DELETED":
                check(int(rv) >= prev, "DELETED of %s at %s after %d" % (key, rv, prev))
            else:
                check(int(rv) > prev, "event applied twice or out of order: %s rv %s after %d" % (key, rv, prev))
        last[key] = int(rv)


def main():
    binary = sys.argv[1]
    extra = sys.argv[2:]  # e.g. --slim: the cache serve runs (routes kept as text)
    rng = random.Random(6)
    srv = kubetest.Server("--bookmark-interval", "0.3")
    cache = None
    try:
        for ns in ("a", "b"):
            srv.must("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
        log0 = []
        writes(srv, rng, 40, log0)  # state before the cache starts: listed in pages of 7
        cache = kubetest.KcacheDump(binary, srv.kubeconfig, extra)
        d = converge(srv, cache)
        check(d["ready"], "cache not ready after the first sync")
        routes = [o for o in d["objects"] if o[0] == "HTTPRoute"]
        check(len(routes) > 7, "the initial list spans several pages (%d routes)" % len(routes))

        # ---- phase A: drops, throttling, errors; nothing may be lost
        srv.control(faults=[
            {"verb": "watch", "resource": "httproutes", "action": "drop-after", "after": 2, "count": 6},
            {"verb": "watch", "resource": "httproutes", "action": "drop", "count": 2},
            {"verb": "watch", "resource": "httproutes", "action": "429", "retryAfter": 1, "count": 2},
            {"verb": "watch", "resource": "httproutes", "action": "500", "count": 2},
            {"verb": "watch", "resource": "services", "action": "500", "count": 1},
            {"verb": "watch", "resource": "services", "action": "drop-after", "after": 1, "count": 2},
        ])
        cache.applied = []
        loga = []
        for _ in range(6):
            writes(srv, rng, 30, loga)
            time.sleep(0.2)  # let faults interleave with the streams (not asserted on)
        d = converge(srv, cache)
        seen = {(k, ns, n, rv, t) for k, ns, n, rv, t in cache.applied}
        # the cache reports what it applied; a DELETED it got from a watch carries the
        # deletion's resourceVersion, as the write did
        missed = [w for w in loga if w not in seen]
        check(not missed, "phase A: %d writes never reached the cache, e.g. %s" % (len(missed), missed[:3]))
        check(len(cache.applied) == len(seen), "phase A: an event was applied twice")
        check_order(cache.applied)
        st = srv.stats()
        for a in ("drop-after", "drop", "429", "500"):
            check(st["faults"].get(a, 0) > 0, "phase A: fault %s was never delivered" % a)
        hs = d["stats"]["HTTPRoute"]
        check(hs["relists_gone"] == 0, "phase A: no 410 was injected, yet the cache relisted")
        check(hs["drops"] > 0 and hs["throttled"] > 0, "phase A: the cache saw drops and throttling: %s" % hs)
        check(hs["duplicates"] == 0, "phase A: duplicate events: %s" % hs)
        print("phase A: %d writes, all applied once; cache stats %s; server faults %s" %
              (len(loga), hs, st["faults"]))

        # ---- phase B: 410 Gone (compaction, in-stream, expired continue)
        srv.control(faults=[
            {"verb": "watch", "resource": "httproutes", "action": "gone-in-stream", "count": 2},
            {"verb": "watch", "resource": "services", "action": "410", "count": 1},
            {"verb": "list", "resource": "httproutes", "action": "500", "count": 1},
        ])
        cache.applied = []
        logb = []
        for rnd in range(5):
            writes(srv, rng, 25, logb)
            if rnd % 2 == 0:
                srv.control(compact=True)
            time.sleep(0.2)
        d = converge(srv, cache)
        check_order(cache.applied)
        hs = d["stats"]["HTTPRoute"]
        check(hs["relists_gone"] >= 2, "phase B: relists after 410: %s" % hs)
        check(d["stats"]["Service"]["relists_gone"] >= 1, "phase B: services relisted after 410")
        st = srv.stats()
        check(st["faults"].get("gone-in-stream", 0) > 0, "phase B: in-stream 410 delivered")
        # every object the server holds now is in the cache at its resourceVersion (converge)
        print("phase B: %d writes, converged; cache stats %s" % (len(logb), hs))
    finally:
        rc = cache.quit() if cache else 0
        srv.stop()
    check(rc == 0, "kcache_dump exited %s" % rc)
    return kubetest.finish()


if __name__ == "__main__":
    sys.exit(main())
