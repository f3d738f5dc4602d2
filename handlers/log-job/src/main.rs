//! `log-job`: prints the message it is given, one line on stdout.

use serde::Deserialize;

enschedule_sdk::embed_manifest!(include_bytes!("../manifest.json"));

#[derive(Deserialize)]
struct Data {
    message: String,
}

fn main() {
    enschedule_sdk::run(|data: Data| {
        println!("{}", data.message);
        Ok::<(), String>(())
    })
}
