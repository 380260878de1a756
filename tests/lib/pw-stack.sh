# shellcheck shell=bash
# shellcheck disable=SC2034  # PWS_* variables are for the scripts that source this
# SPDX-License-Identifier: MIT
#
# Private, headless audio stack for xen-snd tests and the demo.
#
#   . tests/lib/pw-stack.sh
#   pws_start --build build-x [--sim] [--module 'xen.domid=0 ...'] [--wp-state DIR]
#   pws_run pw-dump            # any client, talking to the private daemon
#   pws_stop                   # also runs from the EXIT trap pws_start installs
#
# Everything runs with a scrubbed environment (env -i) under one temp dir:
# XDG_RUNTIME_DIR, HOME, config, WirePlumber state. The user's session, if
# any, is never touched. Works as root without dbus or systemd.
#
# Daemons: pipewire (null sink "xen-test-sink" = the speaker, virtual source
# "xen-test-source" fed with a sine = the microphone), wireplumber (stock scripts, hardware
# monitors and the flatpak portal off), pipewire-pulse, and optionally the
# Xen simulator; the module is loaded through a pipewire.conf.d drop-in.
#
# Every function returns non-zero and prints "pw-stack: ..." on failure; a
# missing prerequisite is an error, never a skip.

# Debian's tools first: a version manager's python3 shim costs a chain of
# forks per call, and the harness polls with python3 while audio runs.
export PATH="/usr/bin:/bin:$PATH"

PWS_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PWS_ANALYZE="$PWS_LIB/xsnd-analyze.py"
PWS_SYS_MODULE_DIR=/usr/lib/x86_64-linux-gnu/pipewire-0.3
PWS_SINK=xen-test-sink
PWS_SOURCE=xen-test-source
PWS_SOURCE_FREQ=440	# the microphone feed's sine (pws_start_mic)
PWS_RATE=48000
PWS_DIR=""
PWS_BUILD=""
PWS_SIM_DIR=""
PWS_PIDS=()
PWS_PID_PIPEWIRE=""

pws_log() { echo "pw-stack: $*" >&2; }
pws_fail() { pws_log "FAIL: $*"; return 1; }

# pws_need CMD...: every command must exist.
pws_need() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 ||
			{ pws_fail "missing prerequisite '$c' (run scripts/install-deps.sh)"; return 1; }
	done
}

# pws_rt: the command prefix that runs a test client at a low real-time
# priority (below the daemon's 88), when this user may; empty otherwise.
# A loaded machine starves ordinary processes for tens of milliseconds.
pws_rt() {
	if chrt -f 10 prlimit --rttime=200000:400000 true 2>/dev/null; then
		echo "chrt -f 10 prlimit --rttime=200000:400000 --"
	fi
}

# pws_poll TIMEOUT_S CMD...: retries CMD every 50 ms until it succeeds.
pws_poll() {
	local timeout=$1; shift
	local end=$((SECONDS + timeout))
	while ! "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $end ] || return 1
		sleep 0.05
	done
}

# The environment of every process of the stack and of every test client.
pws_env() {
	local d=$PWS_DIR
	local mdir=$PWS_SYS_MODULE_DIR
	[ -n "$PWS_BUILD" ] && mdir="$PWS_BUILD/src/module-xen-snd:$mdir"
	echo PATH=/usr/local/bin:/usr/bin:/bin \
		HOME="$d/home" \
		LANG=C.UTF-8 \
		XDG_RUNTIME_DIR="$d/run" \
		XDG_CONFIG_HOME="$d/home/.config" \
		XDG_STATE_HOME="$d/state" \
		XDG_DATA_HOME="$d/home/.local/share" \
		PIPEWIRE_CONFIG_DIR="$d/conf" \
		PIPEWIRE_MODULE_DIR="$mdir" \
		PIPEWIRE_LOG_SYSTEMD=false \
		PIPEWIRE_DEBUG="${PWS_PW_DEBUG:-2}" \
		WIREPLUMBER_CONFIG_DIR="$d/wp" \
		WIREPLUMBER_DATA_DIR="$d/wp" \
		WIREPLUMBER_DEBUG="${PWS_WP_DEBUG:-2}" \
		PULSE_SERVER="unix:$d/run/pulse/native" \
		PULSE_RUNTIME_PATH="$d/run/pulse" \
		DISPLAY=
}

