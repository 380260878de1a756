#!/bin/bash
# SPDX-License-Identifier: MIT
# Guest capture: the 440 Hz tone of the host microphone (xen-test-source,
# the default source) is found in the guest's recording, without glitches.
. "$(dirname "$0")/common.sh"
guest_check_built "$XT_BUILD" || fail "guest simulator missing"
xt_start_stack
T=$PWS_DIR


step "guest records 3 s at 48 kHz S16_LE stereo"
guest_start vm1 --domid 1 --name vm1 --record "$T/guest.wav" --rate 48000 --format s16_le --channels 2 --seconds 3 ||
	fail "guest did not start"
poll_or_fail 15 "no capture node for vm1" pws_wait_node 'xen-snd.vm1.*'
[ "$(pws_q prop 'xen-snd.vm1.*' media.class)" = Stream/Input/Audio ] || fail "capture node is not Stream/Input/Audio"
poll_or_fail 10 "vm1's capture node is not linked to $PWS_SOURCE" pws_q linked-out "$PWS_SOURCE"
guest_wait vm1 30 || fail "guest failed: $(guest_log_tail vm1)"
[ -s "$T/guest.wav" ] || fail "the guest wrote no WAV"
# From 0.3 s: the microphone is fed by a pw-cat client, and a client next to
# the driver can lose a cycle, after which the source gives one cycle of
# silence (the module wrote what the source gave: its log says 0 empty
# cycles); see docs/testing.md, "Reading the sink". Up to two such silent
# cycles are measured around; the tone between them must be clean.
an tone "$T/guest.wav" --from 0.3 --freq "$PWS_SOURCE_FREQ" --tol 1 --min-db -20 --max-dropouts 2 ||
	fail "440 Hz not in the guest's recording"
guest_stats_check vm1 || fail "guest statistics show errors"

step "a 44.1 kHz capture stream gets the tone resampled"
guest_start vm2 --domid 2 --name vm2 --record "$T/guest441.wav" --rate 44100 --format s16_le --channels 1 --seconds 2 ||
	fail "guest did not start"
guest_wait vm2 30 || fail "guest failed: $(guest_log_tail vm2)"
an tone "$T/guest441.wav" --from 0.3 --freq "$PWS_SOURCE_FREQ" --tol 1 --min-db -20 --max-dropouts 2 || fail "440 Hz not in the 44.1 kHz mono recording"
check_alive
ok "capture"
