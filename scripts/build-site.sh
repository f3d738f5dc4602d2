#!/usr/bin/env bash
# Builds the dashboard the way `cargo leptos build` does, with plain cargo and
# wasm-bindgen: the browser bundle into target/site/pkg, then the server.
#   scripts/build-site.sh [--release]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tools=${ENSCHEDULE_TOOLS:-$HOME/.cache/enschedule/tools}
target_dir=${CARGO_TARGET_DIR:-$HOME/.cache/enschedule/target}
export CARGO_TARGET_DIR=$target_dir
profile=debug
flags=()
if [ "${1:-}" = "--release" ]; then
  profile=release
  flags=(--release)
fi
site="$root/target/site"
mkdir -p "$site/pkg"

"$root/scripts/build-handlers.sh"

# The browser bundle: the `frontend` crate compiled to wasm, bound for the web.
wasm_profile=$profile
wasm_flags=("${flags[@]}")
if [ "$profile" = release ]; then
  wasm_profile=wasm-release
  wasm_flags=(--profile wasm-release)
fi
cargo build -p frontend --lib --target wasm32-unknown-unknown "${wasm_flags[@]}"
"$tools/bin/wasm-bindgen" --target web --no-typescript \
  --out-dir "$site/pkg" --out-name enschedule \
  "$target_dir/wasm32-unknown-unknown/$wasm_profile/frontend.wasm"
cp "$root/style/main.css" "$site/pkg/enschedule.css"

cargo build -p server --bin enschedule "${flags[@]}"
mkdir -p "$root/target/bin"
ln -sf "$target_dir/$profile/enschedule" "$root/target/bin/enschedule"
