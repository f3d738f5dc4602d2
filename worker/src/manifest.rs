//! Function manifests: what a handler module says about itself.
//!
//! The *manifest* names a function (`id`, `version`) and describes it
//! (`title`, `description`, `dataSchema`, `example`). A module carries it as
//! the custom section `enschedule`; a module without one gets it from the
//! uploader. Either way it is checked here before anything is stored.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::access::{FunctionRules, Rules, StatedRules};

/// The custom section a module's manifest lives in.
pub const SECTION: &str = "enschedule";

/// A function's manifest, in the JSON shape modules embed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    pub id: String,
    pub version: i64,
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default = "any_schema")]
    pub data_schema: Value,
    #[serde(default)]
    pub example: Value,
    /// Who may see the function and schedule it; what its schedules and
    /// runs allow by default. Stored as the function's access rules when it
    /// is first registered; an admin may change them later.
    #[serde(default, skip_serializing_if = "Rules::is_empty")]
    pub access: Rules,
    #[serde(default, skip_serializing_if = "Rules::is_empty")]
    pub default_schedule_access: Rules,
    #[serde(default, skip_serializing_if = "Rules::is_empty")]
    pub default_run_access: Rules,
    /// What the function asks to be allowed beyond stdin and stdout. Only
    /// what an admin grants is given.
    #[serde(default, skip_serializing_if = "Capabilities::is_empty")]
    pub capabilities: Capabilities,
    /// The older versions whose schedules' data this version can migrate:
    /// run with the command line `<id> --migrate-from <N>`, the module reads
    /// version N's data on stdin and writes this version's on stdout.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub migrates_from: Vec<i64>,
}

/// Capabilities a function asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Capabilities {
    /// Outgoing HTTP through `wasi:http` (components only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http: Option<HttpCapability>,
}

impl Capabilities {
    pub fn is_empty(&self) -> bool {
        self.http.is_none()
    }

    /// The hosts asked for, as `host` or `host:port`.
    pub fn requested_hosts(&self) -> &[String] {
        self.http.as_ref().map_or(&[], |http| &http.allow)
    }
}

/// Outgoing HTTP: the hosts the function would like to reach. An empty
/// list says it makes requests, to hosts an admin chooses.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpCapability {
    #[serde(default)]
    pub allow: Vec<String>,
}

fn any_schema() -> Value {
    Value::Object(Default::default())
}

/// Why a module or its manifest was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    #[error("the file is not a WebAssembly module (it does not start with `\\0asm`)")]
    NotWasm,
    #[error("the file is not a valid WebAssembly module: {0}")]
    InvalidWasm(String),
    #[error("the module has no `_start` export: build it as a WASI command")]
    NoStart,
    #[error(
        "the component does not export `wasi:cli/run`: build it as a WASI command \
         (for example for the wasm32-wasip2 target)"
    )]
    NoRun,
    #[error("the `{SECTION}` section is not valid manifest JSON: {0}")]
    SectionJson(String),
    #[error("the module has no `{SECTION}` section, so its manifest must be given: {0} is missing")]
    Missing(&'static str),
    #[error("{field}: {problem}")]
    Invalid {
        field: &'static str,
        problem: String,
    },
}

/// What a module holds, read without compiling it.
#[derive(Debug, Clone, PartialEq)]
pub struct ModuleInfo {
    /// The manifest from the `enschedule` section, if the module has one.
    pub manifest: Option<Manifest>,
    /// A WASI preview-2 component rather than a preview-1 module.
    pub component: bool,
}

