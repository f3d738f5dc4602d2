//! The build half on the host: schemas derived from data types, and
//! manifests refused as the server would refuse them.

use enschedule_sdk::build::{Manifest, data_schema, json, manifest_json};
use schemars::JsonSchema;
use serde::Deserialize;

/// A handler's data, with the serde attributes handlers use.
#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[expect(dead_code, reason = "only the schema and the decoding are tested")]
struct Data {
    /// The address to notify, wrapped over
    /// two lines.
    ///
    /// A second paragraph.
    send_to: String,
    #[serde(default)]
    retry_count: u32,
    when: Option<Moment>,
    level: Level,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[expect(dead_code, reason = "only the schema and the decoding are tested")]
struct Moment {
    hour: u8,
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
enum Level {
    Info,
    NeedsAttention,
}

fn manifest(example: serde_json::Value) -> Manifest<'static> {
    Manifest {
        id: "notify",
        version: 1,
        title: "Notify",
        description: "Sends a note.",
        example,
    }
}

fn refusal<T: JsonSchema + serde::de::DeserializeOwned>(manifest: Manifest<'_>) -> String {
    match manifest_json::<T>(&manifest) {
        Ok(json) => panic!("the manifest was accepted: {json}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn the_schema_follows_the_serde_attributes_of_the_data_type() {
    let schema = data_schema::<Data>();

    assert_eq!(
        schema,
        json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "description": "A handler's data, with the serde attributes handlers use.",
            "type": "object",
            "properties": {
                "sendTo": {
                    "description": "The address to notify, wrapped over two lines.\n\n\
                                    A second paragraph.",
                    "type": "string"
                },
                "retryCount": {
                    "type": "integer",
                    "format": "uint32",
                    "minimum": 0,
                    "default": 0
                },
                "when": {
                    "anyOf": [{ "$ref": "#/$defs/Moment" }, { "type": "null" }]
                },
                "level": { "$ref": "#/$defs/Level" }
            },
            "required": ["sendTo", "level"],
            "additionalProperties": false,
            "$defs": {
                "Moment": {
                    "type": "object",
                    "properties": {
                        "hour": {
                            "type": "integer",
                            "format": "uint8",
                            "minimum": 0,
                            "maximum": 255
                        }
                    },
                    "required": ["hour"],
                    "additionalProperties": false
                },
                "Level": { "type": "string", "enum": ["info", "needs-attention"] }
            }
        })
    );
}

#[test]
fn a_valid_manifest_is_written_in_the_servers_shape() {
    let example = json!({ "sendTo": "ops@example.com", "level": "info" });

    let json = manifest_json::<Data>(&manifest(example.clone())).unwrap();

    assert_eq!(
        json,
        json!({
            "id": "notify",
            "version": 1,
            "title": "Notify",
            "description": "Sends a note.",
            "dataSchema": data_schema::<Data>(),
            "example": example
        })
    );
}

#[test]
fn an_example_that_breaks_the_schema_is_refused_with_where_and_why() {
    let message = refusal::<Data>(manifest(
        json!({ "sendTo": "ops@example.com", "level": "loud" }),
    ));

    assert_eq!(
        message,
        "example: does not match dataSchema at /level: \"loud\" is not one of \"info\" or \
         \"needs-attention\""
    );
}

#[test]
fn an_example_with_an_unknown_field_is_refused() {
    let message = refusal::<Data>(manifest(
        json!({ "sendTo": "ops@example.com", "level": "info", "cc": "x" }),
    ));

    assert_eq!(
        message,
        "example: does not match dataSchema: Additional properties are not allowed \
         ('cc' was unexpected)"
    );
}

/// Data whose `Deserialize` is stricter than its schema.
#[derive(Deserialize, JsonSchema)]
#[expect(dead_code, reason = "only the schema and the decoding are tested")]
struct Lowercase {
    #[serde(deserialize_with = "lowercase")]
    #[schemars(with = "String")]
    name: String,
}

fn lowercase<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let name = String::deserialize(d)?;
    if name.chars().any(char::is_uppercase) {
        return Err(serde::de::Error::custom("the name must be lowercase"));
    }
    Ok(name)
}

#[test]
fn an_example_the_handler_cannot_decode_is_refused() {
    let message = refusal::<Lowercase>(manifest(json!({ "name": "Ops" })));

    assert_eq!(
        message,
        "example: does not decode into the data type: the name must be lowercase"
    );
}

#[test]
fn fields_the_server_refuses_are_refused() {
    let example = json!({ "sendTo": "a", "level": "info" });
    let cases = [
        (
            Manifest {
                version: 0,
                ..manifest(example.clone())
            },
            "version: must be a whole number of at least 1",
        ),
        (
            Manifest {
                id: "send email",
                ..manifest(example.clone())
            },
            "id: use at most 100 letters, digits and `-_.@/` (for example `send-email`)",
        ),
        (
            Manifest {
                title: " ",
                ..manifest(example.clone())
            },
            "title: must not be empty",
        ),
    ];

    for (manifest, expected) in cases {
        assert_eq!(refusal::<Data>(manifest), expected);
    }
}
