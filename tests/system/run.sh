#!/bin/bash
# SPDX-License-Identifier: MIT
#
# System tests: real Xen 4.17 + Debian dom0 + PV domUs with the real Linux
# sound frontend, under QEMU TCG, with this tree's PipeWire module in dom0.
#
#   run.sh BUILD               boot once, run every check, write the verdicts;
#                              exit status: every check passed
#   run.sh --boot BUILD        the same; exit status: the harness worked (dom0
#                              ran the whole scenario), whatever the verdicts
#   run.sh --check NAME BUILD  print one check's verdict (boots first unless a
#                              fresh run exists); exit status = verdict
#   run.sh --demo BUILD        one VM playing, dom0's graph on the terminal
#
# Checks: playback capture identity lifecycle two-domus.
# Images are cached in $XSND_SYSTEM_CACHE, default
# ${XDG_CACHE_HOME:-$HOME/.cache}/xen-snd-system (see build-image.sh).
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
CHECKS="playback capture identity lifecycle two-domus"
MODE=suite CHECK=""
case "${1:-}" in
--demo) MODE=demo; shift ;;
--check) CHECK=${2:?}; shift 2 ;;
--boot) MODE=boot; shift ;;
--stress) MODE=stress; shift ;;	# platform check, see dom0-run.sh
esac
BUILD=$(cd "${1:-build}" 2>/dev/null && pwd) || { echo "system: no build dir ${1:-build}" >&2; exit 1; }
CACHE=${XSND_SYSTEM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/xen-snd-system}
MODULE=$BUILD/src/module-xen-snd/libpipewire-module-xen-snd.so
WORK=$BUILD/tests/system
RES=$WORK/results
# A run stays fresh for the thin per-check tests for this long.
FRESH_MIN=${XSND_SYSTEM_FRESH_MIN:-30}
QEMU_TIMEOUT=${XSND_SYSTEM_QEMU_TIMEOUT:-440}

log() { printf 'system: %s\n' "$*" >&2; }

fresh() {
	[ -e "$RES/stamp" ] || return 1
	[ -n "$(find "$RES/stamp" -mmin -"$FRESH_MIN")" ] || return 1
	[ ! -e "$MODULE" ] || [ "$RES/stamp" -nt "$MODULE" ] || return 1
	[ -z "$(find "$HERE" -newer "$RES/stamp" -type f)" ]
}