# pws_run CMD...: runs a client against the private stack (or, after
# pws_attach_running, against the user's own session).
pws_run() {
	if [ "${PWS_RUNNING:-0}" = 1 ]; then
		PIPEWIRE_DEBUG="${PWS_CLIENT_DEBUG:-1}" "$@"
		return
	fi
	# shellcheck disable=SC2046
	env -i $(pws_env) PIPEWIRE_DEBUG="${PWS_CLIENT_DEBUG:-1}" "$@"
}

# pws_spawn NAME CMD...: starts a background process of the stack in its own
# session (so pws_stop can end its whole process group); log in $PWS_DIR/NAME.log.
# Sets PWS_LAST_PID.
pws_spawn() {
	local name=$1; shift
	if [ "${PWS_RUNNING:-0}" = 1 ]; then
		# shellcheck disable=SC2086
		setsid env PIPEWIRE_MODULE_DIR="$PWS_BUILD/src/module-xen-snd:$PWS_SYS_MODULE_DIR" \
			${PWS_SPAWN_ENV:-} "$@" >"$PWS_DIR/$name.log" 2>&1 </dev/null &
	else
		# shellcheck disable=SC2046,SC2086
		setsid env -i $(pws_env) ${PWS_SPAWN_ENV:-} "$@" >"$PWS_DIR/$name.log" 2>&1 </dev/null &
	fi
	PWS_LAST_PID=$!
	PWS_PIDS+=("$PWS_LAST_PID")
	echo "$PWS_LAST_PID $name" >>"$PWS_DIR/pids"
}

# pws_kill PID [SIGNAL]: ends one process started by pws_spawn and waits for it.
pws_kill() {
	local pid=$1 sig=${2:-TERM} i
	kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
	kill -"$sig" -- "-$pid" 2>/dev/null || kill -"$sig" "$pid" 2>/dev/null
	for i in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$pid" 2>/dev/null; then
		pws_log "pid $pid ignored SIG$sig, killing"
		kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	return 0
}

