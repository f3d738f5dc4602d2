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
        id: "template",
        version: 1,
        title: "Render a message",
        description: "Prints the template with each {{name}} replaced by its variable, or by the \
                      run's context (run.id, run.attempt, schedule.id, function.id, \
                      function.version). A placeholder with no value fails the run.",
        example: json!({
            "template": "Reminder for {{team}}: {{task}} (run {{run.id}}, attempt {{run.attempt}})",
            "variables": { "team": "ops", "task": "rotate the on-call pager" }
        }),
    });
}
