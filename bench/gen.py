#!/usr/bin/env python3
"""gen.py: deterministic benchmark input for `gatewarden check`.

Default ("tree") mode writes one multi-document YAML stream holding N HTTPRoutes,
N/10 Gateways and N/5 Services spread over 100 namespaces (ns-000 .. ns-099; --namespaces
changes that number, which stays the same at every size by default). Every
object is valid, so the checker runs every rule on every Gateway and HTTPRoute
(Services are parsed and classified, then skipped, as in a real kustomize build).

    gen.py                         # 10,000 routes, 1,000 gateways, 2,000 services
    gen.py --scale 2               # 20,000 / 2,000 / 4,000 (scale multiplies --routes)
    gen.py --routes 500 --out x.yaml

Bulk mode writes many small objects, to show that memory stays bounded on a large
stream (the default is 300,000 objects, about 45 MB):

    gen.py --bulk mix              # 20% HTTPRoutes, 5% Gateways, 75% ConfigMaps
    gen.py --bulk configmaps       # only ConfigMaps (all skipped by the checker)
    gen.py --bulk routes           # only small HTTPRoutes
    gen.py --bulk mix --objects 600000

Python 3 standard library only; the output depends only on the options and --seed.
A summary line "objects=N routes=R gateways=G services=S configmaps=C bytes=B" is
printed to stdout (stderr when the YAML itself goes to stdout).
"""

import argparse
import random
import sys

NAMESPACES = 100
GAPI = "gateway.networking.k8s.io"


def ns_name(i):
    return "ns-%03d" % (i % NAMESPACES)


class Counts:
    def __init__(self):
        self.routes = 0
        self.gateways = 0
        self.services = 0
        self.configmaps = 0

    @property
    def objects(self):
        return self.routes + self.gateways + self.services + self.configmaps


# ---------------------------------------------------------------------------
# tree mode: realistic objects
# ---------------------------------------------------------------------------


def gateway_yaml(rnd, idx):
    ns = ns_name(idx)
    name = "gw-%04d" % idx
    team = "team-%d" % (idx % 7)
    out = [
        "---",
        "apiVersion: %s/v1" % GAPI,
        "kind: Gateway",
        "metadata:",
        "  name: %s" % name,
        "  namespace: %s" % ns,
        "  labels:",
        "    app.kubernetes.io/part-of: bench",
        "    app.kubernetes.io/managed-by: gen.py",
        "    team: %s" % team,
        "  annotations:",
        "    cert-manager.io/cluster-issuer: letsencrypt-prod",
        "spec:",
        "  gatewayClassName: %s" % rnd.choice(("cilium", "envoy", "istio")),
        "  listeners:",
    ]
    nlisteners = rnd.randint(2, 4)

    def allowed(kind):
        if kind == "Same":
            return ["      allowedRoutes:", "        namespaces:", "          from: Same"]
        if kind == "All":
            return [
                "      allowedRoutes:",
                "        namespaces:",
                "          from: All",
                "        kinds:",
                "          - group: %s" % GAPI,
                "            kind: HTTPRoute",
            ]
        other = ns_name(idx + 1)
        return [
            "      allowedRoutes:",
            "        namespaces:",
            "          from: Selector",
            "          selector:",
            "            matchLabels:",
            "              gateway-access: \"true\"",
            "            matchExpressions:",
            "              - key: kubernetes.io/metadata.name",
            "                operator: In",
            "                values:",
            "                  - %s" % ns,
            "                  - %s" % other,
            "              - key: environment",
            "                operator: Exists",
        ]

    def tls(secret):
        return [
            "      tls:",
            "        mode: Terminate",
            "        certificateRefs:",
            "          - kind: Secret",
            "            group: \"\"",
            "            name: %s" % secret,
        ]

    # listener 1: HTTP 80, listener 2: HTTPS 443 on the namespace wildcard; 3: HTTPS 443
    # on a host of another domain (no TLS overlap with 2); 4: HTTP 8080 on a third domain.
    wildcard = "\"*.%s.example.com\"" % ns
    out += ["    - name: http", "      protocol: HTTP", "      port: 80", "      hostname: %s" % wildcard]
    out += allowed(rnd.choice(("Same", "All", "Selector")))
    out += ["    - name: https", "      protocol: HTTPS", "      port: 443", "      hostname: %s" % wildcard]
    out += tls("%s-wildcard-tls" % name)
    out += allowed(rnd.choice(("Same", "All", "Selector")))
    if nlisteners >= 3:
        out += [
            "    - name: https-api",
            "      protocol: HTTPS",
            "      port: 443",
            "      hostname: api-%04d.%s.example.net" % (idx, ns),
        ]
        out += tls("%s-api-tls" % name)
        out += allowed(rnd.choice(("Same", "All", "Selector")))
    if nlisteners >= 4:
        out += [
            "    - name: http-alt",
            "      protocol: HTTP",
            "      port: 8080",
            "      hostname: \"*.%s.example.org\"" % ns,
        ]
        out += allowed(rnd.choice(("Same", "All", "Selector")))
    return out


