#!/usr/bin/env bash
# fma_sites.sh: where the compiler fused a multiply and an add in an arm64
# tinyad binary (scalar fmadd/fmsub/fnmadd/fnmsub, vector fmla/fmls): the
# instructions whose results can differ from x86-64 (which without -march has
# no FMA) in the last bits. Prints the total and the functions with the most.
#
# Usage: scripts/cross/fma_sites.sh ARM64_TINYAD [TOP=15]
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 ARM64_TINYAD [TOP]" >&2; exit 2; }
aarch64-linux-gnu-objdump -d --no-show-raw-insn -C "$1" | awk -v top="${2:-15}" '
  /^[0-9a-f]+ <.*>:$/ { fn = substr($0, index($0, "<") + 1); sub(/>:$/, "", fn); next }
  $2 ~ /^(fmadd|fmsub|fnmadd|fnmsub|fmla|fmls)$/ { n[fn]++; total++ }
  END {
    printf "%d fused multiply-add instructions in %d functions\n", total, length(n)
    for (f in n) printf "%6d  %s\n", n[f], f | "sort -rn | head -n " top
  }'
