#!/bin/bash
# SPDX-License-Identifier: MIT
#
# xen-snd benchmarks (make bench): ./bench/run-bench.sh BUILD_DIR
#
# Each phase starts a private PipeWire stack with the Xen simulator
# (tests/lib/pw-stack.sh), serves guests of the guest simulator either
# with the module or with the relay baseline (bench/relay), and prints
# `key=value` lines; a table with the targets (PASS/MISS) comes at the end.
# See docs/performance.md for what each figure means.
#
# BENCH_QUICK=1 shortens every run (for trying the script, not for figures).
# BENCH_ONLY="delay answer cpu streams heap" runs a subset; BENCH_LOAD_N and
# BENCH_LOAD_WHO narrow the load runs; BENCH_TRACE=1 keeps the guests' --trace.
set -u
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd) || exit 1
# shellcheck source=tests/lib/pw-stack.sh disable=SC1091
. "$SRC/tests/lib/pw-stack.sh"

GUEST=$BUILD/tools/vsnd-guest/vsnd-guest
MARKS=$BUILD/bench/xsnd-marks
RELAY=$BUILD/bench/xsnd-relay
ANALYZE=$SRC/bench/delay-analyze.py
STATS=$SRC/bench/bench-stats.py
ONLY=${BENCH_ONLY:-delay answer cpu streams heap}
Q=${BENCH_QUICK:-0}
T_DELAY=$([ "$Q" = 1 ] && echo 3 || echo 8)		# s per delay run
T_LOAD=$([ "$Q" = 1 ] && echo 5 || echo 20)		# s per answer/CPU run
T_SEARCH=$([ "$Q" = 1 ] && echo 5 || echo 12)		# s per max-streams probe
T_CONFIRM=$([ "$Q" = 1 ] && echo 10 || echo 60)		# s of the confirming run
MARK_MS=50
# Stream options of the load runs: aplay's default buffer for 48 kHz S16
# stereo on a vsnd card (64 KiB, 341 ms). Linux 6.1 guests give up after 1.1
# buffer times without a position (at least 100 ms); the simulator's 85 ms
# default would leave them 100 ms, less than this machine's scheduling tail
# with 32 streams.
LOAD_OPTS=",buffer=16384"
OUT=$(mktemp -d "${TMPDIR:-/tmp}/xen-snd-bench.XXXXXX")
RESULTS=$OUT/results

die() { echo "bench: FAIL: $*" >&2; exit 1; }
say() { echo "== bench: $*" >&2; }
# res KEY VALUE: one result line, printed and kept for the table.
res() { echo "$1=$2"; echo "$1=$2" >>"$RESULTS"; }

for b in "$GUEST" "$MARKS" "$RELAY" "$BUILD/src/module-xen-snd/libpipewire-module-xen-snd.so"; do
	[ -e "$b" ] || die "not built: $b (run: ninja -C $BUILD)"
done
pws_need jq python3 || exit 1

# stack MODULE_ARGS|"": a fresh private stack; "" = no module (relay runs).
# Capture streams of the load runs record from our own marker source: the
# stack's audiotestsrc runs out of buffers with several consumers.
MIC=xsnd-bench-mic
stack() {
	pws_stop 2>/dev/null
	if [ -n "$1" ]; then
		pws_start --build "$BUILD" --sim --no-pulse --module "xen.domid=0 $1" || die "stack"
	else
		pws_start --build "$BUILD" --sim --no-pulse || die "stack"
	fi
}
# mic: starts the shared marker source for the load runs.
mic() {
	pws_spawn mic "$MARKS" --inject "$MIC" --out /dev/null
	pws_wait_node "$MIC" 10 || die "marker source did not start"
}

