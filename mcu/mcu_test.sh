#!/usr/bin/env bash
# mcu_test.sh: trains small models on a simulated fan, exports them with
# `tinyad export --to c`, builds the self-test (mcu/selftest.cpp) for the
# host (strict warnings), Cortex-M4F and RV32IMC, runs the targets under QEMU
# (and its C99 twin selftest_c.c through the C API, core/tinyad.h)
# and checks that every score matches the host's bit for bit. Also writes
# WORK/footprint.md (size, stack) for bench/RESULTS.md.
#
# Usage: mcu/mcu_test.sh TINYAD_BINARY WORK_DIR
# Exit: 0 all PASS, 1 a failure, 77 (ctest's skip) when a cross toolchain or
# QEMU is missing (scripts/deps.sh test installs them).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
tinyad=$(realpath "$1")
work=$(mkdir -p "$2" && realpath "$2")

for tool in arm-none-eabi-g++ riscv64-unknown-elf-g++ qemu-system-arm qemu-system-riscv32; do
  if ! command -v "$tool" >/dev/null; then
    echo "mcu-test: SKIP: $tool is not installed (scripts/deps.sh test installs it)" >&2
    exit 77
  fi
done

normal=fan_0_low_0_weight
anomaly=fan_0_low_1_weight
# mahalanobis-50hz: the default recipe at 50 Hz (--rate), band edges in Hz
# moved to the lower rate's bins, as a 50 Hz logger's device computes them.
variants=(mahalanobis-original mahalanobis-default mahalanobis-50hz autoencoder-original autoencoder-default)

# 1. A small simulated dataset and one model per variant (seconds; redone
# whenever the tinyad binary is newer than them).
if [ ! "$work/models/.done" -nt "$tinyad" ]; then
  rm -rf "$work/data" "$work/models"
  "$tinyad" simulate -o "$work/data" -n 60 --seed 7 --labels "$normal,$anomaly" >/dev/null
  mkdir -p "$work/models"
  "$tinyad" train --data "$work/data" --normal "$normal" --recipe original \
    -o "$work/models/mahalanobis-original.json" >/dev/null
  "$tinyad" train --data "$work/data" --normal "$normal" --recipe default \
    -o "$work/models/mahalanobis-default.json" >/dev/null
  "$tinyad" simulate -o "$work/data50" --rate 50 -n 60 --seed 7 --labels "$normal,$anomaly" >/dev/null
  "$tinyad" train --data "$work/data50" --normal "$normal" --recipe default --rate 50 \
    -o "$work/models/mahalanobis-50hz.json" >/dev/null
  "$tinyad" train --data "$work/data" --normal "$normal" --recipe original --detector autoencoder \
    --epochs 20 -o "$work/models/autoencoder-original.json" >/dev/null
  "$tinyad" train --data "$work/data" --normal "$normal" --recipe default --detector autoencoder \
    --epochs 20 -o "$work/models/autoencoder-default.json" >/dev/null
  touch "$work/models/.done"
fi

# 2. Headers: 4 held-out normal windows and 4 anomalous ones per model; the
# Mahalanobis models 8 and 8, of which the first 5 commission a device
# baseline (core/tinyad_commission.h) that scores the other 11.
for v in "${variants[@]}"; do
  case $v in
    autoencoder-*) opts=(--windows 4 --int8) ;;
    *) opts=(--windows 8 --commission 5) ;;
  esac
  "$tinyad" export "$work/models/$v.json" "$work/gen/$v" --to c --anomaly "$anomaly" "${opts[@]}" >/dev/null
done
# The float32 .tflite variant, for the TFLM sketch's compile check.
"$tinyad" export "$work/models/autoencoder-original.json" "$work/gen/autoencoder-float" --to c --windows 1 >/dev/null

strict=(-Wall -Wextra -Wdouble-promotion -Wfloat-conversion -Werror)
# C programs (selftest_c.c): the same, pedantic C99; the generated headers
# hold constants a given program does not use, which C warns about.
cstrict=(-std=c99 -pedantic "${strict[@]}" -Wno-unused-const-variable)
common=(-std=c++17 -ffreestanding -fno-exceptions -fno-rtti -fno-threadsafe-statics -fno-use-cxa-atexit
        -ffp-contract=off -ffunction-sections -fdata-sections "${strict[@]}" -I"$here" -I"$root/core")
cm4=(-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16)
rv32=(-march=rv32imc -mabi=ilp32)
status=0