PATHS = ("/", "/api", "/api/v1", "/api/v2", "/static", "/login", "/orders", "/cart", "/search", "/metrics-ui")
HEADERS = ("x-env", "x-tenant", "x-canary", "x-region", "x-client")


def route_yaml(rnd, idx, ngateways, nservices):
    ns_i = idx % NAMESPACES
    ns = ns_name(ns_i)
    name = "route-%05d" % idx
    app = "app-%05d" % idx
    out = [
        "---",
        "apiVersion: %s/v1" % GAPI,
        "kind: HTTPRoute",
        "metadata:",
        "  name: %s" % name,
        "  namespace: %s" % ns,
        "  labels:",
        "    app: %s" % app,
        "    app.kubernetes.io/part-of: bench",
        "spec:",
        "  parentRefs:",
    ]
    # gateways of this namespace are ns_i, ns_i + 100, ns_i + 200, ...
    local_gws = list(range(ns_i, ngateways, NAMESPACES)) or [ns_i % max(ngateways, 1)]
    nparents = 1 if rnd.random() < 0.7 else 2
    for g in rnd.sample(local_gws, min(nparents, len(local_gws))):
        out.append("    - name: gw-%04d" % g)
        if rnd.random() < 0.5:
            out.append("      sectionName: %s" % rnd.choice(("http", "https")))
        if rnd.random() < 0.2:
            out += ["      group: %s" % GAPI, "      kind: Gateway", "      namespace: %s" % ns]
    out.append("  hostnames:")
    for h in range(rnd.randint(1, 3)):
        out.append("    - %s%s.%s.example.com" % (app, "" if h == 0 else "-%d" % h, ns))
    out.append("  rules:")
    local_svcs = list(range(ns_i, nservices, NAMESPACES)) or [ns_i % max(nservices, 1)]
    nrules = rnd.randint(1, 4)
    paths = rnd.sample(PATHS, nrules + 1)
    redirect_rule = nrules >= 2 and rnd.random() < 0.4
    for r in range(nrules):
        out.append("    - matches:")
        out += [
            "        - path:",
            "            type: %s" % ("PathPrefix" if r != 1 else "Exact"),
            "            value: %s" % paths[r],
        ]
        if rnd.random() < 0.5:
            hdrs = rnd.sample(HEADERS, rnd.randint(1, 2))
            out.append("          headers:")
            for hn in hdrs:
                out += ["            - name: %s" % hn, "              value: v%d" % rnd.randint(1, 9)]
        if rnd.random() < 0.3:
            out += ["          method: %s" % rnd.choice(("GET", "POST", "PUT"))]
        if rnd.random() < 0.3:
            out += [
                "        - path:",
                "            type: PathPrefix",
                "            value: %s/extra" % paths[r].rstrip("/"),
                "          queryParams:",
                "            - name: version",
                "              value: \"%d\"" % rnd.randint(1, 3),
            ]
        if redirect_rule and r == nrules - 1:
            # an http -> https redirect rule: a RequestRedirect filter and no backends
            out += [
                "      filters:",
                "        - type: RequestRedirect",
                "          requestRedirect:",
                "            scheme: https",
                "            hostname: %s.%s.example.com" % (app, ns),
                "            statusCode: 301",
            ]
            continue
        if rnd.random() < 0.5:
            out += [
                "      filters:",
                "        - type: RequestHeaderModifier",
                "          requestHeaderModifier:",
                "            set:",
                "              - name: x-route",
                "                value: %s" % name,
                "            add:",
                "              - name: x-bench",
                "                value: \"%d\"" % r,
                "            remove:",
                "              - x-debug",
            ]
        out.append("      backendRefs:")
        nb = rnd.randint(1, 2)
        svcs = rnd.sample(local_svcs, min(nb, len(local_svcs)))
        weights = (100,) if len(svcs) == 1 else (90, 10)
        for svc, w in zip(svcs, weights):
            out += ["        - name: svc-%05d" % svc, "          port: 8080", "          weight: %d" % w]
        if rnd.random() < 0.2:
            out += ["      timeouts:", "        request: 10s", "        backendRequest: 5s"]
    return out


