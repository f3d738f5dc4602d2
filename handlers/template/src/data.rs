//! The data `template` runs on. `build.rs` compiles this file too, to derive
//! the manifest's data schema from it: it uses only std, serde and schemars.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

/// A message template and the values of its placeholders.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Data {
    /// The text to print. Each `{{name}}` is replaced by the value of the
    /// variable `name`; the run's context is there as `run.id`,
    /// `run.attempt`, `schedule.id`, `function.id` and `function.version`.
    pub template: String,
    /// The values of the placeholders, by name. A variable named like a
    /// context value replaces it.
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
}