# vsnd specs: VM with NP playback and NC capture streams (each <= 8), and the
# matching --play/--record options.
# guest_args ARRAYNAME N_STREAMS SECONDS STREAMOPTS FIRST_DOMID: half playback,
# half capture, 8 + 8 per VM.
guest_args() {
	local -n _a=$1
	local n=$2 secs=$3 opts=$4 dom=$5 np nc i items
	local left=$n
	while [ "$left" -gt 0 ]; do
		local take=$((left > 16 ? 16 : left))
		np=$(((take + 1) / 2)); nc=$((take - np))
		items="'CARD, sample-rates=44100;48000, sample-formats=s16_le', 'PCM, name=P'"
		for ((i = 0; i < np; i++)); do items+=", 'STREAM, type=p'"; done
		[ "$nc" -gt 0 ] && items+=", 'PCM, name=C'"
		for ((i = 0; i < nc; i++)); do items+=", 'STREAM, unique-id=target:$MIC, type=c'"; done
		_a+=(--vm "$dom" --name "vm$dom" --vsnd "[$items]")
		for ((i = 0; i < np; i++)); do _a+=(--play "source=tone,sub=$i,duration=$secs$opts"); done
		for ((i = 0; i < nc; i++)); do _a+=(--record "source=silence,pcm=1,sub=$i,duration=$secs$opts"); done
		left=$((left - take)); dom=$((dom + 1))
	done
}

# run_guests TAG N SECONDS [STREAMOPTS]: N streams in as many vsnd-guest
# processes as needed (16 VMs each); waits; stats in $OUT/TAG-*.json.
run_guests() {
	local tag=$1 n=$2 secs=$3 opts=${4:-} left=$2 p=0 pids=() rc=0
	while [ "$left" -gt 0 ]; do
		local take=$((left > 256 ? 256 : left)) args=()
		guest_args args "$take" "$secs" "$opts" $((1 + p * 16))
		pws_run timeout $((secs * 2 + 60)) "$GUEST" --control "$PWS_SIM_DIR/control" --quiet \
			--stats "$OUT/$tag-$p.json" ${BENCH_TRACE:+--trace "$OUT/$tag-$p.csv"} \
			"${args[@]}" >"$OUT/$tag-$p.log" 2>&1 &
		pids+=($!)
		left=$((left - take)); p=$((p + 1))
	done
	for pid in "${pids[@]}"; do wait "$pid" || rc=1; done
	return $rc
}

ticks=$(python3 "$STATS" ticks)
cpu_ms() { echo $(( $(python3 "$STATS" cpu "$1") * 1000 / ticks )); }

# ---- host timing self-check and delay error ----------------------------

# delay_play TAG RATE [VMOPT]: guest marker playback, the sink's monitor
# times it. VMOPT=--delay-report: the guest negotiates the delay extension.
delay_play() {
	local tag=$1 rate=$2 vmopt=${3:-} mp
	pws_spawn "marks-$tag" "$MARKS" --monitor xen-test-sink --out "$OUT/$tag-edges.csv"
	mp=$PWS_LAST_PID
	pws_wait_running xsnd-bench-monitor 10 || die "monitor capture did not start"
	pws_run "$GUEST" --control "$PWS_SIM_DIR/control" --quiet --stats "$OUT/$tag.json" --trace "$OUT/$tag.csv" \
		--vm 1 --name bench ${vmopt:+"$vmopt"} --vsnd "['CARD, sample-rates=44100;48000', 'PCM, name=Main', 'STREAM, type=p']" \
		--play "source=marker,mark-every=$MARK_MS,rate=$rate,duration=$T_DELAY" >"$OUT/$tag.log" 2>&1 ||
		die "$tag: guest failed: $(tail -3 "$OUT/$tag.log")"
	pws_kill "$mp" INT
	python3 "$ANALYZE" play "$OUT/$tag.csv" "$OUT/$tag-edges.csv" "$MARK_MS" >"$OUT/$tag.res" ||
		die "$tag: no markers paired ($(cat "$OUT/$tag.res"))"
}

# delay_cap TAG RATE [VMOPT]: markers from a source node, the guest records them.
delay_cap() {
	local tag=$1 rate=$2 vmopt=${3:-} mp
	pws_spawn "marks-$tag" "$MARKS" --inject xsnd-bench-markers --every "$MARK_MS" --out "$OUT/$tag-edges.csv"
	mp=$PWS_LAST_PID
	pws_wait_node xsnd-bench-markers 10 || die "marker source did not start"
	pws_run "$GUEST" --control "$PWS_SIM_DIR/control" --quiet --stats "$OUT/$tag.json" --trace "$OUT/$tag.csv" \
		--vm 2 --name benchc ${vmopt:+"$vmopt"} \
		--vsnd "['CARD, sample-rates=44100;48000', 'PCM, name=Main', 'STREAM, unique-id=target:xsnd-bench-markers, type=c']" \
		--record "source=marker,rate=$rate,duration=$T_DELAY" >"$OUT/$tag.log" 2>&1 ||
		die "$tag: guest failed: $(tail -3 "$OUT/$tag.log")"
	pws_kill "$mp" INT
	python3 "$ANALYZE" cap "$OUT/$tag.csv" "$OUT/$tag-edges.csv" "$MARK_MS" >"$OUT/$tag.res" ||
		die "$tag: no markers paired ($(cat "$OUT/$tag.res"))"
}

