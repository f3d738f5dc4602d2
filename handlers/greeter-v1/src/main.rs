//! `greeter` version 1: prints `Hello, <name>` for the name it is given.
//! Version 2 (`greeter-v2`) moves the name into a `greeting` object and
//! migrates this version's data.

use serde::Deserialize;

enschedule_sdk::embed_manifest!(include_bytes!("../manifest.json"));

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Data {
    name: String,
}

fn main() {
    enschedule_sdk::run(|data: Data| {
        println!("Hello, {}", data.name);
        Ok::<(), String>(())
    })
}
