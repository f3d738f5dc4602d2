//! The handler SDK: what a Rust handler needs to run under Enschedule.
//!
//! A *handler* is a WASI command. Enschedule writes the schedule's data to its
//! stdin as JSON, captures stdout and stderr, and reads success from the exit
//! code. Its *manifest* (id, version, title, description, data schema, example)
//! travels inside the module as the custom section `enschedule`.
//!
//! The SDK has two halves. In the handler, [`run`] (or [`read_data`]) decodes
//! the data into the handler's own type, and [`embed_manifest!`] puts the
//! manifest in the custom section. In the handler's build script, the `build`
//! feature's `build::write_manifest` derives the manifest's `dataSchema`
//! from that same type, checks the example against it, and writes the JSON
//! that `embed_manifest!` embeds. A custom section must be bytes known at
//! compile time, and a schema derived from a type is known only once that type
//! is compiled: the build script, compiled and run before the handler, is
//! where both meet.
//!
//! # Writing a handler
//!
//! The data type lives in `src/data.rs` and uses nothing but `serde` and
//! `schemars`, because the build script compiles that file too. Serde's
//! attributes (`rename_all`, `deny_unknown_fields`, `default`, …) shape the
//! schema as they shape decoding, and doc comments become its descriptions:
//!
//! ```ignore
//! // src/data.rs
//! use schemars::JsonSchema;
//! use serde::Deserialize;
//!
//! #[derive(Deserialize, JsonSchema)]
//! #[serde(deny_unknown_fields)]
//! pub struct Data {
//!     /// The text to print.
//!     pub message: String,
//! }
//! ```
//!
//! The build script includes the type and writes `$OUT_DIR/manifest.json`.
//! A manifest that the server would refuse (an example that does not match
//! the schema, a version of 0, …) fails the build with the reason:
//!
//! ```ignore
//! // build.rs
//! #[path = "src/data.rs"]
//! #[allow(dead_code, reason = "only the type's schema is used here, not its fields")]
//! mod data;
//!
//! use enschedule_sdk::build::{Manifest, json, write_manifest};
//!
//! fn main() {
//!     write_manifest::<data::Data>(Manifest {
//!         id: "log-job",
//!         version: 1,
//!         title: "Log message",
//!         description: "Prints the message to stdout.",
//!         example: json!({ "message": "some message" }),
//!     });
//! }
//! ```
//!
//! The handler embeds that file and runs its body on the decoded data:
//!
//! ```ignore
//! // src/main.rs
//! mod data;
//!
//! enschedule_sdk::embed_manifest!();
//!
//! fn main() {
//!     enschedule_sdk::run(|data: data::Data| {
//!         println!("{}", data.message);
//!         Ok::<(), String>(())
//!     })
//! }
//! ```
//!
//! with the SDK twice in `Cargo.toml`, once with the feature:
//!
//! ```toml
//! [dependencies]
//! enschedule-sdk = { path = "…" }
//! schemars = "1"
//! serde = { version = "1", features = ["derive"] }
//!
//! [build-dependencies]
//! enschedule-sdk = { path = "…", features = ["build"] }
//! schemars = "1"
//! serde = { version = "1", features = ["derive"] }
//! ```
//!
//! A handler whose manifest is written by hand embeds it directly:
//! `embed_manifest!(include_bytes!("../manifest.json"))`.

use std::fmt;
use std::io::Read;

use serde::de::DeserializeOwned;

#[cfg(feature = "build")]
pub mod build;

/// Why a handler could not read its data.
#[derive(Debug)]
pub enum DataError {
    /// Stdin could not be read.
    Read(std::io::Error),
    /// Stdin held no JSON of the expected shape.
    Parse(serde_json::Error),
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataError::Read(e) => write!(f, "could not read the data from stdin: {e}"),
            DataError::Parse(e) => write!(f, "the data is not what this handler expects: {e}"),
        }
    }
}

impl std::error::Error for DataError {}

/// Reads the run's data from stdin and decodes it as `T`.
pub fn read_data<T: DeserializeOwned>() -> Result<T, DataError> {
    let mut input = Vec::new();
    std::io::stdin()
        .read_to_end(&mut input)
        .map_err(DataError::Read)?;
    serde_json::from_slice(&input).map_err(DataError::Parse)
}

/// Runs a handler body: decodes the data, calls `body`, and turns an error
/// (of decoding or of the body) into a message on stderr and exit code 1.
pub fn run<T, E, F>(body: F) -> !
where
    T: DeserializeOwned,
    E: fmt::Display,
    F: FnOnce(T) -> Result<(), E>,
{
    let code = match read_data::<T>() {
        Err(e) => {
            eprintln!("{e}");
            1
        }
        Ok(data) => match body(data) {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("{e}");
                1
            }
        },
    };
    std::process::exit(code)
}

/// Copies a byte slice into an array in a constant context; used by
/// [`embed_manifest!`], whose static needs a sized type.
#[doc(hidden)]
pub const fn to_array<const N: usize>(bytes: &[u8]) -> [u8; N] {
    let mut array = [0u8; N];
    let mut i = 0;
    while i < N {
        array[i] = bytes[i];
        i += 1;
    }
    array
}

/// Embeds the manifest as the module's custom section `enschedule`, where
/// Enschedule reads it on upload.
///
/// With no argument it embeds `$OUT_DIR/manifest.json`, the file
/// `build::write_manifest` writes; with one, the JSON bytes given (usually
/// `include_bytes!` of a hand-written file).
#[macro_export]
macro_rules! embed_manifest {
    () => {
        $crate::embed_manifest!(include_bytes!(concat!(env!("OUT_DIR"), "/manifest.json")));
    };
    ($bytes:expr) => {
        const _: () = {
            const BYTES: &[u8] = $bytes;
            // A link section is the only way for Rust code to add a custom
            // section to the module it compiles to.
            #[expect(unsafe_code, reason = "the manifest must live in a custom section")]
            #[unsafe(link_section = "enschedule")]
            #[used]
            static MANIFEST: [u8; BYTES.len()] = $crate::to_array(BYTES);
        };
    };
}