jqr() { jq -r "$1" "$2"; }
ms() { printf '%.3f' "$1"; }

if [[ " $ONLY " == *" delay "* ]]; then
	for q in 256 1024; do
		stack "node.latency=$q/48000"
		if [ $q = 256 ]; then
			say "host timing self-check: a client stream into the sink, timed by PipeWire and by the monitor"
			pws_spawn calib-mon "$MARKS" --monitor xen-test-sink --out "$OUT/calib-mon.csv"
			cm=$PWS_LAST_PID
			pws_spawn calib-inj "$MARKS" --inject xsnd-bench-calib --out "$OUT/calib-inj.csv"
			ci=$PWS_LAST_PID
			pws_wait_node xsnd-bench-calib 10 || die "calibration source"
			for ch in FL FR; do
				pws_poll 10 pws_run pw-link "xsnd-bench-calib:capture_$ch" "xen-test-sink:playback_$ch" ||
					die "calibration link"
			done
			sleep 3
			pws_kill "$ci" INT; pws_kill "$cm" INT
			# the injector's PLAY_NS column is PipeWire's own prediction
			awk -F, '{print "edge," $5}' "$OUT/calib-inj.csv" >"$OUT/calib-pred.csv"
			python3 - "$OUT/calib-pred.csv" "$OUT/calib-mon.csv" >"$OUT/calib.res" <<-'EOF' || die "calibration"
			import sys
			a = [int(l.split(",")[1]) for l in open(sys.argv[1]) if l.strip()]
			b = [int(l.split(",")[1]) for l in open(sys.argv[2]) if l.strip()]
			d = [min((abs(y - x), y - x) for y in b)[1] / 1e6 for x in a if b]
			d = [x for x in d if abs(x) < 50]
			if not d:
			    sys.exit("no pairs")
			print(max(abs(x) for x in d))
			EOF
			res host_calib_err_ms "$(ms "$(cat "$OUT/calib.res")")"
		fi
		# unmodified guest (plain sndif: playback only, the position lags),
		# then a guest that negotiates the delay extension ("ext": both ways)
		for rate in 48000 44100; do
			r=q${q}_${rate}
			say "playback delay, unmodified guest, quantum $q, guest at $rate Hz"
			delay_play "play-$r" $rate
			res "delay_err_play_p50_ms_$r" "$(ms "$(jqr .p50 "$OUT/play-$r.res")")"
			res "delay_err_play_p99_ms_$r" "$(ms "$(jqr .p99 "$OUT/play-$r.res")")"
			echo "# play $r: $(cat "$OUT/play-$r.res")"
			say "playback and capture delay, delay extension, quantum $q, guest at $rate Hz"
			delay_play "play-ext-$r" $rate --delay-report
			delay_cap "cap-ext-$r" $rate --delay-report
			delay_cap "cap-$r" $rate
			res "delay_err_play_p50_ms_ext_$r" "$(ms "$(jqr .p50 "$OUT/play-ext-$r.res")")"
			res "delay_err_play_p99_ms_ext_$r" "$(ms "$(jqr .p99 "$OUT/play-ext-$r.res")")"
			res "delay_err_cap_p50_ms_ext_$r" "$(ms "$(jqr .p50 "$OUT/cap-ext-$r.res")")"
			res "delay_err_cap_p99_ms_ext_$r" "$(ms "$(jqr .p99 "$OUT/cap-ext-$r.res")")"
			res "delay_err_cap_p99_ms_noext_$r" "$(ms "$(jqr .p99 "$OUT/cap-$r.res")")"
			echo "# play ext $r: $(cat "$OUT/play-ext-$r.res")"
			echo "# cap ext $r: $(cat "$OUT/cap-ext-$r.res")"
			echo "# cap without extension $r: $(cat "$OUT/cap-$r.res")"
		done
	done
