#!/bin/bash
# SPDX-License-Identifier: MIT
# Every format, rate and channel count the Linux frontend can ask for either
# plays (a 1 kHz tone arrives at the sink at 1 kHz) or is refused cleanly
# (the guest's hw_params fails on the backend's HW_PARAM_QUERY answer, or
# OPEN fails with -EINVAL). Nothing else is accepted: no timeout, no -EIO, no
# node or mapping left behind, and the daemon never dies.
#
# The card advertises everything (all 12 rates, 1..8 channels, the format
# under test), so what happens is the backend's decision. Float formats go
# in with --xs-write, as xl cannot write them (docs/guest-simulator.md).
# Not covered: mu_law, a_law, ima_adpcm, mpeg, gsm, iec958: the guest
# simulator cannot generate them (each would be refused at hw_params by a
# backend that does not do them, which is what Linux users would see).
. "$(dirname "$0")/common.sh"
guest_check_built "$XT_BUILD" || fail "guest simulator missing"
xt_start_stack
T=$PWS_DIR
RATES="5512 8000 11025 16000 22050 32000 44100 48000 64000 96000 176400 192000"
XL_RATES="5512;8000;11025;16000;22050;32000;44100;48000;64000;96000;176400;192000"
FORMATS="s8 u8 s16_le s16_be u16_le u16_be s24_le s24_be u24_le u24_be s32_le s32_be u32_le u32_be
	float_le float_be float64_le float64_be"
domid=10
played=0 refused=0
summary=""

# try FORMAT RATE CHANNELS
try() {
	local fmt=$1 rate=$2 ch=$3 id="f$domid" spec xs=() result rc
	if [[ $fmt == float* ]]; then
		spec="['CARD, sample-rates=$XL_RATES, channels-min=1, channels-max=8', 'PCM, name=Fmt', 'STREAM, unique-id=pb0, type=p']"
		xs=(--xs-write "sample-formats=$fmt")
	else
		spec="['CARD, sample-rates=$XL_RATES, sample-formats=$fmt, channels-min=1, channels-max=8', 'PCM, name=Fmt', 'STREAM, unique-id=pb0, type=p']"
	fi
	pws_record_sink "$T/rec.wav" || fail "recorder"
	guest_start "$id" --domid "$domid" --name "fmt$domid" --spec "$spec" "${xs[@]}" \
		--play-tone 1000 --rate "$rate" --format "$fmt" --channels "$ch" --seconds 0.6 ||
		fail "guest did not start"
	guest_wait "$id" 60
	rc=$?
	pws_record_stop
	check_alive
	result=$(python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["streams"]; print(s[0]["result"] if s else "no stream")' \
		"$T/guest-$id.json" 2>/dev/null) || result="no statistics ($(guest_log_tail "$id"))"
	if [ $rc -eq 0 ]; then
		if an tone "$T/rec.wav" --freq 1000 --tol 2 --min-db -30 >"$T/tone.json" 2>&1; then
			played=$((played + 1))
			summary+="  $fmt $rate $ch: plays"$'\n'
		else
			cp "$T/rec.wav" "$T/rec-$id.wav"	# kept for a look
			soft_fail "$fmt $rate Hz $ch ch played but no clean 1 kHz tone arrived ($T/rec-$id.wav): $(head -1 "$T/tone.json")"
			summary+="  $fmt $rate $ch: BAD AUDIO"$'\n'
		fi
	elif [[ $result == "hw_params: "* ]] || [[ $result == "prepare (OPEN): Invalid argument" ]]; then
		refused=$((refused + 1))
		summary+="  $fmt $rate $ch: refused ($result)"$'\n'
	else
		soft_fail "$fmt $rate Hz $ch ch: neither played nor refused cleanly: $result"
		summary+="  $fmt $rate $ch: FAILED ($result)"$'\n'
	fi
	pws_wait_no_node "xen-snd.fmt$domid.*" 10 || soft_fail "a node of fmt$domid ($fmt $rate $ch) is left behind"
	[ "$(pws_guest_maps)" -eq 0 ] || soft_fail "guest mappings left after fmt$domid: $(pws_guest_maps)"
	domid=$((domid + 1))
}

step "every format at 48 kHz stereo"
for f in $FORMATS; do try "$f" 48000 2; done
step "every rate, S16_LE stereo"
for r in $RATES; do try s16_le "$r" 2; done
step "1 to 8 channels, S16_LE 48 kHz and S32_LE 44.1 kHz"
for c in 1 2 3 4 5 6 7 8; do try s16_le 48000 "$c"; try s32_le 44100 "$c"; done
printf '%s' "$summary"
echo "played $played, refused cleanly $refused, failed ${#XT_SOFT_FAILS[@]}"
[ $played -gt 0 ] || fail "nothing played at all"
xt_finish