def service_yaml(rnd, idx):
    ns = ns_name(idx)
    name = "svc-%05d" % idx
    out = [
        "---",
        "apiVersion: v1",
        "kind: Service",
        "metadata:",
        "  name: %s" % name,
        "  namespace: %s" % ns,
        "  labels:",
        "    app: %s" % name,
        "spec:",
        "  type: ClusterIP",
        "  selector:",
        "    app: %s" % name,
        "  ports:",
        "    - name: http",
        "      port: 8080",
        "      targetPort: 8080",
        "      protocol: TCP",
    ]
    if rnd.random() < 0.5:
        out += ["    - name: metrics", "      port: 9090", "      targetPort: metrics", "      protocol: TCP"]
    return out


def context_yaml():
    """The cluster context a real tree lives in: the GatewayClasses the Gateways name
    and the namespaces, labelled so that the Selector listeners admit their routes.
    Without it every route would be reported as unattached and the cross-object
    pass would mostly print warnings instead of doing its work."""
    out = []
    for cls in ("cilium", "envoy", "istio"):
        out += ["---", "apiVersion: %s/v1" % GAPI, "kind: GatewayClass", "metadata:",
                "  name: %s" % cls, "spec:", "  controllerName: example.com/%s" % cls]
    for i in range(NAMESPACES):
        out += ["---", "apiVersion: v1", "kind: Namespace", "metadata:", "  name: %s" % ns_name(i),
                "  labels:", "    gateway-access: \"true\"", "    environment: bench"]
    return out