pws_write_config() {
	local d=$PWS_DIR f
	mkdir -p "$d/run" "$d/home/.config" "$d/conf/pipewire.conf.d" "$d/state" "$d/wp" || return 1
	chmod 700 "$d/run"
	# Clients (pw-cat, pw-cli, pipewire-pulse) read their stock configs from
	# the same directory, because PIPEWIRE_CONFIG_DIR replaces the search path.
	for f in /usr/share/pipewire/*.conf; do
		cp "$f" "$d/conf/" || return 1
	done
	sed "s/@RATE@/$PWS_RATE/g" "$PWS_LIB/pipewire.conf.in" >"$d/conf/pipewire.conf" || return 1

	# WirePlumber: stock config and scripts, minus everything that needs
	# hardware, D-Bus or a portal. The environment variables replace the search
	# path, so the copy must be complete.
	cp -r /usr/share/wireplumber/. "$d/wp/" || return 1
	cat >"$d/wp/main.lua.d/90-enable-all.lua" <<-'EOF'
	-- xen-snd tests: headless, no hardware monitors
	default_access.enable()
	device_defaults.enable()
	stream_defaults.enable()
	load_script("intended-roles.lua")
	load_script("suspend-node.lua")
	EOF
	cat >>"$d/wp/main.lua.d/50-default-access-config.lua" <<-'EOF'
	default_access.properties["enable-flatpak-portal"] = false
	EOF
	printf -- '-- xen-snd tests: no bluetooth\n' >"$d/wp/bluetooth.lua.d/90-enable-all.lua"
}

# pws_module_dropin ARGS: loads libpipewire-module-xen-snd into the daemon.
pws_module_dropin() {
	cat >"$PWS_DIR/conf/pipewire.conf.d/50-xen-snd.conf" <<-EOF
	context.modules = [
	    { name = libpipewire-module-xen-snd
	      args = { $1 } }
	]
	EOF
}

# pws_start_sim: starts the Xen simulator in $PWS_DIR/sim.
pws_start_sim() {
	local sim="$PWS_BUILD/tools/xen-sim/xen-sim"
	[ -x "$sim" ] || { pws_fail "simulator not built: $sim"; return 1; }
	PWS_SIM_DIR="$PWS_DIR/sim"
	mkdir -p "$PWS_SIM_DIR"
	pws_spawn xen-sim "$sim" --dir "$PWS_SIM_DIR" --foreground
	PWS_PID_SIM=$PWS_LAST_PID
	pws_poll 10 test -e "$PWS_SIM_DIR/ready" ||
		{ pws_fail "xen-sim not ready after 10 s (log: $PWS_DIR/xen-sim.log)"; tail -5 "$PWS_DIR/xen-sim.log" >&2; return 1; }
}

# pws_xenstore CMD ARGS...: runs a xenstore-utils command (xenstore-read,
# -write, -ls...) as dom0 against the simulator.
pws_xenstore() {
	XENSTORED_PATH="$PWS_SIM_DIR/xenstored" "$@"
}

# pws_check_module: the module is built and loadable (PipeWire itself only
# says "No module found" when dlopen fails, unless debugging is on).
pws_check_module() {
	local so="$PWS_BUILD/src/module-xen-snd/libpipewire-module-xen-snd.so"
	[ -f "$so" ] || { pws_fail "module not built: $so"; return 1; }
	local err
	err=$(python3 -c 'import ctypes, sys; ctypes.CDLL(sys.argv[1], mode=2)' "$so" 2>&1) ||
		{ pws_fail "module cannot be loaded: $(tail -1 <<<"$err")"; return 1; }
}

pws_pw_ready() { pws_run pw-cli info 0 | grep -q 'core.name'; }
pws_pulse_ready() { pws_run pactl info | grep -q 'Server Name'; }
pws_wp_ready() {
	# WirePlumber has made the test sink the default one.
	pws_run pw-metadata 0 default.audio.sink 2>/dev/null | grep -q "$PWS_SINK"
}

# pws_start [--build DIR] [--sim] [--module ARGS] [--wp-state DIR] [--no-wp] [--no-pulse]
pws_start() {
	local module="" sim=0 wp=1 pulse=1 wpstate=""
	while [ $# -gt 0 ]; do
		case $1 in
		--build) PWS_BUILD=$(cd "$2" && pwd) || { pws_fail "no build dir $2"; return 1; }; shift ;;
		--sim) sim=1 ;;
		--module) module=$2; shift ;;
		--wp-state) wpstate=$2; shift ;;
		--no-wp) wp=0 ;;
		--no-pulse) pulse=0 ;;
		*) pws_fail "pws_start: unknown option $1"; return 1 ;;
		esac
		shift
	done
	pws_need pipewire wireplumber pipewire-pulse pactl pw-cli pw-dump pw-cat pw-link pw-metadata \
		python3 setsid xenstore-read || return 1
	if [ -n "$module" ]; then
		pws_check_module || return 1
	fi

	PWS_DIR=$(mktemp -d "${TMPDIR:-/tmp}/xen-snd-stack.XXXXXX") || return 1
	trap pws_stop EXIT
	trap 'pws_stop; exit 130' INT TERM
	pws_write_config || { pws_fail "cannot write config in $PWS_DIR"; return 1; }
	# WirePlumber keeps restore-stream state here; a test may share it
	# between two stacks to test restoring across daemon restarts.
	if [ -n "$wpstate" ]; then
		rm -rf "$PWS_DIR/state" && ln -s "$wpstate" "$PWS_DIR/state"
	fi

	if [ $sim = 1 ]; then
		pws_start_sim || return 1
	fi
	[ -n "$module" ] && pws_module_dropin "xen.backend=sim xen.sim.dir=$PWS_SIM_DIR $module"

	pws_spawn pipewire pipewire
	PWS_PID_PIPEWIRE=$PWS_LAST_PID
	pws_poll 10 pws_pw_ready ||
		{ pws_fail "pipewire did not come up (log: $PWS_DIR/pipewire.log)"; tail -20 "$PWS_DIR/pipewire.log" >&2; return 1; }
	if [ $wp = 1 ]; then
		pws_spawn wireplumber wireplumber
		PWS_PID_WP=$PWS_LAST_PID
		pws_poll 20 pws_wp_ready ||
			{ pws_fail "wireplumber did not select $PWS_SINK (log: $PWS_DIR/wireplumber.log)"; tail -20 "$PWS_DIR/wireplumber.log" >&2; return 1; }
	fi
	if [ $pulse = 1 ]; then
		pws_spawn pipewire-pulse pipewire-pulse
		PWS_PID_PULSE=$PWS_LAST_PID
		pws_poll 10 pws_pulse_ready ||
			{ pws_fail "pipewire-pulse did not come up (log: $PWS_DIR/pipewire-pulse.log)"; tail -20 "$PWS_DIR/pipewire-pulse.log" >&2; return 1; }
	fi
	if [ $wp = 1 ]; then pws_start_mic || return 1; fi
	pws_log "stack up in $PWS_DIR (pipewire pid $PWS_PID_PIPEWIRE)"
}

# The feed is linked (the link idles until someone records).
pws_mic_linked() { pws_run pw-link -l -i | grep -A1 "^$PWS_SOURCE:input_FL" | grep -q '|<-'; }

# The microphone's sound: an endless 440 Hz sine at -3 dBFS, linked by hand
# into the virtual source (WirePlumber 0.4 links streams only to sinks).
pws_start_mic() {
	local c
	pws_need sox pw-cat pw-link || return 1
	# shellcheck disable=SC2046
	pws_spawn mic $(pws_rt) sh -c "sox -q -n -t raw -r $PWS_RATE -e signed -b 16 -c 2 - \
		synth 36000 sine $PWS_SOURCE_FREQ gain -3 | pw-cat -p \
		-P '{ node.name = xen-test-mic-feed node.autoconnect = false }' \
		--format s16 --rate $PWS_RATE --channels 2 -"
	pws_poll 10 pws_node_id xen-test-mic-feed ||
		{ pws_fail "the microphone feed did not start (log: $PWS_DIR/mic.log)"; return 1; }
	for c in FL FR; do
		pws_run pw-link "xen-test-mic-feed:output_$c" "$PWS_SOURCE:input_$c" ||
			{ pws_fail "cannot link the microphone feed"; return 1; }
	done
	pws_poll 10 pws_mic_linked ||
		{ pws_fail "the microphone feed did not reach $PWS_SOURCE"; return 1; }
}

# pws_attach_running --build DIR: uses the user's running PipeWire (and its
# pipewire-pulse) instead of a private stack; starts the simulator and runs
# the module in a process of its own (pipewire -c xen-snd.conf) connected to
# that daemon. Records the default sink's monitor.
pws_attach_running() {
	[ "$1" = --build ] && PWS_BUILD=$(cd "$2" && pwd) || { pws_fail "pws_attach_running --build DIR"; return 1; }
	pws_need pipewire pactl pw-cli pw-dump parec python3 setsid || return 1
	PWS_RUNNING=1
	PWS_DIR=$(mktemp -d "${TMPDIR:-/tmp}/xen-snd-demo.XXXXXX") || return 1
	trap pws_stop EXIT
	trap 'pws_stop; exit 130' INT TERM
	pws_run pw-cli info 0 2>/dev/null | grep -q core.name ||
		{ pws_fail "no running PipeWire daemon reachable (XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-unset})"; return 1; }
	pws_pulse_ready || { pws_fail "no pipewire-pulse server reachable (pactl info failed)"; return 1; }
	PWS_SINK=$(pws_run pactl get-default-sink) || { pws_fail "no default sink"; return 1; }
	pws_start_sim || return 1
	pws_start_module_process "" || return 1
	PWS_PID_PIPEWIRE=$(pgrep -u "$(id -u)" -x pipewire | head -1)
}

# pws_start_module_process ARGS: runs the module in `pipewire -c xen-snd.conf`
# (a copy of conf/xen-snd.conf with the simulator backend and ARGS), a client
# of the daemon pws_run talks to. Sets PWS_PID_MODPROC.
pws_start_module_process() {
	local src="$PWS_LIB/../../conf/xen-snd.conf" conf
	[ -f "$src" ] || { pws_fail "conf/xen-snd.conf is missing"; return 1; }
	conf="$PWS_DIR/conf-modproc"
	mkdir -p "$conf"
	# The module's args block gets the simulator backend; the rest is the
	# file as shipped.
	python3 - "$src" "$conf/xen-snd.conf" "xen.backend = sim xen.sim.dir = \"$PWS_SIM_DIR\" $1" <<-'EOF' || return 1
	import re, sys
	text = open(sys.argv[1]).read()
	new, n = re.subn(r"(name\s*=\s*libpipewire-module-xen-snd\s*\n?\s*args\s*=\s*\{)",
	                 lambda m: m.group(1) + "\n          " + sys.argv[3], text, count=1)
	if n != 1:
	    sys.exit("pw-stack: cannot find the module's args block in conf/xen-snd.conf")
	open(sys.argv[2], "w").write(new)
	EOF
	# The process connects to the daemon only once a VM appears, so
	# readiness is the module having loaded (an info line of pw.conf).
	PWS_SPAWN_ENV="PIPEWIRE_DEBUG=2,pw.conf:3" pws_spawn modproc pipewire -c "$conf/xen-snd.conf"
	PWS_PID_MODPROC=$PWS_LAST_PID
	pws_poll 10 pws_modproc_ready ||
		{ pws_fail "pipewire -c xen-snd.conf did not connect (log: $PWS_DIR/modproc.log)"; tail -20 "$PWS_DIR/modproc.log" >&2; return 1; }
}
pws_modproc_ready() {
	kill -0 "$PWS_PID_MODPROC" 2>/dev/null &&
		grep -q 'loaded module libpipewire-module-xen-snd' "$PWS_DIR/modproc.log"
}

# pws_log_hint: where the module logs.
pws_log_hint() {
	if [ -n "${PWS_PID_MODPROC:-}" ]; then echo "$PWS_DIR/modproc.log"; else echo "$PWS_DIR/pipewire.log"; fi
}

# pws_alive: the daemon still runs.
pws_alive() { [ -n "$PWS_PID_PIPEWIRE" ] && kill -0 "$PWS_PID_PIPEWIRE" 2>/dev/null; }

# pws_stop: ends every process pws_spawn started (newest first) and removes
# the temp dir unless PWS_KEEP=1 or the test failed with PWS_KEEP_ON_FAIL=1.
pws_stop() {
	local rc=$? i
	trap - EXIT INT TERM
	for ((i = ${#PWS_PIDS[@]} - 1; i >= 0; i--)); do
		pws_kill "${PWS_PIDS[$i]}"
	done
	PWS_PIDS=()
	PWS_PID_PIPEWIRE=""
	if [ -n "$PWS_DIR" ] && [ -d "$PWS_DIR" ]; then
		if [ "${PWS_KEEP:-0}" = 1 ] || { [ $rc -ne 0 ] && [ "${PWS_KEEP_ON_FAIL:-1}" = 1 ]; }; then
			pws_log "kept $PWS_DIR (logs)"
			# The sockets are dead; only logs and recordings matter.
		else
			rm -rf "$PWS_DIR"
		fi
	fi
	PWS_DIR=""
	return $rc
}

# --- pw-dump / pactl queries -----------------------------------------------

# pws_dump: pw-dump of the whole graph (JSON).
pws_dump() { pws_run pw-dump; }

# pws_q EXPR...: runs an xsnd-analyze.py query over a fresh pw-dump.
#   pws_q nodes 'xen-snd.*'          -> one line per node: id name state
#   pws_q prop NODE_NAME KEY         -> the value of a node property
pws_q() { pws_dump | python3 "$PWS_ANALYZE" pw "$@"; }

# pws_qn WHAT NAME: like pws_q, over a pw-dump of the matching objects only
# (much cheaper than a full dump on a loaded machine).
pws_qn() { pws_run pw-dump "$2" | python3 "$PWS_ANALYZE" pw "$1" "$2"; }

# pws_node_id NAME: prints the id of the node called NAME, fails if absent.
pws_node_id() { pws_qn id "$1"; }

# pws_wait_node NAME [TIMEOUT]: polls until a node with that name (glob) exists.
pws_wait_node() { pws_poll "${2:-10}" pws_qn id "$1"; }
# pws_wait_no_node NAME [TIMEOUT]: polls until no node matches.
pws_wait_no_node() { pws_poll "${2:-10}" pws_qn none "$1"; }
# pws_wait_running NAME [TIMEOUT]: polls until the node is linked and running.
pws_wait_running() { pws_poll "${2:-10}" pws_qn running "$1"; }

# pws_sink_inputs: pactl's sink inputs as a JSON list of
# {index, client, application.name, node.name, volume (0..1 linear per
#  channel as pactl reports it in %), properties:{...}}.
pws_sink_inputs() { pws_run pactl -f json list sink-inputs; }
pws_source_outputs() { pws_run pactl -f json list source-outputs; }

# pws_sink_input_index NODE_NAME: pulse index of the sink input of that node.
pws_sink_input_index() {
	pws_sink_inputs | python3 "$PWS_ANALYZE" pulse index "$1"
}

# --- recording and the microphone -------------------------------------------

# pws_record_sink FILE: records the monitor of the test sink (S16 stereo at
# the graph rate) into FILE until pws_record_stop, twice: tests/lib/xsnd-record
# as node xen-test-recorder into FILE and as xen-test-recorder-2 into
# FILE minus .wav plus .2.wav. Each also writes WAV.gaps, the cycles it
# missed itself (woken too late on a loaded machine). A recorder of the
# driver's monitor can also get one cycle's buffer early and the next one
# not at all while other nodes join the graph; the two recorders do not
# fail together, and xsnd-analyze.py counter/tone pass if either recording
# is intact (an intact pattern cannot come from a damaged sink).
pws_record_sink() {
	local rec="$PWS_BUILD/tests/lib/xsnd-record" f2="${1%.wav}.2.wav"
	[ -x "$rec" ] || { pws_fail "recorder not built: $rec"; return 1; }
	rm -f "$1.gaps" "$f2" "$f2.gaps"
	# shellcheck disable=SC2046
	pws_spawn recorder $(pws_rt) "$rec" --target "$PWS_SINK" --rate "$PWS_RATE" \
		--out "$1" --gaps "$1.gaps"
	PWS_REC_PID=$PWS_LAST_PID
	# shellcheck disable=SC2046
	pws_spawn recorder-2 $(pws_rt) "$rec" --target "$PWS_SINK" --rate "$PWS_RATE" \
		--node-name xen-test-recorder-2 --out "$f2" --gaps "$f2.gaps"
	PWS_REC2_PID=$PWS_LAST_PID
	pws_poll 10 pws_rec_running || { pws_fail "recorder not running"; return 1; }
}
# pws_rec_running [NODE...]: each recorder node (default: both of
# pws_record_sink) has an active input link.
pws_rec_running() {
	local dump n
	dump=$(pws_dump) || return 1
	[ $# -gt 0 ] || set -- xen-test-recorder xen-test-recorder-2
	for n in "$@"; do
		python3 "$PWS_ANALYZE" pw linked-in "$n" <<<"$dump" >/dev/null || return 1
	done
}
pws_record_stop() {
	[ -n "${PWS_REC_PID:-}" ] || return 0
	pws_kill "$PWS_REC_PID" INT
	[ -z "${PWS_REC2_PID:-}" ] || pws_kill "$PWS_REC2_PID" INT
	PWS_REC_PID="" PWS_REC2_PID=""
}

# pws_guest_maps [PID]: number of mappings of guest memory (the simulator's
# "xensim-grant" memfds) in the daemon, or in PID; for leak checks: after a
# guest is gone, the count must drop back.
pws_guest_maps() {
	local pid=${1:-$PWS_PID_PIPEWIRE}
	[ -r "/proc/$pid/maps" ] || { pws_fail "cannot read /proc/$pid/maps"; return 1; }
	grep -c 'memfd:xensim-grant' "/proc/$pid/maps" || true
}
