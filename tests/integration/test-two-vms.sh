#!/bin/bash
# SPDX-License-Identifier: MIT
# Two VMs at once:
#  - both appear in `pactl list sink-inputs` under their VM names
#    (application.name of the client and of the stream);
#  - `pactl set-sink-input-volume` on vm1 changes only vm1's level at the sink;
#  - WirePlumber restores vm1's volume when its stream comes back.
. "$(dirname "$0")/common.sh"
guest_check_built "$XT_BUILD" || fail "guest simulator missing"
xt_start_stack
T=$PWS_DIR

step "vm1 (440 Hz) and vm2 (1000 Hz) play at the same time"
# vm1's application plays twice (open .. close, open .. close): its stream
# goes away and comes back while the VM stays. Both play with aplay's buffer
# (341 ms): with the guest simulator's default 85 ms, vm1's second start is
# at the mercy of WirePlumber, which links a returning stream 50-80 ms after
# START here (restore-stream has work to do), where such a guest allows 58.
guest_start vm1 --domid 1 --name vm1 --play-tone 440 --rate 48000 --format s16_le --channels 2 --seconds 12 \
	--opts cycles=2,period=4096,buffer=16384 || fail "vm1 did not start"
guest_start vm2 --domid 2 --name vm2 --play-tone 1000 --rate 48000 --format s16_le --channels 2 --seconds 40 \
	--opts period=4096,buffer=16384 || fail "vm2 did not start"
poll_or_fail 15 "vm1's stream is not running" pws_wait_running 'xen-snd.vm1.*'
poll_or_fail 15 "vm2's stream is not running" pws_wait_running 'xen-snd.vm2.*'
N1=$(pws_q prop 'xen-snd.vm1.*' node.name)
N2=$(pws_q prop 'xen-snd.vm2.*' node.name)

step "pactl shows both under their VM names"
pws_sink_inputs >"$T/sink-inputs.json" || fail "pactl list sink-inputs failed"
an pulse names <"$T/sink-inputs.json"
an pulse names <"$T/sink-inputs.json" | grep -q "$N1 \"vm1\"" || fail "vm1 is not listed with application.name vm1"
an pulse names <"$T/sink-inputs.json" | grep -q "$N2 \"vm2\"" || fail "vm2 is not listed with application.name vm2"
# The client (one per VM) carries the name too: that is what pavucontrol shows.
for vm in vm1 vm2; do
	cid=$(pws_q prop "xen-snd.$vm.*" client.id) || fail "$vm's node has no client.id"
	name=$(pws_q obj "$cid" application.name) || fail "$vm's client $cid not found"
	[ "$name" = "$vm" ] || fail "$vm's client $cid has application.name '$name'"
done

step "set vm1 to 50 %: only vm1 gets quieter"
pws_record_sink "$T/before.wav" || fail "recorder"
sleep 1.5
pws_record_stop
idx=$(pws_sink_input_index "$N1") || fail "no sink input for $N1"
check pws_run pactl set-sink-input-volume "$idx" 50%
pws_record_sink "$T/after.wav" || fail "recorder"
sleep 1.5
pws_record_stop
b1=$(xt_component_db "$T/before.wav" 440 0.3); a1=$(xt_component_db "$T/after.wav" 440 0.3)
b2=$(xt_component_db "$T/before.wav" 1000 0.3); a2=$(xt_component_db "$T/after.wav" 1000 0.3)
echo "vm1 440 Hz: $b1 -> $a1 dB; vm2 1000 Hz: $b2 -> $a2 dB"
xt_near "$b1" "$b2" 1 || fail "vm1 and vm2 do not start at the same level ($b1 / $b2 dB)"
xt_near "$a1 - $b1" -18.06 1 || fail "vm1 changed by $(python3 -c "print(round($a1 - $b1, 2))") dB, expected -18.06 (50 % = 0.125)"
xt_near "$a2" "$b2" 0.5 || fail "vm2's level changed ($b2 -> $a2 dB)"

step "vm1's stream comes back: WirePlumber restores 50 %"
# object.serial, not the id: PipeWire reuses ids at once.
old_serial=$(pws_q prop "$N1" object.serial) || fail "vm1's node vanished early"
new_node() {
	local serial
	serial=$(pws_q prop "$N1" object.serial) && [ "$serial" != "$old_serial" ] && pws_qn running "$N1"
}
poll_or_fail 25 "vm1's stream did not come back as a new node" new_node
# restore-stream applies the stored volume asynchronously after the node appears.
restored() {
	local v vol
	vol=$(pws_sink_inputs | an pulse volume "$N1") && [ -n "$vol" ] || return 1
	for v in $vol; do xt_near "$v" 0.5 0.01 || return 1; done
}
poll_or_fail 5 "WirePlumber did not restore vm1's volume (now: $(pws_sink_inputs | an pulse volume "$N1"))" restored
pws_record_sink "$T/restored.wav" || fail "recorder"
sleep 1.5
pws_record_stop
r1=$(xt_component_db "$T/restored.wav" 440 0.3); r2=$(xt_component_db "$T/restored.wav" 1000 0.3)
echo "restored: vm1 $r1 dB, vm2 $r2 dB"
xt_near "$r1" "$a1" 1 || fail "vm1's level after restore is $r1 dB, expected $a1"
xt_near "$r2" "$b2" 0.5 || fail "vm2's level changed ($b2 -> $r2 dB)"
vol2=$(pws_sink_inputs | an pulse volume "$N2") || fail "vm2's sink input is gone"
[ -n "$vol2" ] || fail "no volume for vm2"
for v in $vol2; do
	xt_near "$v" 1.0 0.01 || fail "vm2's volume changed to $v"
done
guest_wait vm1 40 || fail "vm1 failed: $(guest_log_tail vm1)"
guest_stop vm2
check_alive
ok "two VMs"
