#!/bin/bash
# SPDX-License-Identifier: MIT
# Streams nothing links (here: every VM stream has node.autoconnect=false,
# as a policy that gates a VM would leave it): the graph never runs their
# nodes, yet the guests' clocks must run. A playback guest plays to the end
# and drains, a capture guest records silence of the right length, without
# an ALSA timeout; the module says the streams ran on their own clock.
. "$(dirname "$0")/common.sh"
guest_check_built "$XT_BUILD" || fail "guest simulator missing"
XT_MODULE_ARGS="stream.props = { node.autoconnect = false }" xt_start_stack
T=$PWS_DIR
SECS=3

step "vm1 plays and vm2 records $SECS s, nothing links their nodes"
guest_start vm1 --domid 1 --name vm1 --play-tone 440 --seconds "$SECS" || fail "vm1 did not start"
guest_start vm2 --domid 2 --name vm2 --record "$T/vm2.wav" --seconds "$SECS" || fail "vm2 did not start"
poll_or_fail 10 "no node for vm1" pws_wait_node 'xen-snd.vm1.*'
poll_or_fail 10 "no node for vm2" pws_wait_node 'xen-snd.vm2.*'
sleep 1
links=$(pws_run pw-link -l | grep -c 'xen-snd\.vm') 
[ "$links" = 0 ] || fail "the VM nodes are linked ($links lines in pw-link -l); the test needs them unlinked"
guest_wait vm1 30 || fail "vm1 failed: $(guest_log_tail vm1)"
guest_wait vm2 30 || fail "vm2 failed: $(guest_log_tail vm2)"
guest_stats_check vm1 || fail "vm1's statistics show errors"
guest_stats_check vm2 || fail "vm2's statistics show errors"

for node in xen-snd.vm1.0.0.0 xen-snd.vm2.0.0.1; do
	grep -qF "$node: not linked after" "$(pws_log_hint)" || fail "$node: the module did not give up waiting for links"
	own=$(grep -F "$node: closed at position" "$(pws_log_hint)" |
		sed -n 's/.* \([0-9][0-9]*\) frames on its own clock.*/\1/p' | tail -1)
	# all but the wait for links and a tick
	[ -n "$own" ] && [ "$own" -ge $((SECS * 48000 * 8 / 10)) ] ||
		fail "$node: ${own:-no} frames on the stream's own clock, expected most of $((SECS * 48000))"
done
python3 - "$T/vm2.wav" "$SECS" <<-'EOF' || fail "vm2's recording is not $SECS s of silence"
	import sys, wave
	w = wave.open(sys.argv[1])
	n = w.getnframes()
	data = w.readframes(n)
	print(f"vm2 recorded {n} frames, {sum(1 for b in data if b)} non-zero bytes")
	sys.exit(0 if n >= int(sys.argv[2]) * w.getframerate() * 0.95 and not any(data) else 1)
EOF
check_alive
ok "unlinked"
