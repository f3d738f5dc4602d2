//! Schedule files: YAML (several documents to a file) or JSON, each document
//! one schedule, in either of two forms.
//!
//! The *original* form names a handler and a timing in words:
//!
//! ```yaml
//! kind: schedule
//! spec: { name: ping, handler: fetch, data: {…}, description: …, schedule: "every day at 2 am", id: ping }
//! ```
//!
//! `id` (else `name`) becomes the `eventId`, `name` the title, `schedule` the
//! cron expression or phrase; `fetch` and `log` stand for the bundled
//! `send-http-request` and `log-job`, and the latest version is used. The
//! *later* form is the API's own body under `spec`, named by `metadata.name`:
//!
//! ```yaml
//! metadata: { name: nightly }
//! spec: { functionId: log-job, functionVersion: 1, data: {…}, options: {…} }
//! ```
//!
//! Reading turns each document into the body `POST /api/v1/schedules`
//! takes, or a [`Problem`] that names the file, the document and the field.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::{Map, Value, json};

/// One schedule read from a file, as the API's body.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub file: PathBuf,
    /// 1 for a file's first document.
    pub index: usize,
    pub name: String,
    pub body: Value,
}

/// Why a file, or one of its documents, cannot be applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: PathBuf,
    /// The document, when the problem is in one.
    pub index: Option<usize>,
    pub name: Option<String>,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(index) = self.index {
            write!(f, ": document {index}")?;
        }
        if let Some(name) = &self.name {
            write!(f, " ({name})")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// The schedule files a path names: the file itself, or the `.yaml`, `.yml`
/// and `.json` files of a folder (not its subfolders), by name.
pub fn files(path: &Path) -> Result<Vec<PathBuf>, Problem> {
    let problem = |message: String| Problem {
        file: path.to_path_buf(),
        index: None,
        name: None,
        message,
    };
    if !path.is_dir() {
        return match path.exists() {
            true => Ok(vec![path.to_path_buf()]),
            false => Err(problem("no such file or folder".into())),
        };
    }
    let entries = std::fs::read_dir(path).map_err(|e| problem(e.to_string()))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file()
                && p.extension()
                    .and_then(|e| e.to_str())
                    .is_some_and(|e| matches!(e, "yaml" | "yml" | "json"))
        })
        .collect();
    files.sort();
    Ok(files)
}

/// Reads every document of a file; a problem in one document does not hide
/// the others'.
pub fn read(file: &Path) -> Vec<Result<Document, Problem>> {
    let whole = |message: String| {
        vec![Err(Problem {
            file: file.to_path_buf(),
            index: None,
            name: None,
            message,
        })]
    };
    let text = match std::fs::read_to_string(file) {
        Ok(text) => text,
        Err(error) => return whole(format!("cannot be read: {error}")),
    };

    // JSON is YAML too, but its own parser gives the clearer messages.
    let documents: Vec<Result<Value, String>> =
        if file.extension().and_then(|e| e.to_str()) == Some("json") {
            vec![serde_json::from_str(&text).map_err(|e| format!("not valid JSON: {e}"))]
        } else {
            let mut documents = Vec::new();
            for document in serde_yaml_ng::Deserializer::from_str(&text) {
                let value = Value::deserialize(document);
                let broken = value.is_err();
                documents.push(value.map_err(|e| format!("not valid YAML: {e}")));
                // The parser cannot find its feet after a syntax error: it
                // would report the same error again and again.
                if broken {
                    break;
                }
            }
            documents
        };
    documents
        .into_iter()
        .enumerate()
        .filter(|(_, document)| !matches!(document, Ok(Value::Null)))
        .map(|(i, document)| {
            let index = i + 1;
            let at = |name: Option<String>, message: String| Problem {
                file: file.to_path_buf(),
                index: Some(index),
                name,
                message,
            };
            let value = document.map_err(|message| at(None, message))?;
            let name = document_name(&value);
            let body = to_body(&value).map_err(|message| at(name.clone(), message))?;
            Ok(Document {
                file: file.to_path_buf(),
                index,
                name: name.unwrap_or_else(|| format!("document {index}")),
                body,
            })
        })
        .collect()
}

