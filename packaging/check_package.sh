#!/usr/bin/env bash
# check_package.sh BUILD_DIR: builds the Debian package from the binary
# already built in BUILD_DIR (CPack, as `make deb`) and checks it as a user's
# machine would see it (ctest test `package`, in `make test`):
#   1. lintian: no error and no warning left after packaging/debian/lintian-overrides;
#   2. Depends: filled in by dpkg-shlibdeps, satisfied on this machine, and
#      naming the same packages as shlibs_depends.sh (what cross builds use);
#   3. dpkg --root installs it into a scratch root (conffile registered),
#      `tinyad --version` runs from there, and a purge leaves nothing;
#   4. a man page per subcommand of `tinyad --help`, naming every option,
#      without groff warnings;
#   5. the bash completion offers exactly the subcommands and options of the
#      installed binary's --help (read here with grep, not the generator's parser);
#   6. systemd-analyze verify accepts both units inside the scratch root, with
#      no warning, and their sandbox exposure (systemd-analyze security, 0 = best, 10 = none) stays <= 2.0.
# The package lands in BUILD_DIR/package-test, not where `make deb` puts it.
set -euo pipefail
build=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)
work=$build/package-test
started=$(date +%s%N)
fail() { echo "check_package: FAIL: $*" >&2; exit 1; }
step() { local ms=$((($(date +%s%N) - started) / 1000000)); printf 'check_package: %5d.%01d s  %s\n' $((ms / 1000)) $((ms % 1000 / 100)) "$1"; }

for tool in lintian dpkg-shlibdeps systemd-analyze cpack man; do
  command -v "$tool" >/dev/null || fail "$tool is missing: run scripts/deps.sh test"
done
rm -rf "$work" && mkdir -p "$work"

# The package, from the built binary (man pages and completion come from its --help).
cmake --build "$build" --target package_files >"$work/build.log" 2>&1 || { cat "$work/build.log"; fail "package_files did not build"; }
(cd "$build" && cpack -G DEB -B "$work" >"$work/cpack.log" 2>&1) || { cat "$work/cpack.log"; fail "cpack -G DEB failed"; }
version=$("$build/tinyad" --version | awk '{print $2}')
arch=$(dpkg --print-architecture)  # the test runs the binary: a native build
deb=$work/tinyad_${version}_${arch}.deb
[ -f "$deb" ] || fail "expected $deb, cpack wrote: $(ls "$work"/*.deb 2>/dev/null)"
step "built $(basename "$deb") ($(du -k "$deb" | cut -f1) KiB)"

# 1. lintian, the slowest step (~10 s): in the background while the others run.
lintian --display-info --pedantic "$deb" >"$work/lintian.txt" 2>&1 &
lintian_pid=$!
trap 'kill "$lintian_pid" 2>/dev/null || true' EXIT  # a failed check does not leave it running

# 2. Depends from dpkg-shlibdeps: the libraries the binary links, installed here.
depends=$(dpkg-deb -f "$deb" Depends)
for lib in libc6 libstdc++6 libhdf5 libmosquitto1 libzip4; do
  grep -q "$lib" <<<"$depends" || fail "Depends lacks $lib (dpkg-shlibdeps did not run?): $depends"
done
for dep in $(tr ',' '\n' <<<"$depends" | sed 's/(.*)//; s/|.*//' | tr -d ' '); do
  [ "$(dpkg-query -W -f='${Status}' "$dep" 2>/dev/null)" = "install ok installed" ] ||
    fail "Depends names $dep, which is not installed on this machine"
done
step "Depends: $depends"
# The cross builds' Depends (shlibs_depends.sh, from the build machine's shlibs
# files) must name the same packages as dpkg-shlibdeps does here.
names() { tr ',' '\n' | sed 's/(.*)//' | tr -d ' ' | sort; }
cross=$("$(dirname "$0")/shlibs_depends.sh" "$build/tinyad") || fail "shlibs_depends.sh failed on $build/tinyad"
[ "$(names <<<"$cross")" = "$(names <<<"$depends")" ] || fail "shlibs_depends.sh gives '$cross', dpkg-shlibdeps '$depends'"
step "cross builds' Depends names the same packages: $cross"

# 3. Install into a scratch root with dpkg's own database there. The
# libraries are the host's (outside the root), hence --force-depends.
root=$work/root
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates"
touch "$root/var/lib/dpkg/status"
dpkg --root="$root" --log=/dev/null --force-depends -i "$deb" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; fail "dpkg -i into $root failed"; }
[ "$(dpkg --root="$root" -s tinyad | sed -n 's/^Status: //p')" = "install ok installed" ] || fail "dpkg --root does not list tinyad as installed"
grep -qx /etc/default/tinyad "$root/var/lib/dpkg/info/tinyad.conffiles" || fail "/etc/default/tinyad is not a conffile"
[ "$("$root/usr/bin/tinyad" --version)" = "tinyad $version" ] || fail "$root/usr/bin/tinyad --version does not print 'tinyad $version'"
step "dpkg --root install; tinyad --version: $("$root/usr/bin/tinyad" --version)"

