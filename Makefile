# The two commands: `make run` serves the dashboard, `make test` runs every test.
# Both set up what they need first (and skip what is already there).

# Builds and tools live outside the clone, so fresh clones reuse them.
export CARGO_TARGET_DIR ?= $(HOME)/.cache/enschedule/target
export ENSCHEDULE_TOOLS ?= $(HOME)/.cache/enschedule/tools
# Incremental state is kept per clone path and grows by gigabytes; a fresh
# clone never reuses it.
export CARGO_INCREMENTAL ?= 0

.PHONY: run test setup databases handlers site release check lint unit e2e

## Set up, build, and serve the dashboard on http://localhost:3000 (SQLite in ./data).
run: setup site
	target/bin/enschedule serve

## Set up, then run every check and test: format, lints, unit and integration, browser.
test: check unit e2e

setup:
	scripts/setup.sh

## PostgreSQL and MariaDB answering on this machine (started if down).
databases:
	scripts/databases.sh

handlers:
	scripts/build-handlers.sh

## The dashboard bundle and the server binary (debug), as target/bin/enschedule.
site:
	scripts/build-site.sh

## An optimised build of the same.
release: setup
	scripts/build-site.sh --release

check: setup handlers
	cargo fmt --all --check
	cargo fmt --manifest-path handlers/Cargo.toml --all --check
	cargo clippy -p worker -p app -p server --all-targets -- -D warnings
	cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings
	cargo clippy --manifest-path handlers/Cargo.toml --target-dir $(CARGO_TARGET_DIR)/handlers \
	  --target wasm32-wasip1 --workspace --exclude send-http-request -- -D warnings
	cargo clippy --manifest-path handlers/Cargo.toml --target-dir $(CARGO_TARGET_DIR)/handlers \
	  --target wasm32-wasip2 -p send-http-request -- -D warnings

## The engine's tests run on each database; the process tests use all three.
unit: setup handlers databases
	cargo test -p worker -p app -p server
	ENSCHEDULE_TEST_DATABASE=postgres cargo test -p worker --test engine
	ENSCHEDULE_TEST_DATABASE=mysql cargo test -p worker --test engine
	cargo test --manifest-path handlers/Cargo.toml --target-dir $(CARGO_TARGET_DIR)/handlers \
	  -p enschedule-sdk --features build

e2e: site
	scripts/setup.sh --test
	cd end2end && npm test
