#!/bin/sh
# Debian's unmodified xenstore-utils against the simulator's xenstored:
# round trip, listing, removal, watches with their initial event,
# permissions between two domains, domain introduce/release watches.
# Usage: test-xenstore-utils.sh XEN_SIM XEN_SIM_CTL
set -u
SIM=$1
CTL=$2
fails=0

fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
need() { command -v "$1" >/dev/null || { echo "FAIL: $1 not installed (Debian package xenstore-utils)" >&2; exit 1; }; }
for t in xenstore-read xenstore-write xenstore-ls xenstore-rm xenstore-exists xenstore-list \
	 xenstore-watch xenstore-chmod; do need "$t"; done

DIR=$(mktemp -d /tmp/xensim-utils-XXXXXX)
SIM_PID=
cleanup() {
	[ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null && wait "$SIM_PID" 2>/dev/null
	rm -rf "$DIR"
}
trap cleanup EXIT INT TERM

"$SIM" --dir "$DIR" --foreground 2>"$DIR/log" &
SIM_PID=$!
i=0
while [ ! -e "$DIR/ready" ]; do
	i=$((i + 1))
	[ $i -gt 500 ] && { echo "FAIL: simulator not ready" >&2; cat "$DIR/log" >&2; exit 1; }
	sleep 0.01
done

export XENSTORED_PATH="$DIR/xenstored"
T="timeout 10"

# The acceptance line.
$T xenstore-write /a/b c || fail "xenstore-write /a/b c"
[ "$($T xenstore-read /a/b)" = c ] || fail "xenstore-read /a/b did not print c"
$T xenstore-ls | grep -q '^ b = "c"$' || fail "xenstore-ls does not list b = \"c\""

# Round trip of several keys and values with spaces.
$T xenstore-write /r/one 1 /r/two "two words" || fail "multi write"
[ "$($T xenstore-read /r/two)" = "two words" ] || fail "value with a space"
[ "$($T xenstore-list /r | sort | tr '\n' ' ')" = "one two " ] || fail "xenstore-list /r"
$T xenstore-exists /r/one || fail "xenstore-exists on a present node"
$T xenstore-exists /r/none 2>/dev/null && fail "xenstore-exists on an absent node succeeded"
$T xenstore-read /r/none 2>/dev/null && fail "xenstore-read of an absent node succeeded"
$T xenstore-rm /r || fail "xenstore-rm /r"
$T xenstore-exists /r/one 2>/dev/null && fail "recursive rm left a child"
$T xenstore-exists /r 2>/dev/null && fail "rm left the node"

# Watch: initial event, then one per change (and the removal).
$T xenstore-watch -n 3 /w >"$DIR/watch.out" 2>&1 &
WPID=$!
sleep 0.3
$T xenstore-write /w/x 1
$T xenstore-rm /w
wait $WPID || fail "xenstore-watch -n 3 did not see 3 events"
[ "$(tr '\n' ' ' <"$DIR/watch.out")" = "/w /w/x /w " ] || fail "watch events: $(cat "$DIR/watch.out")"

# Initial event alone: -n 1 returns without any change.
$T xenstore-watch -n 1 /nothing/here >/dev/null || fail "no initial watch event"

# Permissions between two domains.
"$CTL" --dir "$DIR" create 1 one || fail "create domain 1"
"$CTL" --dir "$DIR" create 2 two || fail "create domain 2"
D1="$DIR/xenstored.d1"
D2="$DIR/xenstored.d2"
[ "$(XENSTORED_PATH=$D1 $T xenstore-read name)" = one ] || fail "domain 1 reads its own name"
# libxl's home: dom0's with read for the guest; data/ is the guest's own.
XENSTORED_PATH=$D2 $T xenstore-write secret s2 2>/dev/null &&
	fail "domain 2 wrote outside the subtrees libxl gives it"
$T xenstore-ls -p /local/domain | grep -q '^2 = "".*(n0,r2)' || fail "home not (n0,r2)"
XENSTORED_PATH=$D2 $T xenstore-write data/secret s2 || fail "domain 2 writes in its data/"
XENSTORED_PATH=$D1 $T xenstore-read /local/domain/2/data/secret 2>/dev/null &&
	fail "domain 1 read domain 2's private node"
XENSTORED_PATH=$D1 $T xenstore-write /local/domain/2/data/secret x 2>/dev/null &&
	fail "domain 1 wrote domain 2's node"
XENSTORED_PATH=$D2 $T xenstore-chmod /local/domain/2/data/secret n2 r1 || fail "chmod by the owner"
[ "$(XENSTORED_PATH=$D1 $T xenstore-read /local/domain/2/data/secret)" = s2 ] ||
	fail "domain 1 cannot read after chmod r1"
XENSTORED_PATH=$D1 $T xenstore-write /local/domain/2/data/secret x 2>/dev/null &&
	fail "read permission allowed a write"
$T xenstore-ls -p /local/domain/2/data | grep -q 'secret = "s2".*(n2,r1)' || fail "xenstore-ls -p perms"

# Domain lifecycle watches (dom0).
$T xenstore-watch -n 2 @introduceDomain >"$DIR/intro.out" 2>&1 &
WPID=$!
sleep 0.3
"$CTL" --dir "$DIR" create 3 three || fail "create domain 3"
wait $WPID || fail "@introduceDomain not fired"
$T xenstore-watch -n 2 @releaseDomain >"$DIR/rel.out" 2>&1 &
WPID=$!
sleep 0.3
"$CTL" --dir "$DIR" destroy 3 || fail "destroy domain 3"
wait $WPID || fail "@releaseDomain not fired"
[ -e "$DIR/xenstored.d3" ] && fail "socket of a destroyed domain still there"
"$CTL" --dir "$DIR" destroy 3 2>/dev/null && fail "destroying twice succeeded"

# Clean exit on SIGTERM.
kill "$SIM_PID"
wait "$SIM_PID"
rc=$?
SIM_PID=
[ $rc -eq 0 ] || fail "xen-sim exit status $rc after SIGTERM"
[ -e "$DIR/control" ] && fail "control socket left behind"

# Daemon mode: returns once ready, and still obeys SIGTERM after the fork.
"$SIM" --dir "$DIR/bg" 2>>"$DIR/log" || fail "xen-sim (daemon mode) failed to start"
if [ -e "$DIR/bg/ready" ]; then
	BG=$(cat "$DIR/bg/ready")
	[ "$(XENSTORED_PATH=$DIR/bg/xenstored $T xenstore-read /local/domain/0/name)" = Domain-0 ] ||
		fail "daemon-mode simulator does not answer"
	kill "$BG"
	i=0
	while [ -e "$DIR/bg/control" ] && [ $i -lt 200 ]; do i=$((i + 1)); sleep 0.01; done
	[ -e "$DIR/bg/control" ] && { fail "daemon-mode simulator ignored SIGTERM"; kill -9 "$BG"; }
else
	fail "DIR/ready missing when the daemon-mode simulator returned"
fi

if [ $fails -ne 0 ]; then
	echo "--- simulator log" >&2
	cat "$DIR/log" >&2
	echo "test-xenstore-utils: $fails failure(s)" >&2
	exit 1
fi
echo "test-xenstore-utils: all checks passed"
