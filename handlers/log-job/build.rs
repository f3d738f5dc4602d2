//! Writes the manifest that `src/main.rs` embeds, its data schema derived
//! from `src/data.rs`.

#[path = "src/data.rs"]
#[allow(
    dead_code,
    reason = "only the type's schema is used here, not its fields"
)]
mod data;

use enschedule_sdk::build::{Manifest, json, write_manifest};

fn main() {
    write_manifest::<data::Data>(Manifest {
        id: "log-job",
        version: 1,
        title: "Log message",
        description: "Prints the message to stdout.",
        example: json!({ "message": "some message" }),
    });
}
