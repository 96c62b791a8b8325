#!/usr/bin/env python3
"""Mutation test of `gatewarden serve`: one server, N deterministic mutations of
AdmissionReviews posted to /validate and /mutate over TLS. Half are byte-level (flips,
cuts, JSON tokens, splices) and stop at the strict reader; half are structural (a
random value in the decoded review replaced by null, a wrong type, a huge number, a
long or odd string, a deep nest, or a piece of another review), so they reach the
engine, the cross-object checks and the policies. Fails when an answer is not a
well-formed AdmissionReview (HTTP 200) or Status (4xx), on any 5xx, when the server
dies or stops answering, does not exit 0 on SIGTERM, or a sanitizer speaks. The seed
makes a run reproducible; a failing input is printed.

usage: reviews.py GATEWARDEN [N [SEED]]   (run from tests/)
"""
import base64
import copy
import glob
import http.client
import json
import os
import random
import re
import signal
import ssl
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from mutate import mutate  # noqa: E402  (the byte-level mutator of the check fuzz test)
TOP = os.path.dirname(os.path.dirname(HERE))
TOKENS = [b"null", b"[]", b"{}", b"-1", b"1e999", b"99999999999999999999", b'"\\ud800"', b'"\\u0000"',
          b",", b":", b'"', b"\\", b"\x00", b"\xff", b"\xc3(", b"[[[[[[[[", b"}}}}"]
ODD = [None, True, 0, -1, 1.5, 2 ** 63, -2 ** 63 - 1, "", "x" * 5000, "Not_A_Host", "*.", "/../", "\u202e",
       "a" * 64 + ".example.com", [], {}, [None], {"": ""}]


def deep(n):
    v = "x"
    for _ in range(n):
        v = [v]
    return v


def paths(v, at=()):
    yield at
    if isinstance(v, dict):
        for k, x in v.items():
            yield from paths(x, at + (k,))
    elif isinstance(v, list):
        for i, x in enumerate(v):
            yield from paths(x, at + (i,))


def put(doc, at, val):
    if not at:
        return val
    cur = doc
    for k in at[:-1]:
        cur = cur[k]
    cur[at[-1]] = val
    return doc


def get(doc, at):
    for k in at:
        doc = doc[k]
    return doc


