//! `greeter` version 2: prints `Hello, <name><punctuation>`.
//!
//! Its data moved the name into a `greeting` object beside the punctuation,
//! so it carries a *migration*: run as `greeter --migrate-from 1`, it reads
//! a version-1 schedule's data (`{ "name": … }`) on stdin and writes the
//! version-2 data on stdout. A blank name has nothing to greet and is
//! refused (exit 1, the reason on stderr); a name longer than version 2's
//! schema allows is converted anyway, and Enschedule's schema check refuses
//! it. The manifest says which versions it migrates from (`migratesFrom`).

use serde::{Deserialize, Serialize};

enschedule_sdk::embed_manifest!(include_bytes!("../manifest.json"));

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct Data {
    greeting: Greeting,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct Greeting {
    name: String,
    punctuation: String,
}

/// Version 1's data.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DataV1 {
    name: String,
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("--migrate-from") => migrate(args.get(2).map(String::as_str)),
        _ => enschedule_sdk::run(|data: Data| {
            println!("Hello, {}{}", data.greeting.name, data.greeting.punctuation);
            Ok::<(), String>(())
        }),
    }
}

/// Turns the data of an older version into this version's.
fn migrate(from: Option<&str>) -> ! {
    if from != Some("1") {
        eprintln!(
            "cannot migrate from version {}: only from 1",
            from.unwrap_or("(none)")
        );
        std::process::exit(2);
    }
    enschedule_sdk::run(|old: DataV1| {
        let name = old.name.trim();
        if name.is_empty() {
            return Err(
                "cannot migrate: the name is blank, so there is nobody to greet".to_string(),
            );
        }
        let new = Data {
            greeting: Greeting {
                name: name.to_string(),
                punctuation: "!".to_string(),
            },
        };
        let json = serde_json::to_string(&new).map_err(|e| e.to_string())?;
        println!("{json}");
        Ok(())
    })
}
