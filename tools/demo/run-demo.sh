#!/bin/bash
# SPDX-License-Identifier: MIT
#
# One simulated VM playing a short tune through libpipewire-module-xen-snd.
#
#   tools/demo/run-demo.sh [--use-running] [--keep] BUILD_DIR     (make demo)
#
# Default: a private headless PipeWire + WirePlumber + pipewire-pulse stack
# (tests/lib/pw-stack.sh) with the module loaded into the daemon.
# --use-running: the user's running PipeWire session instead; the module then
# runs in its own `pipewire -c xen-snd.conf` process connected to it, and the
# tune is audible on the default sink.
#
# Prints what the host sees (the VM's client and node as pactl and pw-dump
# show them, the guest's positions and delays), writes what reached the sink
# to a WAV file and summarizes it. Exit status 0 only if the tune arrived.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
RUNNING=0
KEEP=0
while [ $# -gt 0 ]; do
	case $1 in
	--use-running) RUNNING=1 ;;
	--keep) KEEP=1 ;;
	-h|--help) sed -n '3,16p' "$0"; exit 0 ;;
	-*) echo "run-demo: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
	shift
done
BUILD=$(cd "${1:-build}" 2>/dev/null && pwd) || { echo "run-demo: no build dir ${1:-build}" >&2; exit 1; }

. "$SRC/tests/lib/pw-stack.sh"
. "$SRC/tests/lib/guest.sh"
an() { python3 "$PWS_ANALYZE" "$@"; }
die() { echo "run-demo: FAILED: $*" >&2; exit 1; }
say() { printf '\n\033[1m%s\033[0m\n' "$*"; }

MODULE=$BUILD/src/module-xen-snd/libpipewire-module-xen-snd.so
[ -f "$MODULE" ] || die "the module is not built ($MODULE); run 'ninja -C $BUILD' first"
guest_check_built "$BUILD" || die "the guest simulator is not built"

VM=demo-vm
OUT=$BUILD/demo-output.wav
if [ $RUNNING = 1 ]; then
	say "Using the running PipeWire session; the module runs in 'pipewire -c xen-snd.conf'"
	pws_attach_running --build "$BUILD" || die "cannot use the running session"
else
	say "Starting a private PipeWire 0.3.65 + WirePlumber + pipewire-pulse stack, the Xen simulator and the module"
	pws_start --build "$BUILD" --sim --module "xen.domid=0" || die "cannot start the stack"
fi
T=$PWS_DIR
[ $KEEP = 1 ] && PWS_KEEP=1

# A short tune: C5 E5 G5 C6 G5 C6, 0.4 s each, 44.1 kHz like a typical
# desktop player in the guest (the graph runs at 48 kHz).
python3 - "$T/tune.wav" <<-'EOF' || die "cannot write the tune"
	import math, sys, wave, array
	rate, notes = 44100, [523.25, 659.25, 783.99, 1046.5, 783.99, 1046.5]
	out = array.array("h")
	for f in notes:
	    n = int(0.4 * rate)
	    for i in range(n):
	        env = min(1.0, i / 441, (n - i) / 441)      # 10 ms fades, no clicks
	        v = int(12000 * env * math.sin(2 * math.pi * f * i / rate))
	        out.extend((v, v))
	w = wave.open(sys.argv[1], "wb"); w.setnchannels(2); w.setsampwidth(2); w.setframerate(rate)
	w.writeframes(out.tobytes()); w.close()
EOF

pws_record_sink "$T/sink.wav" || die "cannot record the sink"

say "Guest '$VM' (domain 1) plays tune.wav (44.1 kHz S16 stereo) on its vsnd card"
guest_start vm1 --domid 1 --name "$VM" --play-wav "$T/tune.wav" --rate 44100 --format s16_le --channels 2 \
	--seconds 2.4 --trace "$T/trace.csv" || die "cannot start the guest"
NODE="xen-snd.$VM.*"
pws_wait_node "$NODE" 15 || { guest_stop vm1; die "no node for the VM appeared (module log: $(pws_log_hint))"; }

say "What the host sees while the VM plays"
echo "-- pactl list sink-inputs (the VM's stream):"
pws_sink_inputs | python3 -c '
import json, sys
for it in json.load(sys.stdin):
    p = it.get("properties", {})
    if not str(p.get("node.name", "")).startswith("xen-snd."):
        continue
    print(f"  Sink Input #{it[\"index\"]}: client \"{p.get(\"application.name\")}\", "
          f"media.name \"{p.get(\"media.name\")}\", volume {it[\"volume\"][next(iter(it[\"volume\"]))][\"value_percent\"]}")
    for k in sorted(p):
        if k.startswith(("xen.", "node.name", "application.", "media.class", "node.always")):
            print(f"    {k} = {p[k]}")'
echo "-- pw-dump (the VM's node):"
pws_q props "$NODE" | grep -E '"(node.name|media.name|media.class|application.name|xen\.[a-z.-]+|node.always-process|client.id)"' | sed 's/^/  /'
echo "-- links:"
pws_run pw-link -l | grep -A1 "^xen-snd\." | sed 's/^/  /'

guest_wait vm1 30 || die "the guest failed (log: $T/guest-vm1.log)"
pws_record_stop

say "What the guest saw (its statistics and position trace)"
guest_stats_summary vm1
guest_trace_summary "$T/trace.csv" 44100

say "What reached the sink: $OUT"
cp "$T/sink.wav" "$OUT"
an level "$OUT"
echo "notes (0.2 s windows with sound):"
an notes "$OUT" --window 0.2 | python3 -c '
import json, sys
rows = [r for r in json.load(sys.stdin) if r["level_db"] > -40]
print("  " + "  ".join(f"{r[\"freq\"]:.0f}Hz" for r in rows))
want = [523, 659, 784, 1047, 784, 1047]
heard = []
for r in rows:
    f = min(want, key=lambda w: abs(w - r["freq"]))
    if abs(f - r["freq"]) < 5 and (not heard or heard[-1] != f):
        heard.append(f)
print("  notes heard:", heard)
sys.exit(0 if heard == want else 1)' || die "the tune did not arrive intact"
say "Demo OK"
