#!/usr/bin/env bash
# Builds the handler modules in handlers/ for wasm32-wasip1 (send-http-request,
# which needs wasi:http, as a wasm32-wasip2 component) and copies them to
# handlers/dist/, where the server embeds the bundled ones and tests find them.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
target_dir=${HANDLERS_TARGET_DIR:-${CARGO_TARGET_DIR:-$root/target}/handlers}

cargo build --release --target wasm32-wasip1 \
  --manifest-path "$root/handlers/Cargo.toml" --target-dir "$target_dir" \
  --workspace --exclude send-http-request
cargo build --release --target wasm32-wasip2 \
  --manifest-path "$root/handlers/Cargo.toml" --target-dir "$target_dir" \
  -p send-http-request

mkdir -p "$root/handlers/dist"
for module in log-job probe hostile template csv-summary greeter-v1 greeter-v2; do
  # Copy only on change, so the server's include_bytes! does not rebuild for nothing.
  cmp -s "$target_dir/wasm32-wasip1/release/$module.wasm" "$root/handlers/dist/$module.wasm" ||
    cp "$target_dir/wasm32-wasip1/release/$module.wasm" "$root/handlers/dist/$module.wasm"
done
for module in send-http-request; do
  cmp -s "$target_dir/wasm32-wasip2/release/$module.wasm" "$root/handlers/dist/$module.wasm" ||
    cp "$target_dir/wasm32-wasip2/release/$module.wasm" "$root/handlers/dist/$module.wasm"
done

# checksum-c is C, compiled with clang and wasi-libc: the handler ABI needs no Rust.
mkdir -p "$target_dir/c"
"$root/handlers/checksum-c/build.sh" "$target_dir/c/checksum-c.wasm"
cmp -s "$target_dir/c/checksum-c.wasm" "$root/handlers/dist/checksum-c.wasm" ||
  cp "$target_dir/c/checksum-c.wasm" "$root/handlers/dist/checksum-c.wasm"