# Builds ELF $1 for target $2 from the self-test or a footprint program ($3),
# with the headers of variant $4.
build() {
  local elf=$1 target=$2 main=$3 variant=$4 cxx cc flags startup ld
  case $target in
    cm4) cxx=arm-none-eabi-g++; cc=arm-none-eabi-gcc; flags=("${cm4[@]}")
         startup=("$here/cm4/board.c"); ld=$here/cm4/cm4.ld ;;
    rv32) cxx=riscv64-unknown-elf-g++; cc=riscv64-unknown-elf-gcc; flags=("${rv32[@]}")
          startup=("$here/rv32/start.S" "$here/rv32/board.c"); ld=$here/rv32/rv32.ld ;;
  esac
  local obj=${elf%.elf}
  mkdir -p "$obj"
  local objs=("$obj/main.o") s
  if [[ $main == *.c ]]; then  # a C99 program: with the C API's one C++ file
    "$cc" "${flags[@]}" "${cstrict[@]}" -ffreestanding -ffp-contract=off -ffunction-sections -fdata-sections -Os \
      -I"$here" -I"$root/core" -DTINYAD_TARGET="\"$target\"" -DTINYAD_VARIANT="\"$variant\"" \
      -I"$work/gen/$variant" -c "$main" -o "$obj/main.o"
    "$cxx" "${flags[@]}" "${common[@]}" -Os -c "$root/core/tinyad_c.cpp" -o "$obj/tinyad_c.o"
    objs+=("$obj/tinyad_c.o")
  else
    # shellcheck disable=SC2086  # $EXTRA: optional -D flags
    "$cxx" "${flags[@]}" "${common[@]}" ${EXTRA:-} -Os -fstack-usage -DTINYAD_TEST_DOUBLE -DTINYAD_MODEL_DOUBLE \
      -DTINYAD_TARGET="\"$target\"" -DTINYAD_VARIANT="\"$variant\"" -I"$work/gen/$variant" \
      -c "$main" -o "$obj/main.o"
  fi
  for s in "${startup[@]}" "$here/libc_min.c"; do
    "$cc" "${flags[@]}" -std=c99 -Os -ffreestanding -fno-tree-loop-distribute-patterns -fstack-usage \
      -ffunction-sections -fdata-sections -Wall -Wextra -Werror -c "$s" -o "$obj/$(basename "$s").o"
    objs+=("$obj/$(basename "$s").o")
  done
  "$cxx" "${flags[@]}" -nostdlib -nostartfiles -Wl,--gc-sections -T "$ld" "${objs[@]}" -lgcc -o "$elf"
}

run() {  # $1 target, $2 elf -> prints the output, returns the emulator's status
  case $1 in
    cm4) timeout 120 qemu-system-arm -M mps2-an386 -nographic -monitor none -serial none -icount shift=0 \
           -semihosting-config enable=on,target=native -kernel "$2" ;;
    rv32) timeout 120 qemu-system-riscv32 -M virt -bios none -nographic -monitor none -serial stdio \
            -icount shift=0 -kernel "$2" ;;
  esac
}

# 3. Host: the generated headers and the self-test under the strict flags.
mkdir -p "$work/host"
gcc -std=c99 -O2 -Wall -Wextra -Werror -c "$here/host/board.c" -o "$work/host/board.o"
for v in "${variants[@]}"; do
  g++ -std=c++17 -fno-exceptions -fno-rtti -ffp-contract=off "${strict[@]}" -O2 -I"$here" -I"$root/core" \
    -DTINYAD_TEST_DOUBLE -DTINYAD_MODEL_DOUBLE -DTINYAD_MODEL_TFLITE -DTINYAD_VARIANT="\"$v\"" \
    -I"$work/gen/$v" "$here/selftest.cpp" "$work/host/board.o" -o "$work/host/$v"
  if ! "$work/host/$v"; then status=1; fi
  # The same through the C API (core/tinyad.h) from a C99 program.
  g++ -std=c++17 -fno-exceptions -fno-rtti -ffp-contract=off "${strict[@]}" -O2 -I"$root/core" \
    -c "$root/core/tinyad_c.cpp" -o "$work/host/tinyad_c.o"
  gcc "${cstrict[@]}" -ffp-contract=off -O2 -I"$here" -I"$root/core" -DTINYAD_VARIANT="\"$v\"" -I"$work/gen/$v" \
    -c "$here/selftest_c.c" -o "$work/host/selftest_c-$v.o"
  g++ "$work/host/selftest_c-$v.o" "$work/host/tinyad_c.o" "$work/host/board.o" -o "$work/host/c-$v"
  if ! "$work/host/c-$v"; then status=1; fi
done

# 4. Emulated targets.
for target in cm4 rv32; do
  for v in "${variants[@]}"; do
    elf=$work/$target/selftest-$v.elf
    build "$elf" "$target" "$here/selftest.cpp" "$v"
    out=$(run "$target" "$elf" 2>&1) && rc=0 || rc=$?
    echo "$out"
    if [ $rc -ne 0 ] || ! grep -q ": PASS," <<<"$out"; then
      echo "mcu-test: $target $v failed (emulator exit status $rc)" >&2
      status=1
    fi
    elf=$work/$target/selftest-c-$v.elf  # the C API from C99
    build "$elf" "$target" "$here/selftest_c.c" "$v"
    out=$(run "$target" "$elf" 2>&1) && rc=0 || rc=$?
    echo "$out"
    if [ $rc -ne 0 ] || ! grep -q ": PASS," <<<"$out"; then
      echo "mcu-test: $target $v (C API) failed (emulator exit status $rc)" >&2
      status=1
    fi
  done
