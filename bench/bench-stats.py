#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Helpers for run-bench.sh.

  bench-stats.py answer STATS.json...   WRITE/READ answer times over every stream:
                                        p50 = median of the streams' p50,
                                        p99 = worst stream p99, max = worst max (us)
  bench-stats.py check STATS.json...    every stream ok, no xruns / id errors;
                                        prints streams= xruns= failed=
  bench-stats.py cpu PID                utime+stime of PID in clock ticks
  bench-stats.py anon PID               Anonymous memory of PID (smaps_rollup), KiB
  bench-stats.py ticks                  clock ticks per second
"""
import json
import os
import sys


def streams(paths):
    for p in paths:
        with open(p) as f:
            for s in json.load(f).get("streams", []):
                yield s


def answer(paths):
    p50s, p99, mx, n = [], 0.0, 0.0, 0
    for s in streams(paths):
        for op in ("write", "read"):
            o = s.get("ops", {}).get(op)
            if not o or not o.get("count"):
                continue
            n += o["count"]
            p50s.append(o["p50_us"])
            p99 = max(p99, o["p99_us"])
            mx = max(mx, o["max_us"])
    if not p50s:
        sys.exit("bench-stats: no WRITE/READ answers in the statistics")
    p50s.sort()
    print(f"answer_us_p50={p50s[len(p50s) // 2]} answer_us_p99={p99} answer_us_max={mx} answers={n}")


def check(paths):
    n = xr = failed = ide = 0
    for s in streams(paths):
        n += 1
        xr += s.get("xruns", 0)
        ide += s.get("id_errors", 0)
        failed += 0 if s.get("ok") else 1
    print(f"streams={n} xruns={xr} id_errors={ide} failed={failed}")
    sys.exit(0 if n and not xr and not failed and not ide else 1)


def cpu(pid):
    with open(f"/proc/{pid}/stat") as f:
        rest = f.read().rsplit(")", 1)[1].split()
    # fields 14 and 15 (utime, stime); rest[0] is field 3
    print(int(rest[11]) + int(rest[12]))


def anon(pid):
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            if line.startswith("Anonymous:"):
                print(int(line.split()[1]))
                return
    sys.exit("bench-stats: no Anonymous line")


COMMANDS = {
    "answer": answer,
    "check": check,
    "cpu": lambda a: cpu(a[0]),
    "anon": lambda a: anon(a[0]),
    "ticks": lambda a: print(os.sysconf("SC_CLK_TCK")),
}
if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
    sys.exit(__doc__)
COMMANDS[sys.argv[1]](sys.argv[2:])
