#!/usr/bin/env python3
"""`gatewarden certs bootstrap` against the project's test API server (tests/apiserver).

  1. without the webhook configurations: exit 1, nothing created;
  2. bootstrap: the Secret (kubernetes.io/tls) is created, both configurations'
     caBundle equal its CA bundle, the serving certificate verifies against it for
     gatewarden.gatewarden.svc (openssl verify); a second run writes nothing;
  3. several replicas at once (rounds of 4 processes on fresh names): all succeed,
     one creates, the others adopt; caBundle and Secret agree; a rerun writes nothing;
  4. rotation with no failed request: `gatewarden serve` runs with the Secret's files
     (projected the way the kubelet does, atomic ..data swap) behind the API server,
     which calls it for every HTTPRoute a client thread keeps creating; bootstrap is
     driven (--now) through serving renewal, CA rollover start, promotion of the new
     CA and removal of the expired old one; after each step the served certificate is
     the Secret's; not one admission request fails;
  5. bad options: exit 2, nothing written.

usage: bootstrap_test.py GATEWARDEN_BINARY
"""
import base64
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "apiserver"))
import kubetest  # noqa: E402

failures = []


def check(cond, msg):
    print(("ok: " if cond else "FAIL: ") + msg, flush=True)
    if not cond:
        failures.append(msg)
    return cond


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def webhook_configs(name, ns):
    svc = {"namespace": ns, "name": "gatewarden", "port": 443}
    v = {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration",
         "metadata": {"name": name},
         "webhooks": [{"name": "validate.gatewarden.io", "admissionReviewVersions": ["v1"], "sideEffects": "None",
                       "failurePolicy": "Fail", "timeoutSeconds": 5,
                       "clientConfig": {"service": dict(svc, path="/validate")},
                       "rules": [{"apiGroups": ["gateway.networking.k8s.io"], "apiVersions": ["v1"],
                                  "operations": ["CREATE", "UPDATE"], "resources": ["httproutes"]}]}]}
    m = {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "MutatingWebhookConfiguration",
         "metadata": {"name": name},
         "webhooks": [{"name": "mutate-services.gatewarden.io", "admissionReviewVersions": ["v1"],
                       "sideEffects": "None", "failurePolicy": "Ignore", "timeoutSeconds": 3,
                       "clientConfig": {"service": dict(svc, path="/mutate")},
                       "objectSelector": {"matchExpressions": [{"key": "gateway.networking.k8s.io/gateway-name",
                                                                "operator": "Exists"}]},
                       "rules": [{"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE", "UPDATE"],
                                  "resources": ["services"]}]},
                      {"name": "mutate-gateways.gatewarden.io", "admissionReviewVersions": ["v1"],
                       "sideEffects": "None", "failurePolicy": "Ignore", "timeoutSeconds": 3,
                       "clientConfig": {"service": dict(svc, path="/mutate")},
                       "rules": [{"apiGroups": ["gateway.networking.k8s.io"], "apiVersions": ["v1"],
                                  "operations": ["CREATE", "UPDATE"], "resources": ["gateways"]}]}]}
    return v, m


VWC = "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/"
MWC = "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/"


