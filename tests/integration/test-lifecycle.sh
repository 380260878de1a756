#!/bin/bash
# SPDX-License-Identifier: MIT
# VM life cycle while another VM plays. vm2 plays a counter pattern for the
# whole test; vm1 plays silence into the same sink (so the mix stays exactly
# vm2's pattern) and goes through, mid-stream:
#   1. reboot as xl does it: the guest stops dead, xl destroys the domain
#      (device removal, then the domain) and creates it again with a new
#      domid and the same name; the frontend connects again and plays;
#   2. xl vsnd-detach: backend online=0 + state=5, the backend must reach
#      Closed (6) within libxl's 10 s, then both directories go;
#   3. domain destroy: the domain vanishes under the running stream (as for a
#      crashed guest whose toolstack did not remove the device: only
#      @releaseDomain fires).
# Each time: vm1's node goes away, the daemon's mappings of guest memory
# drop back to vm2's, the daemon stays up. At the end vm2's pattern must be
# intact: no break, every frame.
. "$(dirname "$0")/common.sh"
guest_check_built "$XT_BUILD" || fail "guest simulator missing"
CTL=$XT_BUILD/tools/xen-sim/xen-sim-ctl
[ -x "$CTL" ] || fail "xen-sim-ctl not built"
xt_start_stack
T=$PWS_DIR
VM2_SECONDS=40

step "vm2 plays a counter pattern for ${VM2_SECONDS} s"
pws_record_sink "$T/rec.wav" || fail "recorder"
guest_start vm2 --domid 2 --name vm2 --play-counter --rate 48000 --format s16_le --channels 2 \
	--seconds $VM2_SECONDS || fail "vm2 did not start"
poll_or_fail 15 "vm2's stream is not running" pws_wait_running 'xen-snd.vm2.*'
maps_vm2=$(pws_guest_maps)
echo "guest mappings in the daemon with vm2 alone: $maps_vm2"
[ "$maps_vm2" -gt 0 ] || fail "no guest mappings found in the daemon (pws_guest_maps is blind)"

maps_back() { [ "$(pws_guest_maps)" -eq "$maps_vm2" ]; }

# vm1_up ID DOMID: vm1 (named vm1) plays silence; waits until it streams.
vm1_up() {
	guest_start "$1" --domid "$2" --name vm1 --play-silence --rate 48000 --format s16_le --channels 2 \
		--seconds 60 --no-destroy || fail "vm1 did not start"
	poll_or_fail 15 "vm1's stream is not running" pws_wait_running 'xen-snd.vm1.*'
	[ "$(pws_guest_maps)" -gt "$maps_vm2" ] || fail "vm1's buffers are not mapped in the daemon?"
}

# vm1_gone WHAT: vm1's node and mappings are gone, the daemon lives.
vm1_gone() {
	poll_or_fail 10 "vm1's node is still there after $1" pws_wait_no_node 'xen-snd.vm1.*'
	poll_or_fail 5 "guest mappings after $1: $(pws_guest_maps), expected $maps_vm2" maps_back
	check_alive
	kill -0 "${GUEST_PID[vm2]}" 2>/dev/null || fail "vm2 stopped during $1 ($(guest_log_tail vm2))"
	ok "$1: node and mappings released, vm2 still playing"
}

# xl_remove_devices DOMID: what libxl does to remove vsnd 0 of a domain.
xl_remove_devices() {
	local be=/local/domain/0/backend/vsnd/$1/0 fe=/local/domain/$1/device/vsnd/0
	check pws_xenstore xenstore-write "$be/online" 0 "$be/state" 5
	closed() { [ "$(pws_xenstore xenstore-read "$be/state")" = 6 ]; }
	poll_or_fail 10 "backend of domain $1 did not reach Closed (libxl's 10 s timeout)" closed
	check pws_xenstore xenstore-rm "$be"
	check pws_xenstore xenstore-rm "$fe"
}

step "reboot vm1 (domain 1 -> domain 3)"
vm1_up vm1a 1
guest_stop vm1a			# the guest stops dead, as a rebooting kernel does for the backend
xl_remove_devices 1
check "$CTL" --dir "$PWS_SIM_DIR" destroy 1
vm1_gone "reboot (old domain)"
vm1_up vm1b 3			# same name, new domid, as xl reboot
ok "vm1 is back after the reboot"

step "xl vsnd-detach of vm1 mid-stream"
xl_remove_devices 3
vm1_gone "vsnd-detach"
guest_stop vm1b
check "$CTL" --dir "$PWS_SIM_DIR" destroy 3

step "domain destroy of vm1 mid-stream"
vm1_up vm1c 4
check "$CTL" --dir "$PWS_SIM_DIR" destroy 4
# Only @releaseDomain fires; the device directories stay until a toolstack
# removes them, so the backend has to notice that the domain is gone.
if pws_wait_no_node 'xen-snd.vm1.*' 10; then
	vm1_gone "domain destroy"
else
	soft_fail "vm1's node is still there 10 s after its domain was destroyed (@releaseDomain, no device removal)"
	# Clean up as xl would (forced removal), to go on with vm2's check.
	pws_xenstore xenstore-rm /local/domain/0/backend/vsnd/4/0
	pws_xenstore xenstore-rm /local/domain/4
	pws_wait_no_node 'xen-snd.vm1.*' 10 || soft_fail "vm1's node outlived the removal of its device directories"
fi
guest_stop vm1c

step "vm2's pattern is intact"
kill -0 "${GUEST_PID[vm2]}" 2>/dev/null || fail "vm2 ended before the life-cycle steps did: raise VM2_SECONDS"
guest_wait vm2 $((VM2_SECONDS + 30)) || fail "vm2 failed: $(guest_log_tail vm2)"
pws_record_stop
an counter "$T/rec.wav" --frames $((VM2_SECONDS * 48000)) --max-silences "$(xt_underruns xen-snd.vm2.0.0.0)" || fail "vm2's counter pattern was damaged"
guest_stats_check vm2 || fail "vm2's statistics show errors"
check_alive
xt_finish
