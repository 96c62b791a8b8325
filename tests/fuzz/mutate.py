#!/usr/bin/env python3
"""Mutation test of `gatewarden check`: feeds it N deterministic mutations of the
project's own fixtures (byte flips, cuts, YAML tokens spliced in, pieces of other
fixtures, swapped lines) and fails when any run crashes, hangs, exits outside 0/1/2, or
makes a sanitizer speak. The seed makes every run reproducible; a failing input is
kept in the temporary directory printed with the failure.

usage: mutate.py GATEWARDEN [N [SEED]]   (run from tests/)
"""
import glob
import os
import random
import subprocess
import sys
import tempfile

TOKENS = [b"null", b"[]", b"{}", b"-1", b"99999999999999999999", b"'x'", b"*", b'"\\ud800"',
          b"&a x", b"*a", b"\t", b"---\n", b": ", b"- ", b"1.5", b"true", b"0x1f", b"\x00", b"\xff"]


def mutate(rnd, seeds, tokens=TOKENS):
    """Up to 8 byte-level edits of one of seeds: flips, cuts, tokens spliced in, pieces
    of another seed, swapped lines. reviews.py uses it with JSON tokens."""
    a = bytearray(rnd.choice(seeds))
    other = rnd.choice(seeds)
    for _ in range(rnd.randint(1, 8)):
        if not a:
            break
        i = rnd.randrange(len(a))
        op = rnd.random()
        if op < 0.3:
            a[i] = rnd.randrange(256)
        elif op < 0.5:
            del a[i:i + rnd.randint(1, 40)]
        elif op < 0.7:
            a[i:i] = rnd.choice(tokens)
        elif op < 0.85:
            j = rnd.randrange(len(other))
            a[i:i] = other[j:j + rnd.randint(1, 200)]
        else:
            lines = a.split(b"\n")
            if len(lines) > 2:
                x, y = rnd.randrange(len(lines)), rnd.randrange(len(lines))
                lines[x], lines[y] = lines[y], lines[x]
                a = bytearray(b"\n".join(lines))
    return bytes(a)


def main():
    gw = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 20261125
    rnd = random.Random(seed)
    files = sorted(glob.glob("data/**/*.yaml", recursive=True) + glob.glob("data/**/*.json", recursive=True))
    seeds = [open(f, "rb").read() for f in files]
    tmp = tempfile.mkdtemp(prefix="gatewarden-mutate-")
    case = os.path.join(tmp, "case.yaml")
    failures = 0
    for k in range(n):
        data = mutate(rnd, seeds)
        with open(case, "wb") as f:
            f.write(data)
        mode = rnd.random()
        if mode < 0.3:
            args = [gw, "check", "-o", "json", case, "data/cross/state.yaml"]
        elif mode < 0.5:
            args = [gw, "check", "--no-cross", case]
        else:
            args = [gw, "check", case]
        try:
            r = subprocess.run(args, capture_output=True, timeout=60)
            err = r.stderr.decode(errors="replace")
            bad = r.returncode not in (0, 1, 2) or "Sanitizer" in err or "runtime error" in err
            why = "exit %d: %s" % (r.returncode, err[:1500])
        except subprocess.TimeoutExpired:
            bad, why = True, "no answer within 60 s"
        if bad:
            failures += 1
            kept = os.path.join(tmp, "failure-%d.yaml" % failures)
            with open(kept, "wb") as f:
                f.write(data)
            print("FAIL case %d (%s): %s" % (k, kept, why))
            if failures >= 5:
                break
    print("%d passed, %d failed" % (n - failures if failures < 5 else 0, failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
