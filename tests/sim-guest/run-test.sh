#!/bin/bash
# SPDX-License-Identifier: MIT
# Guest simulator scenarios against a private Xen simulator instance.
# usage: run-test.sh SCENARIO XEN_SIM VSND_GUEST TEST_BACKEND WAV_GEN
set -u
scenario=$1 XEN_SIM=$2 GUEST=$3 BACKEND=$4 WAVGEN=$5

fail() { echo "FAIL: $*" >&2; exit 1; }
for tool in jq xenstore-ls xenstore-read; do
	command -v $tool >/dev/null || fail "$tool not installed (Debian: jq, xenstore-utils)"
done

DIR=$(mktemp -d /tmp/vsnd-guest-test.XXXXXX)
SIM_PID= BE_PID=
cleanup() {
	for p in $BE_PID $SIM_PID; do
		kill -TERM $p 2>/dev/null
	done
	for p in $BE_PID $SIM_PID; do
		for _ in $(seq 20); do kill -0 $p 2>/dev/null || break; sleep 0.1; done
		kill -KILL $p 2>/dev/null
		wait $p 2>/dev/null
	done
	rm -rf "$DIR"
}
trap cleanup EXIT

"$XEN_SIM" --dir "$DIR" --foreground >"$DIR/sim.log" 2>&1 &
SIM_PID=$!
for _ in $(seq 50); do [ -e "$DIR/ready" ] && break; sleep 0.1; done
[ -e "$DIR/ready" ] || fail "xen-sim did not become ready: $(cat "$DIR/sim.log")"
CTL=$DIR/control
export XENSTORED_PATH=$DIR/xenstored

start_backend() {
	"$BACKEND" --control "$CTL" --report "$DIR/be.json" --exit-when-idle "$@" 2>"$DIR/be.log" &
	BE_PID=$!
	for _ in $(seq 50); do grep -q ready "$DIR/be.log" && return; sleep 0.1; done
	fail "test backend did not start: $(cat "$DIR/be.log")"
}

wait_backend() {
	for _ in $(seq 100); do kill -0 $BE_PID 2>/dev/null || break; sleep 0.1; done
	kill -0 $BE_PID 2>/dev/null && fail "test backend still running after the domains were destroyed"
	wait $BE_PID || fail "test backend failed: $(cat "$DIR/be.log")"
	BE_PID=
	[ -s "$DIR/be.json" ] || fail "no backend report"
}

# jq_check FILE FILTER MESSAGE: FILTER must print true
jq_check() {
	[ "$(jq -r "$2" "$1")" = true ] || { echo "--- $1:"; cat "$1"; fail "$3"; }
}

SPEC="['CARD, sample-rates=44100;48000, buffer-size=65536', 'PCM, name=Main', 'STREAM, unique-id=pb0, type=p', 'STREAM, unique-id=cap0, type=c']"

case $scenario in
playback-counter)
	start_backend
	"$GUEST" --control "$CTL" --stats "$DIR/st.json" --trace "$DIR/trace.csv" \
		--vm 5 --name guest5 --vsnd "$SPEC" \
		--play source=counter,format=s16_le,rate=48000,channels=2,period=1024,buffer=4096,duration=1 \
		--record format=s16_le,rate=48000,channels=2,period=1024,buffer=4096,duration=0.5,file=$DIR/rec.wav \
		>"$DIR/guest.out" 2>"$DIR/guest.err" || { cat "$DIR/guest.err"; fail "vsnd-guest exit status $?"; }
	wait_backend
	jq_check "$DIR/st.json" '.ok' "guest reports failure"
	jq_check "$DIR/st.json" '.streams[0].id_errors == 0 and .streams[0].cur_pos_events > 0' "position events"
	jq_check "$DIR/st.json" '.streams[0].xruns == 0 and .streams[0].period_elapsed >= 40' "period wakeups"
	jq_check "$DIR/st.json" '.streams[0].frames == 48000 and .streams[0].bytes == 192000' "frames played"
	jq_check "$DIR/st.json" '.streams[0].ops.hw_param_query.count >= 5 and .streams[0].ops.open.count == 1 and .streams[0].ops.close.count == 1' "request mix"
	jq_check "$DIR/st.json" '.streams[0].ops.write.errors == 0 and .streams[0].ops.trigger.count >= 2' "writes/triggers"
	jq_check "$DIR/st.json" '.streams[0].last_position >= 192000' "position reached the end of the data"
	jq_check "$DIR/st.json" '.streams[1].ok and .streams[1].frames == 24000 and .streams[1].ops.read.count > 0' "capture"
	jq_check "$DIR/be.json" '.pattern_errors == 0 and .bad_requests == 0' "backend saw bad data or requests"
	jq_check "$DIR/be.json" '.frames_checked == 48000' "backend did not see every frame"
	[ "$(stat -c %s "$DIR/rec.wav")" = $((44 + 24000 * 4)) ] || fail "capture WAV size"
	grep -q ',pos,' "$DIR/trace.csv" && grep -q ',write,' "$DIR/trace.csv" || fail "trace lacks events"
	;;