prepare_share() {	# IMAGES SHARE
	local img=$1 s=$2 o
	rm -rf "$s"
	mkdir -p "$s/out" "$s/conf" "$s/module"
	cp "$HERE/dom0-run.sh" "$s/" && chmod +x "$s/dom0-run.sh"
	cp "$BUILD/tests/lib/xsnd-record" "$s/" || return 1
	cp "$HERE"/conf/*.conf "$s/conf/"
	cp "$img/vmlinux-domu" "$s/"
	echo "${MODE/boot/suite}" >"$s/mode"
	# Debug knobs reach dom0 through the share.
	env | grep -E '^XSND_(MODULE_DEBUG|DOMU_LOGLEVEL|NO_VSND|DOM0_WATCHDOG)=' >"$s/env" || true
	if [ -f "$MODULE" ]; then
		cp "$MODULE" "$s/module/"
	else
		log "WARNING: $MODULE is missing: dom0 will report it"
	fi
	# Test signals, and the domU's /init, appended to the cached domU initramfs.
	o=$s/overlay
	mkdir -p "$o"
	cp "$HERE/domu-init.sh" "$o/init" && chmod +x "$o/init"
	python3 "$HERE/analyze.py" gen "$o" "$s/tone.wav" || return 1
	# One gzip stream: libxc inflates a PV ramdisk itself and stops at the
	# end of the first member of a multi-member file.
	{ gzip -dc "$img/domu.cpio.gz"; (cd "$o" && find . | cpio -o -H newc --quiet); } |
		gzip -1 >"$s/domu-initrd.gz"
	rm -rf "$o"
}

boot() {	# IMAGES SHARE SERIAL_LOG
	local img=$1 s=$2 serial=$3
	local xen_args="console=com1 com1=115200,8n1 dom0_mem=1024M,max:1024M dom0_max_vcpus=2"
	# smap=0: QEMU 7.2 TCG's SMAP emulation kills a PV dom0 at its first
	# bounce frame. noreboot: stop instead of looping on a crash.
	xen_args="$xen_args loglvl=all guest_loglvl=all noreboot smap=0"
	# -cpu Nehalem, not max: with max (even without AVX) processes in dom0
	# die of memory corruption under load ("malloc(): unsorted double linked
	# list corrupted" in pipewire, ld.so assertions, busybox and pw-play
	# segfaults, xl failing to inflate kernels); with Nehalem (no XSAVE, no
	# AVX, no SMAP) none of that happens. See docs/system-tests.md.
	local qemu=(qemu-system-x86_64 -machine q35,accel=tcg -cpu "${XSND_QEMU_CPU:-Nehalem}" -smp 2 -m 2048
		-display none -monitor none -serial stdio -no-reboot -nic none
		-device isa-debug-exit,iobase=0xf4,iosize=0x04
		-fsdev "local,id=xsnd,path=$s,security_model=none"
		-device virtio-9p-pci,fsdev=xsnd,mount_tag=xsnd
		-kernel "$img/xen" -append "$xen_args"
		-initrd "$img/vmlinuz console=hvc0 earlyprintk=xen loglevel=6,$img/dom0.cpio.zst")
	log "booting Xen + dom0 under QEMU TCG (timeout ${QEMU_TIMEOUT}s, serial log $serial)"
	if [ "$MODE" = demo ]; then
		timeout "$QEMU_TIMEOUT" "${qemu[@]}" </dev/null | tee "$serial"
	else
		timeout "$QEMU_TIMEOUT" "${qemu[@]}" </dev/null >"$serial" 2>&1
	fi
	local rc=$?
	# isa-debug-exit with value 0 makes QEMU exit with 1.
	[ $rc = 1 ] || log "QEMU exited with $rc (1 = dom0 powered off, 124 = timeout)"
	return 0
}

# A failed attempt is recorded too, so the per-check tests report it
# instead of each trying again.
give_up() {
	log "FAIL: $*"
	mkdir -p "$RES"
	echo "$*" >"$RES/harness-failed"
	touch "$RES/stamp"
	return 1
}

run_suite() {
	local t0 img share
	t0=$(date +%s)
	rm -f "$RES/harness-failed"
	for t in qemu-system-x86_64 python3 cpio gzip; do
		command -v $t >/dev/null || { give_up "missing host tool $t (run scripts/install-deps.sh)"; return 1; }
	done
	img=$("$HERE/build-image.sh" "$CACHE") || { give_up "building the images failed (see above)"; return 1; }
	local t_img=$(($(date +%s) - t0))
	log "images ready in ${t_img}s: $img"
	share=$WORK/share
	prepare_share "$img" "$share" || { give_up "preparing the 9p share failed"; return 1; }
	mkdir -p "$RES"
	rm -f "$RES"/*
	local t1
	t1=$(date +%s)
	boot "$img" "$share" "$RES/serial.log"
	local t_boot=$(($(date +%s) - t1))
	cp "$img/versions.txt" "$RES/"
	printf 'images_s=%s\nqemu_s=%s\n' "$t_img" "$t_boot" >"$RES/timings"
	if [ "$MODE" = demo ] || [ "$MODE" = stress ]; then
		cat "$share/out/facts" >&2
		log "demo finished (${t_boot}s); dom0 logs in $share/out"
		return 0
	fi
	python3 "$HERE/analyze.py" judge "$share/out" "$RES" || true
	touch "$RES/stamp"
	log "suite done: images ${t_img}s, QEMU ${t_boot}s, total $(($(date +%s) - t0))s"
	for c in $CHECKS; do
		printf 'system: %-10s %s\n' "$c" "$(head -n1 "$RES/$c.verdict" 2>/dev/null || echo 'NO VERDICT')" >&2
	done
}

mkdir -p "$WORK"
if [ "$MODE" = demo ] || [ "$MODE" = stress ]; then
	run_suite
	exit $?
fi

exec 8>"$WORK/.lock"
flock 8	# one boot at a time; concurrent checks wait for it and reuse it
if [ "$MODE" = boot ]; then
	run_suite || exit 1
	if [ ! -e "$WORK/share/out/finished" ] || grep -q '^fatal=' "$WORK/share/out/facts"; then
		log "FAIL: dom0 did not run the whole scenario:"
		grep -h '^fatal=' "$WORK/share/out/facts" >&2
		tr -d '\r' <"$RES/serial.log" | grep -v '^$' | tail -n 30 >&2
		exit 1
	fi
	exit 0
fi
if [ -z "$CHECK" ]; then
	run_suite || exit 1
	rc=0
	for c in $CHECKS; do
		head -n1 "$RES/$c.verdict" 2>/dev/null | grep -q '^PASS' || rc=1
	done
	exit $rc
fi
case " $CHECKS " in *" $CHECK "*) ;; *) log "unknown check $CHECK"; exit 2 ;; esac
fresh || run_suite
flock -u 8
if [ -e "$RES/harness-failed" ]; then
	log "FAIL: the system-test run failed before any check: $(cat "$RES/harness-failed")"
	exit 1
fi
if [ ! -e "$RES/$CHECK.verdict" ]; then
	log "FAIL: no verdict for $CHECK (the run did not get that far); serial log tail:"
	tail -n 40 "$RES/serial.log" >&2
	exit 1
fi
cat "$RES/$CHECK.verdict"
head -n1 "$RES/$CHECK.verdict" | grep -q '^PASS'
