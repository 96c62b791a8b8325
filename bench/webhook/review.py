#!/usr/bin/env python3
"""review.py: the AdmissionReviews the webhook benchmark posts.

    review.py validate OUT.json      an HTTPRoute CREATE with 8 rules (matches on path,
                                     headers and query, a filter, weighted backends)
                                     attaching to a Gateway of bench/gen.py's state
    review.py response OUT.json      the static answer nginx serves (allowed, same uid)
    review.py service OUT.json       a Service CREATE generated for a Gateway of that
                                     state (Cilium's owner labels), for /mutate
    review.py parse-only OUT.json    the validate review with operation DELETE: the server
                                     reads the whole review (builds the HTTPRoute's tree)
                                     and answers without evaluating it. An API server sends
                                     DELETE with object null; this is a measuring device
                                     for the cost of reading (bench/webhook/floor.sh)
    review.py unvalidated OUT.json   a ConfigMap CREATE, a kind gatewarden does not
                                     validate: TLS, HTTP and a small parse (floor.sh)
    review.py update OUT.json        the same HTTPRoute's UPDATE as Flux's server-side
                                     apply makes it: both objects as the API server
                                     passes them to admission (CRD defaults filled,
                                     managedFields, the controller's status), the old
                                     one a generation behind with another first rule
"""
import json
import sys

UID = "5f0c3a52-3c1e-4b8a-9d0e-000000000001"


def route():
    rules = []
    for i in range(8):
        rules.append({
            "matches": [{
                "path": {"type": "PathPrefix", "value": "/api/v%d/items" % i},
                "headers": [{"name": "x-tenant", "value": "tenant-%d" % i}],
                "queryParams": [{"name": "version", "value": str(i)}],
                "method": "GET",
            }],
            "filters": [{"type": "RequestHeaderModifier",
                         "requestHeaderModifier": {"set": [{"name": "x-route", "value": "r%d" % i}]}}],
            "backendRefs": [
                {"name": "svc-00000", "port": 8080, "weight": 90},
                {"name": "svc-00100", "port": 8080, "weight": 10},
            ],
        })
    return {
        "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
        "metadata": {"name": "bench-route", "namespace": "ns-000", "uid": "9d1d2f7e-0000-4000-8000-000000000001",
                     "labels": {"app": "bench"},
                     "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"}},
        "spec": {
            "parentRefs": [{"name": "gw-0000", "namespace": "ns-000", "sectionName": "http"}],
            "hostnames": ["bench.ns-000.example.com"],
            "rules": rules,
        },
    }


def stored(r, generation, first_path):
    """r as the API server holds it: defaulted, with Flux's labels, managedFields and
    the status Cilium's controller wrote for its parent"""
    r = json.loads(json.dumps(r))
    spec = r["spec"]
    for p in spec["parentRefs"]:
        p.setdefault("group", "gateway.networking.k8s.io")
        p.setdefault("kind", "Gateway")
    for rule in spec["rules"]:
        for m in rule["matches"]:
            for h in m.get("headers", []) + m.get("queryParams", []):
                h.setdefault("type", "Exact")
        for b in rule["backendRefs"]:
            b.setdefault("group", "")
            b.setdefault("kind", "Service")
    spec["rules"][0]["matches"][0]["path"]["value"] = first_path
    meta = r["metadata"]
    meta.pop("annotations", None)  # server-side apply keeps no last-applied annotation
    meta["labels"].update({"kustomize.toolkit.fluxcd.io/name": "apps",
                           "kustomize.toolkit.fluxcd.io/namespace": "flux-system"})
    meta.update({"generation": generation, "resourceVersion": str(100 + generation),
                 "creationTimestamp": "2026-11-20T09:00:00Z"})
    t = "2026-11-2%dT09:00:00Z" % generation
    meta["managedFields"] = [
        {"manager": "kustomize-controller", "operation": "Apply", "apiVersion": "gateway.networking.k8s.io/v1",
         "time": t, "fieldsType": "FieldsV1",
         "fieldsV1": {"f:metadata": {"f:labels": {"f:app": {}, "f:kustomize.toolkit.fluxcd.io/name": {},
                                                  "f:kustomize.toolkit.fluxcd.io/namespace": {}}},
                      "f:spec": {"f:hostnames": {}, "f:parentRefs": {}, "f:rules": {}}}},
        {"manager": "cilium-operator-generic", "operation": "Update", "apiVersion": "gateway.networking.k8s.io/v1",
         "time": t, "fieldsType": "FieldsV1", "subresource": "status",
         "fieldsV1": {"f:status": {".": {}, "f:parents": {}}}},
    ]
    conds = [{"type": c, "status": "True", "reason": c, "message": "%s HTTPRoute" % c,
              "lastTransitionTime": t, "observedGeneration": generation - 1}
             for c in ("Accepted", "ResolvedRefs")]
    r["status"] = {"parents": [{"parentRef": dict(spec["parentRefs"][0]),
                                "controllerName": "io.cilium/gateway-controller", "conditions": conds}]}
    return r


def service():
    return {
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "cilium-gateway-gw-0000", "namespace": "ns-000",
                     "labels": {"io.cilium.gateway/owning-gateway": "gw-0000",
                                "gateway.networking.k8s.io/gateway-name": "gw-0000"}},
        "spec": {"type": "LoadBalancer", "ports": [{"name": "port-80", "port": 80, "protocol": "TCP"}]},
    }


def review(kind, group, resource, obj):
    return {
        "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
        "request": {
            "uid": UID, "kind": {"group": group, "version": "v1", "kind": kind},
            "resource": {"group": group, "version": "v1", "resource": resource},
            "namespace": obj["metadata"]["namespace"], "name": obj["metadata"]["name"],
            "operation": "CREATE", "userInfo": {"username": "kubernetes-admin", "groups": ["system:masters"]},
            "object": obj, "oldObject": None, "dryRun": False,
            "options": {"apiVersion": "meta.k8s.io/v1", "kind": "CreateOptions"},
        },
    }


def main():
    what, out = sys.argv[1], sys.argv[2]
    if what == "validate":
        doc = review("HTTPRoute", "gateway.networking.k8s.io", "httproutes", route())
    elif what == "update":
        doc = review("HTTPRoute", "gateway.networking.k8s.io", "httproutes", stored(route(), 3, "/api/v0/items"))
        doc["request"]["operation"] = "UPDATE"
        doc["request"]["oldObject"] = stored(route(), 2, "/api/v0/list")
        doc["request"]["userInfo"] = {"username": "system:serviceaccount:flux-system:kustomize-controller",
                                      "groups": ["system:serviceaccounts", "system:serviceaccounts:flux-system",
                                                 "system:authenticated"]}
        doc["request"]["options"] = {"apiVersion": "meta.k8s.io/v1", "kind": "PatchOptions",
                                     "fieldManager": "kustomize-controller", "force": True}
    elif what == "parse-only":
        doc = review("HTTPRoute", "gateway.networking.k8s.io", "httproutes", route())
        doc["request"]["operation"] = "DELETE"
    elif what == "unvalidated":
        doc = review("ConfigMap", "", "configmaps",
                     {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "bench", "namespace": "ns-000"},
                      "data": {"key": "value"}})
    elif what == "service":
        doc = review("Service", "", "services", service())
    elif what == "response":
        doc = {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
               "response": {"uid": UID, "allowed": True}}
    else:
        raise SystemExit("usage: review.py validate|parse-only|unvalidated|update|service|response OUT")
    with open(out, "w") as f:
        json.dump(doc, f, separators=(",", ":"))


if __name__ == "__main__":
    main()