formats)
	for fmt in s24_le s32_le float_le u8; do
		start_backend
		"$GUEST" --control "$CTL" --stats "$DIR/st.json" --quiet \
			--vm 7 --vsnd "['CARD, sample-rates=48000', 'PCM, name=Main', 'STREAM, type=p']" \
			--xs-write "sample-formats=s16_le,s24_le,s32_le,float_le,u8" \
			--play source=counter,format=$fmt,rate=48000,channels=2,period=512,buffer=2048,frames=12000 \
			2>"$DIR/guest.err" || { cat "$DIR/guest.err"; fail "$fmt: vsnd-guest failed"; }
		wait_backend
		jq_check "$DIR/st.json" '.ok and .streams[0].id_errors == 0' "$fmt: guest"
		jq_check "$DIR/be.json" '.pattern_errors == 0 and .frames_checked == 12000' "$fmt: backend check"
	done
	;;
no-backend)
	# libxl: 10 s for InitWait, then the failed domain is destroyed, which
	# waits another 10 s for the backend to close the device.
	start=$(date +%s.%N)
	"$GUEST" --control "$CTL" --vm 5 --vsnd "$SPEC" --play duration=1 >"$DIR/guest.out" 2>"$DIR/guest.err"
	rc=$?
	elapsed=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
	[ $rc -ne 0 ] || fail "vsnd-guest succeeded without a backend"
	grep -q "unable to add device with path /local/domain/0/backend/vsnd/5/0" "$DIR/guest.err" ||
		{ cat "$DIR/guest.err"; fail "no libxl-like message"; }
	grep -q "unable to add vsnd devices" "$DIR/guest.err" || fail "no domcreate message"
	grep -A1 "unable to add vsnd devices" "$DIR/guest.err" | tail -1 |
		grep -q "backend /local/domain/0/backend/vsnd/5/0 did not reach InitWait (state 2) within 10 s" ||
		{ cat "$DIR/guest.err"; fail "no plain-words hint after libxl's lines"; }
	grep -q "unable to remove device with path /local/domain/0/backend/vsnd/5/0" "$DIR/guest.err" ||
		fail "no libxl-like removal failure"
	awk -v e="$elapsed" 'BEGIN { exit !(e >= 19.5 && e < 26) }' || fail "failed after $elapsed s, not ~20 s"
	xenstore-read /local/domain/5/name 2>/dev/null && fail "domain 5 left behind in xenstore"
	true
	;;
skipped-event-id)
	start_backend --skip-id-after 20
	"$GUEST" --control "$CTL" --stats "$DIR/st.json" --vm 5 --vsnd "$SPEC" \
		--play source=counter,period=1024,buffer=4096,duration=3,expect-fail \
		>"$DIR/guest.out" 2>"$DIR/guest.err" || { cat "$DIR/guest.err"; fail "vsnd-guest exit status"; }
	wait_backend
	jq_check "$DIR/be.json" '.skipped_ids == 1' "backend did not skip an id"
	jq_check "$DIR/st.json" '.streams[0].id_errors > 0 and .streams[0].cur_pos_events == 20' "guest did not count id errors"
	jq_check "$DIR/st.json" '.streams[0].result | test("write: Input/output error")' "guest did not stall like Linux"
	jq_check "$DIR/st.json" '.streams[0].frames < 144000' "guest played everything despite the stall"
	grep -q "timeout (DMA or IRQ trouble?)" "$DIR/guest.err" || fail "no ALSA timeout message"
	grep -qE "Timeout reached|unable to remove device" "$DIR/guest.err" &&
		fail "backend did not close within libxl's timeout"
	;;
