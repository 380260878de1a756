# shellcheck shell=bash
# SPDX-License-Identifier: MIT
# Drives the guest simulator (tools/vsnd-guest: the xl toolstack plus a Linux
# snd_xen_front guest plus an ALSA application) against the stack of
# pw-stack.sh. Each VM is one vsnd-guest process in the background.
#
#   guest_start ID [--domid N] [--name NAME] [--spec XL_VSND_LIST]
#                  (--play-counter | --play-tone HZ | --play-wav FILE |
#                   --play-silence | --record FILE)
#                  [--rate R] [--format F] [--channels C] [--seconds S]
#                  (defaults 48000 s16_le 2 2; --play-wav: from the header)
#                  [--opts 'more,stream=opts'] [--xs-write KEY=VALUE] [--detach]
#                  [--no-destroy] [--trace CSV] [--extra 'more vsnd-guest args']
#   guest_wait ID TIMEOUT_S     exit status of the guest (fails on timeout)
#   guest_stop ID               ends it (SIGTERM: the toolstack destroys the VM)
#   guest_stats ID              its --stats JSON
#   guest_stats_check ID        no protocol errors / xruns in the stats
#   guest_log_tail ID           last lines of its log, for failure messages
#
# Logs and statistics go to $PWS_DIR/guest-ID.log and guest-ID.json.

GUEST_BIN=""
declare -A GUEST_PID=()

# The default card: what a typical xl line gives a desktop guest.
GUEST_DEFAULT_SPEC="['CARD, short-name=VSND, sample-rates=44100;48000, sample-formats=s16_le, channels-min=1, channels-max=2', 'PCM, name=Main', 'STREAM, unique-id=pb0, type=p', 'STREAM, unique-id=cap0, type=c']"

# guest_check_built BUILD: the simulator binary exists.
guest_check_built() {
	GUEST_BIN="$1/tools/vsnd-guest/vsnd-guest"
	[ -x "$GUEST_BIN" ] || { echo "guest: FAIL: guest simulator not built: $GUEST_BIN" >&2; return 1; }
}

guest_start() {
	local id=$1; shift
	local domid=1 name=$id spec=$GUEST_DEFAULT_SPEC action="" rate="" fmt="" ch="" secs=""
	local streamopts="" extra=""
	local -a vmopts=() globalopts=()
	while [ $# -gt 0 ]; do
		case $1 in
		--domid) domid=$2; shift ;;
		--name) name=$2; shift ;;
		--spec) spec=$2; shift ;;
		--play-counter) action="play counter" ;;
		--play-tone) action="play tone:$2"; shift ;;
		--play-wav) action="play wav:$2"; shift ;;
		--play-silence) action="play silence" ;;
		--record) action="record $2"; shift ;;
		--rate) rate=$2; shift ;;
		--format) fmt=$2; shift ;;
		--channels) ch=$2; shift ;;
		--seconds) secs=$2; shift ;;
		--opts) streamopts=$2; shift ;;
		--xs-write) vmopts+=(--xs-write "$2"); shift ;;
		--detach) vmopts+=(--detach) ;;
		--no-destroy) globalopts+=(--no-destroy) ;;
		--trace) globalopts+=(--trace "$2"); shift ;;
		--extra) extra=$2; shift ;;
		*) echo "guest: guest_start: unknown option $1" >&2; return 1 ;;
		esac
		shift
	done
	[ -n "$action" ] || { echo "guest: guest_start: no action" >&2; return 1; }
	[ -n "$GUEST_BIN" ] || { echo "guest: guest_check_built was not called" >&2; return 1; }
	local -a args
	guest_cli_args || return 1
	# A VM has CPUs of its own; on a loaded test machine an ordinary process
	# is starved for tens of ms and the guest underruns for reasons that have
	# nothing to do with the backend. So the simulator gets a low real-time
	# priority (pws_rt: below the daemon's 88, with the RLIMIT_RTTIME guard).
	# shellcheck disable=SC2046,SC2086
	pws_spawn "guest-$id" $(pws_rt) "$GUEST_BIN" "${args[@]}" $extra
	GUEST_PID[$id]=$PWS_LAST_PID
}

# Translates the options above into the simulator's command line (args).
guest_cli_args() {
	local opt kind=--play
	# A WAV file brings its own rate, format, channels and length (as with
	# aplay); only what was given explicitly is passed, and must agree.
	if [[ $action == "play wav:"* ]]; then
		opt=${rate:+rate=$rate,}${fmt:+format=$fmt,}${ch:+channels=$ch,}${secs:+duration=$secs,}
		opt=${opt%,}
	else
		opt="rate=${rate:-48000},format=${fmt:-s16_le},channels=${ch:-2},duration=${secs:-2}"
	fi
	case $action in
	"play counter") opt="source=counter,$opt" ;;
	"play silence") opt="source=silence,$opt" ;;
	"play tone:"*) opt="source=tone,freq=${action#play tone:},$opt" ;;
	"play wav:"*) opt="source=wav,file=${action#play wav:}${opt:+,$opt}" ;;
	"record "*) kind=--record; opt="source=wav,file=${action#record },$opt" ;;
	esac
	[ -n "$streamopts" ] && opt="$opt,$streamopts"
	args=(--control "$PWS_SIM_DIR/control" --stats "$PWS_DIR/guest-$id.json" "${globalopts[@]}"
		--vm "$domid" --name "$name" --vsnd "$spec" "${vmopts[@]}" "$kind" "$opt")
}

