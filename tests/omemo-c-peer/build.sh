#!/usr/bin/env bash
# Builds the libomemo-c test peer: tests/omemo-c-peer/build/omemo-c-peer. Prints the path.
# Needs gcc, pkg-config, libomemo-c-dev (libomemo-c 0.5) and libgcrypt's headers (libgcrypt20-dev).
set -euo pipefail
name=omemo-c-peer
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/build"
bin="$out/$name"
missing() {
  echo "$name: $1 is missing; install it with: apt-get install -y libomemo-c-dev libgcrypt20-dev pkg-config" >&2
  exit 1
}
command -v pkg-config >/dev/null 2>&1 || missing "pkg-config"
pkg-config --exists libomemo-c 2>/dev/null || missing "libomemo-c (pkg-config module 'libomemo-c', package libomemo-c-dev)"
[ -f /usr/include/gcrypt.h ] || pkg-config --exists libgcrypt 2>/dev/null || missing "libgcrypt's headers (libgcrypt20-dev)"
CC="${CC:-cc}"
command -v "$CC" >/dev/null 2>&1 || { echo "$name: no C compiler ($CC); install it with: apt-get install -y gcc" >&2; exit 1; }

mkdir -p "$out"
# Compile to a temporary name and rename: concurrent test processes may build at the same time
# and must never run (or overwrite) a half-written binary.
tmp="$(mktemp "$out/.$name.XXXXXX")"
trap 'rm -f "$tmp"' EXIT
# shellcheck disable=SC2046 # word splitting of pkg-config's flags is intended
"$CC" -std=gnu11 -Wall -Wextra -Werror -O2 -o "$tmp" "$here/$name.c" $(pkg-config --cflags --libs libomemo-c) -lgcrypt
chmod 755 "$tmp"
mv -f "$tmp" "$bin"
trap - EXIT
echo "$bin"
