#!/usr/bin/env bash
# Installs the Debian packages a make target needs, and nothing when they are
# all present (so `make demo` / `make test` stay quiet on a ready machine).
# Usage: scripts/deps.sh demo|deb|test|cross
set -euo pipefail

# What the tinyad binary needs to build and run the quick start.
demo_packages=(
  build-essential cmake ninja-build pkg-config
  libeigen3-dev libcli11-dev nlohmann-json3-dev libzip-dev libfast-float-dev
  # Keras .h5 import (HDF5) and .tflite export/import (FlatBuffers headers, flatc)
  libhdf5-dev libflatbuffers-dev flatbuffers-compiler
  # `tinyad serve --mqtt` (the MQTT client library the binary links)
  libmosquitto-dev
  # `tinyad serve --nats` (the NATS C client the binary links)
  libnats-dev
  # scripts/fetch_dataset.sh: the ceiling-fan recordings when no local copy is given
  curl ca-certificates unzip
)
# npm fetches plotly.js for the HTML reports at build time. Node.js may come
# from elsewhere than Debian (its npm built in), so look for the command.
command -v npm >/dev/null 2>&1 || demo_packages+=(nodejs npm)
# What the test suite and benchmarks add: GoogleTest, Google Benchmark, and
# Debian's numpy/scipy for regenerating golden values.
test_packages=(
  "${demo_packages[@]}"
  libgtest-dev libgmock-dev libbenchmark-dev
  python3-numpy python3-scipy
  # .tflite files checked by an independent reader: Arm NN's TfLiteParser on
  # its CpuRef backend (the backend is a separate package); h5py for the .h5 goldens
  libarmnn-dev libarmnntfliteparser-dev libarmnn-cpuref-backend22 python3-h5py
  # the browser test of the HTML reports (tests/browser/)
  chromium
  # the libFuzzer target of the device protocol parsers (tests/fuzz/), and
  # wrk for the collect server's load benchmark (bench/collect/load.sh)
  clang libclang-rt-14-dev wrk
  # the broker the MQTT tests (a ctest fixture starts it) and bench/mqtt/ run on loopback,
  # and nginx, the reference server of bench/serve/http_load.sh
  mosquitto nginx-light
  # callgrind, which counts serve's instructions per window (bench/serve/request_profile.sh)
  valgrind
  # promtool (in Debian's prometheus) checks serve's /metrics with hostile device ids
  prometheus
  # the 3-node NATS JetStream cluster of the serve --nats failure test (tests/services/nats_cluster_fixture.sh)
  nats-server
  # make mcu-test: cross compilers and QEMU for Cortex-M4F and RV32IMC
  gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm gcc-riscv64-unknown-elf qemu-system-misc
  # make deb and its check (packaging/check_package.sh): dpkg-shlibdeps, Debian's
  # python3 for the man page / completion generators, lintian, systemd-analyze, man
  dpkg-dev python3 lintian systemd man-db
  # the Arduino library on real toolchains (mcu/arduino_test.sh): the Arduino
  # builder and AVR core (not the Java IDE), simavr, and the ESP8266's LX106
  # compiler (qemu-system-xtensa comes with qemu-system-misc)
  arduino-builder arduino-core-avr gcc-avr avr-libc simavr gcc-xtensa-lx106
)
# make cross / cross-test (Raspberry Pi): Debian's cross compilers, qemu-user to
# run the result, debootstrap for the target's sysroot (scripts/cross/).
cross_packages=(g++-aarch64-linux-gnu g++-arm-linux-gnueabihf qemu-user-static debootstrap)
test_packages+=("${cross_packages[@]}")

# make deb: the binary's packages, dpkg-shlibdeps and the generators' python3.
deb_packages=("${demo_packages[@]}" dpkg-dev python3)

case "${1:-}" in
  demo) wanted=("${demo_packages[@]}") ;;
  deb) wanted=("${deb_packages[@]}") ;;
  test) wanted=("${test_packages[@]}") ;;
  cross) wanted=("${demo_packages[@]}" "${cross_packages[@]}") ;;
  *) echo "usage: $0 demo|deb|test|cross" >&2; exit 2 ;;
esac

missing=()
for pkg in "${wanted[@]}"; do
  # dpkg-query prints "install ok installed" only for a fully installed package.
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "tinyad: installing missing Debian packages: ${missing[*]}" >&2
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -q >&2 || true
"${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
