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
p = play([(100001, 2 * Q)])
p.intact(hole)
check("  is no xrun", p.stall, [])
p = play([(100000, 3 * Q)], [(100000 + Q, Q)])
check("a stall: a quantum skipped and one silent after the hole", p.intact(hole), True)
check("  reported with the hole", "dom0 stalled" in p.stall[0], True)
p = play([(50000, Q)], [(50000 + Q, Q)])
check("a graph xrun without a hole: one skipped, one silent", p.intact(), True)
check("  reported", p.stall[0].startswith("graph xrun"), True)
check("a jump larger than the hole and two quanta",
      play([(100000, 5 * Q)]).intact(hole), False)
check("more silence than two quanta",
      play([], [(100000 + Q, (a.STALL_QUANTA + 1) * Q)]).intact(hole), False)
check("two events a second apart",
      play([], [(100000, Q), (148000, Q)]).intact(), False)
check("defects spread over more than the window",
      play([(100000, Q)], [(100000 + a.STALL_WINDOW + 1, Q)]).intact(), False)
check("a backward jump", play([(100000 + Q, -Q)]).intact(hole), False)
sys.exit(1 if fails else 0)