def gen_tree(rnd, nroutes, emit, counts, ngateways=0, nservices=0):
    ngateways = ngateways or max(nroutes // 10, 1)
    nservices = nservices or max(nroutes // 5, 1)
    emit(context_yaml())
    for i in range(nservices):
        emit(service_yaml(rnd, i))
        counts.services += 1
    for i in range(ngateways):
        emit(gateway_yaml(rnd, i))
        counts.gateways += 1
    for i in range(nroutes):
        emit(route_yaml(rnd, i, ngateways, nservices))
        counts.routes += 1


# ---------------------------------------------------------------------------
# bulk mode: many small objects (bounded-memory check)
# ---------------------------------------------------------------------------


def small_route(rnd, i):
    ns = ns_name(i)
    return [
        "---",
        "apiVersion: %s/v1" % GAPI,
        "kind: HTTPRoute",
        "metadata:",
        "  name: r-%06d" % i,
        "  namespace: %s" % ns,
        "spec:",
        "  parentRefs:",
        "    - name: gw-%02d" % (i % 10),
        "  rules:",
        "    - matches:",
        "        - path:",
        "            value: /p%d" % (i % 97),
        "      backendRefs:",
        "        - name: svc-%02d" % rnd.randint(0, 19),
        "          port: 80",
    ]


def small_gateway(rnd, i):
    ns = ns_name(i)
    return [
        "---",
        "apiVersion: %s/v1" % GAPI,
        "kind: Gateway",
        "metadata:",
        "  name: g-%06d" % i,
        "  namespace: %s" % ns,
        "spec:",
        "  gatewayClassName: cilium",
        "  listeners:",
        "    - name: http",
        "      protocol: HTTP",
        "      port: 80",
        "    - name: https",
        "      protocol: HTTPS",
        "      port: 443",
        "      hostname: \"*.%s.example.com\"" % ns,
        "      tls:",
        "        certificateRefs:",
        "          - name: g-%06d-tls" % i,
    ]


def small_configmap(rnd, i):
    return [
        "---",
        "apiVersion: v1",
        "kind: ConfigMap",
        "metadata:",
        "  name: cm-%06d" % i,
        "  namespace: %s" % ns_name(i),
        "data:",
        "  key: v%d" % rnd.randint(0, 99999),
    ]


def gen_bulk(rnd, mode, nobjects, emit, counts):
    for i in range(nobjects):
        if mode == "configmaps":
            kind = "cm"
        elif mode == "routes":
            kind = "route"
        else:  # mix: 4 routes, 1 gateway, 15 configmaps out of every 20
            m = i % 20
            kind = "route" if m < 4 else ("gw" if m == 4 else "cm")
        if kind == "route":
            emit(small_route(rnd, i))
            counts.routes += 1
        elif kind == "gw":
            emit(small_gateway(rnd, i))
            counts.gateways += 1
        else:
            emit(small_configmap(rnd, i))
            counts.configmaps += 1


def main():
    global NAMESPACES
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--routes", type=int, default=10000, help="HTTPRoutes at scale 1 (default 10000)")
    ap.add_argument("--scale", type=float, default=1.0, help="multiply every count by this (default 1)")
    ap.add_argument("--out", default="-", help="output file (default stdout)")
    ap.add_argument("--bulk", choices=("mix", "routes", "configmaps"), help="bulk mode instead of the tree")
    ap.add_argument("--objects", type=int, default=300000, help="objects in bulk mode (default 300000)")
    ap.add_argument("--seed", type=int, default=20240601, help="random seed (default 20240601)")
    ap.add_argument("--gateways", type=int, default=0, help="tree: Gateways (default routes / 10)")
    ap.add_argument("--services", type=int, default=0, help="tree: Services (default routes / 5)")
    ap.add_argument("--namespaces", type=int, default=NAMESPACES,
                    help="tree: namespaces (default %d at every size)" % NAMESPACES)
    args = ap.parse_args()
    if args.namespaces < 1 or args.namespaces > 1000:
        ap.error("--namespaces must be 1 to 1000 (names are ns-000 .. ns-999)")
    NAMESPACES = args.namespaces

    rnd = random.Random(args.seed)
    counts = Counts()
    f = sys.stdout if args.out == "-" else open(args.out, "w", encoding="ascii", newline="\n")
    written = [0]
    buf = []

    def emit(lines):
        s = "\n".join(lines) + "\n"
        written[0] += len(s)
        buf.append(s)
        if len(buf) >= 4096:
            f.write("".join(buf))
            buf.clear()

    if args.bulk:
        gen_bulk(rnd, args.bulk, int(args.objects * args.scale), emit, counts)
    else:
        gen_tree(rnd, int(args.routes * args.scale), emit, counts, args.gateways, args.services)
    f.write("".join(buf))
    if f is not sys.stdout:
        f.close()
    summary = "objects=%d routes=%d gateways=%d services=%d configmaps=%d bytes=%d (%.1f MB)" % (
        counts.objects, counts.routes, counts.gateways, counts.services, counts.configmaps,
        written[0], written[0] / 1e6)
    print(summary, file=sys.stderr if f is sys.stdout else sys.stdout)


if __name__ == "__main__":
    main()
