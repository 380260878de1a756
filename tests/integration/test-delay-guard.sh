#!/bin/bash
# SPDX-License-Identifier: MIT
# Guard: the playback delay an UNMODIFIED guest gets from snd_pcm_delay()
# (appl_ptr - hw_ptr, no protocol extension) is the real time until its
# frames are rendered at the sink, within 5 ms, at quantum 1024.
# The guest plays markers and records, per marker, the delay it was told;
# bench/xsnd-marks times the markers at the sink's monitor with the
# graph's clock. The benchmark (make bench) holds the real 1 ms bar; this
# is loose enough for a loaded CI machine.
. "$(dirname "$0")/common.sh"
guest_check_built "$XT_BUILD" || fail "guest simulator missing"
MARKS=$XT_BUILD/bench/xsnd-marks
[ -x "$MARKS" ] || fail "not built: $MARKS"
XT_MODULE_ARGS="node.latency=1024/48000" xt_start_stack
T=$PWS_DIR

step "marker playback at quantum 1024, 48 kHz guest"
pws_spawn marks "$MARKS" --monitor "$PWS_SINK" --out "$T/edges.csv"
MP=$PWS_LAST_PID
poll_or_fail 10 "monitor capture not running" pws_wait_running xsnd-bench-monitor 1
pws_run "$GUEST_BIN" --control "$PWS_SIM_DIR/control" --quiet --stats "$T/guest.json" --trace "$T/trace.csv" \
	--vm 1 --name guard --vsnd "['CARD, sample-rates=48000', 'PCM, name=Main', 'STREAM, type=p']" \
	--play source=marker,mark-every=50,rate=48000,period=1024,buffer=4096,duration=6 >"$T/guest.log" 2>&1 ||
	fail "guest failed: $(tail -3 "$T/guest.log")"
pws_kill "$MP" INT
check_alive

step "delay told vs. delay measured"
res=$(python3 "$XT_SRC/bench/delay-analyze.py" play "$T/trace.csv" "$T/edges.csv" 50) ||
	fail "no marker could be paired: $res"
echo "$res"
python3 - "$res" <<'EOF' || fail "playback delay off by more than 5 ms: $res (data: $T)"
import json, sys
r = json.loads(sys.argv[1])
total = r["n"] + r["unpaired"]
# 100 markers are written while running; most must pair and be within 5 ms
if total < 80:
    sys.exit(f"only {total} markers written while running")
if r["unpaired"] > total // 10:
    sys.exit(f"{r['unpaired']} of {total} markers not found within 25 ms")
if abs(r["p50"]) > 5.0 or r["p90"] > 5.0:
    sys.exit(f"median error {r['p50']:.2f} ms, 90% within {r['p90']:.2f} ms")
EOF
ok "delay guard (median error $(jq -r .p50 <<<"$res") ms, 90% within $(jq -r .p90 <<<"$res") ms)"
