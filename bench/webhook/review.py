#!/usr/bin/env python3
"""review.py: the AdmissionReviews the webhook benchmark posts.

    review.py validate OUT.json      an HTTPRoute CREATE with 8 rules (matches on path,
                                     headers and query, a filter, weighted backends)
                                     attaching to a Gateway of bench/gen.py's state
    review.py response OUT.json      the static answer nginx serves (allowed, same uid)
    review.py service OUT.json       a Service CREATE generated for a Gateway of that
                                     state (Cilium's owner labels), for /mutate
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
    elif what == "service":
        doc = review("Service", "", "services", service())
    elif what == "response":
        doc = {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
               "response": {"uid": UID, "allowed": True}}
    else:
        raise SystemExit("usage: review.py validate|service|response OUT")
    with open(out, "w") as f:
        json.dump(doc, f, separators=(",", ":"))


if __name__ == "__main__":
    main()
