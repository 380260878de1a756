#!/bin/bash
# SPDX-License-Identifier: MIT
# The module works when loaded the two other documented ways (the drop-in
# into the daemon is what every other test uses):
#  - a dedicated `pipewire -c xen-snd.conf` process (conf/xen-snd.conf as
#    shipped, plus the simulator backend) connected to the main daemon;
#  - `pw-cli -m load-module` (lives as long as pw-cli does).
# In both cases a guest's tone reaches the daemon's sink, the VM's node is
# owned by that process, and ending the process removes the node while the
# daemon stays up.
. "$(dirname "$0")/common.sh"
guest_check_built "$XT_BUILD" || fail "guest simulator missing"
[ -f "$XT_SRC/conf/xen-snd.conf" ] || fail "conf/xen-snd.conf is missing (the lead's file)"
pws_start --build "$XT_BUILD" --sim || fail "cannot start the stack"
T=$PWS_DIR

# play_through NAME DOMID OWNER_PID: a guest plays 1 kHz; its node must be a
# client of OWNER_PID and the tone must reach the sink.
play_through() {
	local vm=$1 domid=$2 owner=$3 cid pid
	pws_record_sink "$T/rec-$vm.wav" || fail "recorder"
	guest_start "$vm" --domid "$domid" --name "$vm" --play-tone 1000 --rate 48000 --format s16_le \
		--channels 2 --seconds 6 || fail "guest did not start"
	poll_or_fail 15 "no node for $vm (${XT_HINT:-})" pws_wait_node "xen-snd.$vm.*"
	cid=$(pws_q prop "xen-snd.$vm.*" client.id) || fail "no client.id"
	pid=$(pws_q obj "$cid" application.process.id) || fail "$vm's client $cid not found"
	[ "$pid" = "$owner" ] || fail "$vm's client belongs to pid '$pid', expected $owner"
	guest_wait "$vm" 30 || fail "guest failed: $(guest_log_tail "$vm")"
	pws_record_stop
	an tone "$T/rec-$vm.wav" --freq 1000 --tol 1 --min-db -20 || fail "tone of $vm did not reach the sink"
}

step "pipewire -c xen-snd.conf"
XT_HINT="log: $T/modproc.log"
pws_start_module_process "" || fail "the dedicated process did not start"
kill -0 "$PWS_PID_MODPROC" || fail "the dedicated process died"
play_through vm1 1 "$PWS_PID_MODPROC"
guest_start vm1b --domid 2 --name vm1b --play-tone 1000 --rate 48000 --format s16_le --channels 2 --seconds 20 ||
	fail "guest did not start"
poll_or_fail 15 "no node for vm1b" pws_wait_node 'xen-snd.vm1b.*'
pws_kill "$PWS_PID_MODPROC"
poll_or_fail 10 "vm1b's node outlived the dedicated process" pws_wait_no_node 'xen-snd.vm1b.*'
guest_stop vm1b
check_alive

step "pw-cli -m load-module"
# client-rt.conf: pw-cli's context then has module-rt, so the module's
# streams get a real-time data thread as in the daemon.
PWS_SPAWN_ENV="PIPEWIRE_CONFIG_NAME=client-rt.conf" pws_spawn pw-cli pw-cli -m load-module libpipewire-module-xen-snd \
	"{ xen.backend = sim xen.sim.dir = \"$PWS_SIM_DIR\" xen.domid = 0 }"
cli=$PWS_LAST_PID
XT_HINT="pw-cli log: $T/pw-cli.log"
play_through vm2 3 "$cli"
kill -0 "$cli" 2>/dev/null || fail "pw-cli exited: $(tail -3 "$T/pw-cli.log")"
pws_kill "$cli"
check_alive
ok "loading"