class Env:
    def __init__(self, gw, srv, tmp):
        self.gw, self.srv, self.tmp = gw, srv, tmp

    def boot(self, ns="gatewarden", secret="gatewarden-webhook-tls", config="gatewarden", *extra, wait=True):
        argv = [self.gw, "certs", "bootstrap", "--kubeconfig", self.srv.kubeconfig, "--namespace", ns,
                "--secret", secret, "--webhook-config", config, *extra]
        if not wait:
            return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        r = subprocess.run(argv, capture_output=True, text=True, timeout=120)
        return r.returncode, r.stdout + r.stderr

    def secret(self, ns="gatewarden", name="gatewarden-webhook-tls"):
        st, b = self.srv.call("GET", "/api/v1/namespaces/%s/secrets/%s" % (ns, name))
        return b if st == 200 else None

    def data(self, sec, key):
        v = sec["data"].get(key)
        return base64.b64decode(v).decode() if v is not None else None

    def bundles(self, config="gatewarden"):
        out = []
        for p in (VWC, MWC):
            cfg = self.srv.must("GET", p + config)
            for wh in cfg["webhooks"]:
                cab = wh["clientConfig"].get("caBundle")
                out.append(base64.b64decode(cab).decode() if cab else None)
        return out

    def rvs(self, ns="gatewarden", name="gatewarden-webhook-tls", config="gatewarden"):
        return (self.secret(ns, name)["metadata"]["resourceVersion"],
                self.srv.must("GET", VWC + config)["metadata"]["resourceVersion"],
                self.srv.must("GET", MWC + config)["metadata"]["resourceVersion"])

    def verify(self, sec, host):
        d = tempfile.mkdtemp(dir=self.tmp)
        with open(d + "/ca.crt", "w") as f:
            f.write(self.data(sec, "ca.crt"))
        with open(d + "/tls.crt", "w") as f:
            f.write(self.data(sec, "tls.crt"))
        r = subprocess.run(["openssl", "verify", "-CAfile", d + "/ca.crt", "-purpose", "sslserver",
                            "-verify_hostname", host, d + "/tls.crt"], capture_output=True, text=True)
        return r.returncode == 0, (r.stdout + r.stderr).strip()

    def inspect(self, pem):
        d = tempfile.mkdtemp(dir=self.tmp)
        with open(d + "/c.crt", "w") as f:
            f.write(pem)
        r = subprocess.run([self.gw, "certs", "inspect", d + "/c.crt"], capture_output=True, text=True)
        return json.loads(r.stdout)


def consistent(env, ns, name, config, host):
    sec = env.secret(ns, name)
    if not check(sec is not None, "%s/%s exists" % (ns, name)):
        return None
    check(sec["type"] == "kubernetes.io/tls", "the Secret is kubernetes.io/tls")
    check(all(env.bundles(config)[i] == env.data(sec, "ca.crt") for i in range(3)),
          "caBundle of all three webhooks equals the Secret's ca.crt")
    ok, out = env.verify(sec, host)
    check(ok, "the serving certificate verifies against the bundle for %s (%s)" % (host, out))
    return sec


# ---- kubelet-style projection of the Secret to files and a TLS probe of serve ----------

class Projection:
    def __init__(self, d):
        self.d, self.n = d, 0
        os.makedirs(d, exist_ok=True)

    def write(self, sec, env):
        self.n += 1
        ts = os.path.join(self.d, "..%d" % self.n)
        os.mkdir(ts)
        for k in ("tls.crt", "tls.key"):
            with open(os.path.join(ts, k), "w") as f:
                f.write(env.data(sec, k))
        tmp = os.path.join(self.d, "..data_tmp")
        os.symlink("..%d" % self.n, tmp)
        os.rename(tmp, os.path.join(self.d, "..data"))
        for k in ("tls.crt", "tls.key"):
            p = os.path.join(self.d, k)
            if not os.path.islink(p):
                os.symlink(os.path.join("..data", k), p)


def served_cert(port):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname="gatewarden.gatewarden.svc") as s:
            return ssl.DER_cert_to_PEM_cert(s.getpeercert(binary_form=True))


def same_cert(a, b):
    return ssl.PEM_cert_to_DER_cert(a.strip() + "\n") == ssl.PEM_cert_to_DER_cert(b.split("-----END CERTIFICATE-----")[0]
                                                                                 + "-----END CERTIFICATE-----\n")


class Traffic(threading.Thread):
    """Creates HTTPRoutes through the API server (which calls the webhook) until stopped."""

    def __init__(self, srv):
        super().__init__(daemon=True)
        self.srv, self.stop, self.ok, self.failed, self.msgs = srv, threading.Event(), 0, 0, []
        self.lock = threading.Lock()

    def run(self):
        i = 0
        while not self.stop.is_set():
            i += 1
            st, b = self.srv.call("POST", "/apis/gateway.networking.k8s.io/v1/namespaces/demo/httproutes", {
                "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
                "metadata": {"name": "r%d" % i, "namespace": "demo"},
                "spec": {"rules": [{"matches": [{"path": {"type": "PathPrefix", "value": "/p%d" % i}}]}]}})
            with self.lock:
                if st == 201:
                    self.ok += 1
                else:
                    self.failed += 1
                    self.msgs.append("%d %s" % (st, (b or {}).get("message")))

    def count(self):
        with self.lock:
            return self.ok


