//! The build-script half of the SDK (feature `build`): writes a handler's
//! manifest, its `dataSchema` derived from the handler's data type.
//!
//! The *data type* is the Rust type the handler decodes its stdin into. Its
//! [`JsonSchema`] derive reads the same serde attributes as its `Deserialize`
//! derive, so the schema the server checks a schedule's data against is the
//! shape the handler accepts. The manifest is checked here as the server
//! checks it on upload, and the example is also decoded into the data type,
//! so a manifest the server would refuse, or an example the handler would
//! refuse, fails the build instead.

use std::fmt;
use std::path::PathBuf;

pub use schemars::JsonSchema;
pub use serde_json::json;

use schemars::Schema;
use schemars::generate::SchemaSettings;
use schemars::transform::transform_subschemas;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// What a handler says about itself. The data schema is not here: it is
/// derived from the data type.
#[derive(Debug, Clone)]
pub struct Manifest<'a> {
    /// The function's id: at most 100 letters, digits and `-_.@/`.
    pub id: &'a str,
    /// At least 1. A changed module, schema or title needs a new version.
    pub version: u32,
    pub title: &'a str,
    pub description: &'a str,
    /// Data the dashboard fills a new schedule's form with. It must match
    /// the schema and decode into the data type.
    pub example: Value,
}

/// Why a manifest could not be written.
#[derive(Debug)]
pub enum ManifestError {
    /// A field the server would refuse.
    Invalid {
        field: &'static str,
        problem: String,
    },
    /// The derived schema is not a valid JSON Schema: a `schemars`
    /// attribute on the data type is wrong.
    Schema(String),
    /// The example does not match the derived schema.
    ExampleSchema { at: String, problem: String },
    /// The example matches the schema but does not decode into the data
    /// type (a custom `Deserialize` is stricter than its schema).
    ExampleType(serde_json::Error),
    /// `$OUT_DIR` is not set or the file could not be written.
    Write(String),
}

impl fmt::Display for ManifestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ManifestError::Invalid { field, problem } => write!(f, "{field}: {problem}"),
            ManifestError::Schema(problem) => write!(
                f,
                "dataSchema: the schema derived from the data type is not a valid JSON Schema: \
                 {problem}"
            ),
            ManifestError::ExampleSchema { at, problem } if at.is_empty() => {
                write!(f, "example: does not match dataSchema: {problem}")
            }
            ManifestError::ExampleSchema { at, problem } => {
                write!(f, "example: does not match dataSchema at {at}: {problem}")
            }
            ManifestError::ExampleType(e) => {
                write!(f, "example: does not decode into the data type: {e}")
            }
            ManifestError::Write(problem) => write!(f, "could not write the manifest: {problem}"),
        }
    }
}

impl std::error::Error for ManifestError {}

/// Builds the manifest, writes it to `$OUT_DIR/manifest.json` for
/// [`embed_manifest!()`](crate::embed_manifest), and tells Cargo to run the
/// build script again only when it (or the data type it includes) changes.
///
/// Call it from `build.rs`. A manifest that fails [`manifest_json`]'s checks
/// fails the build, with the reason as Cargo's error.
pub fn write_manifest<T: JsonSchema + DeserializeOwned>(manifest: Manifest<'_>) {
    // Changing the data type recompiles the build script, which runs it
    // again; nothing else in the package affects the manifest.
    println!("cargo::rerun-if-changed=build.rs");

    let written = checked::<T>(&manifest).and_then(|checked| {
        let dir = std::env::var_os("OUT_DIR").ok_or_else(|| {
            ManifestError::Write("OUT_DIR is not set: call it from build.rs".into())
        })?;
        let path = PathBuf::from(dir).join("manifest.json");
        let bytes = serde_json::to_vec(&checked).expect("a manifest serializes");
        std::fs::write(&path, bytes)
            .map_err(|e| ManifestError::Write(format!("{}: {e}", path.display())))
    });
    // Cargo fails the build on this line and shows it alone, without the
    // script's whole output as a failed exit would.
    if let Err(e) = written {
        println!(
            "cargo::error=the manifest of `{}` is refused: {e}",
            manifest.id
        );
    }
}

