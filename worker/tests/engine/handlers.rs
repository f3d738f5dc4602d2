//! The Rust handlers written with the SDK (`handlers/sdk`): the manifest each
//! embeds, with its data schema derived from its data type, and what each
//! prints for known data.

use serde_json::{Value, json};
use worker::manifest::{Manifest, check_data, inspect};
use worker::runtime::{Ending, Invocation, Outcome, Runtime};

use crate::helpers::handler;

/// The manifest in the module's `enschedule` section, checked as an upload is.
fn embedded_manifest(name: &str) -> Manifest {
    let manifest = inspect(&handler(name))
        .expect("a valid WASI command")
        .manifest
        .expect("an `enschedule` section");
    manifest
        .validate()
        .expect("the server accepts the manifest");
    manifest
}

/// Runs a handler on `data` with the run context a worker gives it.
async fn run(name: &str, data: Value) -> Outcome {
    let runtime = Runtime::new(None, 2).unwrap();
    let module = runtime.prepare(name, &handler(name)).unwrap();
    let invocation = Invocation {
        stdin: serde_json::to_vec(&data).unwrap(),
        env: [
            ("ENSCHEDULE_RUN_ID", "42"),
            ("ENSCHEDULE_SCHEDULE_ID", "7"),
            ("ENSCHEDULE_ATTEMPT", "2"),
            ("ENSCHEDULE_FUNCTION_ID", name),
            ("ENSCHEDULE_FUNCTION_VERSION", "1"),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .to_vec(),
        ..Invocation::default()
    };
    runtime.invoke(&module, invocation).await
}

fn text(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap()
}

#[test]
fn log_job_embeds_its_manifest_with_the_schema_of_its_data_type() {
    let manifest = embedded_manifest("log-job");

    assert_eq!(
        (
            manifest.id.as_str(),
            manifest.version,
            manifest.title.as_str(),
            manifest.description.as_str(),
        ),
        ("log-job", 1, "Log message", "Prints the message to stdout.")
    );
    assert_eq!(
        manifest.data_schema,
        json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "properties": { "message": { "type": "string" } },
            "required": ["message"],
            "additionalProperties": false
        })
    );
    assert_eq!(manifest.example, json!({ "message": "some message" }));
}

#[test]
fn log_job_data_with_an_unknown_field_is_refused_by_the_derived_schema() {
    let manifest = embedded_manifest("log-job");

    let checked = check_data(
        &manifest.data_schema,
        &json!({ "message": "hi", "level": 3 }),
    );

    assert_eq!(
        checked,
        Err("Additional properties are not allowed ('level' was unexpected)".to_string())
    );
}

#[tokio::test]
async fn log_job_prints_the_message() {
    let outcome = run("log-job", json!({ "message": "backup done" })).await;

    assert_eq!(outcome.ending, Ending::Exited(0));
    assert_eq!(text(&outcome.stdout.bytes), "backup done\n");
    assert_eq!(text(&outcome.stderr.bytes), "");
}

#[test]
fn template_embeds_its_manifest_with_the_schema_of_its_data_type() {
    let manifest = embedded_manifest("template");

    assert_eq!(
        (
            manifest.id.as_str(),
            manifest.version,
            manifest.title.as_str()
        ),
        ("template", 1, "Render a message")
    );
    assert_eq!(
        manifest.data_schema,
        json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "description": "A message template and the values of its placeholders.",
            "type": "object",
            "properties": {
                "template": {
                    "description": "The text to print. Each `{{name}}` is replaced by the value \
                                    of the variable `name`; the run's context is there as \
                                    `run.id`, `run.attempt`, `schedule.id`, `function.id` and \
                                    `function.version`.",
                    "type": "string"
                },
                "variables": {
                    "description": "The values of the placeholders, by name. A variable named \
                                    like a context value replaces it.",
                    "type": "object",
                    "additionalProperties": { "type": "string" },
                    "default": {}
                }
            },
            "required": ["template"],
            "additionalProperties": false
        })
    );
    assert_eq!(
        manifest.example,
        json!({
            "template": "Reminder for {{team}}: {{task}} (run {{run.id}}, attempt {{run.attempt}})",
            "variables": { "team": "ops", "task": "rotate the on-call pager" }
        })
    );
}

#[tokio::test]
async fn template_fills_in_variables_and_the_run_context() {
    let data = json!({
        "template": "Reminder for {{team}}: {{ task }}\n(schedule {{schedule.id}}, run {{run.id}}, \
                     attempt {{run.attempt}} of {{function.id}} v{{function.version}})",
        "variables": { "team": "ops", "task": "rotate the on-call pager" }
    });

    let outcome = run("template", data).await;

    assert_eq!(outcome.ending, Ending::Exited(0));
    assert_eq!(
        text(&outcome.stdout.bytes),
        "Reminder for ops: rotate the on-call pager\n\
         (schedule 7, run 42, attempt 2 of template v1)\n"
    );
    assert_eq!(text(&outcome.stderr.bytes), "");
}