guest_wait() {
	local id=$1 timeout=${2:-30} pid=${GUEST_PID[$1]:-} end rc
	[ -n "$pid" ] || { echo "guest: no guest $id" >&2; return 1; }
	end=$((SECONDS + timeout))
	while kill -0 "$pid" 2>/dev/null; do
		if [ $SECONDS -ge "$end" ]; then
			echo "guest: $id still running after $timeout s" >&2
			pws_kill "$pid"
			return 1
		fi
		sleep 0.1
	done
	wait "$pid"
	rc=$?
	unset "GUEST_PID[$id]"
	[ $rc -eq 0 ] || echo "guest: $id exited with status $rc" >&2
	return $rc
}

guest_stop() {
	local pid=${GUEST_PID[$1]:-}
	[ -n "$pid" ] || return 0
	pws_kill "$pid"
	unset "GUEST_PID[$1]"
}

guest_stats() { cat "$PWS_DIR/guest-$1.json"; }

guest_log_tail() { tail -5 "$PWS_DIR/guest-$1.log" 2>/dev/null | tr '\n' ' '; }

# guest_stats_check ID: every stream of the guest finished fine, with
# positions and without id errors or xruns.
guest_stats_check() {
	python3 - "$PWS_DIR/guest-$1.json" <<-'EOF'
	import json, sys
	try:
	    st = json.load(open(sys.argv[1]))
	except (OSError, ValueError) as e:
	    sys.exit(f"guest stats: {e}")
	streams = st.get("streams", st if isinstance(st, list) else [])
	bad = []
	for s in streams:
	    if not s.get("ok", False):
	        bad.append(f"{s.get('name')}: result {s.get('result')!r}")
	    for k in ("id_errors", "xruns"):
	        if s.get(k, 0):
	            bad.append(f"{s.get('name')}: {k}={s[k]}")
	    if s.get("cur_pos_events", 0) == 0:
	        bad.append(f"{s.get('name')}: no CUR_POS events")
	if not streams:
	    bad.append("no streams in the statistics")
	if bad:
	    sys.exit("guest stats: " + "; ".join(bad))
	EOF
}

# guest_stats_summary ID: positions and delays the guest saw, for people.
guest_stats_summary() {
	python3 - "$PWS_DIR/guest-$1.json" <<-'EOF'
	import json, sys
	st = json.load(open(sys.argv[1]))
	for s in st.get("streams", []):
	    print(f"  {s.get('name')}: {s.get('type')}, "
	          f"{s.get('frames')} frames, {s.get('cur_pos_events')} position events, "
	          f"last position {s.get('last_position')} bytes, xruns {s.get('xruns')}, "
	          f"id errors {s.get('id_errors')}, result {s.get('result')}")
	    for op, o in (s.get("ops") or {}).items():
	        if o.get("count"):
	            print(f"    {op:<14} {o['count']:>6}x  p50 {o.get('p50_us')} us  p99 {o.get('p99_us')} us  max {o.get('max_us')} us")
	EOF
}

# guest_trace_summary CSV RATE: position events and the delay the guest's
# ALSA saw (from --trace), for people.
guest_trace_summary() {
	python3 - "$1" "$2" <<-'EOF'
	import csv, sys
	rate = int(sys.argv[2])
	pos, delays = [], []
	with open(sys.argv[1]) as f:
	    for row in csv.reader(f):
	        if len(row) < 8 or not row[0].isdigit():
	            continue
	        if row[2] == "pos":
	            pos.append(int(row[0]))
	        if row[2] in ("pos", "write") and row[7].lstrip("-").isdigit():
	            delays.append(int(row[7]))
	if len(pos) < 2:
	    sys.exit("  trace: fewer than 2 position events")
	iv = [(b - a) / 1e6 for a, b in zip(pos, pos[1:])]
	print(f"  {len(pos)} CUR_POS events, every {sum(iv) / len(iv):.1f} ms on average "
	      f"(min {min(iv):.1f}, max {max(iv):.1f})")
	if delays:
	    print(f"  ALSA delay seen by the guest: min {min(delays)}, avg {sum(delays) / len(delays):.0f}, "
	          f"max {max(delays)} frames ({max(delays) * 1000 / rate:.1f} ms max)")
	EOF
}
