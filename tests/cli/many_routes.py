#!/usr/bin/env python3
"""many_routes.py N OUT [spread|reversed]: N HTTPRoutes against tests/data/cross/state.yaml's
Gateway, for the tests of check's cluster pass. Every third route claims echo.example.io
with one of four paths (so they conflict), every fifth names the http listener (which
admits only its own namespace), and one backend in three does not exist. With spread,
the routes alternate between namespaces echo and tooling and attach to a Gateway of their
own (listener https admits all namespaces), so routes of both namespaces contest the same
matches; reversed is the same documents in the opposite order."""
import sys

n, path = int(sys.argv[1]), sys.argv[2]
mode = sys.argv[3] if len(sys.argv) > 3 else ""
out = []
spread = mode in ("spread", "reversed")
if spread:
    out.append("""apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: spread
  namespace: infrastructure
spec:
  gatewayClassName: cilium
  listeners:
  - name: http
    protocol: HTTP
    port: 80
  - name: https
    hostname: "*.example.io"
    port: 443
    protocol: HTTPS
    allowedRoutes:
      namespaces:
        from: All
    tls:
      certificateRefs:
      - name: platform-public-tls
""")
for i in range(n):
    ns = "tooling" if spread and i % 2 else "echo"
    host = "echo.example.io" if i % 3 else "other-%d.example.io" % (i % 7)
    section = "https" if i % 5 else "http"
    out.append("""apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: r-%05d
  namespace: %s
spec:
  parentRefs:
  - name: %s
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
""" % (i, ns, "spread" if spread else "platform-public", section, host, i % 4, i % 3))
if mode == "reversed":
    out.reverse()
with open(path, "w") as f:
    f.write("---\n".join(out))
