//! The bundled handler modules are embedded in the binary; they are built
//! from `handlers/` by `scripts/build-handlers.sh`. Say so plainly when they
//! are missing, instead of a bare "file not found" from `include_bytes!`.

/// Keep in step with `src/bundled.rs`.
const BUNDLED: &[&str] = &["log-job", "send-http-request"];

fn main() {
    // Read when the script runs, not when it is compiled: the compiled script
    // is shared by every clone that uses the same target directory.
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    for module in BUNDLED {
        let path = format!("{manifest_dir}/../handlers/dist/{module}.wasm");
        println!("cargo::rerun-if-changed={path}");
        if !std::path::Path::new(&path).exists() {
            panic!("{path} is missing: run scripts/build-handlers.sh (or `make handlers`) first");
        }
    }
}
