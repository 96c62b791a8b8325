#!/usr/bin/env python3
"""End to end: `kubectl apply` of a bad HTTPRoute against the test API server prints
gatewarden's denial, as users see it in a cluster.

usage: webhook_e2e.py GATEWARDEN_BINARY [KUBECTL]

gatewarden serve runs on loopback with a serving certificate for
gatewarden.gatewarden-system.svc and takes its cluster view from the same API server
(--kubeconfig: the watch cache, --strict), as in a cluster; the API server holds a ValidatingWebhookConfiguration
with a service reference and the caBundle, reaches the service through
--service-endpoint, verifies the certificate against the caBundle with that SNI, and
stores the object only when the webhook allows it. Without kubectl on the machine the
same requests are sent by this script (the apiserver's side is what is tested).
"""
import base64
import http.client
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kubetest  # noqa: E402
from kubetest import check  # noqa: E402


def openssl(*a):
    subprocess.run(["openssl", *a], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def serving_pki(d):
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", d + "/wh-ca.key", "-out", d + "/wh-ca.crt", "-days", "2", "-subj", "/CN=webhook-test-ca")
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", d + "/wh.key", "-out", d + "/wh.csr", "-subj", "/CN=gatewarden.gatewarden-system.svc")
    with open(d + "/wh.ext", "w") as f:
        f.write("subjectAltName=DNS:gatewarden.gatewarden-system.svc\n")
    openssl("x509", "-req", "-in", d + "/wh.csr", "-CA", d + "/wh-ca.crt", "-CAkey", d + "/wh-ca.key",
            "-CAcreateserial", "-out", d + "/wh.crt", "-days", "2", "-extfile", d + "/wh.ext")


BAD = """apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: bad-route, namespace: demo}
spec:
  rules:
  - matches:
    - path: {type: PathPrefix, value: /a/../admin}
    backendRefs: [{name: app, port: 80}]
"""
GOOD = BAD.replace("bad-route", "good-route").replace("/a/../admin", "/shop")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def get(port, cafile, path):
    ctx = ssl.create_default_context(cafile=cafile)
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=10)
    conn.sock = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10),
                                server_hostname="gatewarden.gatewarden-system.svc")
    conn.request("GET", path)
    r = conn.getresponse()
    body = r.read().decode()
    conn.close()
    return r.status, body


ROUTE_TO_EDGE = {
    "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
    "metadata": {"name": "to-edge", "namespace": "demo"},
    "spec": {"parentRefs": [{"name": "edge"}], "hostnames": ["shop.example.com"],
             "rules": [{"backendRefs": [{"name": "app", "port": 80}]}]}}


