//! The data `log-job` runs on. `build.rs` compiles this file too, to derive
//! the manifest's data schema from it: it uses only serde and schemars.

use schemars::JsonSchema;
use serde::Deserialize;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Data {
    pub message: String,
}
