#!/usr/bin/env python3
"""Start the test API server, run PROGRAM ARGS... KUBECONFIG, stop the server; exit with
the program's status. usage: run_with_server.py PROGRAM [ARGS...]"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kubetest  # noqa: E402

srv = kubetest.Server("--bookmark-interval", "0.5")
try:
    rc = subprocess.run(sys.argv[1:] + [srv.kubeconfig], timeout=300).returncode
finally:
    srv.stop()
sys.exit(rc)