def main():
    gw = sys.argv[1]
    kubectl = sys.argv[2] if len(sys.argv) > 2 else shutil.which("kubectl")
    d = tempfile.mkdtemp(prefix="gw-e2e-")
    serving_pki(d)
    log = open(d + "/serve.log", "w+")
    wport = free_port()
    srv = kubetest.Server("--service-endpoint", "gatewarden-system/gatewarden=127.0.0.1:%d" % wport)
    serve = subprocess.Popen([gw, "serve", "--listen", "127.0.0.1:%d" % wport, "--tls-cert", d + "/wh.crt",
                              "--tls-key", d + "/wh.key", "--shutdown-delay", "0", "--kubeconfig", srv.kubeconfig,
                              "--strict"], stderr=log)
    port = None
    try:
        for _ in range(300):  # hang guard
            rec = kubetest.log_record(log, lambda r: r.get("msg") == "serving")
            port = rec["port"] if rec else None
            if port or serve.poll() is not None:
                break
            time.sleep(0.05)
        check(port is not None, "gatewarden serve started")
        if port is None:
            return 1
        for _ in range(200):  # hang guard: the watch cache's first sync
            st, _ = get(port, d + "/wh-ca.crt", "/readyz")
            if st == 200:
                break
            time.sleep(0.05)
        check(st == 200, "/readyz 200 after the watch cache's first sync")
        srv.must("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "demo"}})
        # the routes' backend (--strict: a missing one denies)
        srv.must("POST", "/api/v1/namespaces/demo/services", {
            "apiVersion": "v1", "kind": "Service", "metadata": {"name": "app", "namespace": "demo"},
            "spec": {"ports": [{"port": 80}]}})
        ca = base64.b64encode(open(d + "/wh-ca.crt", "rb").read()).decode()
        srv.must("POST", "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations", {
            "apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration",
            "metadata": {"name": "gatewarden"},
            "webhooks": [{"name": "validate.gatewarden.io", "admissionReviewVersions": ["v1"],
                          "sideEffects": "None", "failurePolicy": "Fail", "timeoutSeconds": 5,
                          "clientConfig": {"caBundle": ca, "service": {"namespace": "gatewarden-system",
                                                                       "name": "gatewarden", "path": "/validate",
                                                                       "port": 443}},
                          "rules": [{"apiGroups": ["gateway.networking.k8s.io"], "apiVersions": ["*"],
                                     "operations": ["CREATE", "UPDATE"], "resources": ["*"]}]}]})
        for name, text in (("bad.yaml", BAD), ("good.yaml", GOOD)):
            with open(os.path.join(d, name), "w") as f:
                f.write(text)
        if kubectl:
            env = dict(os.environ, HOME=d)  # kubectl's discovery cache stays in the temp dir
            r = subprocess.run([kubectl, "--kubeconfig", srv.kubeconfig, "apply", "--validate=false", "-f",
                                os.path.join(d, "bad.yaml")], capture_output=True, text=True, env=env, timeout=60)
            print("kubectl apply (bad) ->", r.returncode, (r.stdout + r.stderr).strip())
            check(r.returncode != 0, "kubectl apply of the bad HTTPRoute fails")
            check('admission webhook "validate.gatewarden.io" denied the request' in r.stderr,
                  "kubectl prints the apiserver's denial prefix")
            check("HR-PATH-SEQ" in r.stderr or "/.." in r.stderr, "kubectl prints gatewarden's reason")
            r = subprocess.run([kubectl, "--kubeconfig", srv.kubeconfig, "apply", "--validate=false", "-f",
                                os.path.join(d, "good.yaml")], capture_output=True, text=True, env=env, timeout=60)
            print("kubectl apply (good) ->", r.returncode, (r.stdout + r.stderr).strip())
            check(r.returncode == 0 and "created" in r.stdout, "kubectl apply of a good HTTPRoute succeeds")
        else:
            print("kubectl not found: sending the requests directly")
        st, body = srv.call("POST", "/apis/gateway.networking.k8s.io/v1/namespaces/demo/httproutes", {
            "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": {"name": "bad-direct", "namespace": "demo"},
            "spec": {"rules": [{"matches": [{"path": {"type": "PathPrefix", "value": "/a/../admin"}}]}]}})
        check(st >= 400 and "denied the request" in body.get("message", ""), "direct create denied: %d %s" %
              (st, body.get("message")))
        st, _ = srv.call("GET", "/apis/gateway.networking.k8s.io/v1/namespaces/demo/httproutes/bad-direct")
        check(st == 404, "the denied object was not stored")
        check(srv.stats()["admission_calls"] >= 2, "the API server called the webhook")
        # cross-object, from the watch cache: the parent Gateway is missing (--strict: deny),
        # then it is created through the API server and the same route is admitted
        st, body = srv.call("POST", "/apis/gateway.networking.k8s.io/v1/namespaces/demo/httproutes", ROUTE_TO_EDGE)
        msg = (body or {}).get("message", "")
        check(st >= 400 and "XO-PARENT-MISSING" in msg, "route to a missing Gateway denied: %d %s" % (st, msg))
        srv.must("POST", "/apis/gateway.networking.k8s.io/v1/gatewayclasses", {
            "apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass", "metadata": {"name": "cilium"},
            "spec": {"controllerName": "io.cilium/gateway-controller"}})
        srv.must("POST", "/apis/gateway.networking.k8s.io/v1/namespaces/demo/gateways", {
            "apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway", "metadata": {"name": "edge", "namespace": "demo"},
            "spec": {"gatewayClassName": "cilium", "listeners": [
                {"name": "http", "protocol": "HTTP", "port": 80, "hostname": "*.example.com"}]}})
        t0 = time.monotonic()
        for _ in range(200):  # hang guard, not a timing threshold
            st, body = srv.call("POST", "/apis/gateway.networking.k8s.io/v1/namespaces/demo/httproutes",
                                ROUTE_TO_EDGE)
            if st in (200, 201):
                break
            time.sleep(0.05)
        print("route admitted %.0f ms after the Gateway was created" % ((time.monotonic() - t0) * 1000))
        check(st in (200, 201), "the same route is admitted once the Gateway exists: %d %s" % (st, body))
        st, metrics = get(port, d + "/wh-ca.crt", "/metrics")
        check(st == 200 and "gatewarden_cluster_view_objects" in metrics, "/metrics answers with the view's object count")
        check('gatewarden_kcache_synced{resource="Gateway"} 1' in metrics, "/metrics carries the watch cache's counters")
        # failurePolicy Fail: the webhook gone means the write is refused, not let through
        serve.send_signal(signal.SIGTERM)
        serve.wait(30)
        st, body = srv.call("POST", "/apis/gateway.networking.k8s.io/v1/namespaces/demo/httproutes", {
            "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": {"name": "while-down", "namespace": "demo"}, "spec": {}})
        check(st == 500 and "failed calling webhook" in body.get("message", ""),
              "failurePolicy Fail with the webhook down: 500 failed calling webhook")
    finally:
        if serve.poll() is None:
            serve.kill()
            serve.wait()
        if srv:
            srv.stop()
    if kubetest.failures:
        log.seek(0)
        sys.stdout.write(log.read()[-2000:])
    return kubetest.finish()


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception:
        # a crash of the test (e.g. the webhook died mid-run): show serve's log too
        import glob
        logs = sorted(glob.glob(os.path.join(tempfile.gettempdir(), "gw-e2e-*", "serve.log")), key=os.path.getmtime)
        if logs:
            sys.stdout.write(open(logs[-1]).read()[-4000:])
        raise
