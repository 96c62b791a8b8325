#!/usr/bin/env python3
"""A watch that goes silent (its connection open, no event and no bookmark: a dead peer
as the client sees it) is given up after the cache's stall limit and made again from
the last resourceVersion, so a route created meanwhile still reaches the cache; the
healthy watches, which carry a bookmark every half second, are never cut.

usage: kcache_stall.py KCACHE_DUMP_BINARY
"""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kubetest  # noqa: E402
from kubetest import check  # noqa: E402

GW = "/apis/gateway.networking.k8s.io/v1"
STALL_S = 2


def route(name):
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": {"name": name, "namespace": "a"},
            "spec": {"hostnames": ["%s.example.com" % name], "parentRefs": [{"name": "gw"}]}}


def main():
    binary = sys.argv[1]
    srv = kubetest.Server("--bookmark-interval", "0.5")
    p = None
    try:
        srv.must("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"}})
        srv.must("POST", GW + "/namespaces/a/httproutes", route("r1"))
        # the first HTTPRoute watch (after the first list) goes silent for good
        srv.control(faults=[{"verb": "watch", "resource": "httproutes", "action": "stall"}])
        p = kubetest.KcacheDump(binary, srv.kubeconfig, ["--watch-stall", str(STALL_S)], stderr=subprocess.PIPE)
        d = p.wait_ready()
        check(d["ready"], "the cache completed its first sync")
        for _ in range(300):  # hang guard
            if srv.stats()["faults"].get("stall", 0) >= 1:
                break
            time.sleep(0.1)
        check(srv.stats()["faults"].get("stall", 0) == 1, "the HTTPRoute watch went silent")
        srv.must("POST", GW + "/namespaces/a/httproutes", route("r2"))
        routes = []
        for _ in range(600):  # hang guard: 60 s; the silent watch itself lasts 600 s
            d = p.dump()
            routes = sorted(n for k, ns, n, rv in d["objects"] if k == "HTTPRoute")
            if "r2" in routes:
                break
            time.sleep(0.1)
        check(routes == ["r1", "r2"], "a route created while the watch was silent reaches the cache: %s" % routes)
        st = d["stats"]
        check(st["HTTPRoute"]["drops"] >= 1 and st["HTTPRoute"]["watches"] >= 2 and st["HTTPRoute"]["lists"] == 1,
              "the silent watch was given up and made again from its resourceVersion, no relist: %s"
              % st["HTTPRoute"])
        cut = {k: v["drops"] for k, v in st.items() if k != "HTTPRoute" and v["drops"]}
        check(not cut, "no healthy watch (a bookmark every 0.5 s) was cut: %s" % cut)
        rc = p.quit()
        err = p.p.stderr.read()
        check(rc == 0, "kcache_dump exited %s" % rc)
        check("nothing received for %d s" % STALL_S in err, "the cache logged why it made the watch again: %s"
              % err[-600:])
    finally:
        if p is not None:
            p.quit()
        srv.stop()
    return kubetest.finish()


if __name__ == "__main__":
    sys.exit(main())
