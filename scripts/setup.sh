#!/usr/bin/env bash
# Installs what building and testing Enschedule needs, skipping what is there:
# the rustup targets, wasm-bindgen-cli (the version in Cargo.lock), clang with
# wasi-libc for the C handler (Debian packages), and with `--test` also
# Chromium (Debian package) and the end2end npm packages.
# Tools go to $ENSCHEDULE_TOOLS (default ~/.cache/enschedule/tools), outside
# the clone, so every later run reuses them.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tools=${ENSCHEDULE_TOOLS:-$HOME/.cache/enschedule/tools}
mkdir -p "$tools/bin"

rustup target add wasm32-unknown-unknown wasm32-wasip1 wasm32-wasip2 >/dev/null 2>&1 ||
  rustup target add wasm32-unknown-unknown wasm32-wasip1 wasm32-wasip2

# The CLI must match the wasm-bindgen crate exactly, or the bindings it writes
# do not fit the compiled module.
wbg_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' "$root/Cargo.lock")
if [ "$("$tools/bin/wasm-bindgen" --version 2>/dev/null | awk '{print $2}')" != "$wbg_version" ]; then
  echo "==> installing wasm-bindgen-cli $wbg_version (a few minutes, once)"
  # Its own lock file names crate versions the registry may not serve, hence
  # no --locked; the fallback resolver keeps to versions this Rust supports.
  CARGO_RESOLVER_INCOMPATIBLE_RUST_VERSIONS=fallback \
    cargo install wasm-bindgen-cli --version "$wbg_version" --root "$tools" \
    --target-dir "${CARGO_TARGET_DIR:-$HOME/.cache/enschedule/target}/tools"
fi

# The C handler (handlers/checksum-c) needs clang, lld, wasi-libc and the
# wasm32 compiler-rt builtins; compiling a tiny program checks all four.
if ! printf '#include <stdio.h>\nint main(void) { return puts(""); }\n' |
     clang --target=wasm32-wasi -x c - -o /dev/null >/dev/null 2>&1; then
  echo "==> installing clang, lld and wasi-libc from the system packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq clang lld wasi-libc libclang-rt-dev-wasm32 >/dev/null
fi

if [ "${1:-}" = "--test" ]; then
  if ! command -v chromium >/dev/null 2>&1; then
    echo "==> installing Chromium from the system packages"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq chromium >/dev/null
  fi
  if [ ! -d "$root/end2end/node_modules/playwright-core" ] ||
     [ "$root/end2end/package-lock.json" -nt "$root/end2end/node_modules/.package-lock.json" ]; then
    echo "==> installing the end2end npm packages"
    (cd "$root/end2end" && npm ci --no-audit --no-fund)
  fi
fi