done

# 5. Footprint: a device program (mcu/footprint.cpp: window buffer, verdict,
# no test data) per target and variant: section sizes of the whole program
# (startup and board code included), stack measured by painting.
{
  echo "| target | model | code: program (.text) | code: tinyad + libgcc | constants (.rodata) | RAM (.data + .bss) | stack (measured) | per window |"
  echo "|---|---|---|---|---|---|---|---|"
  for target in cm4 rv32; do
    for fv in "${variants[@]}" autoencoder-original-int8 autoencoder-default-int8; do
      v=${fv%-int8}
      elf=$work/$target/footprint-$fv.elf
      EXTRA=$([ "$fv" != "$v" ] && echo -DTINYAD_FOOTPRINT_Q8 || true) build "$elf" "$target" "$here/footprint.cpp" "$v"
      out=$(run "$target" "$elf" 2>&1) || { echo "mcu-test: footprint $target $v failed: $out" >&2; status=1; }
      tool=$([ "$target" = cm4 ] && echo arm-none-eabi-size || echo riscv64-unknown-elf-size)
      nm=${tool%size}nm
      # Functions that are not the program's startup, board or test harness.
      core=$("$nm" -S "$elf" | python3 -c '
import re, sys
harness = re.compile(r"(main|board_.*|reset_handler|fault_handler|vectors|semihost|ticks|_start"
                     r"|mem(cpy|set|move|cmp)|_ZN12_GLOBAL__N_1(12next_reading|7put_u32).*)$")
spans = []
for line in sys.stdin:
    f = line.split()
    if len(f) == 4 and f[2] in "tTwW" and not harness.match(f[3]):
        start = int(f[0], 16) & ~1  # Thumb bit
        spans.append((start, start + int(f[1], 16)))
# Aliases and libgcc entry points overlap: count every byte once.
total, end = 0, 0
for a, b in sorted(spans):
    if b > end:
        total += b - max(a, end)
        end = b
print(total)')
      read -r text rodata ram < <("$tool" -A "$elf" | awk '
        $1 == ".text" { t = $2 } $1 == ".rodata" { r = $2 } $1 == ".data" || $1 == ".bss" { m += $2 }
        END { print t + 0, r + 0, m + 0 }')
      stack=$(sed -n 's/.*stack_bytes=\([0-9]*\).*/\1/p' <<<"$out")
      cost=$(sed -n 's/.*verdict_cost=\([0-9]*\) \(.*\)$/\1 \2/p' <<<"$out")
      echo "| $target | $fv | $text B | $core B | $rodata B | $ram B | ${stack:-?} B | ${cost:-?} |"
    done
  done
} >"$work/footprint.md"
cat "$work/footprint.md"

# 6. Arduino sketches: compile-checked against firmware/arduino-stub, for the
# host and for RV32IMC (the ESP32-C3's instruction set), with an exported
# model and (deploy) without one (learn-only).
fw=$root/firmware
check_sketch() {  # $1 sketch, $2 header dir or "", $3.. compiler and flags
  local ino=$1 gen=$2
  shift 2
  "$@" -std=gnu++17 -fno-exceptions -fno-rtti "${strict[@]}" -I"$fw/arduino-stub" -I"$root/core" \
    ${gen:+-I"$gen"} -x c++ -c "$ino" -o /dev/null
}
for cc in "g++" "riscv64-unknown-elf-g++ ${rv32[*]} -ffreestanding"; do
  # shellcheck disable=SC2086  # $cc holds a compiler and its flags
  if check_sketch "$fw/deploy/deploy.ino" "$work/gen/mahalanobis-original" $cc &&
     check_sketch "$fw/deploy/deploy.ino" "$work/gen/mahalanobis-default" $cc &&
     check_sketch "$fw/deploy/deploy.ino" "" $cc &&
     check_sketch "$fw/selftest/selftest.ino" "$work/gen/mahalanobis-original" $cc &&
     check_sketch "$fw/selftest/selftest.ino" "$work/gen/autoencoder-default" $cc &&
     check_sketch "$fw/deploy-tflm/deploy-tflm.ino" "$work/gen/autoencoder-original" $cc &&
     check_sketch "$fw/deploy-tflm/deploy-tflm.ino" "$work/gen/autoencoder-float" $cc; then
    echo "sketches: deploy, selftest, deploy-tflm compile with ${cc%% *}"
  else
    echo "mcu-test: an Arduino sketch does not compile with ${cc%% *}" >&2
    status=1
  fi
done

if [ $status -eq 0 ]; then echo "mcu-test: PASS"; else echo "mcu-test: FAIL"; fi
exit $status
