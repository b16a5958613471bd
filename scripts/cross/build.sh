#!/usr/bin/env bash
# build.sh: cross-builds the tinyad CLI for a Raspberry Pi with Debian's cross
# compiler (g++-aarch64-linux-gnu or g++-arm-linux-gnueabihf) against the
# cached Debian sysroot of scripts/cross/sysroot.sh (made on first use).
# The build machine's flatc generates the TFLite header and the host build's
# plotly.min.js is embedded (no npm for the target).
#
# Usage: scripts/cross/build.sh arm64|armhf HOST_BUILD_DIR CROSS_BUILD_DIR [cmake -D...]
#   HOST_BUILD_DIR  an x86-64 build folder whose npm-installed plotly.min.js is
#                   reused (when it has none, npm runs once into
#                   CROSS_BUILD_DIR/host-assets)
# Prints the cross-built binary's path last.
set -euo pipefail

arch=${1:-}
case $arch in
  arm64) toolchain=aarch64-linux-gnu ;;
  armhf) toolchain=arm-linux-gnueabihf ;;
  *) echo "usage: $0 arm64|armhf HOST_BUILD_DIR CROSS_BUILD_DIR [cmake -D...]" >&2; exit 2 ;;
esac
[ $# -ge 3 ] || { echo "usage: $0 arm64|armhf HOST_BUILD_DIR CROSS_BUILD_DIR [cmake -D...]" >&2; exit 2; }
root=$(cd "$(dirname "$0")/../.." && pwd)
host_build=$2
cross_build=$3
shift 3
command -v "$toolchain-g++" >/dev/null ||
  { echo "cross: $toolchain-g++ is not installed (scripts/deps.sh cross installs it)" >&2; exit 1; }

sysroot=$("$root/scripts/cross/sysroot.sh" "$arch")
plotly=$(realpath -m "$host_build/web/node_modules/plotly.js-dist-min/plotly.min.js")
if [ ! -f "$plotly" ]; then
  # No host build yet: npm fetches the asset into a small host folder of the
  # cross build's own (no tests, so no GoogleTest needed).
  assets=$cross_build/host-assets
  cmake -S "$root" -B "$assets" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DTINYAD_BUILD_TESTS=OFF -DTINYAD_BUILD_BENCH=OFF >&2
  cmake --build "$assets" --target tinyad_web_modules >&2
  plotly=$(realpath "$assets/web/node_modules/plotly.js-dist-min/plotly.min.js")
fi
cmake -S "$root" -B "$cross_build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_TOOLCHAIN_FILE="$root/cmake/toolchains/$toolchain.cmake" -DTINYAD_SYSROOT="$sysroot" \
  -DTINYAD_BUILD_TESTS=OFF -DTINYAD_BUILD_BENCH=OFF -DTINYAD_PLOTLY_JS_FROM="$plotly" "$@" >&2
cmake --build "$cross_build" --target tinyad -j "${JOBS:-$(nproc)}" >&2
realpath "$cross_build/tinyad"
