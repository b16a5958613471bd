#!/usr/bin/env bash
# fetch_dataset_test.sh: scripts/fetch_dataset.sh against local mirrors built
# here, in a temporary folder (nothing is committed, nothing leaves the machine).
# A few CSV files come from $TINYAD_DATA when it is set, else are written here.
# Checks: a tar.gz via file:// and a zip via a plain path are accepted when the
# checksum (computed here with Python, independently of the script) matches;
# a second run fetches nothing; a wrong checksum, the pinned checksum on this
# small mirror, an unreachable URL and a non-archive are refused with one line
# saying how to provide the data, leaving the cache as it was.
set -uo pipefail
script=${1:?usage: $0 PATH/TO/fetch_dataset.sh}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# The mirror: what a repository archive looks like (top folder, datasets/ceiling-fan,
# other files beside the CSVs).
src=$tmp/mirror/tinyml-example-anomaly-detection-abc/datasets/ceiling-fan
mkdir -p "$src/fan_0_low_0_weight" "$src/fan_0_high_1_weight"
if [ -n "${TINYAD_DATA:-}" ] && [ -d "$TINYAD_DATA/fan_0_low_0_weight" ]; then
  for f in 0000 0001 0002; do cp "$TINYAD_DATA/fan_0_low_0_weight/$f.csv" "$src/fan_0_low_0_weight/"; done
  cp "$TINYAD_DATA/fan_0_high_1_weight/0000.csv" "$src/fan_0_high_1_weight/"
else
  for f in 0000 0001 0002; do printf '0.01, 0.2, 0.98\n0.02, 0.21, 0.97\n' >"$src/fan_0_low_0_weight/$f.csv"; done
  printf '0.3, 0.1, 1.2\n' >"$src/fan_0_high_1_weight/0000.csv"
fi
echo "not data" >"$src/README.md"
echo "notebook" >"$tmp/mirror/tinyml-example-anomaly-detection-abc/notes.ipynb"
tar -czf "$tmp/mirror.tar.gz" -C "$tmp/mirror" .
(cd "$tmp/mirror" && /usr/bin/python3 -m zipfile -c "$tmp/mirror.zip" tinyml-example-anomaly-detection-abc)