fi

# ---- answer times, CPU against the relay, heap ---------------------------

# load_run WHO N: N streams for T_LOAD s, served by WHO (module|relay);
# sets LOAD_CPU_MS (daemon + relay) and writes the answer figures.
load_run() {
	local who=$1 n=$2 c0 c1 r0=0 r1=0 rp=""
	if [ "$who" = module ]; then
		stack "node.latency=256/48000"
		mic
	else
		stack ""
		mic
		pws_spawn relay "$RELAY" --control "$PWS_SIM_DIR/control" --latency 256/48000 \
			--capture-target "$MIC" --report "$OUT/relay-$n.json"
		rp=$PWS_LAST_PID
		sleep 0.5
	fi
	sleep 1
	c0=$(cpu_ms "$PWS_PID_PIPEWIRE"); [ -n "$rp" ] && r0=$(cpu_ms "$rp")
	ANON0=$(python3 "$STATS" anon "$PWS_PID_PIPEWIRE")
	run_guests "$who-$n" "$n" "$T_LOAD" "$LOAD_OPTS" &
	local gp=$!
	sleep $((T_LOAD / 2 + 1))
	ANON1=$(python3 "$STATS" anon "$PWS_PID_PIPEWIRE")
	wait $gp || echo "# WARNING: $who, $n streams: guests failed: $(sort "$OUT/$who-$n"-*.log | uniq -c | sort -rn | head -3 | tr '\n' ';')"
	c1=$(cpu_ms "$PWS_PID_PIPEWIRE"); [ -n "$rp" ] && r1=$(cpu_ms "$rp")
	[ -n "$rp" ] && pws_kill "$rp" INT
	LOAD_DAEMON_MS=$((c1 - c0)); LOAD_RELAY_MS=$((r1 - r0))
	LOAD_CPU_MS=$((LOAD_DAEMON_MS + LOAD_RELAY_MS))
	python3 "$STATS" check "$OUT/$who-$n"-*.json >"$OUT/$who-$n.check" ||
		echo "# WARNING: $who, $n streams: $(cat "$OUT/$who-$n.check")"
}

idle_run() {
	stack "node.latency=256/48000"
	mic
	local c0 c1
	sleep 1
	c0=$(cpu_ms "$PWS_PID_PIPEWIRE"); sleep "$T_LOAD"; c1=$(cpu_ms "$PWS_PID_PIPEWIRE")
	IDLE_MS=$((c1 - c0))
}

if [[ " $ONLY " == *" answer "* || " $ONLY " == *" cpu "* || " $ONLY " == *" heap "* ]]; then
	idle_run
	echo "# idle daemon (null sink at quantum 256, no guests): $IDLE_MS ms CPU in $T_LOAD s"
	for n in ${BENCH_LOAD_N:-1 32}; do
		for who in ${BENCH_LOAD_WHO:-module relay}; do
			say "$who: $n streams for $T_LOAD s"
			load_run "$who" "$n"
			read -r a50 a99 amax _ < <(python3 "$STATS" answer "$OUT/$who-$n"-*.json 2>/dev/null |
				tr ' ' '\n' | cut -d= -f2 | tr '\n' ' ')
			a50=${a50:-n/a} a99=${a99:-n/a} amax=${amax:-n/a}
			sfx=${n}s; [ "$who" = relay ] && sfx=${n}s_relay
			res "answer_us_p50_$sfx" "$a50"; res "answer_us_p99_$sfx" "$a99"; res "answer_us_max_$sfx" "$amax"
			res "cpu_ms_${sfx}" "$LOAD_CPU_MS"
			echo "# $who $n streams: daemon $LOAD_DAEMON_MS ms, relay $LOAD_RELAY_MS ms CPU in $T_LOAD s; $(cat "$OUT/$who-$n.check")"
			if [ "$who" = module ] && [ "$n" = 32 ]; then
				res heap_kib_per_stream $(( (ANON1 - ANON0) / n ))
				echo "# daemon anonymous memory: $ANON0 KiB idle, $ANON1 KiB with $n streams"
			fi
			eval "CPU_${who}_$n=$LOAD_CPU_MS"
		done
	done
	# per guest stream, above the idle graph
	# shellcheck disable=SC2154
	[ -n "${CPU_module_32:-}" ] && [ -n "${CPU_relay_32:-}" ] &&
		res cpu_ratio_vs_relay "$(python3 -c "m=$CPU_module_32-$IDLE_MS; r=$CPU_relay_32-$IDLE_MS; print(f'{m/r:.3f}' if r > 0 else 'nan')")"
