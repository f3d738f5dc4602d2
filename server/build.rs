//! The bundled handler modules are embedded in the binary; they are built
//! from `handlers/` by `scripts/build-handlers.sh`. Say so plainly when they
//! are missing, instead of a bare "file not found" from `include_bytes!`.

/// Keep in step with `src/bundled.rs`.
const BUNDLED: &[&str] = &["log-job"];

fn main() {
    for module in BUNDLED {
        let path = format!(
            "{}/../handlers/dist/{module}.wasm",
            env!("CARGO_MANIFEST_DIR")
        );
        println!("cargo::rerun-if-changed={path}");
        if !std::path::Path::new(&path).exists() {
            panic!("{path} is missing: run scripts/build-handlers.sh (or `make handlers`) first");
        }
    }
}
