#!/usr/bin/env python3
"""many_routes.py N OUT: N HTTPRoutes against tests/data/cross/state.yaml's Gateway, for
the tests of check's two-thread cluster pass. Every third route claims echo.example.io
with one of four paths (so they conflict), every fifth names the http listener (which
admits only its own namespace), and one backend in three does not exist."""
import sys

n, path = int(sys.argv[1]), sys.argv[2]
out = []
for i in range(n):
    host = "echo.example.io" if i % 3 else "other-%d.example.io" % (i % 7)
    section = "https" if i % 5 else "http"
    out.append("""apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: r-%05d
  namespace: echo
spec:
  parentRefs:
  - name: platform-public
    namespace: infrastructure
    sectionName: %s
  hostnames:
  - %s
  rules:
  - matches:
    - path: {type: PathPrefix, value: /p%d}
    backendRefs:
    - name: echo-%d
      port: 80
""" % (i, section, host, i % 4, i % 3))
with open(path, "w") as f:
    f.write("---\n".join(out))
