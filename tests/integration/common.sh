# shellcheck shell=bash
# SPDX-License-Identifier: MIT
# Shared part of the integration tests: `. common.sh BUILD_DIR`.
# Each test starts its own private stack (tests/lib/pw-stack.sh) and stops it
# on exit; a missing prerequisite fails the test.

set -u
XT_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
XT_BUILD=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd) || exit 1
# shellcheck source=../lib/pw-stack.sh
. "$XT_SRC/tests/lib/pw-stack.sh"
# shellcheck source=../lib/guest.sh
. "$XT_SRC/tests/lib/guest.sh"

XT_NAME=$(basename "$0" .sh)
XT_STEP=""

an() { python3 "$PWS_ANALYZE" "$@"; }
step() { XT_STEP=$*; echo "== $XT_NAME: $*"; }
fail() { echo "FAIL: $XT_NAME: ${XT_STEP:+[$XT_STEP] }$*" >&2; exit 1; }
ok() { echo "ok: $*"; }
# soft_fail MSG: records a failure and goes on (xt_finish reports them all).
XT_SOFT_FAILS=()
soft_fail() { echo "FAIL: $XT_NAME: ${XT_STEP:+[$XT_STEP] }$*" >&2; XT_SOFT_FAILS+=("$*"); }
xt_finish() {
	[ ${#XT_SOFT_FAILS[@]} -eq 0 ] || fail "${#XT_SOFT_FAILS[@]} check(s) failed: ${XT_SOFT_FAILS[*]}"
	ok "$XT_NAME"
}
# check CMD...: the command must succeed.
check() { "$@" || fail "command failed: $*"; }
# poll_or_fail TIMEOUT WHAT CMD...
poll_or_fail() {
	local t=$1 what=$2; shift 2
	pws_poll "$t" "$@" || fail "$what (not within $t s)"
}

# The daemon must outlive every test step.
check_alive() { pws_alive || fail "the PipeWire daemon died (log: $PWS_DIR/pipewire.log)"; }

# xt_start_stack [pws_start options]: stack with the simulator and the module.
# The module logs at info level: the checks read its stream statistics.
xt_start_stack() {
	PWS_PW_DEBUG=${PWS_PW_DEBUG:-2,mod.xen-snd:3}
	pws_start --build "$XT_BUILD" --sim --module "xen.domid=0 ${XT_MODULE_ARGS:-}" "$@" ||
		fail "cannot start the stack"
}

# xt_underruns NODE: the cycles in which the guest of stream node NODE had
# not written its audio yet, as the module counted them when the stream
# closed. A late guest is heard as silence and loses nothing; the counter
# check allows that many silent stretches and no more.
xt_underruns() {
	grep -F "$1: closed at position" "$(pws_log_hint)" |
		sed -n 's/.* \([0-9][0-9]*\) underruns.*/\1/p' | awk '{ n += $1 } END { print n + 0 }'
}

# xt_component_db WAV FREQ [FROM TO]: level (dB) of one frequency.
xt_component_db() {
	an components "$1" --freq "$2" ${3:+--from "$3"} ${4:+--to "$4"} |
		python3 -c 'import json,sys; print(list(json.load(sys.stdin).values())[0])'
}

# xt_near A B TOL: |A - B| <= TOL (floats).
xt_near() { python3 -c "import sys; sys.exit(0 if abs($1 - ($2)) <= $3 else 1)"; }
