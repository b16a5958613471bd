#!/usr/bin/env bash
# arduino_test.sh: the Arduino library (scripts/arduino/make_library.sh) on
# real toolchains, not stubs:
#   1. the library folder and zip, written from core/ and firmware/;
#   2. the core, an exported model and the selftest sketch under avr-g++ with
#      -Wall -Wextra -Werror against the real Arduino AVR core headers (the
#      builder itself passes -w, which hid the 16-bit-int bug of TINYAD_GROUP_LOG);
#   3. arduino-builder (Debian's arduino-builder + arduino-core-avr) builds the
#      selftest example for arduino:avr:mega (original and default recipe)
#      and arduino:avr:uno (original, the library's own demo model), and the
#      footprint sketch (mcu/arduino/footprint) for flash and RAM per board;
#   4. simavr runs both Mega self-tests: every float score must equal the
#      host's bit for bit, every verdict too;
#   5. Xtensa LX106 (the ESP8266's core): the core and an exported model with
#      Debian's xtensa-lx106-elf-gcc (code size), and a smoke program under
#      qemu-system-xtensa -M sim -cpu lx106 (docs/arduino.md: why only that).
# Writes WORK/footprint-arduino.md (the table in bench/RESULTS.md).
# Usage: mcu/arduino_test.sh TINYAD_BINARY WORK_DIR
# Exit: 0 PASS, 1 a failure, 77 (ctest's skip) when a toolchain is missing.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
tinyad=$(realpath "$1")
work=$(mkdir -p "$2" && realpath "$2")
hw=/usr/share/arduino/hardware
avr=$hw/arduino/avr

for tool in arduino-builder avr-g++ avr-size simavr xtensa-lx106-elf-g++ qemu-system-xtensa; do
  if ! command -v "$tool" >/dev/null; then
    echo "arduino-test: SKIP: $tool is not installed (scripts/deps.sh test installs it)" >&2
    exit 77
  fi
done
if [ ! -f "$avr/platform.txt" ]; then
  echo "arduino-test: SKIP: $avr is missing (Debian's arduino-core-avr)" >&2
  exit 77
fi
status=0
fail() { echo "arduino-test: $*" >&2; status=1; }

normal=fan_0_low_0_weight
anomaly=fan_0_low_1_weight
# 1. Models (seconds; redone when the binary is newer) and the library.
if [ ! "$work/models/.done" -nt "$tinyad" ]; then
  rm -rf "$work/data" "$work/models"
  "$tinyad" simulate -o "$work/data" -n 60 --seed 7 --labels "$normal,$anomaly" >/dev/null
  mkdir -p "$work/models"
  for recipe in original default; do
    "$tinyad" train --data "$work/data" --normal "$normal" --recipe $recipe -o "$work/models/$recipe.json" >/dev/null
  done
  touch "$work/models/.done"
fi
"$root/scripts/arduino/make_library.sh" "$tinyad" "$work/lib"
echo "arduino-test: models and library done (${SECONDS}s)"
lib=$work/lib/tinyad
for f in library.properties library.json src/tinyad_window.h src/tinyad_rom.h examples/selftest/selftest.ino \
         examples/selftest/tinyad_model.h examples/deploy/deploy.ino; do
  [ -f "$lib/$f" ] || fail "the library has no $f"
done
zip=$(ls "$work/lib"/tinyad-*.zip)
python3 -c 'import sys, zipfile; n = zipfile.ZipFile(sys.argv[1]).namelist(); sys.exit(0 if "tinyad/library.properties" in n and "tinyad/src/tinyad_window.h" in n else 1)' "$zip" ||
  fail "$zip lacks tinyad/library.properties or tinyad/src/"

