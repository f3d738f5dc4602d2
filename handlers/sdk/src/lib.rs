//! The handler SDK: what a Rust handler needs to run under Enschedule.
//!
//! A *handler* is a WASI command. Enschedule writes the schedule's data to its
//! stdin as JSON, captures stdout and stderr, and reads success from the exit
//! code. Its *manifest* (id, version, title, description, data schema, example)
//! travels inside the module as the custom section `enschedule`.
//!
//! ```ignore
//! enschedule_sdk::embed_manifest!(include_bytes!("../manifest.json"));
//!
//! #[derive(serde::Deserialize)]
//! struct Data { message: String }
//!
//! fn main() {
//!     enschedule_sdk::run(|data: Data| {
//!         println!("{}", data.message);
//!         Ok(())
//!     })
//! }
//! ```

use std::fmt;
use std::io::Read;

use serde::de::DeserializeOwned;

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
    std::io::stdin().read_to_end(&mut input).map_err(DataError::Read)?;
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

/// Embeds the manifest (JSON bytes, usually from `include_bytes!`) as the
/// module's custom section `enschedule`, where Enschedule reads it on upload.
#[macro_export]
macro_rules! embed_manifest {
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
