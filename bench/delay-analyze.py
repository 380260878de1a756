#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Delay error from a guest trace (vsnd-guest --trace, `mark` lines) and the
host's marker times (xsnd-marks output).

playback: the guest wrote marker frame F at time t and was told it would be
rendered after `told` ns; the sink rendered it at R. measured = R - t.
capture: the source captured a marker at C; the guest read it at t and was
told it was captured `told` ns before. measured = t - C.
error = told - measured (ms; positive: the guest was told too much).
Each guest marker is paired with the host marker nearest to where the guest
believes it is, within half the marker interval; unpaired ones are counted.
Prints one JSON object: n, unpaired, p50 (signed), p90 and p99 (of |error|),
min, max.
"""
import bisect
import json
import sys


def pct(xs, p):
    xs = sorted(xs)
    if not xs:
        return None
    k = min(len(xs) - 1, max(0, int(round(p / 100.0 * (len(xs) - 1)))))
    return xs[k]


def main():
    if len(sys.argv) < 4:
        sys.exit("usage: delay-analyze.py play|cap TRACE.csv EDGES.csv [EVERY_MS] [SKIP_S]")
    mode, trace, edges = sys.argv[1:4]
    every_ns = float(sys.argv[4] if len(sys.argv) > 4 else 100) * 1e6
    skip_ns = float(sys.argv[5] if len(sys.argv) > 5 else 0) * 1e9
    host = sorted(int(l.split(",")[1]) for l in open(edges) if l.startswith("edge,"))
    marks = []
    for line in open(trace):
        f = line.rstrip("\n").split(",")
        if len(f) >= 5 and f[2] == "mark":
            marks.append((int(f[0]), int(f[4])))
    if marks:
        t0 = marks[0][0]
        marks = [m for m in marks if m[0] - t0 >= skip_ns]
    errs, unpaired = [], 0
    for t, told in marks:
        want = t + told if mode == "play" else t - told
        i = bisect.bisect_left(host, want)
        best = None
        for j in (i - 1, i):
            if 0 <= j < len(host) and (best is None or abs(host[j] - want) < abs(best - want)):
                best = host[j]
        if best is None or abs(best - want) > every_ns / 2:
            unpaired += 1
            continue
        measured = best - t if mode == "play" else t - best
        errs.append((told - measured) / 1e6)
    absd = [abs(e) for e in errs]
    out = {"n": len(errs), "unpaired": unpaired, "host_marks": len(host),
           "p50": pct(errs, 50), "p90": pct(absd, 90), "p99": pct(absd, 99),
           "min": min(errs) if errs else None, "max": max(errs) if errs else None}
    print(json.dumps(out))
    if not errs:
        sys.exit(1)


main()
