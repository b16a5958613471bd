#!/usr/bin/env bash
# shlibs_depends.sh BINARY: prints a Debian Depends: value for BINARY from the
# shlibs files of this machine's installed packages (/var/lib/dpkg/info/*.shlibs),
# one entry per NEEDED library, e.g.
#   libc6 (>= 2.36), libhdf5-103-1, libmosquitto1 (>= 1.6.7), ...
# For cross builds: dpkg-shlibdeps cannot see the libraries of a sysroot
# unpacked with dpkg-deb (no dpkg database there), but Debian builds every
# architecture from the same sources, so the build machine's packages of the
# same release name the same packages and versions for the same sonames.
# The build machine must have those libraries installed (scripts/deps.sh demo
# installs them). Less precise than dpkg-shlibdeps (shlibs, not symbols: the
# versions are the libraries' latest ABI bumps, a little higher than needed).
set -euo pipefail
binary=${1:?usage: $0 BINARY}
[ -f "$binary" ] || { echo "shlibs_depends: no file $binary" >&2; exit 1; }
host_arch=$(dpkg --print-architecture)
# The shlibs of this architecture's packages (and Architecture: all ones).
shlibs=(/var/lib/dpkg/info/*:"$host_arch".shlibs)

needed=$(readelf -d "$binary" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
[ -n "$needed" ] || { echo "shlibs_depends: $binary needs no shared library (not a dynamic ELF file?)" >&2; exit 1; }
deps=()
for soname in $needed; do
  # libfoo.so.6 -> "libfoo 6"; libfoo-1.2.so -> "libfoo 1.2" (dpkg's shlibs keys)
  if [[ $soname =~ ^(.*)\.so\.([0-9.]+)$ ]] || [[ $soname =~ ^(.*)-([0-9.]+)\.so$ ]]; then
    key="${BASH_REMATCH[1]} ${BASH_REMATCH[2]}"
  else
    echo "shlibs_depends: cannot read the soname $soname of $binary" >&2; exit 1
  fi
  dep=$(awk -v key="$key" '$1 " " $2 == key { $1 = ""; $2 = ""; sub(/^ +/, ""); print; exit }' "${shlibs[@]}")
  [ -n "$dep" ] || { echo "shlibs_depends: no installed package's shlibs file names $soname (install its library package)" >&2; exit 1; }
  deps+=("$dep")
done
printf '%s\n' "${deps[@]}" | sort -u | paste -sd, | sed 's/,/, /g'
