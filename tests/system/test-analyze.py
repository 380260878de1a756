#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Unit test of the system tests' judge (analyze.py): what counts as an
intact playthrough, and what a dom0 stall may excuse."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import analyze as a  # noqa: E402

Q = a.QUANTUM
fails = 0


def check(what, got, want):
    global fails
    if got != want:
        fails += 1
        print(f"FAIL: {what}: got {got}, want {want}")
    else:
        print(f"ok   {what}")


def play(jumps=(), dropouts=(), complete=True):
    p = a.Playthrough(1000)
    p.jumps, p.dropouts, p.complete = list(jumps), list(dropouts), complete
    return p


hole = [(100000, 2 * Q)]
check("clean", play().intact(), True)
check("truncated", play(complete=False).intact(), False)
check("a jump the recorder missed", play([(100001, 2 * Q)]).intact(hole), True)
check("a jump larger than the recorder's hole, no stall room",
      play([(100000, 5 * Q)]).intact(hole), False)
p = play([(100000, 3 * Q)], [(100000 + Q, Q)])
check("a stall: a quantum skipped and one silent after the hole", p.intact(hole), True)
check("  and it is reported", bool(p.stall) and "dom0 stall" in p.stall[0], True)
check("a dropout without a hole", play([], [(100000, Q)]).intact(), False)
check("a dropout long after the hole",
      play([], [(100000 + a.STALL_WINDOW + 1, Q)]).intact(hole), False)
check("a dropout before the hole", play([], [(100000 - Q, Q)]).intact(hole), False)
check("more silence than a stall explains",
      play([], [(100000 + Q, (a.STALL_QUANTA + 1) * Q)]).intact(hole), False)
check("defects after two different holes",
      play([], [(100000 + Q, Q), (300000 + Q, Q)]).intact(hole + [(300000, Q)]), False)
check("a backward jump", play([(100000 + Q, -Q)]).intact(hole), False)
sys.exit(1 if fails else 0)
