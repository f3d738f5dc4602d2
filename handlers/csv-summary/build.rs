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
        id: "csv-summary",
        version: 1,
        title: "Summarize a CSV table",
        description: "Prints the count, sum, min, max and mean (or the stats chosen) of numeric \
                      columns of a CSV table with a header row, for the whole table or for each \
                      value of a groupBy column. A cell that is not a number fails the run.",
        example: json!({
            "csv": "region,amount\nnorth,120\nsouth,80.5\nnorth,30\n",
            "columns": ["amount"],
            "groupBy": "region"
        }),
    });
}
