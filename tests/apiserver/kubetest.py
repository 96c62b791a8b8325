"""Helpers for the tests that run against apiserver.py: start and stop it, call it, and
record what a test expected (check, finish)."""
import http.client
import json
import os
import ssl
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
failures = []


def check(cond, msg, quiet=False):
    """Record an expectation: a failure is printed and counted; a pass is printed
    unless quiet (for checks made in loops)."""
    if not cond or not quiet:
        print(("ok: " if cond else "FAIL: ") + msg)
    if not cond:
        failures.append(msg)


def finish():
    """The test's exit status: 1 with the count of failures, else 0 and "ok"."""
    if failures:
        print("%d failures" % len(failures))
        return 1
    print("ok")
    return 0


def log_record(f, pred):
    """The first JSON log line of the open file f for which pred is true, or None."""
    f.seek(0)
    for line in f:
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if pred(rec):
            return rec
    return None


class KcacheDump:
    """tests/apiserver/kcache_dump.c run against a test server: dump (its state, the
    events applied since the last dump gathered in .applied), wait_ready, quit."""

    def __init__(self, binary, kubeconfig, extra=(), stderr=None):
        self.p = subprocess.Popen([binary, kubeconfig] + list(extra), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=stderr, text=True)
        self.applied = []

    def dump(self):
        self.p.stdin.write("dump\n")
        self.p.stdin.flush()
        d = json.loads(self.p.stdout.readline())
        self.applied.extend(d["applied"])
        d["state"] = {(k, ns, n): rv for k, ns, n, rv in d["objects"]}
        return d

    def wait_ready(self):
        """The first dump after the first full sync (hang guard 30 s), or the last one."""
        for _ in range(300):
            d = self.dump()
            if d["ready"]:
                break
            time.sleep(0.1)
        return d

    def quit(self):
        if self.p.poll() is None:
            self.p.stdin.write("quit\n")
            self.p.stdin.flush()
            try:
                return self.p.wait(30)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
                return -1
        return self.p.returncode


class Server:
    def __init__(self, *args, dir=None):
        self.dir = dir or tempfile.mkdtemp(prefix="gw-apiserver-")
        portf = os.path.join(self.dir, "port")
        if os.path.exists(portf):
            os.unlink(portf)
        self.proc = subprocess.Popen([sys.executable, os.path.join(HERE, "apiserver.py"), "--dir", self.dir,
                                      *args])
        for _ in range(300):  # hang guard, not a timing threshold
            if os.path.exists(portf):
                break
            if self.proc.poll() is not None:
                raise RuntimeError("apiserver.py exited with %d" % self.proc.returncode)
            time.sleep(0.05)
        else:
            self.stop()
            raise RuntimeError("apiserver.py did not start")
        self.port = int(open(portf).read())
        self.token = open(os.path.join(self.dir, "token")).read().strip()
        self.kubeconfig = os.path.join(self.dir, "kubeconfig")
        self.ctx = ssl.create_default_context(cafile=os.path.join(self.dir, "ca.crt"))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def call(self, method, path, body=None, ctype="application/json", token=True):
        conn = http.client.HTTPSConnection("127.0.0.1", self.port, context=self.ctx, timeout=30)
        hdr = {"Accept": "application/json"}
        if token:
            hdr["Authorization"] = "Bearer " + self.token
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            hdr["Content-Type"] = ctype
        conn.request(method, path, body=data, headers=hdr)
        r = conn.getresponse()
        raw = r.read()
        conn.close()
        return r.status, (json.loads(raw) if raw else None)

    def must(self, method, path, body=None, ctype="application/json", ok=(200, 201)):
        st, b = self.call(method, path, body, ctype)
        if st not in ok:
            raise AssertionError("%s %s: HTTP %d %s" % (method, path, st, b))
        return b

    def control(self, **kw):
        return self.must("POST", "/_control", kw)

    def stats(self):
        return self.must("GET", "/_control/stats")