good=$(cd "$src" && /usr/bin/python3 -c '
import hashlib, os
paths = sorted((os.path.relpath(os.path.join(r, n), ".") for r, _, fs in os.walk(".") for n in fs if n.endswith(".csv")),
               key=lambda p: p.encode())
listing = "".join(hashlib.sha256(open(p, "rb").read()).hexdigest() + "  " + p + "\n" for p in paths)
print(hashlib.sha256(listing.encode()).hexdigest())')

# run NAME URL SHA256 CACHE: runs the script, stdout/stderr into $tmp/NAME.{out,err}
run() {
  TINYAD_DATA_URL=$2 TINYAD_DATA_SHA256=$3 TINYAD_DATA_CACHE=$4 "$script" >"$tmp/$1.out" 2>"$tmp/$1.err"
}
# refused NAME CACHE WHAT: the run failed, with one line naming WHAT and both ways to provide data.
refused() {
  local status=$1 name=$2 what=$3
  [ "$status" -ne 0 ] || fail "$name: accepted"
  [ "$(wc -l <"$tmp/$name.err")" -eq 1 ] || fail "$name: expected one line on stderr, got: $(cat "$tmp/$name.err")"
  grep -q "$what" "$tmp/$name.err" || fail "$name: stderr does not say '$what': $(cat "$tmp/$name.err")"
  grep -q 'TINYAD_DATA=DIR' "$tmp/$name.err" && grep -q 'TINYAD_DATA_URL=' "$tmp/$name.err" ||
    fail "$name: stderr does not say how to provide the data"
  [ ! -s "$tmp/$name.out" ] || fail "$name: printed a dataset path"
}
# leftovers CACHE: what the script left beside the dataset (temporary folders).
leftovers() { find "$1" -mindepth 1 -maxdepth 1 -name '.fetch.*' 2>/dev/null; }

# 1. A tar.gz through file://: accepted; only the CSV files are cached, byte for byte.
cache=$tmp/cache
run first "file://$tmp/mirror.tar.gz" "$good" "$cache" || fail "first: refused: $(cat "$tmp/first.err")"
[ "$(cat "$tmp/first.out")" = "$cache/ceiling-fan" ] || fail "first: printed '$(cat "$tmp/first.out")'"
(cd "$src" && find . -name '*.csv' | sort) >"$tmp/want.list"
(cd "$cache/ceiling-fan" 2>/dev/null && find . -type f | sort) >"$tmp/got.list"
cmp -s "$tmp/want.list" "$tmp/got.list" || fail "first: cached files differ from the mirror's CSV files"
for f in $(cat "$tmp/want.list"); do cmp -s "$src/$f" "$cache/ceiling-fan/$f" || fail "first: $f differs"; done
[ -z "$(leftovers "$cache")" ] || fail "first: left $(leftovers "$cache")"

# 2. A second run with the mirror gone: the cache is used, nothing fetched.
mv "$tmp/mirror.tar.gz" "$tmp/moved.tar.gz"
run second "file://$tmp/mirror.tar.gz" "$good" "$cache" || fail "second: fetched again or refused: $(cat "$tmp/second.err")"
[ "$(cat "$tmp/second.out")" = "$cache/ceiling-fan" ] || fail "second: printed '$(cat "$tmp/second.out")'"
[ ! -s "$tmp/second.err" ] || fail "second: fetched again: $(cat "$tmp/second.err")"
mv "$tmp/moved.tar.gz" "$tmp/mirror.tar.gz"

# 3. A zip by plain path: accepted.
run zip "$tmp/mirror.zip" "$good" "$tmp/cache-zip" || fail "zip: refused: $(cat "$tmp/zip.err")"
[ "$(cat "$tmp/zip.out")" = "$tmp/cache-zip/ceiling-fan" ] || fail "zip: printed '$(cat "$tmp/zip.out")'"

# 4. A wrong checksum into an empty cache: refused, nothing cached.
wrong=$(printf '%064d' 0)
run wrong "file://$tmp/mirror.tar.gz" "$wrong" "$tmp/cache-wrong"
refused $? wrong 'checksum mismatch'
[ -z "$(find "$tmp/cache-wrong" -mindepth 1 2>/dev/null)" ] || fail "wrong: left $(find "$tmp/cache-wrong" -mindepth 1)"

# 5. A wrong checksum over an existing cache: refused, the old copy untouched.
before=$(cd "$cache/ceiling-fan" && find . -type f -exec sha256sum {} + | sort)
run stale "file://$tmp/mirror.tar.gz" "$wrong" "$cache"
refused $? stale 'checksum mismatch'
after=$(cd "$cache/ceiling-fan" && find . -type f -exec sha256sum {} + | sort)
[ "$before" = "$after" ] || fail "stale: the cached copy changed"
[ -z "$(leftovers "$cache")" ] || fail "stale: left $(leftovers "$cache")"

# 6. No TINYAD_DATA_SHA256: the pinned checksum (of the whole dataset) refuses this mirror.
TINYAD_DATA_URL="file://$tmp/mirror.tar.gz" TINYAD_DATA_CACHE="$tmp/cache-pinned" "$script" \
  >"$tmp/pinned.out" 2>"$tmp/pinned.err"
refused $? pinned 'checksum mismatch'

# 7. No network (a closed local port) and a file that is no archive: one line each.
run offline "http://127.0.0.1:9/ceiling-fan.tar.gz" "$good" "$tmp/cache-offline"
refused $? offline 'cannot fetch'
echo "hello" >"$tmp/not-an-archive.tar.gz"
run junk "$tmp/not-an-archive.tar.gz" "$good" "$tmp/cache-junk"
refused $? junk 'not a readable'
[ -z "$(find "$tmp/cache-offline" "$tmp/cache-junk" -mindepth 1 2>/dev/null)" ] || fail "offline/junk: left files in the cache"

# 8. --checksum agrees with the independent computation.
[ "$("$script" --checksum "$src")" = "$good" ] || fail "--checksum differs from Python's"

if [ "$failures" -ne 0 ]; then echo "$failures check(s) failed"; exit 1; fi
echo "fetch_dataset: all checks passed"