# 4. Man pages: one per subcommand (and tinyad.1), every option of --help in
# its roff source (minus signs \- read as -), no groff warnings.
bin=$root/usr/bin/tinyad
man1=$root/usr/share/man/man1
commands=$("$bin" --help | sed -n '/^Subcommands:/,$p' | awk 'NR > 1 && NF {print $1}')
[ -n "$commands" ] || fail "no subcommands in tinyad --help"
[ "$(ls "$man1" | sort)" = "$( (echo tinyad.1.gz; for c in $commands; do echo "tinyad-$c.1.gz"; done) | sort)" ] ||
  fail "man pages $(ls "$man1" | tr '\n' ' ') do not match the subcommands: $commands"
long_options() { "$bin" "$@" --help | grep -E '^  -' | awk '{print $1}' | tr ',' '\n' | grep -- '^--' | sort; }
for c in "" $commands; do
  page=$man1/tinyad${c:+-$c}.1.gz
  roff=$(zcat "$page" | sed 's/\\-/-/g')
  for opt in $(long_options $c); do
    grep -q -- "fB$opt\\\\fR" <<<"$roff" || fail "$page does not describe $opt"
  done
  warnings=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$page" 2>&1 >/dev/null || true)
  [ -z "$warnings" ] || fail "groff warns on $page: $warnings"
done
step "man pages: $(ls "$man1" | wc -l), every option named, no groff warnings"

# 5. Bash completion, run in bash as the shell would on <TAB>.
completion=$root/usr/share/bash-completion/completions/tinyad
complete_words() {  # complete_words WORD... : the replies for the last word
  bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _tinyad; printf "%s\n" "${COMPREPLY[@]}"' \
    _ "$completion" "$@" | sort
}
[ "$(complete_words tinyad '')" = "$(sort <<<"$commands")" ] || fail "completion of 'tinyad ' is not the subcommand list: $(complete_words tinyad '' | tr '\n' ' ')"
for c in $commands; do
  [ "$(complete_words tinyad "$c" --)" = "$(long_options "$c")" ] ||
    fail "completion of 'tinyad $c --' differs from its --help: $(diff <(complete_words tinyad "$c" --) <(long_options "$c") | tr '\n' ' ')"
done
[ "$(complete_words tinyad train --detector '' | tr '\n' ' ')" = "autoencoder mahalanobis " ] || fail "completion of train --detector does not offer its choices"
step "bash completion: subcommands, every command's options, choices"

# 6. The units, verified in the scratch root (ExecStart's binary must be the
# package's); systemd's own units copied in beside them for the dependencies.
cp -an /lib/systemd/system/. "$root/lib/systemd/system/"
units=(/lib/systemd/system/tinyad-serve.service /lib/systemd/system/tinyad-collect@.service)
for u in "${units[@]}"; do
  grep -q '^DynamicUser=yes$' "$root$u" && grep -q '^StateDirectory=tinyad' "$root$u" &&
    grep -q '^ProtectSystem=strict$' "$root$u" && grep -q '^EnvironmentFile=/etc/default/tinyad$' "$root$u" ||
    fail "$u lacks DynamicUser=yes, StateDirectory=tinyad, ProtectSystem=strict or EnvironmentFile=/etc/default/tinyad"
done
# verify exits 0 on settings it ignores (a misspelt value): any output fails.
out=$(MANPATH=$root/usr/share/man systemd-analyze verify --root="$root" "${units[@]}" 2>&1) || fail "systemd-analyze verify: $out"
[ -z "$out" ] || fail "systemd-analyze verify warns: $out"
for u in "${units[@]}"; do
  out=$(systemd-analyze security --offline=yes --threshold=20 --root="$root" "$u" 2>&1) ||
    fail "$(basename "$u"): sandbox exposure above 2.0: $(tail -1 <<<"$out")"
  step "$(basename "$u"): verify OK, $(tail -1 <<<"$out" | sed 's/^→ //')"
done

# (lintian's verdict: I: lines are shown, docs/packaging.md says why they stay.)
wait "$lintian_pid" || true
grep -v 'running with root privileges' "$work/lintian.txt" | sed 's/^/  lintian: /' || true
! grep -E '^(E|W): ' "$work/lintian.txt" >/dev/null || fail "lintian reports errors or warnings (above)"
step "lintian: no errors or warnings"

dpkg --root="$root" --log=/dev/null --purge tinyad >"$work/purge.log" 2>&1 || { cat "$work/purge.log"; fail "dpkg --purge failed"; }
left=$(cd "$root" && find etc usr -type f 2>/dev/null | head -5 || true)
[ -z "$left" ] || fail "purge left files: $left"
step "purged cleanly; all checks passed"
