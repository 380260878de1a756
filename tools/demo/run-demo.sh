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

# A short tune: C5 E5 G5 C6 G5 C6, 0.8 s each, 44.1 kHz like a typical
# desktop player in the guest (the graph runs at 48 kHz).
python3 - "$T/tune.wav" <<-'EOF' || die "cannot write the tune"
	import math, sys, wave, array
	rate, notes = 44100, [523.25, 659.25, 783.99, 1046.5, 783.99, 1046.5]
	out = array.array("h")
	for f in notes:
	    n = int(0.8 * rate)
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
	--seconds 4.8 --trace "$T/trace.csv" || die "cannot start the guest"
NODE="xen-snd.$VM.*"
pws_wait_node "$NODE" 15 || { guest_stop vm1; die "no node for the VM appeared (module log: $(pws_log_hint))"; }

# Snapshot the host's view at once: the tune lasts only a few seconds.
pws_sink_inputs >"$T/sink-inputs.json"
pws_dump >"$T/pw-dump.json"
pws_run pw-link -l >"$T/links.txt"

say "What the host sees while the VM plays"
python3 - "$T/sink-inputs.json" "$T/pw-dump.json" <<-'EOF'
	import json, sys
	print("-- pactl list sink-inputs (the VM's stream):")
	for it in json.load(open(sys.argv[1])):
	    p = it.get("properties", {})
	    if not str(p.get("node.name", "")).startswith("xen-snd."):
	        continue
	    vol = next(iter(it.get("volume", {}).values()), {}).get("value_percent")
	    print(f"  Sink Input #{it['index']}: client {p.get('application.name')!r}, "
	          f"media.name {p.get('media.name')!r}, volume {vol}")
	text, dec, pos, dump = open(sys.argv[2]).read(), json.JSONDecoder(), 0, []
	while pos < len(text):
	    if text[pos].isspace():
	        pos += 1
	        continue
	    v, pos = dec.raw_decode(text, pos)
	    dump.extend(v)
	objs = {o["id"]: o for o in dump}
	print("-- pw-dump (the VM's node and its client):")
	for o in dump:
	    props = (o.get("info") or {}).get("props") or {}
	    if o.get("type") != "PipeWire:Interface:Node" or not str(props.get("node.name", "")).startswith("xen-snd."):
	        continue
	    print(f"  node {o['id']} ({o['info'].get('state')}):")
	    for k in sorted(props):
	        if k.startswith(("node.", "media.", "application.", "xen.", "client.id", "object.serial")):
	            v = props[k]
	            print(f"    {k} = {v if isinstance(v, str) else json.dumps(v)}")
	    c = objs.get(props.get("client.id"))
	    if c:
	        cp = c["info"]["props"]
	        print(f"  client {c['id']}: application.name = {cp.get('application.name')!r}, "
	              f"pid {cp.get('application.process.id')}")
	EOF
echo "-- links:"
grep -A1 "^xen-snd\." "$T/links.txt" | sed "s/^/  /" | grep . || echo "  (not linked yet at the snapshot)"

guest_wait vm1 60 || die "the guest failed (log: $T/guest-vm1.log)"
pws_record_stop

say "What the guest saw (its statistics and position trace)"
guest_stats_summary vm1
guest_trace_summary "$T/trace.csv" 44100

say "What reached the sink: $OUT"
cp "$T/sink.wav" "$OUT"
an level "$OUT"
echo "notes (0.2 s windows with sound):"
an notes "$OUT" --window 0.2 >"$T/notes.json"
python3 - "$T/notes.json" <<-'EOF' || die "the tune did not arrive intact"
	import json, sys
	rows = [r for r in json.load(open(sys.argv[1])) if r["level_db"] > -40]
	print("  " + "  ".join("%.0fHz" % r["freq"] for r in rows))
	want = [523, 659, 784, 1047, 784, 1047]
	heard = []
	for r in rows:
	    f = min(want, key=lambda w: abs(w - r["freq"]))
	    if abs(f - r["freq"]) < 5 and (not heard or heard[-1] != f):
	        heard.append(f)
	print("  notes heard:", heard, "(expected", want, ")")
	sys.exit(0 if heard == want else 1)
	EOF
say "Demo OK"
