#!/usr/bin/env bash
# sysroot.sh: makes (once) a Debian 12 sysroot for cross-building tinyad for a
# Raspberry Pi, and prints its path. Debian's libhdf5-dev is not
# Multi-Arch: same, so the arm64/armhf -dev packages cannot be installed beside
# the amd64 ones; instead debootstrap's first (foreign) stage downloads the
# -dev packages with their dependencies, and each .deb is unpacked here with
# dpkg-deb (no maintainer scripts run, nothing runs under emulation).
#
# Usage: scripts/cross/sysroot.sh arm64|armhf [DIR]
#   DIR defaults to ${XDG_CACHE_HOME:-~/.cache}/tinyad/sysroot-ARCH; an existing
#   complete sysroot (its .complete stamp matches the package list) is reused.
#   TINYAD_DEBIAN_MIRROR overrides the mirror (else the first deb.debian.org-like
#   URI of /etc/apt/sources.list*).
set -euo pipefail

arch=${1:-}
case $arch in
  arm64) triplet=aarch64-linux-gnu ;;
  armhf) triplet=arm-linux-gnueabihf ;;
  *) echo "usage: $0 arm64|armhf [DIR]" >&2; exit 2 ;;
esac
dir=${2:-${XDG_CACHE_HOME:-$HOME/.cache}/tinyad/sysroot-$arch}

# What the tinyad binary links or includes (scripts/deps.sh demo's list, for
# the target), plus the target's own libc and libstdc++ headers.
packages=(
  libc6-dev libstdc++-12-dev
  libeigen3-dev libcli11-dev nlohmann-json3-dev libzip-dev libfast-float-dev
  libhdf5-dev libflatbuffers-dev libmosquitto-dev libnats-dev
)
stamp="$dir/.complete"
want="bookworm $arch ${packages[*]}"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "$dir"
  exit 0
fi

mirror=${TINYAD_DEBIAN_MIRROR:-}
if [ -z "$mirror" ]; then
  # The machine's own Debian mirror (deb822 "URIs:" or one-line "deb URI").
  mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
    sed -n -e 's/^URIs:[[:space:]]*\([^[:space:]]*\/debian\)\/*$/\1/p' \
           -e 's/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\([^[:space:]]*\/debian\)\/*[[:space:]].*/\2/p' | head -n1 || true)
  mirror=${mirror:-http://deb.debian.org/debian}
fi
for tool in debootstrap dpkg-deb; do
  command -v "$tool" >/dev/null || { echo "sysroot: $tool is not installed (scripts/deps.sh test installs it)" >&2; exit 1; }
done
[ "$(id -u)" -eq 0 ] || { echo "sysroot: debootstrap needs root (run as root or with sudo)" >&2; exit 1; }

echo "sysroot: making $dir ($arch, from $mirror)" >&2
tmp="$dir.partial"
rm -rf "$tmp"
mkdir -p "$(dirname "$dir")"
include=$(IFS=,; echo "${packages[*]}")
debootstrap --foreign --arch "$arch" --variant=minbase --include="$include" \
  bookworm "$tmp" "$mirror" >&2
# Stage 1 unpacked only the essential packages; unpack every downloaded one.
for deb in "$tmp"/var/cache/apt/archives/*.deb; do
  dpkg-deb -x "$deb" "$tmp"
done
rm -f "$tmp"/var/cache/apt/archives/*.deb
# Maintainer scripts did not run, so update-alternatives' links are missing:
# HDF5's pkg-config file is the serial flavour's.
pc="$tmp/usr/lib/$triplet/pkgconfig"
[ -e "$pc/hdf5.pc" ] || ln -s hdf5-serial.pc "$pc/hdf5.pc"
# Absolute symlinks (libfoo.so -> /lib/...) would point into the build
# machine's root: make them relative to the sysroot.
find "$tmp" -type l -lname '/*' -print0 | while IFS= read -r -d '' link; do
  target=$(readlink "$link")
  ln -sfn "$(realpath -m --relative-to="$(dirname "$link")" "$tmp$target")" "$link"
done
echo "$want" > "$tmp/.complete"
rm -rf "$dir"
mv "$tmp" "$dir"
echo "sysroot: made in $SECONDS s ($(du -sh "$dir" | cut -f1))" >&2
echo "$dir"
