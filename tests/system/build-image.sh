#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Builds (once) the images the system tests boot under QEMU, from Debian 12
# packages fetched from this machine's own apt mirror:
#   xen            Xen 4.17 hypervisor (multiboot ELF, from xen-hypervisor-4.17-amd64)
#   vmlinuz        Debian 6.1 kernel, used for dom0 and the domUs
#   dom0.cpio.zst  the whole dom0 root filesystem as an initramfs (debootstrap
#                  minbase + bookworm-security + Xen tools + PipeWire stack)
#   domu.cpio.gz   the domU base initramfs: busybox, the snd_xen_front module
#                  chain, aplay/arecord with libasound (the test's /init and
#                  sound files are appended at run time, see run.sh)
#
#   build-image.sh CACHE_ROOT   prints the directory holding the images
#
# The images land in CACHE_ROOT/<key>, where key hashes this script and
# dom0-init.sh: a changed recipe builds afresh. Nothing is installed on the
# host; kernel and hypervisor packages are unpacked with dpkg-deb -x.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=${1:?usage: build-image.sh CACHE_ROOT}

log() { printf 'build-image: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# The mirror is part of the recipe: a different mirror may serve other versions.
# Deb822 sources first (Debian 12 default), then the one-line format.
mirror_for() {
	local suite=$1 f uri=""
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		uri=$(awk -v s="$suite" '
			/^[ \t]*$/ { if (ok && u != "") { print u; exit } ok = 0; u = ""; next }
			/^URIs:/ { u = $2 }
			/^Suites:/ { for (i = 2; i <= NF; i++) if ($i == s) ok = 1 }
			END { if (ok && u != "") print u }' "$f" | head -n1)
		[ -n "$uri" ] && { echo "$uri"; return; }
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -r "$f" ] || continue
		uri=$(awk -v s="$suite" '$1 == "deb" && $3 == s { print $2; exit }' "$f" |
			sed 's/^\[[^]]*\] *//')
		[ -n "$uri" ] && { echo "$uri"; return; }
	done
}
MIRROR=$(mirror_for bookworm)
SECURITY=$(mirror_for bookworm-security)
[ -n "$MIRROR" ] || die "no apt source for bookworm found in /etc/apt (needed for debootstrap)"
[ -n "$SECURITY" ] || die "no apt source for bookworm-security found in /etc/apt (Xen tools must match the hypervisor)"

for t in debootstrap dpkg-deb cpio zstd gzip xz python3 depmod modprobe sha256sum flock; do
	command -v "$t" >/dev/null || die "missing host tool '$t' (run scripts/install-deps.sh)"
done
[ "$(id -u)" -eq 0 ] || die "debootstrap needs root"

KEY=$(cat "$HERE/build-image.sh" "$HERE/dom0-init.sh" <(echo "$MIRROR $SECURITY") |
	sha256sum | cut -c1-16)
OUT=$ROOT/$KEY
mkdir -p "$ROOT"
exec 9>"$ROOT/.lock"
flock 9	# another test run may be building the same images
if [ -e "$OUT/complete" ]; then
	echo "$OUT"
	exit 0
fi

t0=$(date +%s%N)
stamp() { local ds=$((($(date +%s%N) - t0) / 100000000)); log "$((ds / 10)).$((ds % 10)) s: $*"; }
W=$(mktemp -d "$ROOT/work.XXXXXX")
R=$W/rootfs
cleanup() {
	umount -l "$R/proc" 2>/dev/null || true
	rm -rf "$W"
}
trap cleanup EXIT
log "building images in $OUT (mirror $MIRROR, security $SECURITY)"

# dom0: minbase + Xen tools + PipeWire stack. Recommends stay out (they pull
# in desktop and systemd bits a dom0 initramfs does not need).
DOM0_PKGS="xen-utils-4.17,xen-utils-common,xenstore-utils,kmod,procps,iproute2,busybox-static"
DOM0_PKGS="$DOM0_PKGS,pipewire,pipewire-bin,wireplumber,pipewire-pulse,pulseaudio-utils,alsa-utils"
debootstrap --variant=minbase --include="$DOM0_PKGS" bookworm "$R" "$MIRROR" \
	>"$W/debootstrap.log" 2>&1 || { tail -30 "$W/debootstrap.log" >&2; die "debootstrap failed"; }
stamp "debootstrap done"

# bookworm-security carries the Xen point release matching the hypervisor.
cat >"$R/etc/apt/sources.list" <<EOF
deb $MIRROR bookworm main
deb $MIRROR bookworm-updates main
deb $SECURITY bookworm-security main
EOF
printf '#!/bin/sh\nexit 101\n' >"$R/usr/sbin/policy-rc.d"
chmod +x "$R/usr/sbin/policy-rc.d"
mount -t proc proc "$R/proc"
in_root() { chroot "$R" env DEBIAN_FRONTEND=noninteractive LC_ALL=C "$@"; }
in_root apt-get -qq update >"$W/apt.log" 2>&1 || { tail "$W/apt.log" >&2; die "apt-get update in the rootfs failed"; }
in_root apt-get -qq -y --no-install-recommends dist-upgrade >>"$W/apt.log" 2>&1 ||
	{ tail "$W/apt.log" >&2; die "dist-upgrade in the rootfs failed"; }
# Kernel and hypervisor come from the same apt view as the tools.
KPKG=$(in_root apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
[ -n "$KPKG" ] || die "cannot resolve linux-image-amd64 in the rootfs"
mkdir -p "$W/debs"
in_root sh -c "cd /tmp && apt-get -qq download xen-hypervisor-4.17-amd64 $KPKG" \
	>>"$W/apt.log" 2>&1 || { tail "$W/apt.log" >&2; die "apt-get download $KPKG xen-hypervisor failed"; }
mv "$R"/tmp/*.deb "$W/debs/"
umount "$R/proc"
stamp "security upgrade + downloads done ($KPKG)"

P=$W/pkgs
for d in "$W"/debs/*.deb; do dpkg-deb -x "$d" "$P"; done
KVER=$(ls "$P/lib/modules")
[ "$(echo "$KVER" | wc -w)" = 1 ] || die "expected one kernel in $KPKG, found: $KVER"
depmod -b "$P" "$KVER"	# the .deb ships no modules.dep
XENGZ=$(ls "$P"/boot/xen-4.17-amd64.gz 2>/dev/null || true)
[ -n "$XENGZ" ] || die "xen-4.17-amd64.gz missing from xen-hypervisor-4.17-amd64"
mkdir -p "$W/out"
gunzip -c "$XENGZ" >"$W/out/xen"
cp "$P/boot/vmlinuz-$KVER" "$W/out/vmlinuz"
# domU kernel as a plain ELF vmlinux: libxc (xl) inflates PV kernels itself
# and intermittently fails on the xz payload of Debian's bzImage with
# "unable to XZ decompress kernel: Invalid kernel".
python3 - "$W/out/vmlinuz" "$W/vmlinux.xz" <<'PY'
import sys
data = open(sys.argv[1], "rb").read()
off = data.find(b"\xfd7zXZ\x00")
if off < 0:
    sys.exit("no xz payload in the kernel image")
open(sys.argv[2], "wb").write(data[off:])
PY
xz -dc --single-stream "$W/vmlinux.xz" >"$W/out/vmlinux-domu" 2>/dev/null || true
[ "$(head -c4 "$W/out/vmlinux-domu" | od -An -c | tr -d ' ')" = '177ELF' ] ||
	die "could not unpack an ELF vmlinux from $KPKG"

# Copies the modules NAMES need (with dependencies) from the unpacked kernel
# into DEST, then indexes them there.
copy_modules() {
	local dest=$1; shift
	local m f
	for m in "$@"; do
		modprobe -d "$P" -S "$KVER" --show-depends "$m" ||
			die "kernel module $m not found in $KPKG"
	done | awk '$1 == "insmod" { print $2 }' | sort -u | while read -r f; do
		mkdir -p "$dest$(dirname "${f#"$P"}")"
		cp "$f" "$dest${f#"$P"}"
	done
	cp "$P/lib/modules/$KVER"/modules.{order,builtin,builtin.modinfo} "$dest/lib/modules/$KVER/"
	depmod -b "$dest" "$KVER"
}

# domU base: busybox, snd_xen_front, aplay/arecord with their libraries and
# the ALSA configuration (libasound needs alsa.conf even for hw:N,M).
D=$W/domu
mkdir -p "$D"/{bin,sbin,etc,proc,sys,dev,tmp,usr/share}
cp "$R/bin/busybox" "$D/bin/busybox"
for a in $("$D/bin/busybox" --list); do
	[ -e "$D/bin/$a" ] || ln -s busybox "$D/bin/$a"
done
copy_modules "$D" snd_xen_front
for b in aplay arecord; do
	cp "$R/usr/bin/$b" "$D/bin/$b"
	chroot "$R" ldd "/usr/bin/$b" | awk '/=>/ { print $3 } /ld-linux/ { print $1 }' |
	while read -r lib; do
		mkdir -p "$D$(dirname "$lib")"
		cp -L "$R$lib" "$D$lib"
	done
done
cp -r "$R/usr/share/alsa" "$D/usr/share/"
# The kernel runs /sbin/reboot for `xl reboot`; busybox's would only signal
# the test's /init.
printf '#!/bin/sh\nexec /bin/busybox reboot -f\n' >"$D/sbin/reboot"
chmod +x "$D/sbin/reboot"
(cd "$D" && find . | cpio -o -H newc --quiet | gzip -1) >"$W/out/domu.cpio.gz"

# dom0: the whole rootfs, trimmed, plus the modules dom0 needs.
rm -rf "$R"/usr/share/{doc,man,info,locale,lintian} "$R"/var/lib/apt/lists/* \
	"$R"/var/cache/apt/* "$R"/var/cache/debconf/*-old "$R/usr/sbin/policy-rc.d"
rm -rf "${R:?}/lib/modules"
copy_modules "$R" xenfs xen-evtchn xen-gntdev xen-gntalloc xen-privcmd xen-blkback \
	9p 9pnet_virtio virtio_pci
cp "$HERE/dom0-init.sh" "$R/init"
chmod +x "$R/init"
{
	echo "kernel $KPKG $KVER"
	chroot "$R" dpkg-query -W -f='${Package} ${Version}\n' \
		xen-utils-4.17 pipewire wireplumber pipewire-pulse alsa-utils
	dpkg-deb -f "$W"/debs/xen-hypervisor-*.deb Package Version | paste -sd' '
	echo "mirror $MIRROR security $SECURITY"
} >"$W/out/versions.txt"
(cd "$R" && find . -xdev | cpio -o -H newc --quiet | zstd -q -T0 -3) >"$W/out/dom0.cpio.zst"
stamp "images packed ($(du -sh "$W/out" | cut -f1))"

rm -rf "$OUT"
mv "$W/out" "$OUT"
touch "$OUT/complete"
# Keep the two newest recipes; older ones are dead weight.
ls -1dt "$ROOT"/*/complete 2>/dev/null | tail -n +3 | xargs -r -n1 dirname | xargs -r rm -rf
echo "$OUT"
