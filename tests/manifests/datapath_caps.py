#!/usr/bin/env python3
"""The datapath DaemonSet's capabilities are enough, and each one is needed.

Renders manifests/overlays/aws (which includes components/datapath), reads the
capabilities the DaemonSet's containers add, and runs the container's own command
(`gatewarden datapath attach` on a fresh cgroup v2 directory and pin directory) with
exactly those capabilities (setpriv: bounding, inheritable and ambient sets, UID 0 as in
the pod): it must succeed. Then once per capability with that one left out: it must
fail with "Operation not permitted". Everything created is removed.

Needs root, setpriv, bpffs, a cgroup v2 mount and kubectl: skipped (77) without them,
failed when CI is set.
usage: datapath_caps.py GATEWARDEN ROOT
"""
import os
import shutil
import subprocess
import sys

try:
    import yaml
except ImportError:
    print("FAIL: PyYAML is missing (Debian package python3-yaml)")
    sys.exit(1)


def cgroup2_mount():
    with open("/proc/self/mountinfo") as f:
        for line in f:
            parts = line.split(" - ")
            if len(parts) == 2 and parts[1].startswith("cgroup2 "):
                return line.split()[4]
    return None


def bpffs():
    with open("/proc/self/mountinfo") as f:
        return any(" - bpf " in line and line.split()[4] == "/sys/fs/bpf" for line in f)


def skip(why):
    if os.environ.get("CI"):
        print("FAIL: " + why + " (CI is set)")
        return 1
    print("SKIP: " + why)
    return 77


def main():
    gw, root = sys.argv[1], sys.argv[2]
    kubectl, setpriv, cg = shutil.which("kubectl"), shutil.which("setpriv"), cgroup2_mount()
    if os.geteuid() != 0:
        return skip("needs root (loads BPF programs)")
    if kubectl is None or setpriv is None:
        return skip("needs kubectl and setpriv")
    if cg is None or not bpffs():
        return skip("needs a cgroup v2 mount and bpffs on /sys/fs/bpf")
    out = subprocess.run([kubectl, "kustomize", os.path.join(root, "manifests/overlays/aws")], capture_output=True,
                         text=True, check=True).stdout
    ds = next(o for o in yaml.safe_load_all(out) if o and o["kind"] == "DaemonSet")
    caps = set()
    for c in ds["spec"]["template"]["spec"].get("initContainers", []) + ds["spec"]["template"]["spec"]["containers"]:
        caps |= set(c["securityContext"]["capabilities"].get("add") or [])
    failures = []
    print("DaemonSet capabilities:", sorted(caps))
    cgdir = os.path.join(cg, "gw-capcheck-%d" % os.getpid())
    os.mkdir(cgdir)
    pins = []
    try:
        def attach(capset, n):
            pin = "/sys/fs/bpf/gw-capcheck-%d-%d" % (os.getpid(), n)
            pins.append(pin)
            spec = ",".join(["-all"] + ["+" + c.lower() for c in sorted(capset)])
            return subprocess.run([setpriv, "--inh-caps=" + spec, "--ambient-caps=" + spec, "--bounding-set=" + spec,
                                   "--reuid=0", "--", gw, "datapath", "attach", "--cgroup", cgdir, "--pin-dir", pin],
                                  capture_output=True, text=True, timeout=120)

        r = attach(caps, 0)
        ok = r.returncode == 0
        print(("ok" if ok else "FAIL") + ": attach with %s: exit %d %s" % (sorted(caps), r.returncode,
                                                                         (r.stdout + r.stderr).strip()))
        if not ok:
            failures.append("with the DaemonSet's capabilities")
        for i, c in enumerate(sorted(caps), 1):
            r = attach(caps - {c}, i)
            ok = r.returncode != 0 and "Operation not permitted" in r.stderr
            print(("ok" if ok else "FAIL") + ": without %s: exit %d %s" % (c, r.returncode, r.stderr.strip()))
            if not ok:
                failures.append("without " + c)
    finally:
        for pin in pins:
            if os.path.isdir(pin):
                subprocess.run([gw, "datapath", "detach", "--pin-dir", pin], capture_output=True)
            if os.path.isdir(pin):
                shutil.rmtree(pin, ignore_errors=True)
                try:
                    os.rmdir(pin)
                except OSError:
                    pass
        os.rmdir(cgdir)
    print("datapath capabilities: %d failure(s)" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
