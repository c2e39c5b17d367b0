#!/usr/bin/env bash
# Builds a libotr test program: `build.sh` → tests/otr-peer/build/otr-peer (the interop peer),
# `build.sh otr-bench` → tests/otr-peer/build/otr-bench (npm run bench:otr). Prints the path.
# Needs gcc, pkg-config and libotr5-dev (libotr 4.1.x, which brings libgcrypt20-dev).
set -euo pipefail
name="${1:-otr-peer}"
case "$name" in otr-peer | otr-bench) ;; *) echo "build.sh: unknown program '$name'" >&2; exit 2 ;; esac
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/build"
bin="$out/$name"
missing() {
  echo "$name: $1 is missing; install it with: apt-get install -y libotr5-dev pkg-config" >&2
  exit 1
}
command -v pkg-config >/dev/null 2>&1 || missing "pkg-config"
pkg-config --exists libotr 2>/dev/null || missing "libotr (pkg-config module 'libotr', package libotr5-dev)"
[ -f /usr/include/gcrypt.h ] || pkg-config --exists libgcrypt 2>/dev/null || missing "libgcrypt's headers (libgcrypt20-dev)"
CC="${CC:-cc}"
command -v "$CC" >/dev/null 2>&1 || { echo "$name: no C compiler ($CC); install it with: apt-get install -y gcc" >&2; exit 1; }

mkdir -p "$out"
# Compile to a temporary name and rename: concurrent test processes may build at the same time
# and must never run (or overwrite) a half-written binary.
tmp="$(mktemp "$out/.$name.XXXXXX")"
trap 'rm -f "$tmp"' EXIT
# shellcheck disable=SC2046 # word splitting of pkg-config's flags is intended
"$CC" -std=gnu11 -Wall -Wextra -O2 -o "$tmp" "$here/$name.c" $(pkg-config --cflags --libs libotr) -lgcrypt
chmod 755 "$tmp"
mv -f "$tmp" "$bin"
trap - EXIT
echo "$bin"
