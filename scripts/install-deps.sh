#!/bin/sh
# Installs the Debian 12 packages xen-snd needs to build, test and demo,
# and nothing that is already there. Used by `make check` and `make demo`.
set -eu

PKGS="
meson ninja-build pkg-config gcc clang libclang-rt-14-dev
libxen-dev xenstore-utils
libpipewire-0.3-dev libspa-0.2-dev
pipewire pipewire-bin wireplumber pipewire-pulse pulseaudio-utils
python3 sox
jq
qemu-system-x86 debootstrap busybox-static cpio zstd kmod e2fsprogs xz-utils
"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "install-deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