sequences)
	# suspend (PAUSE, then prepare+START as Linux does), wire PAUSE/RESUME,
	# drop/prepare/restart and two open..close cycles; data stays sample-exact.
	start_backend
	"$GUEST" --control "$CTL" --stats "$DIR/st.json" --quiet --vm 5 --vsnd "$SPEC" \
		--play source=counter,duration=1.5,cycles=2,pause=200:100,pause-resume=500:100,stop=900:50 \
		--record source=counter,duration=0.5,stop=200:50 \
		2>"$DIR/guest.err" || { cat "$DIR/guest.err"; fail "vsnd-guest failed"; }
	wait_backend
	jq_check "$DIR/st.json" '.ok and .streams[0].id_errors == 0 and .streams[1].id_errors == 0' "guest"
	jq_check "$DIR/st.json" '.streams[0].ops.open.count == 2 and .streams[0].ops.close.count == 2' "cycles"
	jq_check "$DIR/st.json" '.streams[0].ops.trigger.count >= 10' "triggers"
	jq_check "$DIR/be.json" '.pattern_errors == 0 and .frames_checked == 144000 and .bad_requests == 0' "backend check"
	jq_check "$DIR/be.json" '.start_after_pause == 2' "Linux's suspend sequence (PAUSE, then START) not seen"
	;;
drain-clamped)
	# A backend whose position stops at the last byte received: Linux only
	# re-reads the pointer on period wakeups (strict '>' test), so drain
	# never sees the end and fails after ALSA's timeout (1.1 buffer times,
	# at least 100 ms, as in Debian's 6.1 kernel).
	start_backend --clamp-to-data
	"$GUEST" --control "$CTL" --stats "$DIR/st.json" --vm 5 --vsnd "$SPEC" \
		--play source=counter,period=1024,buffer=4096,frames=48000,expect-fail \
		>"$DIR/guest.out" 2>"$DIR/guest.err" || { cat "$DIR/guest.err"; fail "vsnd-guest exit status"; }
	wait_backend
	jq_check "$DIR/st.json" '.streams[0].result == "drain: Input/output error"' "drain did not fail"
	jq_check "$DIR/st.json" '.streams[0].last_position == 192000 and .streams[0].id_errors == 0' "positions"
	grep -q "playback drain timeout" "$DIR/guest.err" || fail "no drain timeout message"
	jq_check "$DIR/be.json" '.pattern_errors == 0 and .frames_checked == 48000' "backend check"
	;;
backend-errors)
	# An error answer to HW_PARAM_QUERY fails hw_params, as the ALSA rule does.
	start_backend --fail-op 9
	"$GUEST" --control "$CTL" --stats "$DIR/st.json" --vm 5 --vsnd "$SPEC" \
		--play duration=0.2,expect-fail >"$DIR/guest.out" 2>"$DIR/guest.err" ||
		{ cat "$DIR/guest.err"; fail "vsnd-guest exit status"; }
	wait_backend
	jq_check "$DIR/st.json" '.streams[0].result == "hw_params: any: Input/output error"' "query error"
	jq_check "$DIR/st.json" '.streams[0].ops.hw_param_query.count == 1 and (.streams[0].ops.open.count // 0) == 0' "requests after a failed query"
	grep -q "Failed to query ALSA HW parameters" "$DIR/guest.err" || fail "no Linux message"
	# An unanswered WRITE times out after 3 s (-ETIMEDOUT); later requests still work.
	start_backend --ignore-op 3
	start=$(date +%s.%N)
	"$GUEST" --control "$CTL" --stats "$DIR/st.json" --vm 5 --vsnd "$SPEC" \
		--play duration=0.2,expect-fail >"$DIR/guest.out" 2>"$DIR/guest.err" ||
		{ cat "$DIR/guest.err"; fail "vsnd-guest exit status"; }
	elapsed=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
	wait_backend
	jq_check "$DIR/st.json" '.streams[0].result == "write: Connection timed out"' "write timeout"
	jq_check "$DIR/st.json" '.streams[0].ops.write.timeouts == 1 and .streams[0].ops.close.errors == 0' "timeout accounting"
	awk -v e="$elapsed" 'BEGIN { exit !(e >= 3 && e < 8) }' || fail "took $elapsed s"
	;;
