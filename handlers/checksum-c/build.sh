#!/usr/bin/env bash
# Compiles checksum-c to a WASI preview-1 command with Debian's clang, lld and
# wasi-libc (scripts/setup.sh installs them):
#   handlers/checksum-c/build.sh OUT.wasm
set -euo pipefail
out=${1:?usage: build.sh OUT.wasm}
if ! command -v clang >/dev/null || ! command -v wasm-ld >/dev/null; then
  echo "$0: needs clang and wasm-ld with wasi-libc; scripts/setup.sh installs them" >&2
  exit 1
fi
case $out in /*) ;; *) out=$PWD/$out ;; esac
# checksum.c embeds manifest.json with `.incbin`, a path relative to here.
cd "$(dirname "$0")"
# -s strips debug information and names; the `enschedule` section stays.
clang --target=wasm32-wasi -std=c11 -O2 -Wall -Wextra -s \
  -o "$out" checksum.c