# Sketch folders: the selftest example with an exported model (8 + 8 windows
# on the Mega; 4 + 4 for the default recipe, whose windows are longer), the
# library's own example for the Uno, the footprint sketch per model.
sketches=$work/sketches
rm -rf "$sketches"
mkdir -p "$sketches"
export_to() {  # $1 recipe, $2 dir, $3.. export options
  local recipe=$1 dir=$2
  shift 2
  "$tinyad" export "$work/models/$recipe.json" "$dir" --to c "$@" >/dev/null
}
for recipe in original default; do
  mkdir -p "$sketches/selftest-$recipe/selftest" "$sketches/footprint-$recipe/footprint"
  cp "$root/firmware/selftest/selftest.ino" "$sketches/selftest-$recipe/selftest/"
  windows=8
  [ $recipe = original ] || windows=4
  export_to $recipe "$sketches/selftest-$recipe/selftest" --anomaly $anomaly --windows $windows
  cp "$here/arduino/footprint/footprint.ino" "$sketches/footprint-$recipe/footprint/"
  export_to $recipe "$sketches/footprint-$recipe/footprint" --windows 1
  rm "$sketches/footprint-$recipe/footprint/tinyad_test_windows.h"
done
mkdir -p "$sketches/selftest-library"
cp -r "$lib/examples/selftest" "$sketches/selftest-library/"

# 2. Strict compile against the real Arduino core headers, gnu++11 as the AVR
# platform compiles. -I, not -isystem: avr-gcc wraps system headers in an
# implicit extern "C", which breaks Arduino.h's C++ overloads.
strict=(-std=gnu++11 -Os -Wall -Wextra -Werror -fno-exceptions -fno-threadsafe-statics -ffunction-sections -fdata-sections
        -DF_CPU=16000000L -DARDUINO=10807 -DARDUINO_ARCH_AVR -DDECIMAL_DIG=9 -I"$avr/cores/arduino")
for board in "atmega2560 mega" "atmega328p standard"; do
  read -r mcu variant <<<"$board"
  flags=(-mmcu="$mcu" "${strict[@]}" -I"$avr/variants/$variant" -I"$lib/src")
  avr-g++ "${flags[@]}" -c "$lib/src/tinyad_c.cpp" -o /dev/null || fail "core/tinyad_c.cpp: avr-g++ -Werror ($mcu)"
  for s in selftest-original/selftest selftest-default/selftest footprint-original/footprint footprint-default/footprint; do
    [ "$mcu" = atmega328p ] && [[ $s == *default* ]] && continue  # the default recipe needs more than 2 KB of RAM
    avr-g++ "${flags[@]}" -I"$sketches/$s" -x c++ -include Arduino.h -c "$sketches/$s/$(basename "$s").ino" -o /dev/null ||
      fail "$s: avr-g++ -Wall -Wextra -Werror ($mcu)"
  done
done

echo "arduino-test: strict avr-g++ compiles done (${SECONDS}s)"
# 3. arduino-builder with the real core. DECIMAL_DIG: Debian's avr-libc does
# not define it and the core's WString.cpp needs it. TINYAD_SELFTEST_HALT: the
# self-test ends the emulation when done.
build_sketch() {  # $1 fqbn, $2 sketch .ino, $3 build dir
  mkdir -p "$3"
  arduino-builder -compile -hardware "$hw" -hardware /usr/share/arduino-builder -tools /usr/share/arduino-builder \
    -libraries "$work/lib" -fqbn "$1" -build-path "$3" \
    -prefs "compiler.cpp.extra_flags=-DDECIMAL_DIG=9 -DTINYAD_SELFTEST_HALT" "$2" >"$3/builder.log" 2>&1 ||
    { cat "$3/builder.log" >&2; fail "arduino-builder $1 $2"; return 1; }
}
mega=arduino:avr:mega:cpu=atmega2560
uno=arduino:avr:uno
build_sketch $mega "$sketches/selftest-original/selftest/selftest.ino" "$work/build/mega-selftest-original" || true
build_sketch $mega "$sketches/selftest-default/selftest/selftest.ino" "$work/build/mega-selftest-default" || true
build_sketch $uno "$sketches/selftest-library/selftest/selftest.ino" "$work/build/uno-selftest-library" || true
build_sketch $mega "$sketches/footprint-original/footprint/footprint.ino" "$work/build/mega-footprint-original" || true
build_sketch $mega "$sketches/footprint-default/footprint/footprint.ino" "$work/build/mega-footprint-default" || true
build_sketch $uno "$sketches/footprint-original/footprint/footprint.ino" "$work/build/uno-footprint-original" || true

