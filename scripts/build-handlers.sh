#!/usr/bin/env bash
# Builds the handler modules in handlers/ for wasm32-wasip1 and copies them to
# handlers/dist/, where the server embeds the bundled ones and tests find them.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
target_dir=${HANDLERS_TARGET_DIR:-${CARGO_TARGET_DIR:-$root/target}/handlers}

cargo build --release --target wasm32-wasip1 \
  --manifest-path "$root/handlers/Cargo.toml" --target-dir "$target_dir"

mkdir -p "$root/handlers/dist"
for module in log-job probe hostile; do
  # Copy only on change, so the server's include_bytes! does not rebuild for nothing.
  cmp -s "$target_dir/wasm32-wasip1/release/$module.wasm" "$root/handlers/dist/$module.wasm" ||
    cp "$target_dir/wasm32-wasip1/release/$module.wasm" "$root/handlers/dist/$module.wasm"
done
