#!/bin/bash
# SPDX-License-Identifier: MIT
# Node churn next to a playing VM: vm2 plays a counter pattern for 20 s while
# twelve other VMs each open a stream, play half a second and go away. vm2's
# pattern must reach the sink intact (no sample dropped, repeated or changed;
# silence only where the module counted vm2's guest late).
. "$(dirname "$0")/common.sh"
guest_check_built "$XT_BUILD" || fail "guest simulator missing"
xt_start_stack
T=$PWS_DIR
SECS=20

step "vm2 plays a counter pattern for $SECS s while 12 VMs come and go"
pws_record_sink "$T/rec.wav" || fail "recorder"
guest_start vm2 --domid 2 --name vm2 --play-counter --rate 48000 --format s16_le --channels 2 \
	--seconds "$SECS" || fail "vm2 did not start"
poll_or_fail 15 "vm2's stream is not running" pws_wait_running 'xen-snd.vm2.*'
for i in $(seq 3 14); do
	guest_start "vm$i" --domid "$i" --name "vm$i" --play-silence --rate 48000 --format s16_le \
		--channels 2 --seconds 0.5 || fail "vm$i did not start"
	sleep 1.2
done
for i in $(seq 3 14); do
	guest_wait "vm$i" 30 || fail "vm$i failed: $(guest_log_tail "vm$i")"
done
guest_wait vm2 $((SECS + 30)) || fail "vm2 failed: $(guest_log_tail vm2)"
pws_record_stop
an counter "$T/rec.wav" --frames $((SECS * 48000)) --max-silences "$(xt_underruns xen-snd.vm2.0.0.0)" ||
	fail "vm2's counter pattern was damaged while other VMs came and went"
guest_stats_check vm2 || fail "vm2's statistics show errors"
check_alive
ok "churn"