echo "arduino-test: arduino-builder done (${SECONDS}s)"
# 4. The self-tests on simavr at 16 MHz: both Mega builds, and the Uno's
# (the library's example: does the original recipe run in 2 KB of RAM?).
declare -A selftest_line
for run in "atmega2560 mega-selftest-original" "atmega2560 mega-selftest-default" "atmega328p uno-selftest-library"; do
  read -r mcu recipe <<<"$run"
  elf=$work/build/$recipe/selftest.ino.elf
  [ -f "$elf" ] || continue
  out=$(timeout 300 simavr -m "$mcu" -f 16000000 "$elf" 2>&1 | tr -d '\033' | sed 's/\[[0-9;]*m//g') || true
  line=$(grep -o "tinyad selftest: .*" <<<"$out" | head -1 || true)
  echo "simavr $mcu $recipe: ${line:-no self-test line}"
  selftest_line[$recipe]=$line
  n=$(sed -n 's/.*PASS \([0-9]*\)\/\([0-9]*\) scores match (\([0-9]*\) bit for bit.*/\1 \2 \3/p' <<<"$line")
  read -r ok total exact <<<"${n:-0 1 0}"
  if [ "$ok" != "$total" ] || [ "$exact" != "$total" ] || ! grep -q "verdicts $total/$total" <<<"$line"; then
    fail "simavr $mcu $recipe: the float scores are not the host's bit for bit: $out"
  fi
done