def main():
    gw = os.path.abspath(sys.argv[1])
    if shutil.which("openssl") is None:
        if os.environ.get("CI"):
            print("FAIL: openssl is missing")
            return 1
        print("SKIP: openssl is missing")
        return 77
    tmp = tempfile.mkdtemp(prefix="gw-certs-boot-")
    port = free_port()
    srv = kubetest.Server("--service-endpoint", "gatewarden/gatewarden=127.0.0.1:%d" % port)
    env = Env(gw, srv, tmp)
    serve = None
    try:
        for ns in ("gatewarden", "demo"):
            srv.must("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})

        # 1. the webhook configurations are missing: refuse, create nothing
        rc, out = env.boot()
        check(rc == 1 and "not found" in out, "without webhook configurations: exit 1, not found (%d: %s)"
              % (rc, out.strip()))
        check(env.secret() is None, "... and no Secret was created")

        v, m = webhook_configs("gatewarden", "gatewarden")
        srv.must("POST", VWC[:-1], v)
        srv.must("POST", MWC[:-1], m)

        # 2. bootstrap, then idempotence (short CA lifetime so step 4 can expire it)
        rc, out = env.boot("gatewarden", "gatewarden-webhook-tls", "gatewarden", "--ca-days", "400",
                           "--dns", "localhost", "--ip", "127.0.0.1")
        check(rc == 0 and "created" in out and "caBundle updated in 2" in out, "bootstrap: %d %s" % (rc, out.strip()))
        sec = consistent(env, "gatewarden", "gatewarden-webhook-tls", "gatewarden", "gatewarden.gatewarden.svc")
        leaf = env.inspect(env.data(sec, "tls.crt"))
        check(leaf["serverAuth"] and "localhost" in leaf["dnsNames"] and "127.0.0.1" in leaf["ipAddresses"],
              "serving certificate: serverAuth, extra names")
        check(not env.inspect(env.data(sec, "ca.crt"))["serverAuth"], "the CA is not a serving certificate")
        before = env.rvs()
        rc, out = env.boot("gatewarden", "gatewarden-webhook-tls", "gatewarden", "--ca-days", "400",
                           "--dns", "localhost", "--ip", "127.0.0.1")
        check(rc == 0 and "unchanged" in out and "updated in 0" in out, "second run: nothing to do (%s)" % out.strip())
        check(env.rvs() == before, "second run wrote nothing (resourceVersions unchanged)")

        # 3. replicas at once
        for rnd in range(3):
            ns, name, cfg = "race%d" % rnd, "tls%d" % rnd, "race%d" % rnd
            srv.must("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
            v, m = webhook_configs(cfg, ns)
            srv.must("POST", VWC[:-1], v)
            srv.must("POST", MWC[:-1], m)
            procs = [env.boot(ns, name, cfg, wait=False) for _ in range(4)]
            outs = [(p.wait(120), p.stdout.read() + p.stderr.read()) for p in procs]
            for p in procs:
                p.stdout.close()
                p.stderr.close()
            check(all(rc == 0 for rc, _ in outs), "round %d: 4 concurrent runs all succeed: %s" % (rnd, outs))
            created = sum(1 for _, o in outs if "Secret %s/%s created" % (ns, name) in o)
            check(created == 1, "round %d: exactly one run created the Secret (%d)" % (rnd, created))
            consistent(env, ns, name, cfg, "gatewarden.%s.svc" % ns)
            before = env.rvs(ns, name, cfg)
            rc, out = env.boot(ns, name, cfg)
            check(rc == 0 and "unchanged" in out and env.rvs(ns, name, cfg) == before,
                  "round %d: a rerun after the race writes nothing" % rnd)
            # these configurations name Services nobody serves: remove them before the
            # traffic of step 4 (the API server calls every matching configuration)
            srv.must("DELETE", VWC + cfg)
            srv.must("DELETE", MWC + cfg)

        # 3a. the run that created the Secret says so even when a later step of it
        # conflicts and it starts over (here: the first caBundle patch, as when another
        # replica patched the configuration in between)
        srv.must("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "late"}})
        v, m = webhook_configs("late", "late")
        srv.must("POST", VWC[:-1], v)
        srv.must("POST", MWC[:-1], m)
        srv.control(faults=[{"verb": "patch", "resource": "validatingwebhookconfigurations", "action": "409",
                             "count": 1}])
        rc, out = env.boot("late", "tls-late", "late")
        check(rc == 0 and "Secret late/tls-late created" in out and "serving certificate issued" in out
              and "CA created" in out and "caBundle updated in 2" in out and "1 conflict(s)" in out,
              "a run whose caBundle patch conflicted once still reports the Secret it created: %s" % out.strip())
        consistent(env, "late", "tls-late", "late", "gatewarden.late.svc")
        srv.must("DELETE", VWC + "late")
        srv.must("DELETE", MWC + "late")

        # 3b. a damaged Secret (hand-edited, truncated, wrong types) is repaired, not fatal
        srv.must("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "junk"}})
        v, m = webhook_configs("junk", "junk")
        srv.must("POST", VWC[:-1], v)
        srv.must("POST", MWC[:-1], m)
        for n, data in enumerate(({"tls.crt": "!!!not base64", "ca.key": base64.b64encode(b"garbage").decode()},
                                  {"tls.crt": base64.b64encode(b"-----BEGIN CERTIFICATE-----\nAAAA\n").decode(),
                                   "ca.crt": base64.b64encode(b"-----BEGIN CERTIFICATE-----\n").decode()},
                                  {"ca.crt": 7, "tls.key": None})):
            name = "junk%d" % n
            srv.must("POST", "/api/v1/namespaces/junk/secrets", {
                "apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
                "metadata": {"name": name, "namespace": "junk", "labels": {"keep": "me"}}, "data": data})
            rc, out = env.boot("junk", name, "junk")
            check(rc == 0 and "updated" in out and "CA created" in out, "damaged Secret %d repaired: %s"
                  % (n, out.strip()))
            sec = consistent(env, "junk", name, "junk", "gatewarden.junk.svc")
            check(sec is not None and sec["metadata"].get("labels", {}).get("keep") == "me",
                  "the repaired Secret keeps its labels")
        srv.must("DELETE", VWC + "junk")
        srv.must("DELETE", MWC + "junk")

        # 4. rotation under load
        proj = Projection(os.path.join(tmp, "tls"))
        proj.write(env.secret(), env)
        log = open(os.path.join(tmp, "serve.log"), "w+")
        serve = subprocess.Popen([gw, "serve", "--listen", "127.0.0.1:%d" % port, "--tls-cert",
                                  os.path.join(tmp, "tls", "tls.crt"), "--tls-key", os.path.join(tmp, "tls", "tls.key"),
                                  "--cert-reload-ms", "100", "--shutdown-delay", "0", "--quiet"], stderr=log)
        for _ in range(600):  # hang guard, not a timing threshold
            try:
                served_cert(port)
                break
            except OSError:
                if serve.poll() is not None:
                    break
                time.sleep(0.05)
        if not check(serve.poll() is None, "gatewarden serve started"):
            log.seek(0)
            print(log.read())
            return 1
        calls0 = srv.stats()["admission_calls"]
        traffic = Traffic(srv)
        traffic.start()

        def step(label, now, *extra, expect):
            n0 = traffic.count()
            rc, out = env.boot("gatewarden", "gatewarden-webhook-tls", "gatewarden", "--now", str(now),
                               "--dns", "localhost", "--ip", "127.0.0.1", *extra)
            check(rc == 0 and all(e in out for e in expect), "%s: %s" % (label, out.strip()))
            sec = consistent(env, "gatewarden", "gatewarden-webhook-tls", "gatewarden", "gatewarden.gatewarden.svc")
            proj.write(sec, env)
            want = env.data(sec, "tls.crt")
            for _ in range(1200):  # hang guard: serve polls the files every 100 ms
                if same_cert(served_cert(port), want):
                    break
                time.sleep(0.05)
            check(same_cert(served_cert(port), want), "%s: serve presents the Secret's new certificate" % label)
            for _ in range(1200):  # let some admission requests run on the new certificate
                if traffic.count() >= n0 + 20:
                    break
                time.sleep(0.05)
            return sec

        real = int(time.time())
        ca1 = env.inspect(env.data(env.secret(), "ca.crt"))
        s = step("serving renewal", real + 61 * 86400, expect=["serving certificate issued", "CA kept"])
        check(env.inspect(env.data(s, "tls.crt"))["issuer"] == ca1["subject"], "renewed by the same CA")
        t_next = ca1["notAfter"] - 179 * 86400
        s = step("CA rollover starts", t_next, "--ca-days", "1825", expect=["CA next added to the bundle"])
        check(len(env.data(s, "ca.crt").split("BEGIN CERTIFICATE")) - 1 == 2, "the bundle holds both CAs")
        check(env.inspect(env.data(s, "tls.crt"))["issuer"] == ca1["subject"], "the old CA still signs")
        rc, out = env.boot("gatewarden", "gatewarden-webhook-tls", "gatewarden", "--now", str(t_next + 30),
                           "--dns", "localhost", "--ip", "127.0.0.1")
        # (the serving certificate may be renewed here: --now has passed its lifetime)
        check(rc == 0 and "CA kept" in out and
              env.inspect(env.data(env.secret(), "tls.crt"))["issuer"] == ca1["subject"],
              "before --propagation has passed the new CA does not sign yet: %s" % out.strip())
        s = step("new CA promoted", t_next + 61, expect=["rolled over"])
        ca2 = env.inspect(env.data(s, "ca.crt"))  # the first in the bundle signs
        check(ca2["subject"] != ca1["subject"] and env.inspect(env.data(s, "tls.crt"))["issuer"] == ca2["subject"],
              "the new CA signs the serving certificate")
        check(len(env.data(s, "ca.crt").split("BEGIN CERTIFICATE")) - 1 == 2, "the old CA is still trusted")
        s = step("old CA expired", ca1["notAfter"] + 10, expect=["1 expired CA(s) dropped", "1 CA(s) in the bundle"])
        check(env.inspect(env.data(s, "ca.crt"))["subject"] == ca2["subject"], "only the new CA is left")
        traffic.stop.set()
        traffic.join(60)
        calls = srv.stats()["admission_calls"] - calls0
        check(traffic.ok >= 80 and calls >= traffic.ok, "%d HTTPRoutes admitted through the webhook during rotation "
              "(%d admission calls)" % (traffic.ok, calls))
        check(traffic.failed == 0, "no admission request failed during rotation (%d failed: %s)"
              % (traffic.failed, traffic.msgs[:3]))

        # 5. bad options change nothing
        before = env.rvs()
        for args in (["--webhook-config", "Bad_Name"], ["--renew-before", "soon"], ["--days", "0"],
                     ["--renew-before", "100d"], ["--service", "a.b"], ["--dns", "x,IP:1.2.3.4"]):
            r = subprocess.run([gw, "certs", "bootstrap", "--kubeconfig", srv.kubeconfig, "--namespace", "gatewarden",
                                *args], capture_output=True, text=True, timeout=60)
            check(r.returncode == 2 and r.stderr.strip() != "", "bad %s: exit 2 with a message (%d: %s)"
                  % (args, r.returncode, r.stderr.strip()))
        r = subprocess.run([gw, "certs", "bootstrap", "--kubeconfig", os.path.join(tmp, "nope")],
                           capture_output=True, text=True, timeout=60)
        check(r.returncode == 2, "a missing kubeconfig: exit 2 (%s)" % r.stderr.strip())
        check(env.rvs() == before, "bad options wrote nothing")
    finally:
        if serve is not None and serve.poll() is None:
            serve.send_signal(signal.SIGTERM)
            try:
                serve.wait(30)
            except subprocess.TimeoutExpired:
                serve.kill()
                serve.wait()
        srv.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    print("certs bootstrap: %d failure(s)" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
