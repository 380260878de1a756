#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""xsnd-analyze tone, the judge of the capture tests: a clean tone passes,
silences are measured around (also with a resampler's ringing at their
edges), and a wrong pitch, too many silences or a wrong level fail."""
import math
import os
import subprocess
import sys
import tempfile

ANALYZE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "xsnd-analyze.py")
RATE = 44100


def tone(freq, seconds, silences=(), ringing=False):
    """Mono s16 sine at -3 dBFS; each (start_s, frames) silence is zero,
    with ringing: 20 frames of decaying alternating samples each side, as
    PipeWire's resampler leaves them (seen in a 44.1 kHz capture)."""
    n = int(seconds * RATE)
    x = [0.7 * math.sin(2 * math.pi * freq * i / RATE) for i in range(n)]
    for start, frames in silences:
        b = int(start * RATE)
        e = b + frames
        for i in range(b, e):
            x[i] = 0.0
        if ringing:
            for k in range(1, 21):
                v = 0.02 * (0.8 ** k) * (-1) ** k
                x[b - k] = v
                x[e + k - 1] = v
    return [int(v * 32767) for v in x]


def run(samples, *args):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "t.wav")
        sys.path.insert(0, os.path.dirname(ANALYZE))
        import importlib.util
        spec = importlib.util.spec_from_file_location("an", ANALYZE)
        an = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(an)
        an.write_wav16(path, RATE, 1, samples)
        r = subprocess.run([sys.executable, ANALYZE, "tone", path, "--freq", "440", "--tol", "1",
                            "--min-db", "-20", *args], capture_output=True, text=True)
        return r.returncode, r.stdout + r.stderr


failures = 0


def expect(what, ok, res):
    global failures
    rc, out = res
    if (rc == 0) != ok:
        failures += 1
        print(f"FAIL: {what}: rc {rc}\n{out}")
    else:
        print(f"ok - {what}")


expect("a clean tone", True, run(tone(440, 2)))
expect("a 450 Hz tone is not 440", False, run(tone(450, 2)))
expect("one silence, measured around", True,
       run(tone(440, 2, [(0.62, 429)]), "--max-dropouts", "2"))
expect("one silence with resampler ringing, measured around", True,
       run(tone(440, 2, [(0.62, 429)], ringing=True), "--max-dropouts", "2"))
expect("a long silence (200 ms between two files), measured around", True,
       run(tone(440, 2, [(0.9, 9600)], ringing=True), "--max-dropouts", "1"))
expect("three silences, two allowed", False,
       run(tone(440, 2, [(0.4, 500), (0.9, 500), (1.4, 500)], ringing=True), "--max-dropouts", "2"))
expect("a silence without --max-dropouts fails", False, run(tone(440, 2, [(0.62, 4000)])))
sys.exit(1 if failures else 0)