/// The manifest's JSON, in the shape the server reads from the `enschedule`
/// section, after the server's own checks: a usable id, a version of at
/// least 1, a title, a valid schema, and an example that matches it (and
/// decodes into `T`).
pub fn manifest_json<T: JsonSchema + DeserializeOwned>(
    manifest: &Manifest<'_>,
) -> Result<Value, ManifestError> {
    let checked = checked::<T>(manifest)?;
    Ok(serde_json::to_value(checked).expect("a manifest serializes"))
}

/// The manifest as written: a struct, so the fields keep this order.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Checked<'a> {
    id: &'a str,
    version: u32,
    title: &'a str,
    description: &'a str,
    data_schema: Value,
    example: &'a Value,
}

fn checked<'a, T: JsonSchema + DeserializeOwned>(
    manifest: &'a Manifest<'a>,
) -> Result<Checked<'a>, ManifestError> {
    check_fields(manifest)?;
    let data_schema = data_schema::<T>();
    check_example::<T>(&data_schema, &manifest.example)?;
    Ok(Checked {
        id: manifest.id,
        version: manifest.version,
        title: manifest.title,
        description: manifest.description,
        data_schema,
        example: &manifest.example,
    })
}

/// The JSON Schema (draft 2020-12) of the data `T` decodes from.
///
/// The root's `title`, which `schemars` fills with the Rust type's name, is
/// left out unless the type sets one: the function has its own title. Doc
/// comments become descriptions with their lines joined, so that they read
/// as text wherever the schema is shown.
pub fn data_schema<T: JsonSchema>() -> Value {
    let mut schema = SchemaSettings::draft2020_12()
        .for_deserialize()
        .into_generator()
        .into_root_schema_for::<T>();
    unwrap_descriptions(&mut schema);

    let mut schema = schema.to_value();
    if let Some(root) = schema.as_object_mut()
        && root.get("title").and_then(Value::as_str) == Some(&*T::schema_name())
    {
        root.remove("title");
    }
    schema
}

/// Joins the lines of each paragraph of every `description`, which
/// `schemars` keeps as the doc comment wrapped them.
fn unwrap_descriptions(schema: &mut Schema) {
    if let Some(Value::String(text)) = schema.get_mut("description") {
        *text = text
            .split("\n\n")
            .map(|paragraph| {
                paragraph
                    .lines()
                    .map(str::trim)
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect::<Vec<_>>()
            .join("\n\n");
    }
    transform_subschemas(&mut unwrap_descriptions, schema);
}

/// The server's rules for these fields (`Manifest::validate` in
/// `worker/src/manifest.rs`), repeated with its messages: the handlers
/// workspace cannot depend on the worker, so a change there belongs here too.
fn check_fields(manifest: &Manifest<'_>) -> Result<(), ManifestError> {
    let invalid = |field, problem: &str| {
        Err(ManifestError::Invalid {
            field,
            problem: problem.to_string(),
        })
    };
    if manifest.id.is_empty() {
        return invalid("id", "must not be empty");
    }
    if manifest.id.len() > 100
        || !manifest
            .id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.@/".contains(c))
    {
        return invalid(
            "id",
            "use at most 100 letters, digits and `-_.@/` (for example `send-email`)",
        );
    }
    if manifest.version < 1 {
        return invalid("version", "must be a whole number of at least 1");
    }
    if manifest.title.trim().is_empty() {
        return invalid("title", "must not be empty");
    }
    Ok(())
}

fn check_example<T: DeserializeOwned>(
    schema: &Value,
    example: &Value,
) -> Result<(), ManifestError> {
    let validator =
        jsonschema::validator_for(schema).map_err(|e| ManifestError::Schema(e.to_string()))?;
    if let Some(error) = validator.iter_errors(example).next() {
        return Err(ManifestError::ExampleSchema {
            at: error.instance_path.to_string(),
            problem: error.to_string(),
        });
    }
    T::deserialize(example).map_err(ManifestError::ExampleType)?;
    Ok(())
}