/// What a document calls its schedule: `metadata.name`, else `spec.name`.
fn document_name(value: &Value) -> Option<String> {
    let text = |v: &Value| v.as_str().map(str::to_string);
    value
        .pointer("/metadata/name")
        .and_then(text)
        .or_else(|| value.pointer("/spec/name").and_then(text))
}

/// The function ids the original project's handler names stand for.
fn function_alias(handler: &str) -> &str {
    match handler {
        "fetch" => "send-http-request",
        "log" => "log-job",
        other => other,
    }
}

/// A document as the body of `POST /api/v1/schedules`.
fn to_body(value: &Value) -> Result<Value, String> {
    let document = value
        .as_object()
        .ok_or("a document must be a mapping with `kind` and `spec`")?;
    // A misspelt key would otherwise change the schedule without a word
    // (`scheduel:` would make it manual).
    only_known(document, "", &["apiVersion", "kind", "metadata", "spec"])?;
    if let Some(metadata) = document.get("metadata") {
        let metadata = metadata.as_object().ok_or("metadata: must be a mapping")?;
        only_known(metadata, "metadata.", &["name"])?;
    }
    if let Some(kind) = document.get("kind") {
        let kind = kind.as_str().unwrap_or_default();
        if !kind.eq_ignore_ascii_case("schedule") {
            return Err(format!("kind: `{kind}` is not `schedule`"));
        }
    }
    let spec = document
        .get("spec")
        .and_then(Value::as_object)
        .ok_or("spec: is required, a mapping")?;
    let text = |field: &str| -> Result<Option<String>, String> {
        match spec.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => Ok(Some(text.clone())),
            Some(_) => Err(format!("spec.{field}: must be text")),
        }
    };

    if spec.contains_key("handler") {
        only_known(
            spec,
            "spec.",
            &["name", "handler", "data", "description", "schedule", "id"],
        )?;
        let handler = text("handler")?.ok_or("spec.handler: must be text")?;
        let name = text("name")?;
        let event_id = text("id")?
            .or_else(|| name.clone())
            .ok_or("spec: needs `id` or `name`, which names the schedule")?;
        let mut options = Map::new();
        options.insert("eventId".into(), json!(event_id));
        options.insert(
            "title".into(),
            json!(name.unwrap_or_else(|| event_id.clone())),
        );
        if let Some(description) = text("description")? {
            options.insert("description".into(), json!(description));
        }
        if let Some(schedule) = text("schedule")? {
            options.insert("cronExpression".into(), json!(schedule));
        }
        return Ok(json!({
            "functionId": function_alias(&handler),
            "data": spec.get("data").cloned().unwrap_or(json!({})),
            "options": options,
        }));
    }

    if spec.contains_key("functionId") {
        text("functionId")?;
        let name = document_name(value);
        let mut body = spec.clone();
        let options = body
            .entry("options")
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .ok_or("spec.options: must be a mapping")?;
        if let Some(name) = name {
            options.entry("eventId").or_insert_with(|| json!(name));
            options.entry("title").or_insert_with(|| json!(name));
        }
        if !options.contains_key("eventId") {
            return Err("metadata.name: is required, or spec.options.eventId".into());
        }
        return Ok(Value::Object(body));
    }

    Err("spec: needs `handler` (the original form) or `functionId`".into())
}

/// Refuses a key that is not among `known`.
fn only_known(map: &Map<String, Value>, prefix: &str, known: &[&str]) -> Result<(), String> {
    match map.keys().find(|k| !known.contains(&k.as_str())) {
        Some(unknown) => Err(format!(
            "{prefix}{unknown}: is not a field here (the fields are {})",
            known.join(", ")
        )),
        None => Ok(()),
    }
}
