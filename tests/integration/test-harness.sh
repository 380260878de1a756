#!/bin/bash
# SPDX-License-Identifier: MIT
# Proves the test harness itself, without the module: paplay/parec
# streams that carry the names of VM streams (node.name, application.name) go
# through the same private stack and the same checks as the real tests. Not
# node.always-process: the module sets it only once its node is linked, and a
# client that has it from the start joins the graph unlinked and can lose its
# first quantum (docs/design.md, "Joining the graph"). If this fails, the other integration tests cannot be
# trusted.
. "$(dirname "$0")/common.sh"

pws_start --build "$XT_BUILD" || fail "cannot start the stack"
T=$PWS_DIR

# vm_play NAME FILE: an emulated VM playback stream. paplay, because
# pipewire-pulse buffers generously on a real-time thread; a pw-play client
# underran on the loaded test machine. Real-time too, like the guests.
vm_play() {
	# shellcheck disable=SC2046
	pws_spawn "play-$1" $(pws_rt) paplay --client-name="$1" --property=application.name="$1" \
		--property=node.name="xen-snd.$1.0.0.0" "$2"
}

step "counter pattern through the sink, sample for sample"
an gen-counter "$T/counter.wav" --seconds 3
pws_record_sink "$T/rec-counter.wav" || fail "recorder"
vm_play vm1 "$T/counter.wav"
wait "$PWS_LAST_PID" || fail "paplay failed"
pws_record_stop
an counter "$T/rec-counter.wav" --frames 144000 || fail "counter pattern damaged"

step "a corrupted recording is detected"
python3 - "$T/rec-counter.wav" "$T/bad.wav" <<-'EOF'
	import sys, wave, array
	w = wave.open(sys.argv[1]); p = w.getparams(); a = array.array("h", w.readframes(w.getnframes()))
	nz = next(i for i, v in enumerate(a) if v)
	del a[nz + 20000:nz + 20002]
	o = wave.open(sys.argv[2], "wb"); o.setparams(p); o.writeframes(a.tobytes()); o.close()
EOF
an counter "$T/bad.wav" >/dev/null 2>&1 && fail "the counter check missed a dropped frame"
ok "counter check catches a dropped frame"

step "44.1 kHz tone into the 48 kHz graph"
an gen-tone "$T/tone441.wav" --freq 1000 --rate 44100 --seconds 2
pws_record_sink "$T/rec-tone.wav" || fail "recorder"
vm_play vm1 "$T/tone441.wav"
wait "$PWS_LAST_PID" || fail "paplay failed"
pws_record_stop
an tone "$T/rec-tone.wav" --freq 1000 --tol 1 || fail "1 kHz tone not found"

step "host microphone: its 440 Hz tone reaches a capture stream, glitch-free"
pws_spawn capture parec --format=s16le --rate=48000 --channels=2 --file-format=wav \
	--property=node.name=xen-snd.vm1.0.0.1 --property=application.name=vm1 \
	"$T/cap.wav"
cap=$PWS_LAST_PID
poll_or_fail 10 "capture stream not running" pws_wait_running xen-snd.vm1.0.0.1
poll_or_fail 10 "capture stream not linked to $PWS_SOURCE" pws_q linked-out "$PWS_SOURCE"
sleep 2	# record 2 s of audio
pws_kill "$cap" INT
an tone "$T/cap.wav" --freq "$PWS_SOURCE_FREQ" --tol 1 || fail "$PWS_SOURCE_FREQ Hz not captured"

step "two VMs: names in pactl, per-VM volume, restore"
an gen-tone "$T/vm1.wav" --freq 440 --seconds 20
an gen-tone "$T/vm2.wav" --freq 1000 --seconds 40
vm_play vm1 "$T/vm1.wav"; p1=$PWS_LAST_PID
vm_play vm2 "$T/vm2.wav"; p2=$PWS_LAST_PID
poll_or_fail 10 "vm1 stream not running" pws_wait_running xen-snd.vm1.0.0.0
poll_or_fail 10 "vm2 stream not running" pws_wait_running xen-snd.vm2.0.0.0
names=$(pws_sink_inputs | an pulse names)
echo "$names"
grep -q 'xen-snd.vm1.0.0.0 "vm1"' <<<"$names" || fail "vm1 not in pactl sink-inputs"
grep -q 'xen-snd.vm2.0.0.0 "vm2"' <<<"$names" || fail "vm2 not in pactl sink-inputs"

pws_record_sink "$T/before.wav" || fail "recorder"
sleep 1.5
pws_record_stop
idx=$(pws_sink_input_index xen-snd.vm1.0.0.0) || fail "no sink input for vm1"
check pws_run pactl set-sink-input-volume "$idx" 50%
pws_record_sink "$T/after.wav" || fail "recorder"
sleep 1.5
pws_record_stop
b1=$(xt_component_db "$T/before.wav" 440 0.3); a1=$(xt_component_db "$T/after.wav" 440 0.3)
b2=$(xt_component_db "$T/before.wav" 1000 0.3); a2=$(xt_component_db "$T/after.wav" 1000 0.3)
echo "vm1 440 Hz: $b1 -> $a1 dB; vm2 1000 Hz: $b2 -> $a2 dB"
# 50 % in pulse terms is (0.5)^3 linear = -18.06 dB.
xt_near "$a1 - $b1" -18.06 1 || fail "vm1 level changed by $(python3 -c "print($a1 - $b1)") dB, expected -18"
xt_near "$a2" "$b2" 0.5 || fail "vm2 level changed ($b2 -> $a2 dB)"

pws_kill "$p1"
poll_or_fail 10 "vm1 node did not go away" pws_wait_no_node xen-snd.vm1.0.0.0
vm_play vm1 "$T/vm1.wav"; p1=$PWS_LAST_PID
poll_or_fail 10 "vm1 stream not back" pws_wait_running xen-snd.vm1.0.0.0
vol=$(pws_sink_inputs | an pulse volume xen-snd.vm1.0.0.0) || fail "no sink input for vm1"
echo "vm1 restored volume: $vol"
[ -n "$vol" ] || fail "no volume for vm1"
for v in $vol; do
	xt_near "$v" 0.5 0.01 || fail "WirePlumber did not restore vm1's volume (got $vol, expected 0.5)"
done
vol2=$(pws_sink_inputs | an pulse volume xen-snd.vm2.0.0.0) || fail "vm2's stream ended too early"
[ -n "$vol2" ] || fail "no volume for vm2"
for v in $vol2; do
	xt_near "$v" 1.0 0.01 || fail "vm2's volume changed (got $vol2)"
done
pws_kill "$p1"; pws_kill "$p2"
check_alive
ok "harness proven"
