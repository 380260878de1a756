#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Signals and verdicts of the xen-snd system tests (python3 stdlib only).

  analyze.py gen DIR TONE_WAV   write the guest's test signals into DIR
                                (pattern-L.raw, pattern-R.raw, tone.raw) and
                                dom0's capture tone as a WAV file
  analyze.py judge OUT RESULTS  read what dom0 left in OUT (facts, timeline,
                                rec.raw, logs), write RESULTS/<check>.verdict

Counter pattern: 3 s of S16_LE 48 kHz stereo; one channel carries the
pattern, the other is silent, so two guests on different channels can be
told apart in one mix. Frame k = 16384 * b + j carries 4 * (s_b * j mod 16384)
- 32766 with the odd stride s_b = 2b + 1: two consecutive frames give the
stride, hence the block, hence the exact frame number (no wrap-around
ambiguity). Steps of 4 leave room for the +-1 LSB a float round trip may
add, and silence (0) never decodes.
"""

import array
import base64
import math
import os
import re
import struct
import sys
import wave

RATE = 48000
PATTERN_FRAMES = 3 * RATE
MOD = 16384
TONE_HZ = 997.0
# dom0's graph runs 4096-frame quanta (conf/dom0-pipewire.conf); a graph
# xrun can cost a playing guest up to two of them, within three quanta
# (Playthrough.intact).
QUANTUM = 4096
STALL_QUANTA = 2
STALL_WINDOW = 3 * QUANTUM


NBLOCKS = (PATTERN_FRAMES + MOD - 1) // MOD
INV = [pow(2 * b + 1, -1, MOD) for b in range(NBLOCKS)]


def pattern_value(k):
    b, j = divmod(k, MOD)
    return 4 * ((2 * b + 1) * j % MOD) - 32766


def frame_number(i1, i2):
    """Pattern frame number from two consecutive decoded values, or None."""
    s = (i2 - i1) % MOD
    b = (s - 1) // 2
    if s % 2 == 0 or b >= NBLOCKS:
        return None
    return b * MOD + i1 * INV[b] % MOD


def decode(v):
    q, r = divmod(v + 32766, 4)
    if r == 0:
        return q
    if r == 1:
        return q
    if r == 3:
        return (q + 1) % MOD
    return None         # r == 2: silence or garbage


def gen(dirname, tone_wav):
    for ch in "LR":
        a = array.array("h")
        for k in range(PATTERN_FRAMES):
            v = pattern_value(k)
            a.extend((v, 0) if ch == "L" else (0, v))
        with open(os.path.join(dirname, f"pattern-{ch}.raw"), "wb") as f:
            f.write(a.tobytes())
    # Demo tone for the guest: 440 Hz, 2 s.
    a = array.array("h")
    for k in range(2 * RATE):
        v = int(8000 * math.sin(2 * math.pi * 440 * k / RATE))
        a.extend((v, v))
    with open(os.path.join(dirname, "tone.raw"), "wb") as f:
        f.write(a.tobytes())
    # dom0's microphone: TONE_HZ at -6 dBFS peak, 120 s: dom0 replays it in a
    # loop, and a restart of pw-play under TCG leaves up to a second of
    # silence, which must not fall into the guest's 2 s recording.
    a = array.array("h")
    for k in range(120 * RATE):
        v = int(16384 * math.sin(2 * math.pi * TONE_HZ * k / RATE))
        a.extend((v, v))
    with wave.open(tone_wav, "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(a.tobytes())


# --- pattern tracking -----------------------------------------------------------

class Playthrough:
    def __init__(self, start):
        self.start = start      # recording frame where it was first seen
        self.end = start
        self.pos = 0            # next expected pattern frame
        self.missing = 0        # pattern frames that never arrived
        self.jumps = []         # (recording frame, pattern frames skipped)
        self.dropouts = []      # (recording frame, silent frames inserted)
        self.lost_at_start = 0
        self.complete = False
        self.stall = []         # what intact() let pass as a graph xrun

    def intact(self, holes=()):
        """Complete, no dropout, and every jump forward is a hole the recorder
        said it missed (holes: (recording frame, frames missed)).

        One exception, a graph xrun: under QEMU TCG the graph now and then
        skips a quantum of a playing guest and plays one silent a cycle
        later (PipeWire drops the cycle of a client that did not finish in
        time: dom0 stalls, both recorders then often miss cycles too), while
        the module served every cycle it was given. One such event per
        playthrough passes and is listed in self.stall: its defects lie
        within STALL_WINDOW frames (from a recorder hole just before them,
        if any), skip at most STALL_QUANTA quanta beyond that hole and insert
        at most STALL_QUANTA quanta of silence (docs/system-tests.md)."""
        def at_hole(t, n):
            return n > 0 and any(abs(g - t) <= 2 and n <= m for g, m in holes)

        self.stall = []
        jumps = [(t, n) for t, n in self.jumps if not at_hole(t, n)]
        if any(n <= 0 for _, n in jumps):
            return False
        times = [t for t, _ in jumps] + [t for t, _ in self.dropouts]
        if times:
            start = min(times)
            before = [(g, m) for g, m in holes if 0 <= start - g <= STALL_WINDOW]
            if before:
                start = min(g for g, _ in before)
            missed = sum(m for _, m in before)
            if (max(times) - start > STALL_WINDOW or
                    sum(n for _, n in jumps) > missed + STALL_QUANTA * QUANTUM or
                    sum(n for _, n in self.dropouts) > STALL_QUANTA * QUANTUM):
                return False
            self.stall = ["graph xrun" + (f" (the recorder missed {missed} frames at "
                                          f"{start / RATE:.3f} s: dom0 stalled)" if before else "") + ":"]
            self.stall += [f"jump@{t / RATE:.3f}s:{n:+d}" for t, n in jumps]
            self.stall += [f"dropout@{t / RATE:.3f}s:{n}" for t, n in self.dropouts]
        if not self.complete:
            self.stall = []     # only an intact playthrough has an excused xrun
        return self.complete

    def describe(self):
        s = (f"at {self.start / RATE:.2f}-{self.end / RATE:.2f} s of the recording: "
             f"{self.pos}/{PATTERN_FRAMES} frames, {'complete' if self.complete else 'TRUNCATED'}, "
             f"{len(self.jumps)} discontinuities ({self.missing} frames lost, "
             f"{self.lost_at_start} of them at the start), "
             f"{len(self.dropouts)} dropouts ({sum(d for _, d in self.dropouts)} silent frames inserted)")
        ex = [f"jump@{t / RATE:.3f}s:{n:+d}" for t, n in self.jumps[:5]]
        ex += [f"dropout@{t / RATE:.3f}s:{n}" for t, n in self.dropouts[:5]]
        return s + (" [" + " ".join(ex) + "]" if ex else "")


def track(samples, ch, nch=2):
    """Finds every playthrough of the pattern in one channel."""
    out, cur, silent_run = [], None, 0
    n = len(samples) // nch
    vals = samples[ch::nch]
    prev = decode(vals[0]) if n else None
    for k in range(n - 1):
        idx, nxt = prev, decode(vals[k + 1])
        prev = nxt
        f = frame_number(idx, nxt) if idx is not None and nxt is not None else None
        if f is None:
            # silence, or the last frame before a gap or block boundary
            if idx is None and cur is not None:
                silent_run += 1
                if silent_run > RATE:       # 1 s of nothing: the stream is gone
                    out.append(cur)
                    cur, silent_run = None, 0
            elif cur is not None and cur.pos < PATTERN_FRAMES and idx is not None:
                cur.pos += 1                # in sequence unless proven otherwise
                cur.end = k
                if cur.pos == PATTERN_FRAMES:
                    cur.complete = True
                    out.append(cur)
                    cur = None
            continue
        if cur is None or f < cur.pos:
            # A new playthrough (aplay restarted); its first f frames never arrived.
            if cur is not None:
                out.append(cur)
            cur, silent_run = Playthrough(k), 0
            if f:
                cur.jumps.append((k, f))
                cur.missing = f
                cur.lost_at_start = f
                cur.pos = f
        if silent_run:
            cur.dropouts.append((k - silent_run, silent_run))
            silent_run = 0
        if f != cur.pos:
            cur.jumps.append((k, f - cur.pos))
            if f > cur.pos:
                cur.missing += f - cur.pos
            cur.pos = f
        cur.pos += 1
        cur.end = k
        if cur.pos >= PATTERN_FRAMES:
            cur.complete = True
            out.append(cur)
            cur = None
    if cur is not None:
        out.append(cur)
    return out


def coverage(samples, ch, a, b, nch=2):
    """Fraction of frames [a, b) whose channel ch carries pattern data."""
    if b <= a:
        return 0.0
    ok = sum(1 for k in range(a, b) if decode(samples[k * nch + ch]) is not None)
    return ok / (b - a)


def goertzel_ratio(x, freq):
    """Share of the signal's energy at freq (0..1)."""
    w = 2 * math.pi * freq / RATE
    c = 2 * math.cos(w)
    s1 = s2 = 0.0
    for v in x:
        s1, s2 = v + c * s1 - s2, s1
    power = s1 * s1 + s2 * s2 - c * s1 * s2
    energy = sum(v * v for v in x)
    return (2 * power / len(x)) / energy if energy else 0.0


