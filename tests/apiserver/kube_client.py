#!/usr/bin/env python3
"""The kube client's configuration paths against the test API server.

usage: kube_client.py KUBE_GET_BINARY

kubeconfig with a token and with a client certificate; in-cluster config whose token
file is rotated (the server stops accepting the old token: the client must re-read the
file); http:// refused without the explicit flag; a wrong CA and a bad token refused.
"""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kubetest  # noqa: E402
from kubetest import check  # noqa: E402


class Client:
    def __init__(self, tool, *args, env=None):
        self.p = subprocess.Popen([tool, *args, "/api/v1/namespaces"], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True, env=env)

    def get(self):
        self.p.stdin.write("get\n")
        self.p.stdin.flush()
        return self.p.stdout.readline().strip()

    def close(self):
        self.p.stdin.close()
        return self.p.wait(30)


def once(tool, *args, env=None):
    c = Client(tool, *args, env=env)
    out = c.get()
    rc = c.close()
    # 1: the configuration was refused before any request (printed as "error: ...")
    check(rc == 0 or (rc == 1 and out.startswith("error:")), "kube_get exited cleanly (%s)" % rc)
    return out


def main():
    tool = sys.argv[1]
    srv = kubetest.Server()
    tmp = tempfile.mkdtemp(prefix="gw-kube-client-")
    try:
        check(once(tool, "--kubeconfig", srv.kubeconfig) == "200", "kubeconfig, token: 200")
        check(once(tool, "--kubeconfig", srv.kubeconfig, "--context", "cert") == "200",
              "kubeconfig, client certificate (no token): 200")
        check(once(tool, "--kubeconfig", srv.kubeconfig, "--context", "nope").startswith("error: kubeconfig"),
              "unknown context: clear error")

        sa = os.path.join(tmp, "sa")
        os.makedirs(sa)
        shutil.copy(os.path.join(srv.dir, "ca.crt"), os.path.join(sa, "ca.crt"))
        with open(os.path.join(sa, "token"), "w") as f:
            f.write(srv.token + "\n")
        with open(os.path.join(sa, "namespace"), "w") as f:
            f.write("infra")
        env = dict(os.environ, KUBERNETES_SERVICE_HOST="127.0.0.1", KUBERNETES_SERVICE_PORT=str(srv.port))
        c = Client(tool, "--in-cluster", sa, env=env)
        check(c.get() == "200", "in-cluster: 200")
        # rotation: the server accepts only the new token, the file is replaced atomically
        srv.control(tokens=["rotated-token-2"])
        check(c.get() == "401", "old token refused after rotation (the server's side)")
        with open(os.path.join(sa, "token.new"), "w") as f:
            f.write("rotated-token-2")
        os.rename(os.path.join(sa, "token.new"), os.path.join(sa, "token"))
        check(c.get() == "200", "in-cluster: the rotated token file is re-read: 200")
        check(c.close() == 0, "kube_get exited cleanly")
        env_none = {k: v for k, v in env.items() if not k.startswith("KUBERNETES_SERVICE")}
        check(once(tool, "--in-cluster", sa, env=env_none).startswith("error: in-cluster"),
              "in-cluster without KUBERNETES_SERVICE_HOST: clear error")

        # http:// only with the explicit flag
        text = open(srv.kubeconfig).read()
        plain = os.path.join(tmp, "plain")
        with open(plain, "w") as f:
            f.write(text.replace("https://", "http://"))
        check("not https" in once(tool, "--kubeconfig", plain), "http:// refused without the flag")
        # a CA that did not sign the server's certificate
        other = os.path.join(tmp, "other")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                        "-nodes", "-keyout", other + ".key", "-out", other + ".crt", "-days", "1", "-subj", "/CN=x"],
                       check=True, capture_output=True)
        lines = [ln for ln in text.splitlines() if "certificate-authority-data" not in ln]
        lines = [ln + ("\n    certificate-authority: %s" % (other + ".crt") if ln.strip().startswith("server:") else "")
                 for ln in lines]
        wrongca = os.path.join(tmp, "wrongca")
        with open(wrongca, "w") as f:
            f.write("\n".join(lines) + "\n")
        check(once(tool, "--kubeconfig", wrongca).startswith("error:"), "wrong CA: TLS verification fails")
        with open(os.path.join(tmp, "badtoken"), "w") as f:
            f.write(text.replace(srv.token, "not-the-token"))
        srv.control(tokens=[srv.token])
        check(once(tool, "--kubeconfig", os.path.join(tmp, "badtoken")) == "401", "bad token: 401")
    finally:
        srv.stop()
    return kubetest.finish()


if __name__ == "__main__":
    sys.exit(main())