multi-guest)
	start_backend
	"$GUEST" --control "$CTL" --stats "$DIR/st.json" --quiet \
		--vm 5 --vsnd "$SPEC" --play source=counter,duration=1 \
		--vm 6 --name other --vsnd "['PCM, name=A', 'STREAM, type=p']" \
		--play source=counter,rate=44100,period=441,buffer=1764,duration=1,stop=300:100 --detach \
		2>"$DIR/guest.err" || { cat "$DIR/guest.err"; fail "vsnd-guest failed"; }
	wait_backend
	grep -qE "Timeout reached|unable to remove device" "$DIR/guest.err" &&
		fail "backend did not close within libxl's timeout"
	# vm6 was only detached (xl vsnd-detach): domain alive, device nodes gone
	xenstore-read /local/domain/6/name >/dev/null || fail "detach destroyed the domain"
	xenstore-read /local/domain/6/device/vsnd/0/state >/dev/null 2>&1 && fail "frontend node left after detach"
	xenstore-read /local/domain/0/backend/vsnd/6/0/state >/dev/null 2>&1 && fail "backend node left after detach"
	xenstore-read /local/domain/5/name >/dev/null 2>&1 && fail "destroyed domain left in xenstore"
	jq_check "$DIR/st.json" '.ok and (.streams | length) == 2' "guests"
	jq_check "$DIR/st.json" '[.streams[].id_errors] == [0, 0]' "id errors"
	jq_check "$DIR/st.json" '.streams[1].ops.trigger.count >= 4' "stop/restart sequence"
	jq_check "$DIR/be.json" '.pattern_errors == 0 and .frames_checked == 92100' "backend pattern check"
	;;
xl-spec)
	start_backend
	"$GUEST" --control "$CTL" --quiet --no-destroy --vm 9 \
		--vsnd "['CARD, short-name=Sim, sample-rates=8000;44100, sample-formats=s16_le;f32_le, channels-max=2', 'PCM, name=Main, buffer-size=32768', 'STREAM, unique-id=pb0, type=p', 'stream, type=C, channels-min=2']" \
		2>"$DIR/guest.err" || { cat "$DIR/guest.err"; fail "vsnd-guest failed"; }
	FE=/local/domain/9/device/vsnd/0 BE=/local/domain/0/backend/vsnd/9/0
	expect() { v=$(xenstore-read "$1" 2>&1); [ "$v" = "$2" ] || fail "$1 = '$v', expected '$2'"; }
	expect $FE/backend $BE
	expect $FE/backend-id 0
	expect $FE/short-name Sim
	expect $FE/sample-rates 8000,44100
	expect $FE/sample-formats s16_le,f32_le
	expect $FE/channels-max 2
	expect $FE/0/name Main
	expect $FE/0/buffer-size 32768
	expect $FE/0/0/unique-id pb0
	expect $FE/0/0/type p
	expect $FE/0/1/type c
	expect $FE/0/1/channels-min 2
	expect $BE/frontend $FE
	expect $BE/frontend-id 9
	expect $BE/online 1
	expect $FE/state 4
	expect $BE/state 4
	xenstore-read $FE/channels-min >/dev/null 2>&1 && fail "channels-min written although not set"
	xenstore-read $FE/0/1/unique-id >/dev/null 2>&1 && fail "unique-id written although not set"
	for k in ring-ref event-channel evt-ring-ref evt-event-channel; do
		xenstore-read $FE/0/0/$k >/dev/null || fail "transport key $k missing"
	done
	perms=$(xenstore-ls -p $FE 2>/dev/null | head -1)
	echo "$perms" | grep -q "(n9,r0)" || fail "frontend permissions: $perms"
	perms=$(xenstore-ls -p /local/domain/0/backend/vsnd/9 2>/dev/null | head -1)
	echo "$perms" | grep -q "(n0,r9)" || fail "backend permissions: $perms"
	# xl's own checks
	"$GUEST" --control "$CTL" --vm 10 --vsnd "['CARD, id=0']" 2>"$DIR/e1" && fail "id= accepted"
	grep -q "Invalid parameter: id" "$DIR/e1" || fail "no 'Invalid parameter' message: $(cat "$DIR/e1")"
	"$GUEST" --control "$CTL" --vm 10 --vsnd "['CARD, sample-formats=float_le']" 2>"$DIR/e2" && fail "float_le accepted"
	grep -q "Invalid pcm format: float_le" "$DIR/e2" || fail "no 'Invalid pcm format' message"
	;;
