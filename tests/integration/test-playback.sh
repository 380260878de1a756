#!/bin/bash
# SPDX-License-Identifier: MIT
# Guest playback reaches the host sink:
#  - a counter pattern at 48 kHz S16 stereo arrives sample for sample at
#    unity volume (no drop, no repeat, no change of any sample value);
#  - a 1 kHz tone played at 44.1 kHz arrives as 1 kHz in the 48 kHz graph.
. "$(dirname "$0")/common.sh"
guest_check_built "$XT_BUILD" || fail "guest simulator missing"
xt_start_stack
T=$PWS_DIR

step "counter pattern, 48 kHz S16_LE stereo, 3 s"
pws_record_sink "$T/rec-counter.wav" || fail "recorder"
guest_start vm1 --domid 1 --name vm1 --play-counter --rate 48000 --format s16_le --channels 2 --seconds 3 ||
	fail "guest did not start"
poll_or_fail 15 "no node xen-snd.vm1.* appeared" pws_wait_node 'xen-snd.vm1.*'
props=$(pws_q props 'xen-snd.vm1.*') || fail "no props"
echo "$props" | grep -E '"(node.name|media.class|application.name|xen.domain.id|xen.domain.name|node.always-process|media.role)"'
an_prop() { python3 -c 'import json,sys; v=json.load(sys.stdin).get(sys.argv[1]); print("" if v is None else v if isinstance(v, str) else json.dumps(v))' "$1" <<<"$props"; }
[ "$(an_prop media.class)" = Stream/Output/Audio ] || fail "media.class is '$(an_prop media.class)'"
[ "$(an_prop application.name)" = vm1 ] || fail "application.name is '$(an_prop application.name)'"
[ "$(an_prop xen.domain.id)" = 1 ] || fail "xen.domain.id is '$(an_prop xen.domain.id)'"
[ "$(an_prop xen.domain.name)" = vm1 ] || fail "xen.domain.name is '$(an_prop xen.domain.name)'"
[ "$(an_prop node.always-process)" = true ] || fail "node.always-process is '$(an_prop node.always-process)'"
[ -z "$(an_prop media.role)" ] || fail "media.role is set ('$(an_prop media.role)'): VMs would share one restore key"
guest_wait vm1 30 || fail "guest failed: $(guest_log_tail vm1)"
pws_record_stop
an counter "$T/rec-counter.wav" --frames 144000 --max-silences "$(xt_underruns xen-snd.vm1.0.0.0)" || fail "the counter pattern did not arrive intact"
guest_stats_check vm1 || fail "guest statistics show errors"
check_alive

step "1 kHz tone at 44.1 kHz into the 48 kHz graph"
pws_record_sink "$T/rec-tone.wav" || fail "recorder"
# aplay's buffer: the subject is the resampling, not the start (see below)
guest_start vm1b --domid 2 --name vm1b --play-tone 1000 --rate 44100 --format s16_le --channels 2 --seconds 2 \
	--opts period=4096,buffer=16384 || fail "guest did not start"
guest_wait vm1b 30 || fail "guest failed: $(guest_log_tail vm1b)"
pws_record_stop
an tone "$T/rec-tone.wav" --freq 1000 --tol 1 --min-db -20 || fail "no 1 kHz tone at the sink"
check_alive

step "two files in one open: hw_free (CLOSE) and OPEN again, as alsa-lib; then HW_PARAMS again without HW_FREE"
# The second: Linux's frontend frees the buffer without CLOSE and OPENs the
# open stream again, which replaces it (docs/protocol-core.md). With aplay's
# buffer (341 ms): the subject is the re-OPEN, not how fast WirePlumber links
# the new node (50-80 ms at times, more than an 85 ms buffer allows).
for how in files=2,period=4096,buffer=16384 files=2,no-hw-free,period=4096,buffer=16384; do
	pws_record_sink "$T/rec-files.wav" || fail "recorder"
	guest_start vm1c --domid 3 --name vm1c --play-tone 1000 --rate 48000 --format s16_le --channels 2 \
		--seconds 1 --opts "$how" || fail "guest did not start"
	guest_wait vm1c 30 || fail "$how: the second file failed: $(guest_log_tail vm1c)"
	pws_record_stop
	# two seconds of tone, with the silence between the two files cut out
	an tone "$T/rec-files.wav" --freq 1000 --tol 1 --min-db -20 --max-dropouts 1 ||
		fail "$how: no 1 kHz tone at the sink"
done
check_alive
ok "playback"
