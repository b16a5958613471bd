#!/usr/bin/env bash
# fetch_dataset.sh: puts the original project's ceiling-fan recordings into a
# cache once and prints the dataset folder (DATA/<label>/NNNN.csv) on stdout.
# `make test` and `make demo` call it when TINYAD_DATA is unset and
# ../shared/datasets/ceiling-fan is absent.
#
# The source is pinned: the archive of one commit of the original project
# (github.com/ShawnHymel/tinyml-example-anomaly-detection, path
# datasets/ceiling-fan) and a checksum of the data in it. The checksum is over
# the CSV files, not the archive bytes (GitHub does not promise stable archive
# bytes, and a mirror may repack): sha256 of the listing "SHA256  RELPATH" of
# every *.csv under the dataset folder, sorted by path (C locale), as
# `sha256sum` prints it. `scripts/fetch_dataset.sh --checksum DIR` prints it.
#
# Environment:
#   TINYAD_DATA_URL     where to fetch from: an https:// or file:// URL or a
#                       local path of a .tar.gz/.tar/.zip holding a folder
#                       named ceiling-fan (a local mirror; default: pinned below)
#   TINYAD_DATA_SHA256  the checksum expected (default: pinned below)
#   TINYAD_DATA_CACHE   the cache folder (default ${XDG_CACHE_HOME:-~/.cache}/tinyad);
#                       the dataset goes to CACHE/ceiling-fan
#
# A cached copy whose checksum matches is used as is (nothing is fetched).
# Errors are one line on stderr, exit status 1; the cache is left as it was
# (everything is unpacked and checked in a temporary folder inside the cache
# and moved into place with one rename).
set -euo pipefail

readonly pinned_commit=f9f90ee24eb9aa3fbd48d95a94287573469426db
readonly pinned_url=https://codeload.github.com/ShawnHymel/tinyml-example-anomaly-detection/tar.gz/$pinned_commit
# Computed on the copy in the development workspace (../shared/datasets/ceiling-fan,
# 8 labels, 4388 files), whose files match the pinned commit's.
readonly pinned_sha256=50af15a0f7d1748095d69fd19eaa776c838ce9165f5b7e7dcf36a2568f57c8a3
readonly how_to_provide="provide the data with TINYAD_DATA=DIR (a folder of label folders) or TINYAD_DATA_URL=URL|PATH (a .tar.gz or .zip of it)"

die() { echo "fetch_dataset: $*" >&2; exit 1; }

# The canonical checksum of the CSV files under $1 (see the header).
dataset_checksum() {
  (cd "$1" && find . -type f -name '*.csv' -printf '%P\n' | LC_ALL=C sort | tr '\n' '\0' |
     xargs -0 -r sha256sum --) | sha256sum | cut -d' ' -f1
}

if [ "${1:-}" = "--checksum" ]; then
  [ -d "${2:-}" ] || die "--checksum needs a dataset folder, got '${2:-}'"
  dataset_checksum "$2"
  exit 0
fi
[ $# -eq 0 ] || die "usage: $0 [--checksum DIR] (settings come from TINYAD_DATA_URL, TINYAD_DATA_SHA256, TINYAD_DATA_CACHE)"

url=${TINYAD_DATA_URL:-$pinned_url}
expected=${TINYAD_DATA_SHA256:-$pinned_sha256}
cache=${TINYAD_DATA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tinyad}
target=$cache/ceiling-fan

if [ -d "$target" ] && [ "$(dataset_checksum "$target")" = "$expected" ]; then
  echo "$target"
  exit 0
fi

mkdir -p "$cache" || die "cannot create the cache folder $cache; $how_to_provide"
work=$(mktemp -d "$cache/.fetch.XXXXXX") || die "cannot write into the cache folder $cache; $how_to_provide"
trap 'rm -rf "$work"' EXIT

archive=$work/archive
case "$url" in
  file://*) cp -- "${url#file://}" "$archive" 2>/dev/null || die "cannot read $url; $how_to_provide" ;;
  *://*)
    curl -fsSL --retry 2 --connect-timeout 20 -o "$archive" -- "$url" 2>"$work/curl.err" ||
      die "cannot fetch $url ($(tr '\n' ' ' <"$work/curl.err" | sed 's/ *$//')); $how_to_provide" ;;
  *) cp -- "$url" "$archive" 2>/dev/null || die "cannot read $url; $how_to_provide" ;;
esac

# Unpack by content, not by name: a mirror may be called anything.
mkdir "$work/unpacked"
magic=$(head -c 4 "$archive" | od -An -tx1 | tr -d ' \n')
case "$magic" in
  504b0304) unzip -q "$archive" -d "$work/unpacked" 2>/dev/null || die "$url is not a readable .zip; $how_to_provide" ;;
  *) tar -xf "$archive" -C "$work/unpacked" 2>/dev/null || die "$url is not a readable .tar.gz/.tar/.zip; $how_to_provide" ;;
esac

# The dataset is the shallowest folder named ceiling-fan (the pinned archive
# has it at tinyml-example-anomaly-detection-<commit>/datasets/ceiling-fan).
found=$(find "$work/unpacked" -type d -name ceiling-fan -printf '%d %p\n' | sort -n | head -n 1 | cut -d' ' -f2-)
[ -n "$found" ] || die "$url holds no folder named ceiling-fan; $how_to_provide"

# Keep only the CSV files (what the checksum covers), in a folder beside the
# target, so the final step is a rename on one file system.
staged=$work/ceiling-fan
mkdir "$staged"
(cd "$found" && find . -type f -name '*.csv' -print0 | tar --null -T - -cf -) | tar -xf - -C "$staged" ||
  die "cannot copy the dataset into $work; $how_to_provide"
actual=$(dataset_checksum "$staged")
[ "$actual" = "$expected" ] ||
  die "checksum mismatch for $url: expected $expected, got $actual (wrong or damaged archive, nothing cached); $how_to_provide"

# Replace a stale copy (another pinned version, a damaged file) only now.
if [ -e "$target" ]; then
  mv -T -- "$target" "$work/stale" || die "cannot move the old $target aside"
fi
mv -T -- "$staged" "$target" || die "cannot move the dataset into $target"
echo "fetch_dataset: checked and cached the ceiling-fan dataset from $url in $target" >&2
echo "$target"
