#!/usr/bin/env bash
# cross_test.sh: `make cross-test` and the ctest test cross_e2e_ARCH: builds
# the Raspberry Pi binary (scripts/cross/build.sh; the sysroot is made once
# and cached) and runs the CLI end-to-end comparison with the x86-64 one
# under qemu-user (scripts/cross/e2e.sh).
#
# Usage: scripts/cross/cross_test.sh arm64|armhf HOST_BUILD_DIR [CROSS_BUILD_DIR]
#   CROSS_BUILD_DIR defaults to HOST_BUILD_DIR/cross-ARCH.
# Exit: 0 same verdicts and scores, 1 a difference or a failed build,
# 77 (ctest's skip) without the real recordings (TINYAD_DATA).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
arch=${1:-}
[ $# -ge 2 ] || { echo "usage: $0 arm64|armhf HOST_BUILD_DIR [CROSS_BUILD_DIR]" >&2; exit 2; }
host_build=$(realpath "$2")
cross_build=${3:-$host_build/cross-$arch}
if [ -z "${TINYAD_DATA:-}" ] || [ ! -d "$TINYAD_DATA" ]; then
  echo "cross-test: SKIP: TINYAD_DATA does not name the real recordings" >&2
  exit 77
fi
[ -x "$host_build/tinyad" ] || cmake --build "$host_build" --target tinyad

start=$(date +%s)
binary=$("$here/build.sh" "$arch" "$host_build" "$cross_build" | tail -n1)
echo "cross-test: $arch build (sysroot included) took $(($(date +%s) - start)) s: $binary"
file "$binary" 2>/dev/null || true
"$here/e2e.sh" "$arch" "$host_build/tinyad" "$binary" "$cross_build/e2e"