# --- evidence ----------------------------------------------------------------

def read(path, default=""):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return default


def tail(text, n):
    lines = [ln for ln in text.replace("\r", "").splitlines() if ln.strip()]
    return "\n".join(lines[-n:])


class Recording:
    """One recorder's raw S16 stereo file and the holes it noted itself."""

    def __init__(self, out, name):
        self.name = name
        try:
            with open(os.path.join(out, name), "rb") as f:
                raw = f.read()
        except OSError:
            raw = b""
        self.samples = array.array("h")
        self.samples.frombytes(raw[:len(raw) // 4 * 4])
        self.tracks = {ch: track(self.samples, i) for i, ch in enumerate("LR")}
        self.holes = []
        for line in read(os.path.join(out, name + ".gaps")).splitlines():
            w = line.split()
            if len(w) == 3 and w[0] == "gap" and int(w[2]) > 0:
                self.holes.append((int(w[1]), int(w[2])))

    def holes_near(self, p):
        n = [h for h in self.holes if p.start <= h[0] <= p.end + 2]
        return f" (recorder holes: {n[:5]})" if n else ""


class Judge:
    def __init__(self, out, res):
        self.out, self.res = out, res
        self.facts = {}
        for line in read(os.path.join(out, "facts")).splitlines():
            if "=" in line:
                k, v = line.split("=", 1)
                self.facts[k] = v.strip('"')
        # mark -> recording frame, one per recording (rec.raw, rec2.raw)
        self.timeline = {}
        for line in read(os.path.join(out, "timeline")).splitlines():
            p = line.split()
            if len(p) >= 3:
                self.timeline[p[0]] = [int(b) // 4 for b in p[2:]]   # bytes -> frames
        self.recs = [Recording(out, name) for name in ("rec.raw", "rec2.raw")]
        self.recs = [r for r in self.recs if r.samples] or self.recs[:1]
        # the first recording stands for "the recording" in reports
        self.rec, self.tracks = self.recs[0].samples, self.recs[0].tracks

    def console(self, guest):
        return read(os.path.join(self.out, f"guest-{guest}.log"))

    def debug(self, guests=(), extra=()):
        """The log lines needed to debug a failed check."""
        parts = []
        serial = read(os.path.join(self.res, "serial.log")).replace("\r", "")
        for ln in serial.splitlines():
            if re.match(r"dom0(-init)?: .*(FAIL|fatal|timeout)", ln):
                parts.append(ln)
        parts.append("--- facts ---\n" + read(os.path.join(self.out, "facts")).strip())
        parts.append("--- serial (Xen + dom0), last 25 lines ---\n" +
                     tail(read(os.path.join(self.res, "serial.log")), 25))
        for g in guests:
            c = re.sub(r"XSND-B64-BEGIN.*?XSND-B64-END", "[base64 elided]",
                       self.console(g), flags=re.S)
            parts.append(f"--- console of {g}, last 20 lines ---\n" + tail(c, 20))
        parts.append("--- module process log, last 25 lines ---\n" +
                     tail(read(os.path.join(self.out, "module.log")), 25))
        for name in extra:
            parts.append(f"--- {name} ---\n" + tail(read(os.path.join(self.out, name)), 25))
        return "\n".join(parts)

    def playthrough_after(self, ch, mark, i=0, nth=0):
        """The first (nth=0) or a later playthrough on ch that starts after the
        timeline mark, in recording i."""
        rec = self.recs[i]
        if mark not in self.timeline or len(self.timeline[mark]) <= i:
            return None, f"dom0 never reached '{mark}'"
        # dom0 marks a start when it sees the guest's console line, which
        # under TCG comes up to ~1.5 s after the guest began to play; the
        # playthrough before it on the same channel is always older than 3 s.
        t = self.timeline[mark][i] - 3 * RATE
        after = [p for p in rec.tracks[ch] if p.start >= t]
        if len(after) > nth:
            p = after[nth]
            return p, p.describe() + rec.holes_near(p)
        return None, (f"no playthrough of the pattern on channel {ch} after '{mark}' "
                      f"(recording: {len(rec.samples) // 2 / RATE:.1f} s)")

    def intact_after(self, ch, mark, nth=0):
        """(ok, playthrough, recording index, text): the playthrough after mark
        is intact in either recording; two recorders of the monitor do not
        fail together (docs/testing.md, "Reading the sink")."""
        first = None
        for i, rec in enumerate(self.recs):
            p, why = self.playthrough_after(ch, mark, i, nth)
            ok = p is not None and p.intact(rec.holes)
            text = f"{rec.name}: {why}"
            if ok and p.stall:
                text += "; intact but for a " + " ".join(p.stall)
            if ok:
                if first is not None:
                    text = f"{first[3]}; but {text}"
                return True, p, i, text
            if first is None:
                first = (False, p, i, text)
            else:
                first = (False, first[1], first[2], f"{first[3]}; {text}")
        return first

    def verdict(self, name, ok, lines, guests=(), extra=()):
        text = ("PASS" if ok else "FAIL") + f": {name}\n" + "\n".join(lines) + "\n"
        if not ok:
            text += self.debug(guests, extra) + "\n"
        with open(os.path.join(self.res, f"{name}.verdict"), "w") as f:
            f.write(text)

    def fact(self, key):
        return self.facts.get(key)

    def factn(self, key, default=-1):
        try:
            return int(self.facts.get(key, default))
        except ValueError:
            return default

    # --- checks ---
    def playback(self):
        intact, p, _, why = self.intact_after("L", "guest1-play-start")
        con = self.console("guest1")
        done = re.search(r"XSND play-done rc=(\d+)", con)
        lines = [f"guest1 aplay: {done.group(0) if done else 'never finished'}",
                 f"pattern on the null sink monitor: {why}"]
        ok = intact and done is not None and done.group(1) == "0"
        self.verdict("playback", ok, lines, ["guest1"])

    def capture(self):
        con = self.console("guest1").replace("\r", "")
        m = re.search(r"XSND-B64-BEGIN\n(.*?)XSND-B64-END", con, re.S)
        done = re.search(r"XSND cap-done rc=(\d+) bytes=(\d+)", con)
        lines = [f"guest1 arecord: {done.group(0) if done else 'never finished'}"]
        ok = False
        if m:
            try:
                data = base64.b64decode("".join(m.group(1).split()))
            except ValueError as e:
                data = b""
                lines.append(f"base64 from the console does not decode: {e}")
            a = array.array("h")
            a.frombytes(data[:len(data) // 4 * 4])
            left = [a[i] / 32768.0 for i in range(0, len(a), 2)]
            lines.append(f"{len(data)} bytes = {len(left) / RATE:.2f} s received over the console")
            # Skip the first 0.5 s: the stream starts cold.
            win = left[RATE // 2:]
            if len(win) >= RATE // 4:
                rms = math.sqrt(sum(v * v for v in win) / len(win))
                db = 20 * math.log10(rms) if rms > 0 else -200
                ratio = goertzel_ratio(win, TONE_HZ)
                zeros = sum(1 for v in win if v == 0)
                lines.append(f"after 0.5 s: level {db:.1f} dBFS (tone sent at -9.0), "
                             f"{100 * ratio:.1f}% of the energy at {TONE_HZ:.0f} Hz, "
                             f"{100 * zeros / len(win):.1f}% zero samples")
                ok = db > -15 and ratio > 0.9 and done is not None and done.group(1) == "0"
            else:
                lines.append("recording too short to analyse")
        else:
            lines.append("no base64 block on guest1's console")
        self.verdict("capture", ok, lines, ["guest1"], ["source-outputs-guest1-capturing.txt"])

    def identity(self):
        txt = read(os.path.join(self.out, "sink-inputs-guest1-playing.txt"))
        blocks = [b for b in re.split(r"\n(?=Sink Input #)", txt) if b.startswith("Sink Input")]
        # pavucontrol and pactl users see application.name as the owner.
        mine = [b for b in blocks if re.search(r'application\.name = "guest1"', b)]
        lines = [f"pactl list sink-inputs while guest1 plays: {len(blocks)} sink inputs, "
                 f'{len(mine)} with application.name = "guest1"']
        for b in mine[:2]:
            for ln in b.splitlines():
                if re.search(r"application\.name|media\.name|node\.name|node\.description|Client:", ln):
                    lines.append("  " + ln.strip())
        self.verdict("identity", bool(mine), lines, ["guest1"], ["sink-inputs-guest1-playing.txt"])

    def lifecycle(self):
        lines, ok = [], True

        def need(cond, text):
            nonlocal ok
            lines.append(("ok   " if cond else "FAIL ") + text)
            ok = ok and cond

        xl2 = read(os.path.join(self.out, "xl-guest2.log"))
        bad = [ln for ln in xl2.splitlines()
               if re.search(r"unable to remove|timed? ?out|Timeout", ln, re.I)]
        need(self.factn("reboot_rc") == 0, f"xl reboot guest2: rc={self.fact('reboot_rc')}")
        need(self.factn("reboot_new_domain_ms") >= 0,
             f"rebooted guest2 is a new domain after {self.fact('reboot_new_domain_ms')} ms "
             "(guest reboot + destroy + build under TCG)")
        need(self.fact("reboot_old_backend_gone") == "1", "old guest2 backend directory removed")
        need(not bad, "xl-guest2.log has no removal timeout" + (": " + bad[0].strip() if bad else ""))
        intact, p, _, why = self.intact_after("R", "guest2-reboot-play-start")
        need(intact, "rebooted guest2 plays again: " + why)

        det = read(os.path.join(self.out, "xl-vsnd-detach.txt")).strip()
        need(self.factn("detach_rc") == 0, f"xl vsnd-detach guest1 0: rc={self.fact('detach_rc')} {det[:200]}")
        need(0 <= self.factn("detach_ms") < 5000, f"detach took {self.fact('detach_ms')} ms (< 5000)")
        need(self.fact("detach_backend_gone") == "1", "backend directory removed after detach")
        need(self.fact("detach_node_before") == "1", "guest1 had a sink input before detach")
        need(self.fact("detach_node_gone") == "1", "guest1's sink input gone within 10 s of detach")
        need(self.fact("detach_pipewire_alive") == "1", "PipeWire alive after detach")

        des = read(os.path.join(self.out, "xl-destroy-guest2.txt")).strip()
        need(self.factn("destroy_rc") == 0, f"xl destroy guest2: rc={self.fact('destroy_rc')} {des[:200]}")
        need(0 <= self.factn("destroy_ms") < 5000, f"destroy took {self.fact('destroy_ms')} ms (< 5000)")
        need(self.fact("destroy_backend_gone") == "1", "backend directory removed after destroy")
        need(self.fact("destroy_node_before") == "1", "guest2 had a sink input before destroy")
        need(self.fact("destroy_node_gone") == "1", "guest2's sink input gone within 10 s of destroy")
        need(self.fact("destroy_pipewire_alive") == "1", "PipeWire alive after destroy")

        need(self.factn("create_guest3_rc") == 0, f"xl create guest3: rc={self.fact('create_guest3_rc')}")
        intact, p, _, why = self.intact_after("L", "guest3-play-start")
        need(intact, "new domU guest3 plays: " + why)
        # aplay A A: a second hw_params (alsa-lib: CLOSE, then OPEN)
        done = re.findall(r"XSND play2-done (rc=\S+)", self.console("guest3"))
        need(done == ["rc=0"], f"guest3's aplay of two files: {done or 'no play2-done line'}")
        opens = read(os.path.join(self.out, "module.log")).count("xen-snd.guest3.0.0.0: open ")
        need(opens == 2, f"the module opened guest3's stream {opens} times (2 expected)")
        intact, p, _, why = self.intact_after("L", "guest3-play-start", 1)
        need(intact, "guest3's second file plays: " + why)
        need(self.fact("pipewire_alive_at_end") == "1", "PipeWire alive at the end")
        need(self.fact("module_process_alive_at_end") != "0", "xen-snd process alive at the end")
        self.verdict("lifecycle", ok, lines, ["guest1", "guest2", "guest3"],
                     ["xl-guest2.log", "xl-vsnd-detach.txt", "xl-destroy-guest2.txt"])

    def two_domus(self):
        """guest2's playthrough and guest1's loop during it are intact, in
        one recording, and they played together for at least a second.
        guest1 re-opens the PCM between loops (under TCG WirePlumber links
        each new node up to a second late), so how much of guest2's
        playthrough it covers is reported, not judged."""
        lines, ok = [], False
        for i, rec in enumerate(self.recs):
            p, why = self.playthrough_after("R", "guest2-play-start", i)
            lines.append(f"guest2 (right channel): {rec.name}: {why}")
            if p is None:
                continue
            lp = [q for q in rec.tracks["L"] if q.end > p.start and q.start < p.end]
            together = sum(min(q.end, p.end) - max(q.start, p.start) for q in lp)
            good = all([q.intact(rec.holes) for q in lp])    # each sets q.stall
            lines.append(f"  guest1 (left channel) meanwhile: pattern in "
                         f"{100 * coverage(rec.samples, 0, p.start, p.end):.1f}% of the "
                         f"frames, {len(lp)} playthroughs overlapping for "
                         f"{together / RATE:.2f} s, {'all' if good else 'not all'} intact")
            for q in lp:
                note = "; intact but for a " + " ".join(q.stall) if q.stall else ""
                lines.append("    guest1 " + q.describe() + rec.holes_near(q) + note)
            p_ok = p.intact(rec.holes)
            if p_ok and p.stall:
                lines.append("  guest2 intact but for a " + " ".join(p.stall))
            if p_ok and good and together >= RATE:
                ok = True
                break
        self.verdict("two-domus", ok, lines, ["guest1", "guest2"])


def judge(out, res):
    os.makedirs(res, exist_ok=True)
    j = Judge(out, res)
    for check in (j.playback, j.capture, j.identity, j.lifecycle, j.two_domus):
        try:
            check()
        except Exception as e:     # a bug here must not hide the other verdicts
            j.verdict(check.__name__.replace("_", "-"), False, [f"analysis error: {e!r}"])
    with open(os.path.join(res, "tracks.txt"), "w") as f:
        for rec in j.recs:
            for ch, ps in rec.tracks.items():
                for p in ps:
                    f.write(f"{rec.name} {ch} {p.describe()}{rec.holes_near(p)}\n")


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "gen":
        gen(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 4 and sys.argv[1] == "judge":
        judge(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