#[tokio::test]
async fn template_with_placeholders_that_have_no_value_fails_naming_them() {
    let data = json!({ "template": "{{greeting}}, {{who}}! {{greeting}} again, run {{run.id}}" });

    let outcome = run("template", data).await;

    assert_eq!(outcome.ending, Ending::Exited(1));
    assert_eq!(text(&outcome.stdout.bytes), "");
    assert_eq!(
        text(&outcome.stderr.bytes),
        "no value for `greeting`, `who`\n"
    );
}

#[test]
fn csv_summary_embeds_its_manifest_with_the_schema_of_its_data_type() {
    let manifest = embedded_manifest("csv-summary");

    assert_eq!(
        (
            manifest.id.as_str(),
            manifest.version,
            manifest.title.as_str()
        ),
        ("csv-summary", 1, "Summarize a CSV table")
    );
    assert_eq!(
        manifest.data_schema,
        json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "description": "A CSV table and what to summarize in it.",
            "type": "object",
            "properties": {
                "csv": {
                    "description": "The table, its first record the column names.",
                    "type": "string"
                },
                "columns": {
                    "description": "The columns to summarize. Their cells must be numbers; \
                                    empty cells are left out.",
                    "type": "array",
                    "items": { "type": "string" },
                    "minItems": 1
                },
                "stats": {
                    "description": "The statistics to print for each column, in this order.",
                    "type": "array",
                    "items": { "$ref": "#/$defs/Stat" },
                    "minItems": 1,
                    "default": ["count", "sum", "min", "max", "mean"]
                },
                "groupBy": {
                    "description": "A column whose values split the rows into groups, each \
                                    summarized apart, in the order they first appear.",
                    "type": ["string", "null"],
                    "default": null
                },
                "delimiter": {
                    "description": "The field separator, one ASCII character.",
                    "type": "string",
                    "minLength": 1,
                    "maxLength": 1,
                    "default": ","
                }
            },
            "required": ["csv", "columns"],
            "additionalProperties": false,
            "$defs": {
                "Stat": {
                    "description": "A statistic of a column's numbers; `count` is how many \
                                    cells hold one.",
                    "type": "string",
                    "enum": ["count", "sum", "min", "max", "mean"]
                }
            }
        })
    );
    assert_eq!(
        manifest.example,
        json!({
            "csv": "region,amount\nnorth,120\nsouth,80.5\nnorth,30\n",
            "columns": ["amount"],
            "groupBy": "region"
        })
    );
}

#[test]
fn csv_summary_data_is_checked_through_the_schemas_definitions() {
    let manifest = embedded_manifest("csv-summary");

    let checked = check_data(
        &manifest.data_schema,
        &json!({ "csv": "a\n1\n", "columns": ["a"], "stats": ["sum", "median"] }),
    );

    assert_eq!(
        checked,
        Err(
            "at /stats/1: \"median\" is not one of \"count\", \"sum\" or 3 other candidates"
                .to_string()
        )
    );
}

#[tokio::test]
async fn csv_summary_prints_each_columns_stats_by_group() {
    let data = json!({
        "csv": "region;amount;items\nnorth;120;3\nsouth;80.5;\nnorth;30;1\nsouth;0.25;2\n",
        "columns": ["amount", "items"],
        "groupBy": "region",
        "delimiter": ";"
    });

    let outcome = run("csv-summary", data).await;

    assert_eq!(outcome.ending, Ending::Exited(0));
    assert_eq!(
        text(&outcome.stdout.bytes),
        "region=north amount: count 2, sum 150, min 30, max 120, mean 75\n\
         region=north items: count 2, sum 4, min 1, max 3, mean 2\n\
         region=south amount: count 2, sum 80.75, min 0.25, max 80.5, mean 40.375\n\
         region=south items: count 1, sum 2, min 2, max 2, mean 2\n"
    );
    assert_eq!(text(&outcome.stderr.bytes), "");
}

#[tokio::test]
async fn csv_summary_prints_the_chosen_stats_of_the_whole_table() {
    let data = json!({
        "csv": "day,ms\nmon,0.1\ntue,0.2\nwed,\n",
        "columns": ["ms"],
        "stats": ["sum", "count"]
    });

    let outcome = run("csv-summary", data).await;

    assert_eq!(outcome.ending, Ending::Exited(0));
    assert_eq!(text(&outcome.stdout.bytes), "ms: sum 0.3, count 2\n");
}

#[tokio::test]
async fn csv_summary_fails_on_a_cell_that_is_not_a_number() {
    let data = json!({
        "csv": "day,ms\nmon,0.1\ntue,0.2\nwed,\"1,000.5\"\n",
        "columns": ["ms"]
    });

    let outcome = run("csv-summary", data).await;

    assert_eq!(outcome.ending, Ending::Exited(1));
    assert_eq!(text(&outcome.stdout.bytes), "");
    assert_eq!(
        text(&outcome.stderr.bytes),
        "line 4, column `ms`: `1,000.5` is not a number\n"
    );
}