def structural(rnd, seeds):
    doc = copy.deepcopy(rnd.choice(seeds))
    for _ in range(rnd.randint(1, 4)):
        ps = list(paths(doc))
        at = rnd.choice(ps)
        r = rnd.random()
        if r < 0.6:
            val = copy.deepcopy(rnd.choice(ODD))
        elif r < 0.7:
            val = deep(rnd.randint(20, 200))
        else:
            other = rnd.choice(seeds)
            val = copy.deepcopy(get(other, rnd.choice(list(paths(other)))))
        doc = put(doc, at, val)
    return json.dumps(doc).encode()


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main():
    gw = os.path.abspath(sys.argv[1])
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 1500
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 7
    rnd = random.Random(seed)
    raw = [open(f, "rb").read() for f in sorted(glob.glob(os.path.join(TOP, "examples", "admission", "*.json")))]
    seeds = [json.loads(r) for r in raw]
    # a generated-Service review too, so the Service policies are exercised
    svc = {"apiVersion": "v1", "kind": "Service",
           "metadata": {"name": "cilium-gateway-public", "namespace": "infra",
                        "labels": {"io.cilium.gateway/owning-gateway": "public",
                                   "gateway.networking.k8s.io/gateway-name": "public"}},
           "spec": {"type": "LoadBalancer", "ports": [{"port": 443}]}}
    seeds.append({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
                  "request": {"uid": "fuzz-svc", "kind": {"group": "", "version": "v1", "kind": "Service"},
                              "resource": {"group": "", "version": "v1", "resource": "services"},
                              "namespace": "infra", "name": "cilium-gateway-public", "operation": "CREATE",
                              "object": svc, "oldObject": None, "dryRun": False}})
    raw.append(json.dumps(seeds[-1]).encode())
    # UPDATE reviews carry an oldObject, which the server reads without building it
    # unless the object is a Service: mutations inside it must be refused (or not) as
    # anywhere else
    for rev in list(seeds):
        if rev.get("request", {}).get("object") is None:
            continue
        upd = copy.deepcopy(rev)
        upd["request"]["uid"] += "-update"
        upd["request"]["operation"] = "UPDATE"
        upd["request"]["oldObject"] = copy.deepcopy(rev["request"]["object"])
        upd["request"]["oldObject"].setdefault("metadata", {})["resourceVersion"] = "41"
        seeds.append(upd)
        raw.append(json.dumps(upd).encode())
    tmp = tempfile.mkdtemp(prefix="gw-fuzz-reviews-")
    key, crt = os.path.join(tmp, "tls.key"), os.path.join(tmp, "tls.crt")
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key,
            "-out", crt, "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1")
    log = open(os.path.join(tmp, "serve.log"), "w+")
    serve = subprocess.Popen([gw, "serve", "--listen", "127.0.0.1:0", "--tls-cert", crt, "--tls-key", key, "--quiet",
                              "--shutdown-delay", "0", "--state", os.path.join(TOP, "tests", "webhook", "state.yaml"),
                              "--policy", os.path.join(TOP, "policies", "presets")], stderr=log)
    port = None
    for _ in range(200):  # hang guard
        log.seek(0)
        m = re.search(r'"msg":"serving".*"port":(\d+)', log.read())
        if m:
            port = int(m.group(1))
            break
        if serve.poll() is not None:
            break
        time.sleep(0.05)
    if port is None:
        log.seek(0)
        print("FAIL: serve did not start: " + log.read()[-2000:])
        return 1
    ctx = ssl.create_default_context(cafile=crt)
    conn = None
    failures = 0
    kinds = {}
    try:
        for i in range(n):
            body = structural(rnd, seeds) if i % 2 else mutate(rnd, raw, TOKENS)
            path = "/mutate" if rnd.random() < 0.5 else "/validate"
            for attempt in range(2):
                try:
                    if conn is None:
                        conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=10)
                    conn.request("POST", path + "?timeout=10s", body=body, headers={"Content-Type": "application/json"})
                    r = conn.getresponse()
                    status, text = r.status, r.read()
                    break
                except (OSError, http.client.HTTPException):
                    # the server may close a connection after an error answer; a second
                    # failure on a fresh connection is a real one
                    conn = None
                    if attempt == 1:
                        status, text = None, b""
            why = None
            if status is None:
                why = "no answer"
            elif status >= 500:
                why = "HTTP %d" % status
            elif status == 200:
                try:
                    out = json.loads(text)
                    resp = out["response"]
                    assert out["kind"] == "AdmissionReview" and isinstance(resp["allowed"], bool)
                    if "patch" in resp:
                        assert isinstance(json.loads(base64.b64decode(resp["patch"], validate=True)), list)
                    kinds["allowed" if resp["allowed"] else "denied"] = kinds.get("allowed" if resp["allowed"] else "denied", 0) + 1
                except Exception as e:  # noqa: BLE001 - any malformed answer is the failure
                    why = "malformed 200 answer (%s): %r" % (e, text[:200])
            else:
                try:
                    st = json.loads(text)
                    assert st.get("kind") == "Status" and st.get("code") == status and st.get("message")
                    kinds[status] = kinds.get(status, 0) + 1
                except Exception as e:  # noqa: BLE001
                    why = "HTTP %d without a Status body (%s): %r" % (status, e, text[:200])
            if why is not None or serve.poll() is not None:
                failures += 1
                print("FAIL case %d (%s): %s\n  input: %r" % (i, path, why or "the server died", body[:300]))
                if serve.poll() is not None or failures > 5:
                    break
    finally:
        if conn is not None:
            conn.close()
        if serve.poll() is None:
            serve.send_signal(signal.SIGTERM)
        try:
            rc = serve.wait(30)
        except subprocess.TimeoutExpired:
            serve.kill()
            rc = None
    log.seek(0)
    text = log.read()
    if rc != 0:
        failures += 1
        print("FAIL: serve exit status %s after SIGTERM" % rc)
    for bad in ("AddressSanitizer", "LeakSanitizer", "runtime error:", "UndefinedBehaviorSanitizer"):
        if bad in text:
            failures += 1
            print("FAIL: %s in serve's output:\n%s" % (bad, text[-3000:]))
            break
    print("%d reviews (seed %d): %s" % (n, seed, ", ".join("%s %d" % (k, v) for k, v in sorted(kinds.items(), key=str))))
    if failures:
        print("FAIL: %d failure(s); serve's log is in %s" % (failures, tmp))
        return 1
    for f in os.listdir(tmp):
        os.unlink(os.path.join(tmp, f))
    os.rmdir(tmp)
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
