#!/bin/sh
# SPDX-License-Identifier: MIT
#
# /init of the system-test domU (busybox). Loads the real Linux frontend
# (snd_xen_front), then runs the steps named on the kernel command line,
#   xsnd=STEP[,STEP...]   play:L|play:R  the 3 s counter pattern on one channel
#                         play2:L|play2:R  the same, twice in one aplay
#                         cap            record 2 s, dump it as base64
#                         loop:L|loop:R  play the pattern until killed
#                         tone           play a tone until killed (demo)
# and reports progress as "XSND <event> ..." lines on the console, which dom0
# reads from xenconsoled's log.
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp

say() { read -r t _ </proc/uptime; echo "XSND $* t=$t"; }
err() { e=""; read -r e </tmp/err; echo "$e"; }
# A 2 s buffer (the vsnd card allows 512 KiB): the backend holds a new
# stream's pointer until WirePlumber has linked it, for at most 1.1 buffer
# times minus a period and 100 ms, and WirePlumber in a TCG dom0 links up to
# a second after OPEN, later than aplay's default 341 ms buffer and a 1 s
# buffer allow (docs/system-tests.md).
PCM="-D hw:0,0 -t raw -f S16_LE -r 48000 -c 2 -B 2000000"

say boot "$(uname -r)"
modprobe snd_xen_front || say error modprobe
i=0
while [ ! -e /dev/snd/pcmC0D0p ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
if [ -e /dev/snd/pcmC0D0p ]; then
	read -r card </proc/asound/cards
	say ready "$card"
else
	say error no-card "state=$(cat /sys/bus/xen/devices/vsnd-0/state 2>/dev/null)"
fi

# Shell builtins only: some busybox-static applets crash in this PV domU.
steps=""
read -r cmdline </proc/cmdline
for w in $cmdline; do
	case $w in xsnd=*) steps=${w#xsnd=} ;; esac
done
IFS=,
set -- $steps
IFS=' 	
'
for step in "$@"; do
	case $step in
	play:[LR])
		say play-start "${step#play:}"
		aplay -q $PCM "/pattern-${step#play:}.raw" 2>/tmp/err
		say play-done "rc=$?" "$(err)"
		;;
	play2:[LR])
		# two files in one aplay: alsa-lib frees the setup (CLOSE) and sets it again (OPEN)
		say play2-start "${step#play2:}"
		aplay -q $PCM "/pattern-${step#play2:}.raw" "/pattern-${step#play2:}.raw" 2>/tmp/err
		say play2-done "rc=$?" "$(err)"
		;;
	cap)
		say cap-start
		arecord -q $PCM -d 2 /tmp/cap.raw 2>/tmp/err
		rc=$?
		say cap-done "rc=$rc" "bytes=$(wc -c </tmp/cap.raw)" "$(err)"
		echo "XSND-B64-BEGIN"
		base64 /tmp/cap.raw
		echo "XSND-B64-END"
		rm -f /tmp/cap.raw
		;;
	loop:[LR])
		n=0
		while :; do
			n=$((n + 1))
			say loop "$n"
			aplay -q $PCM "/pattern-${step#loop:}.raw" 2>/tmp/err ||
				{ say loop-error "$(err)"; sleep 1; }
		done
		;;
	tone)
		while :; do
			say tone
			aplay -q $PCM /tone.raw 2>/tmp/err ||
				{ say tone-error "$(err)"; sleep 1; }
		done
		;;
	*) say error "unknown step $step" ;;
	esac
done
say done
exec sleep 100000
