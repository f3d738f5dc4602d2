//! The data `csv-summary` runs on. `build.rs` compiles this file too, to
//! derive the manifest's data schema from it: it uses only serde and
//! schemars.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A CSV table and what to summarize in it.
#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Data {
    /// The table, its first record the column names.
    pub csv: String,
    /// The columns to summarize. Their cells must be numbers; empty cells
    /// are left out.
    #[schemars(length(min = 1))]
    pub columns: Vec<String>,
    /// The statistics to print for each column, in this order.
    #[serde(default = "every_stat")]
    #[schemars(length(min = 1))]
    pub stats: Vec<Stat>,
    /// A column whose values split the rows into groups, each summarized
    /// apart, in the order they first appear.
    #[serde(default)]
    pub group_by: Option<String>,
    /// The field separator, one ASCII character.
    #[serde(default = "comma")]
    pub delimiter: char,
}

/// A statistic of a column's numbers; `count` is how many cells hold one.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Stat {
    Count,
    Sum,
    Min,
    Max,
    Mean,
}

fn every_stat() -> Vec<Stat> {
    vec![Stat::Count, Stat::Sum, Stat::Min, Stat::Max, Stat::Mean]
}

fn comma() -> char {
    ','
}