/// Reads a module's structure: is it a WASI command (a preview-1 module with
/// `_start`, or a component exporting `wasi:cli/run`), and does it carry a
/// manifest? In a component the section sits in a nested core module. The
/// module is also fully validated, so nothing broken is stored.
pub fn inspect(bytes: &[u8]) -> Result<ModuleInfo, ManifestError> {
    if !bytes.starts_with(b"\0asm") {
        return Err(ManifestError::NotWasm);
    }
    let component = wasmparser::Parser::is_component(bytes);
    wasmparser::Validator::new()
        .validate_all(bytes)
        .map_err(|e| ManifestError::InvalidWasm(e.to_string()))?;

    let mut manifest = None;
    let mut has_start = false;
    let mut has_run = false;
    for payload in wasmparser::Parser::new(0).parse_all(bytes) {
        match payload.map_err(|e| ManifestError::InvalidWasm(e.to_string()))? {
            wasmparser::Payload::CustomSection(section) if section.name() == SECTION => {
                let parsed: Manifest = serde_json::from_slice(section.data())
                    .map_err(|e| ManifestError::SectionJson(e.to_string()))?;
                manifest = Some(parsed);
            }
            wasmparser::Payload::ExportSection(exports) => {
                for export in exports {
                    let export = export.map_err(|e| ManifestError::InvalidWasm(e.to_string()))?;
                    has_start |=
                        export.name == "_start" && export.kind == wasmparser::ExternalKind::Func;
                }
            }
            wasmparser::Payload::ComponentExportSection(exports) => {
                for export in exports {
                    let export = export.map_err(|e| ManifestError::InvalidWasm(e.to_string()))?;
                    has_run |= export.name.name.starts_with("wasi:cli/run@0.2.");
                }
            }
            _ => {}
        }
    }
    match (component, has_start, has_run) {
        (false, false, _) => Err(ManifestError::NoStart),
        (true, _, false) => Err(ManifestError::NoRun),
        _ => Ok(ModuleInfo {
            manifest,
            component,
        }),
    }
}

impl Manifest {
    /// Checks every field: a usable id, a positive version, a title, a valid
    /// JSON Schema, an example that satisfies it, and migrations from older
    /// versions only.
    pub fn validate(&self) -> Result<(), ManifestError> {
        let invalid = |field, problem: &str| {
            Err(ManifestError::Invalid {
                field,
                problem: problem.to_string(),
            })
        };
        if self.id.is_empty() {
            return invalid("id", "must not be empty");
        }
        if self.id.len() > 100
            || !self
                .id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.@/".contains(c))
        {
            return invalid(
                "id",
                "use at most 100 letters, digits and `-_.@/` (for example `send-email`)",
            );
        }
        if self.version < 1 {
            return invalid("version", "must be a whole number of at least 1");
        }
        if self.title.trim().is_empty() {
            return invalid("title", "must not be empty");
        }
        let validator =
            jsonschema::validator_for(&self.data_schema).map_err(|e| ManifestError::Invalid {
                field: "dataSchema",
                problem: format!("not a valid JSON Schema: {e}"),
            })?;
        if let Some(problem) = first_violation(&validator, &self.example) {
            return invalid("example", &format!("does not match dataSchema: {problem}"));
        }
        if let Some(older) = self
            .migrates_from
            .iter()
            .find(|&&older| older < 1 || older >= self.version)
        {
            let problem = match self.version {
                1 => format!("{older}: version 1 has no older versions to migrate from"),
                version => format!(
                    "{older} is not an older version: version {version} can migrate from \
                     versions 1 to {}",
                    version - 1
                ),
            };
            return invalid("migratesFrom", &problem);
        }
        for host in self.capabilities.requested_hosts() {
            crate::runtime::http::parse_grant(host).map_err(|problem| ManifestError::Invalid {
                field: "capabilities.http.allow",
                problem,
            })?;
        }
        if let Some(rules) = self.rules() {
            StatedRules::Function(rules)
                .check()
                .map_err(|problem| ManifestError::Invalid {
                    field: "access",
                    problem,
                })?;
        }
        Ok(())
    }

    /// The access rules the manifest states, if any.
    pub fn rules(&self) -> Option<FunctionRules> {
        let rules = FunctionRules {
            access: self.access.clone(),
            default_schedule_access: self.default_schedule_access.clone(),
            default_run_access: self.default_run_access.clone(),
        };
        (rules != FunctionRules::default()).then_some(rules)
    }
}

/// Checks `data` against a function's schema; the error says where and why.
pub fn check_data(schema: &Value, data: &Value) -> Result<(), String> {
    let validator = jsonschema::validator_for(schema)
        .map_err(|e| format!("the function's dataSchema is not valid: {e}"))?;
    match first_violation(&validator, data) {
        Some(problem) => Err(problem),
        None => Ok(()),
    }
}

fn first_violation(validator: &jsonschema::Validator, data: &Value) -> Option<String> {
    validator.iter_errors(data).next().map(|error| {
        let path = error.instance_path.to_string();
        if path.is_empty() {
            error.to_string()
        } else {
            format!("at {path}: {error}")
        }
    })
}