wav-playback)
	# As aplay: the stream takes rate, channels and format from the header and
	# plays every frame of the file. The files hold the counter pattern, so
	# the backend checks each sample it receives.
	WSPEC="['CARD, sample-rates=8000;44100;48000', 'PCM, name=Main', 'STREAM, type=p']"
	WFMTS="sample-formats=s16_le,s24_le,s32_le,float_le,u8,mu_law,a_law"
	play_wav() { # FRAMES_EXPECTED MESSAGE [STREAM OPTIONS]
		start_backend
		"$GUEST" --control "$CTL" --stats "$DIR/st.json" --quiet --vm 5 --vsnd "$WSPEC" \
			--xs-write "$WFMTS" --play "source=wav,file=$DIR/in.wav,period=512,buffer=2048${3:-}" \
			2>"$DIR/guest.err" || { cat "$DIR/guest.err"; fail "$2: vsnd-guest failed"; }
		wait_backend
		jq_check "$DIR/be.json" ".pattern_errors == 0 and .frames_checked == $1" \
			"$2: the backend did not receive exactly the file's frames"
		jq_check "$DIR/st.json" ".ok and .streams[0].frames == $1" "$2: guest"
	}
	# format rate channels frames header XENSND_PCM_FORMAT
	while read -r fmt rate ch frames mode sndif; do
		"$WAVGEN" "$DIR/in.wav" "$fmt" "$rate" "$ch" "$frames" "$mode" || fail "wav-gen $fmt"
		play_wav "$frames" "$fmt $mode"
		jq_check "$DIR/be.json" ".last_open == {format: $sndif, rate: $rate, channels: $ch}" \
			"$fmt: OPEN did not carry the header's format, rate and channels"
	done <<-EOF
	s16_le 44100 1 16317 plain 2
	float_le 48000 2 12345 extensible 14
	mu_law 8000 1 2999 plain 20
	EOF
	# A duration given explicitly still cuts the file short; options that
	# agree with the header are accepted.
	"$WAVGEN" "$DIR/in.wav" s16_le 44100 1 16317 || fail "wav-gen"
	play_wav 4410 "duration=0.1" ",duration=0.1,rate=44100,channels=1,format=s16_le"
	;;
wav-refused)
	# Options against the header and broken headers are refused with a
	# message and exit status 2, before any domain is created.
	refused() { # MESSAGE [STREAM OPTIONS]
		"$GUEST" --control "$CTL" --vm 5 --vsnd "$SPEC" --play "source=wav,file=$DIR/in.wav${2:-}" \
			>"$DIR/guest.out" 2>"$DIR/guest.err"
		rc=$?
		[ $rc -eq 2 ] || { cat "$DIR/guest.err"; fail "'$1': exit status $rc, not 2"; }
		grep -qF "$1" "$DIR/guest.err" || { cat "$DIR/guest.err"; fail "no message '$1'"; }
	}
	"$WAVGEN" "$DIR/in.wav" s16_le 44100 1 1000 || fail "wav-gen"
	refused "the WAV header says 44100 Hz, but rate=48000 was given" ",rate=48000"
	refused "the WAV header says 1 channel(s), but channels=2 was given" ",channels=2"
	refused "the WAV header says s16_le, but format=s32_le was given" ",format=s32_le"
	while read -r mode msg; do
		"$WAVGEN" "$DIR/in.wav" s16_le 44100 2 1000 "$mode" || fail "wav-gen $mode"
		refused "$msg"
	done <<-EOF
	truncated 'fmt ' chunk of 16 bytes runs past the end of the file
	data-beyond data chunk of 8096 bytes, but only 4000 bytes follow
	zero-channels 0 channels (1 to 64 are possible)
	absurd-rate sample rate 4000000000 Hz
	packed24 24-bit packed samples (S24_3LE)
	EOF
	echo "not a wave" >"$DIR/in.wav"
	refused "not a RIFF/WAVE file"
	xenstore-read /local/domain/5/name >/dev/null 2>&1 && fail "a domain was created"
	true
	;;
*)
	fail "unknown scenario $scenario"
	;;
esac
echo "PASS: $scenario"
