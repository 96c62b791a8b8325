#!/usr/bin/env python3
"""A route nested too deep for the slim cache's text form (600 levels under a
parentRef) does not stop the cache: the first sync completes, the other routes are
kept, the deep one is left out (the store refuses it and the cache logs why).

usage: kcache_deep.py KCACHE_DUMP_BINARY
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kubetest  # noqa: E402
from kubetest import check  # noqa: E402

GW = "/apis/gateway.networking.k8s.io/v1"


def route(name, extra=None):
    ref = {"name": "gw"}
    if extra is not None:
        ref["junk"] = extra
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": {"name": name, "namespace": "a"},
            "spec": {"hostnames": ["%s.example.com" % name], "parentRefs": [ref]}}


def main():
    binary = sys.argv[1]
    srv = kubetest.Server()
    p = None
    try:
        srv.must("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"}})
        deep = {}
        at = deep
        for _ in range(600):
            at["x"] = {}
            at = at["x"]
        for name, extra in (("r1", None), ("deep", deep), ("r2", None)):
            srv.must("POST", GW + "/namespaces/a/httproutes", route(name, extra))
        p = kubetest.KcacheDump(binary, srv.kubeconfig, ["--slim"], stderr=subprocess.PIPE)
        d = p.wait_ready()
        check(d["ready"], "the slim cache completed its first sync")
        routes = sorted(n for k, ns, n, rv in d["objects"] if k == "HTTPRoute")
        check(routes == ["r1", "r2"], "the cache keeps r1 and r2 and leaves the deep route out: %s" % routes)
        rc = p.quit()
        err = p.p.stderr.read()
        check(rc == 0, "kcache_dump exited %s" % rc)
        check("deeper than 512 levels" in err, "the cache logged why the deep route is left out: %s" % err[-600:])
    finally:
        if p is not None:
            p.quit()
        srv.stop()
    return kubetest.finish()


if __name__ == "__main__":
    sys.exit(main())
