//! Registering functions: manifests from the module or from the uploader,
//! and `(id, version)` as an immutable name.

use serde_json::json;
use worker::manifest::Manifest;
use worker::store::Registered;

use crate::helpers::{bare_command_module, engine_at, handler};

fn manifest(id: &str, version: i64) -> Manifest {
    Manifest {
        id: id.into(),
        version,
        title: "Bare".into(),
        description: "Does nothing".into(),
        data_schema: json!({ "type": "object" }),
        example: json!({}),
        access: Default::default(),
        default_schedule_access: Default::default(),
        default_run_access: Default::default(),
        capabilities: Default::default(),
        migrates_from: Vec::new(),
    }
}

#[tokio::test]
async fn a_module_without_a_manifest_section_needs_one_given() {
    let t = engine_at("2026-01-01T00:00:00Z").await;

    let error = t
        .engine
        .register_module(&bare_command_module(), None)
        .await
        .unwrap_err();

    assert_eq!(
        error.to_string(),
        "the module has no `enschedule` section, so its manifest must be given: id is missing"
    );
}

#[tokio::test]
async fn a_given_manifest_registers_a_bare_module_once() {
    let t = engine_at("2026-01-01T00:00:00Z").await;
    let module = bare_command_module();

    let (_, first) = t
        .engine
        .register_module(&module, Some(manifest("bare", 1)))
        .await
        .unwrap();
    let (_, again) = t
        .engine
        .register_module(&module, Some(manifest("bare", 1)))
        .await
        .unwrap();

    assert_eq!((first, again), (Registered::Created, Registered::Unchanged));
    let function = t.engine.store().get_function("bare", 1).await.unwrap();
    assert_eq!(function.title, "Bare");
    assert_eq!(function.module_size, module.len() as i64);
}

#[tokio::test]
async fn a_different_module_under_an_existing_version_is_refused() {
    let t = engine_at("2026-01-01T00:00:00Z").await;
    t.engine
        .register_module(&bare_command_module(), Some(manifest("bare", 1)))
        .await
        .unwrap();

    let mut changed = bare_command_module();
    changed.extend([0x00, 0x04, 0x03, b'x', b'y', b'z']); // a custom section "xyz"
    let error = t
        .engine
        .register_module(&changed, Some(manifest("bare", 1)))
        .await
        .unwrap_err();

    assert_eq!(
        error.to_string(),
        "function bare version 1 already exists with a different module or manifest; \
         give the new one a higher version"
    );
    let (_, next) = t
        .engine
        .register_module(&changed, Some(manifest("bare", 2)))
        .await
        .unwrap();
    assert_eq!(next, Registered::Created);
}

#[tokio::test]
async fn the_embedded_manifest_is_read_from_the_module() {
    let t = engine_at("2026-01-01T00:00:00Z").await;

    let (manifest, registered) = t
        .engine
        .register_module(&handler("probe"), None)
        .await
        .unwrap();

    assert_eq!((manifest.id.as_str(), manifest.version), ("probe", 1));
    assert_eq!(
        registered,
        Registered::Unchanged,
        "the helper registered it already"
    );
}

#[tokio::test]
async fn broken_uploads_are_refused_with_the_reason() {
    let t = engine_at("2026-01-01T00:00:00Z").await;
    let refuse = |bytes: Vec<u8>, given: Option<Manifest>| {
        let engine = t.engine.clone();
        async move {
            engine
                .register_module(&bytes, given)
                .await
                .unwrap_err()
                .to_string()
        }
    };

    assert_eq!(
        refuse(b"#!/bin/sh\necho hi\n".to_vec(), None).await,
        "the file is not a WebAssembly module (it does not start with `\\0asm`)"
    );
    assert_eq!(
        refuse(b"\0asm\x01\0\0\0".to_vec(), None).await,
        "the module has no `_start` export: build it as a WASI command"
    );
    assert_eq!(
        refuse(b"\0asm\x01\0\0\0\x01\xff".to_vec(), None).await,
        "the file is not a valid WebAssembly module: unexpected end-of-file (at offset 0xa)"
    );
    let mut bad_example = manifest("bare", 1);
    bad_example.example = json!("text");
    assert_eq!(
        refuse(bare_command_module(), Some(bad_example)).await,
        "example: does not match dataSchema: \"text\" is not of type \"object\""
    );
    assert_eq!(
        refuse(bare_command_module(), Some(manifest("has space", 1))).await,
        "id: use at most 100 letters, digits and `-_.@/` (for example `send-email`)"
    );
    assert_eq!(
        refuse(bare_command_module(), Some(manifest("bare", 0))).await,
        "version: must be a whole number of at least 1"
    );
    assert!(
        t.engine.store().get_function("bare", 1).await.is_err(),
        "nothing was stored"
    );
}

#[tokio::test]
async fn access_rules_in_a_manifest_become_the_functions_rules() {
    let t = engine_at("2026-01-01T00:00:00Z").await;
    let mut given = manifest("reports", 1);
    given.access =
        serde_json::from_value(json!({ "createSchedule": { "groups": ["ops"] } })).unwrap();
    given.default_run_access =
        serde_json::from_value(json!({ "viewLogs": { "users": ["dan"] } })).unwrap();

    t.engine
        .register_module(&bare_command_module(), Some(given))
        .await
        .unwrap();

    let stored = t
        .engine
        .store()
        .access_rules(worker::access::Kind::Function, "reports@1")
        .await
        .unwrap();
    assert_eq!(
        stored.as_deref(),
        Some(
            r#"{"access":{"createSchedule":{"users":[],"groups":["ops"]}},"defaultScheduleAccess":{},"defaultRunAccess":{"viewLogs":{"users":["dan"],"groups":[]}}}"#
        )
    );
}

#[tokio::test]
async fn a_manifest_granting_a_right_that_does_not_exist_is_refused() {
    let t = engine_at("2026-01-01T00:00:00Z").await;
    let mut given = manifest("reports", 1);
    given.access = serde_json::from_value(json!({ "edit": { "users": ["ann"] } })).unwrap();

    let error = t
        .engine
        .register_module(&bare_command_module(), Some(given))
        .await
        .unwrap_err();

    assert_eq!(
        error.to_string(),
        "access: rules: access: `edit` is not a right here (it may hold view, createSchedule)"
    );
    assert!(
        t.engine
            .store()
            .list_functions()
            .await
            .unwrap()
            .iter()
            .all(|f| f.id != "reports")
    );
}
