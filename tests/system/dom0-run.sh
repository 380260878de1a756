#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Runs inside the system-test dom0 (from the host's 9p share at /mnt/host,
# started by the image's /init). Brings up the Xen daemons, the PipeWire
# stack and the xen-snd module, then drives real domUs with real xl and
# records facts, logs and the null sink's monitor into /mnt/host/out for
# the host to judge (analyze.py). Every wait is bounded.
#
# Mode (/mnt/host/mode): "suite" (all checks) or "demo" (one VM, for a person).
set -u
H=/mnt/host
OUT=$H/out
MODE=$(cat "$H/mode" 2>/dev/null || echo suite)
set -a
. "$H/env" 2>/dev/null
set +a
XL=/usr/sbin/xl
export XDG_RUNTIME_DIR=/run/pw HOME=/root
export PULSE_RUNTIME_PATH=/run/pw/pulse
mkdir -p "$OUT" /run/pw /var/log/xen/console /var/lib/xen /run/xen /run/xenstored /etc/xen
chmod 700 /run/pw

up() { local u _; read -r u _ </proc/uptime; echo "$u"; }
# Milliseconds of uptime (monotonic, unlike dom0's wall clock under TCG).
now_ms() { local u _; read -r u _ </proc/uptime; echo $((${u%.*} * 1000 + 10#${u#*.} * 10)); }
log() { echo "dom0: [$(up)] $*"; echo "[$(up)] $*" >>"$OUT/dom0.log"; }
fact() { echo "$1=$2" >>"$OUT/facts"; log "fact $1=$2"; }
# Timeline entries tie dom0 events to a position in the recording.
mark() {
	local size size2
	size=$(stat -c %s "$OUT/rec.raw" 2>/dev/null || echo 0)
	size2=$(stat -c %s "$OUT/rec2.raw" 2>/dev/null || echo 0)
	echo "$1 $(up) $size $size2" >>"$OUT/timeline"
	log "mark $1 (recording at byte $size)"
}
# poll SECONDS CMD...: true as soon as CMD succeeds, false after SECONDS.
poll() {
	local end=$(($(now_ms) + $1 * 1000)); shift
	while ! "$@" >/dev/null 2>&1; do
		[ "$(now_ms)" -lt $end ] || return 1
		sleep 0.2
	done
}
fail() { fact fatal "\"$*\""; finish; }

console_log() { echo "/var/log/xen/console/guest-$1.log"; }
# console_has GUEST PATTERN [COUNT]: the guest's console shows PATTERN COUNT times.
console_has() { [ "$(grep -c -- "$2" "$(console_log "$1")" 2>/dev/null)" -ge "${3:-1}" ]; }
wait_console() {
	if poll "$4" console_has "$1" "$2" "${3:-1}"; then return 0; fi
	log "timeout after $4 s waiting for '$2' (#${3:-1}) on $1's console"
	return 1
}
ms_since() { echo $(($(now_ms) - $1)); }
domid_of() { $XL domid "$1" 2>/dev/null; }
pw_alive() { kill -0 "$PW_PID" 2>/dev/null && timeout 5 pw-cli info 0 >/dev/null 2>&1; }
# pactl can take many seconds in a loaded TCG dom0.
sink_inputs_of() { timeout 30 pactl list sink-inputs 2>/dev/null | grep -c -- "$1"; }
# save_sink_inputs GUEST FILE: keeps the first listing that shows GUEST.
save_sink_inputs() {
	timeout 30 pactl list sink-inputs >"$2" 2>&1
	grep -q "application.name = \"$1\"" "$2"
}
no_sink_input_of() { [ "$(sink_inputs_of "$1")" = 0 ]; }
has_sink_input_of() { [ "$(sink_inputs_of "$1")" != 0 ]; }

spawn() {	# spawn NAME CMD...: background process logging to $OUT/NAME.log
	local name=$1; shift
	setsid "$@" >"$OUT/$name.log" 2>&1 </dev/null &
	echo $!
}

finish() {
	trap - USR1
	log "collecting logs"
	kill ${TONE_PID:-} 2>/dev/null
	# the recorders write their .gaps files when they end
	kill -INT ${REC_PID:-} ${REC2_PID:-} 2>/dev/null
	for _ in $(seq 50); do
		kill -0 ${REC_PID:-} ${REC2_PID:-} 2>/dev/null || break
		sleep 0.1
	done
	{
		ps -eo pid,stat,etime,args
		echo "--- pw-cli ls Node"; timeout 5 pw-cli ls Node
		echo "--- pw-metadata"; timeout 5 pw-metadata
		echo "--- pactl info"; timeout 5 pactl info
		echo "--- free"; free -m
	} >"$OUT/diag.txt" 2>&1
	timeout 10 $XL list >"$OUT/xl-list.txt" 2>&1
	timeout 10 xenstore-ls -fp >"$OUT/xenstore.txt" 2>&1
	timeout 10 pw-dump >"$OUT/pw-dump-final.json" 2>&1
	cp /var/log/xen/console/*.log /var/log/xen/xl-*.log "$OUT/" 2>/dev/null
	dmesg >"$OUT/dom0-dmesg.txt"
	if [ -n "${MOD_PID:-}" ] && ! kill -0 "$MOD_PID" 2>/dev/null; then
		fact module_process_alive_at_end 0
	fi
	[ -n "${PW_PID:-}" ] && { pw_alive && fact pipewire_alive_at_end 1 || fact pipewire_alive_at_end 0; }
	kill ${MOD_PID:-} ${PULSE_PID:-} ${WP_PID:-} ${PW_PID:-} 2>/dev/null
	sleep 0.5
	log "done"
	echo done >"$OUT/finished"
	sync
	exit 0
}

log "dom0 $(uname -r), mode $MODE, $(grep MemTotal /proc/meminfo)"
# Collect the evidence before the host's QEMU timeout hits.
trap 'log "watchdog: scenario too slow, giving up"; fact fatal "\"dom0 watchdog fired\""; finish' USR1
(sleep "${XSND_DOM0_WATCHDOG:-380}"; kill -USR1 $$) &
: >"$OUT/facts"; : >"$OUT/timeline"

if [ "$MODE" = stress ]; then
	# Platform check: does this QEMU/CPU set-up compute reliably in dom0?
	f=/usr/lib/x86_64-linux-gnu/libpipewire-0.3.so.0
	ref=$(sha256sum <"$f")
	bad=0 runs=0
	for i in $(seq 60); do
		pids=""
		for j in 1 2 3; do sha256sum <"$f" >"/tmp/s$j" & pids="$pids $!"; done
		wait $pids
		for j in 1 2 3; do
			runs=$((runs + 1))
			[ "$(cat /tmp/s$j)" = "$ref" ] || bad=$((bad + 1))
		done
	done
	fact stress_runs $runs
	fact stress_bad $bad
	dmesg | grep -iE 'segfault|general protection|trap' | head >"$OUT/stress-dmesg.txt"
	finish
fi

# --- Xen daemons (what Debian's /etc/init.d/xen does) -------------------------
XENSTORED_ROOTDIR=/run/xenstored /usr/lib/xen-4.17/bin/xenstored --pid-file /run/xenstore.pid ||
	fail "xenstored did not start"
poll 10 xenstore-read -s / || fail "xenstored does not answer"
/usr/lib/xen-4.17/bin/xen-init-dom0 >"$OUT/xen-init-dom0.log" 2>&1 || fail "xen-init-dom0 failed"
/usr/lib/xen-4.17/bin/xenconsoled --log=guest --log-dir=/var/log/xen/console || fail "xenconsoled did not start"
fact xen_version "$(cat /sys/hypervisor/version/major).$(cat /sys/hypervisor/version/minor)$(cat /sys/hypervisor/version/extra)"
log "xen daemons up"
# dom0 before the guests on Xen's scheduler (credit2, 4.17's default): a
# guest vCPU busy starting aplay otherwise keeps the backend's data thread
# from its wakeup, and PipeWire logs "client missed N wakeups" with a
# quantum of the playing guest lost (docs/system-tests.md; the user guide
# recommends the same for hosts with busy guests).
$XL sched-credit2 -d Domain-0 -w 4096 >"$OUT/sched.txt" 2>&1 ||
	log "could not raise dom0's scheduler weight: $(cat "$OUT/sched.txt")"
fact dom0_weight "$($XL sched-credit2 -d Domain-0 2>&1 | awk 'NR == 2 { print $3 }')"

# --- PipeWire stack -------------------------------------------------------------
mkdir -p /etc/pipewire/pipewire.conf.d
cp "$H/conf/dom0-pipewire.conf" /etc/pipewire/pipewire.conf.d/50-xsnd-test.conf
# WirePlumber: stock policy, no hardware monitors (dom0 has no sound card,
# no D-Bus, no portal).
sed -i '/_monitor\.enable()/d' /usr/share/wireplumber/main.lua.d/90-enable-all.lua
echo 'default_access.properties["enable-flatpak-portal"] = false' \
	>>/usr/share/wireplumber/main.lua.d/50-default-access-config.lua
: >/usr/share/wireplumber/bluetooth.lua.d/90-enable-all.lua

PW_PID=$(spawn pipewire pipewire)
poll 10 timeout 5 pw-cli info 0 || fail "pipewire does not answer"
WP_PID=$(spawn wireplumber wireplumber)
PULSE_PID=$(spawn pipewire-pulse pipewire-pulse)
poll 20 sh -c 'timeout 5 pw-metadata 0 default.audio.sink | grep -q xen-sink' ||
	fail "wireplumber did not make xen-sink the default sink"
poll 20 sh -c 'timeout 5 pactl info | grep -q "Default Source: xen-source"' ||
	fail "pipewire-pulse does not answer or xen-source is not the default source"
log "pipewire stack up"

# Record the null sink's monitor for the whole run: what guests play lands here.
# Twice, with xsnd-record (tests/lib/xsnd-record.c): each notes the cycles it
# missed itself in rec*.raw.gaps, and the analysis passes a playthrough that is
# intact in either recording (docs/testing.md, "Reading the sink").
REC_PID=$(setsid "$H/xsnd-record" --raw --seconds 400 --target xen-sink --out "$OUT/rec.raw" \
	--gaps "$OUT/rec.raw.gaps" >"$OUT/rec.log" 2>&1 </dev/null & echo $!)
REC2_PID=$(setsid "$H/xsnd-record" --raw --seconds 400 --target xen-sink --out "$OUT/rec2.raw" \
	--gaps "$OUT/rec2.raw.gaps" --node-name xen-test-recorder-2 >"$OUT/rec2.log" 2>&1 </dev/null & echo $!)
# The "microphone" guests capture from: a tone into xen-feed, out of xen-source.
TONE_PID=$(setsid sh -c 'while :; do pw-play --target xen-feed /mnt/host/tone.wav; done' \
	>"$OUT/tone.log" 2>&1 </dev/null & echo $!)
poll 10 sh -c '[ "$(stat -c %s '"$OUT"'/rec.raw)" -gt 0 ] && [ "$(stat -c %s '"$OUT"'/rec2.raw)" -gt 0 ]' ||
	fail "nothing recorded from xen-sink.monitor"
mark recording

# --- the module under test ------------------------------------------------------
MOD=$H/module/libpipewire-module-xen-snd.so
if [ -n "${XSND_NO_VSND:-}" ]; then
	log "XSND_NO_VSND: no module, guests without vsnd (platform check)"
elif [ ! -f "$MOD" ]; then
	fail "module missing: the host put no libpipewire-module-xen-snd.so on the share"
fi
export PIPEWIRE_MODULE_DIR=$H/module:/usr/lib/x86_64-linux-gnu/pipewire-0.3
[ -n "${XSND_NO_VSND:-}" ] || MOD_PID=$(spawn module env PIPEWIRE_DEBUG="${XSND_MODULE_DEBUG:-3}" pipewire -c "$H/conf/xen-snd.conf")
sleep 2
[ -n "${XSND_NO_VSND:-}" ] || kill -0 "$MOD_PID" 2>/dev/null ||
	fail "the xen-snd pipewire process exited at start (see module.log)"
log "module process up"

# --- guests -------------------------------------------------------------------
# Local copies: libxc reads them while building each domain.
mkdir -p /root/domu
cp "$H/vmlinux-domu" "$H/domu-initrd.gz" /root/domu/
VSND="vsnd = [ [ 'CARD, short-name=XenSnd, long-name=XenPVSound, sample-rates=44100;48000, sample-formats=s16_le, channels-min=1, channels-max=2, buffer-size=524288', 'PCM, name=Main', 'STREAM, unique-id=pb0, type=p', 'STREAM, unique-id=cap0, type=c' ] ]"
create() {	# create NAME STEPS: xl create a PV domU running STEPS
	local t0 rc
	cat >"/etc/xen/$1.cfg" <<-EOF
	name = "$1"
	type = "pv"
	kernel = "/root/domu/vmlinux-domu"
	ramdisk = "/root/domu/domu-initrd.gz"
	extra = "console=hvc0 loglevel=${XSND_DOMU_LOGLEVEL:-4} xsnd=$2"
	memory = 192
	vcpus = 1
	on_reboot = "restart"
	${XSND_NO_VSND:+#}$VSND
	EOF
	t0=$(now_ms)
	$XL create "/etc/xen/$1.cfg" >"$OUT/xl-create-$1.txt" 2>&1
	rc=$?
	fact "create_${1}_ms" "$(ms_since "$t0")"
	fact "create_${1}_rc" $rc
	return $rc
}
snapshot() {	# snapshot TAG: graph state for the report
	timeout 10 pactl list sink-inputs >"$OUT/sink-inputs-$1.txt" 2>&1
	timeout 10 pactl list source-outputs >"$OUT/source-outputs-$1.txt" 2>&1
	timeout 10 pw-dump >"$OUT/pw-dump-$1.json" 2>&1
	timeout 10 xenstore-ls -fp >"$OUT/xenstore-$1.txt" 2>&1
}

if [ "$MODE" = demo ]; then
	create demo-vm tone || fail "xl create demo-vm failed"
	wait_console demo-vm "XSND tone" 1 60 || fail "demo-vm never started playing"
	for i in 1 2 3 4 5 6; do
		sleep 5
		log "--- pactl list sink-inputs (dom0) ---"
		timeout 10 pactl list sink-inputs | grep -E 'Sink Input|application.name|media.name|node.name|State|Volume:' |
			sed 's/^/dom0:    /'
		log "--- pw-cli ls Node ---"
		timeout 10 pw-cli ls Node | grep -E 'node.name|media.class' | sed 's/^/dom0:    /'
		log "--- guest console (demo-vm) ---"
		tail -n 2 "$(console_log demo-vm)" | sed 's/^/domU:    /'
	done
	snapshot demo
	finish
fi

# boot_guest NAME STEPS: xl create, then wait until the guest has its card.
boot_guest() {
	create "$1" "$2" || { log "xl create $1 failed: $(tail -n 3 "$OUT/xl-create-$1.txt" | tr '\n' ' ')"; return 1; }
	wait_console "$1" "XSND \(ready\|error\)" 1 60 || return 1
	console_has "$1" "XSND ready" || { log "$1 has no sound card"; return 1; }
}

# 1. guest1: play (playback check), capture, then keep playing.
if boot_guest guest1 "play:L,cap,loop:L"; then
	wait_console guest1 "XSND play-start" 1 10 && mark guest1-play-start
	# identity: while it plays, pulse clients see it under its VM name
	poll 20 save_sink_inputs guest1 "$OUT/sink-inputs-guest1-playing.txt"
	wait_console guest1 "XSND play-done" 1 40 && mark guest1-play-done
	wait_console guest1 "XSND cap-start" 1 10
	poll 3 sh -c 'timeout 10 pactl list source-outputs | grep -q guest1'
	snapshot guest1-capturing
	wait_console guest1 "XSND-B64-END" 1 60 && mark guest1-cap-done
	wait_console guest1 "XSND loop" 1 20 && mark guest1-loop
fi

# 2. guest2 plays on the other channel while guest1 loops.
if boot_guest guest2 "play:R,loop:R"; then
	wait_console guest2 "XSND play-start" 1 10 && mark guest2-play-start
	wait_console guest2 "XSND play-done" 1 40 && mark guest2-play-done
	snapshot two-guests
	wait_console guest2 "XSND loop" 1 20

	# 3. lifecycle
	# 3a. the guest reboots (xl reboot) while playing; xl's monitor destroys
	#     and re-creates it; the new instance must play again.
	old=$(domid_of guest2)
	t0=$(now_ms)
	$XL reboot guest2 >"$OUT/xl-reboot-guest2.txt" 2>&1
	fact reboot_rc $?
	poll 60 sh -c "d=\$($XL domid guest2 2>/dev/null) && [ -n \"\$d\" ] && [ \"\$d\" != '$old' ]" &&
		fact reboot_new_domain_ms "$(ms_since "$t0")"
	fact reboot_old_backend_gone "$(xenstore-read /local/domain/0/backend/vsnd/$old/0/state >/dev/null 2>&1 && echo 0 || echo 1)"
	if wait_console guest2 "XSND play-start" 2 60; then
		mark guest2-reboot-play-start
		wait_console guest2 "XSND play-done" 2 40 && mark guest2-reboot-play-done
		wait_console guest2 "XSND loop" 2 20
	fi
fi

if [ -n "$(domid_of guest1)" ]; then
	# 3b. detach guest1's card while it plays.
	d1=$(domid_of guest1)
	poll 20 has_sink_input_of guest1 && fact detach_node_before 1 || fact detach_node_before 0
	t0=$(now_ms)
	timeout 30 $XL vsnd-detach guest1 0 >"$OUT/xl-vsnd-detach.txt" 2>&1
	fact detach_rc $?
	fact detach_ms "$(ms_since "$t0")"
	fact detach_backend_gone "$(xenstore-read /local/domain/0/backend/vsnd/$d1/0/state >/dev/null 2>&1 && echo 0 || echo 1)"
	poll 10 no_sink_input_of guest1 && fact detach_node_gone 1 || fact detach_node_gone 0
	pw_alive && fact detach_pipewire_alive 1 || fact detach_pipewire_alive 0
	mark guest1-detached
fi

if [ -n "$(domid_of guest2)" ]; then
	# 3c. destroy guest2 while it plays.
	d2=$(domid_of guest2)
	poll 20 has_sink_input_of guest2 && fact destroy_node_before 1 || fact destroy_node_before 0
	t0=$(now_ms)
	timeout 30 $XL destroy guest2 >"$OUT/xl-destroy-guest2.txt" 2>&1
	fact destroy_rc $?
	fact destroy_ms "$(ms_since "$t0")"
	fact destroy_backend_gone "$(xenstore-read /local/domain/0/backend/vsnd/$d2/0/state >/dev/null 2>&1 && echo 0 || echo 1)"
	poll 10 no_sink_input_of guest2 && fact destroy_node_gone 1 || fact destroy_node_gone 0
	pw_alive && fact destroy_pipewire_alive 1 || fact destroy_pipewire_alive 0
	mark guest2-destroyed
fi

# 3d. a new guest plays again, two files in one aplay (a second hw_params).
if boot_guest guest3 "play2:L"; then
	wait_console guest3 "XSND play2-start" 1 10 && mark guest3-play-start
	wait_console guest3 "XSND play2-done" 1 60 && mark guest3-play-done
fi
snapshot end
pw_alive && fact pipewire_alive_after_lifecycle 1 || fact pipewire_alive_after_lifecycle 0
finish