echo "arduino-test: simavr done (${SECONDS}s)"
# 5. Xtensa LX106. Debian's libgcc for it has no soft-float or division
# routines (the ESP8266 has them in mask ROM); they are bound to a dummy
# address so the program links and its own code can be measured.
xt=$work/xtensa
mkdir -p "$xt"
X=xtensa-lx106-elf
xflags=(-Os -ffreestanding -ffunction-sections -fdata-sections -Wall -Wextra -Werror)
$X-gcc -mtext-section-literals -c "$here/xtensa/start.S" -o "$xt/start.o"
$X-gcc -std=c99 "${xflags[@]}" -I"$here" -c "$here/xtensa/board.c" -o "$xt/board.o"
$X-gcc -std=c99 "${xflags[@]}" -fno-tree-loop-distribute-patterns -c "$here/libc_min.c" -o "$xt/libc_min.o"
declare -A xt_size xt_rom
for recipe in original default; do
  gen=$xt/gen-$recipe
  export_to $recipe "$gen" --windows 1
  if ! $X-g++ -std=c++17 "${xflags[@]}" -fno-exceptions -fno-rtti -fno-threadsafe-statics -fno-use-cxa-atexit \
       -ffp-contract=off -Wdouble-promotion -Wfloat-conversion -I"$here" -I"$root/core" -I"$gen" \
       -c "$here/footprint.cpp" -o "$xt/footprint-$recipe.o"; then
    fail "xtensa-lx106: footprint.cpp with the $recipe model does not compile"
    continue
  fi
  objs=("$xt/start.o" "$xt/footprint-$recipe.o" "$xt/board.o" "$xt/libc_min.o")
  # libgcc's names (__addsf3, __udivsi3, ...), not our own symbols or the linker script's.
  rom=$($X-nm -u "${objs[@]}" 2>/dev/null | awk '$1 == "U" && $2 ~ /^__/ {print $2}' | sort -u)
  defs=()
  for s in $rom; do defs+=("-Wl,--defsym=$s=0x50000000"); done
  $X-gcc -nostdlib -nostartfiles -Wl,--gc-sections -T "$here/xtensa/xtensa.ld" "${objs[@]}" "${defs[@]}" \
    -o "$xt/footprint-$recipe.elf" || { fail "xtensa-lx106: footprint ($recipe) does not link"; continue; }
  xt_size[$recipe]=$($X-size -A "$xt/footprint-$recipe.elf" | awk '
    $1 == ".text" { t = $2 } $1 == ".rodata" { r = $2 } $1 == ".data" || $1 == ".bss" { m += $2 }
    END { print t + 0, r + 0, m + 0 }')
  xt_rom[$recipe]=$(echo "$rom" | wc -w)
done
h=$(python3 -c 'h = 2166136261
for i in range(1000): h = ((h ^ (i & 0xff)) * 16777619) & 0xffffffff
print(h)')
$X-gcc -std=c99 "${xflags[@]}" -I"$here" -DSMOKE_EXPECTED="${h}u" -c "$here/xtensa/smoke.c" -o "$xt/smoke.o"
$X-gcc -nostdlib -nostartfiles -Wl,--gc-sections -T "$here/xtensa/xtensa.ld" "$xt/start.o" "$xt/smoke.o" \
  "$xt/board.o" "$xt/libc_min.o" -o "$xt/smoke.elf"
out=$(timeout 30 qemu-system-xtensa -M sim -cpu lx106 -nographic -monitor none -serial none -semihosting \
        -icount shift=0 -kernel "$xt/smoke.elf" 2>&1) && rc=0 || rc=$?
echo "$out"
if [ "$rc" -ne 0 ] || ! grep -q "PASS" <<<"$out"; then
  fail "qemu-system-xtensa -cpu lx106: the smoke program failed ($rc)"
fi

# The table: flash = .text + .data (initial values live in flash), RAM = .data + .bss.
avr_row() {  # $1 board label, $2 build dir, $3 model label
  local sketch elf
  sketch=$(basename "$2" | sed 's/^[a-z]*-\([a-z]*\)-.*/\1/')  # uno-selftest-library -> selftest
  elf=$2/$sketch.ino.elf
  [ -f "$elf" ] || { echo "| $1 | $3 | (not built) | | |"; return; }
  read -r flash ram < <(avr-size -A "$elf" | awk '$1 == ".text" { t = $2 } $1 == ".data" { d = $2 } $1 == ".bss" { b = $2 }
    END { print t + d, d + b }')
  echo "| $1 | $3 | $flash B | $ram B |"
}
{
  echo "| board (arduino-builder, real AVR core) | program | flash (.text + .data) | RAM (.data + .bss) |"
  echo "|---|---|---|---|"
  avr_row "arduino:avr:uno (ATmega328P)" "$work/build/uno-footprint-original" "footprint, Mahalanobis original"
  avr_row "arduino:avr:mega (ATmega2560)" "$work/build/mega-footprint-original" "footprint, Mahalanobis original"
  avr_row "arduino:avr:mega (ATmega2560)" "$work/build/mega-footprint-default" "footprint, Mahalanobis default"
  avr_row "arduino:avr:uno (ATmega328P)" "$work/build/uno-selftest-library" "selftest example (its demo model, 2 + 2 windows)"
  avr_row "arduino:avr:mega (ATmega2560)" "$work/build/mega-selftest-original" "selftest, original, 8 + 8 windows"
  avr_row "arduino:avr:mega (ATmega2560)" "$work/build/mega-selftest-default" "selftest, default, 4 + 4 windows"
  echo
  echo "| target (xtensa-lx106-elf-gcc) | program | code (.text) | constants (.rodata) | RAM (.data + .bss) | ROM routines called |"
  echo "|---|---|---|---|---|---|"
  for recipe in original default; do
    read -r t r m <<<"${xt_size[$recipe]:-? ? ?}"
    echo "| Xtensa LX106 | mcu/footprint.cpp, Mahalanobis $recipe | $t B | $r B | $m B | ${xt_rom[$recipe]:-?} |"
  done
  echo
  for recipe in mega-selftest-original mega-selftest-default uno-selftest-library; do
    echo "simavr, $recipe: ${selftest_line[$recipe]:-}"
  done
} >"$work/footprint-arduino.md"
cat "$work/footprint-arduino.md"

if [ $status -eq 0 ]; then echo "arduino-test: PASS"; else echo "arduino-test: FAIL"; fi
exit $status