fi

# ---- most streams at quantum 256 without xruns --------------------------

# probe N SECONDS: 0 if N streams run SECONDS s without xruns or failures.
probe() {
	stack "node.latency=256/48000"
	mic
	run_guests "max-$1-$2" "$1" "$2" "$LOAD_OPTS" >/dev/null 2>&1
	python3 "$STATS" check "$OUT/max-$1-$2"-*.json >"$OUT/max-$1-$2.check" 2>&1
	local rc=$?
	echo "# probe $1 streams, $2 s: $(cat "$OUT/max-$1-$2.check")"
	return $rc
}

if [[ " $ONLY " == *" streams "* ]]; then
	say "max streams at quantum 256: search with $T_SEARCH s runs"
	good=0 bad=0 n=8
	while :; do
		if probe $n "$T_SEARCH"; then good=$n; n=$((n * 2)); else bad=$n; break; fi
		[ $n -gt 512 ] && break
	done
	while [ $bad -gt 0 ] && [ $((bad - good)) -gt 8 ]; do
		n=$(((good + bad) / 2 / 2 * 2))
		if probe $n "$T_SEARCH"; then good=$n; else bad=$n; fi
	done
	# confirm; step down until a full-length run is clean
	while [ $good -gt 0 ]; do
		say "max streams: confirming $good streams for $T_CONFIRM s"
		probe $good "$T_CONFIRM" && break
		good=$((good - 8))
	done
	res max_streams_q256 $good
fi
pws_stop 2>/dev/null

# ---- table ---------------------------------------------------------------
python3 - "$RESULTS" <<'EOF'
import sys
r = dict(l.strip().split("=", 1) for l in open(sys.argv[1]) if "=" in l)
def num(k):
    try:
        return float(r[k])
    except (KeyError, ValueError):
        return None
# the headline figures: the worst case over quanta and rates; answer times at 32 streams
def worst(prefix, signed=False):
    vals = [num(k) for k in r if k.startswith(prefix) and num(k) is not None]
    return max(vals, key=abs) if vals else None
derived = {
    "delay_err_play_p50_ms": worst("delay_err_play_p50_ms_"),
    "delay_err_play_p99_ms": worst("delay_err_play_p99_ms_"),
    "delay_err_cap_p99_ms": worst("delay_err_cap_p99_ms_ext_"),
    "answer_us_p50": num("answer_us_p50_32s"),
    "answer_us_p99": num("answer_us_p99_32s"),
    "answer_us_max": num("answer_us_max_32s"),
}
for k, v in derived.items():
    if v is not None and k not in r:
        r[k] = f"{v:g}"
        print(f"{k}={v:g}")
rows = []
for k, v in r.items():
    t = None
    if k.startswith("delay_err_") and "_p99_" in k and "_noext_" not in k:
        t = ("<=", 1.0)
    elif k in ("answer_us_p99_32s", "answer_us_p99"):
        t = ("<=", 100.0)
    elif k == "cpu_ratio_vs_relay":
        t = ("<=", 0.5)
    elif k == "max_streams_q256":
        t = (">=", 64)
    elif k == "heap_kib_per_stream":
        t = ("<=", 64)
    verdict = ""
    if t:
        x = num(k)
        ok = x is not None and (x <= t[1] if t[0] == "<=" else x >= t[1])
        verdict = f"{'PASS' if ok else 'MISS'} ({t[0]} {t[1]:g})"
    rows.append((k, v, verdict))
print()
print(f"{'figure':<38} {'value':>12}  target")
for k, v, verdict in rows:
    print(f"{k:<38} {v:>12}  {verdict}")
EOF
echo "# raw data: $OUT"
