//! The OpenAPI document against the live server: every operation it
//! describes exists, answers one of the statuses it lists, and its answer
//! fits the schema it gives.

use serde_json::json;

use crate::access::world;
use crate::helpers::spawn_app;

const SERVER: &str = "Api-Key test-server-key";

#[tokio::test]
async fn every_documented_operation_answers_as_documented() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let (status, doc) = app.api("GET", "/openapi.json", "", None).await;
    assert_eq!(status.as_u16(), 200);
    let components = doc["components"].clone();

    let mut operations: Vec<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            let methods: Vec<String> = item.as_object().unwrap().keys().cloned().collect();
            methods.into_iter().map(move |m| (m, path.clone()))
        })
        .collect();
    // Deleting goes last, so it takes nothing from the other operations.
    operations.sort_by_key(|(method, path)| (method == "delete", path.clone(), method.clone()));
    assert_eq!(operations.len(), 17, "{operations:?}");

    for (method, path) in operations {
        let concrete = path
            .replace("/runs/{id}", &format!("/runs/{}", w.open_run))
            .replace("/schedules/{id}", &format!("/schedules/{}", w.open))
            .replace("{id}", "log-job")
            .replace("{version}", "1")
            .replace("{stream}", "stdout");
        let body = match (method.as_str(), path.as_str()) {
            ("post", "/schedules") => Some(json!({ "functionId": "log-job",
                "data": { "message": "x" }, "options": { "cronExpression": "every day at 2 am" } })),
            ("post", "/login") => {
                Some(json!({ "name": "ann", "password": crate::access::PASSWORD }))
            }
            _ => None,
        };
        let (status, answer) = app
            .api(&method.to_uppercase(), &concrete, SERVER, body)
            .await;

        let operation = &doc["paths"][&path][&method];
        let documented = &operation["responses"][status.as_str()];
        assert!(
            documented.is_object(),
            "{method} {concrete} answered {status}, which the document does not list: {answer}"
        );
        let Some(schema) = documented.pointer("/content/application~1json/schema") else {
            continue;
        };
        let mut root = schema.clone();
        root["components"] = components.clone();
        let validator = jsonschema::validator_for(&root)
            .unwrap_or_else(|e| panic!("{method} {path}: the schema does not compile: {e}"));
        let problems: Vec<String> = validator
            .iter_errors(&answer)
            .map(|e| format!("{} at {}", e, e.instance_path))
            .collect();
        assert!(
            problems.is_empty(),
            "{method} {concrete}: the answer does not fit the document: {problems:?}\n{answer}"
        );
    }
}

#[tokio::test]
async fn the_document_describes_the_key_schemes_and_the_error_shape() {
    let app = spawn_app().await;

    let (_, doc) = app.api("GET", "/openapi.json", "", None).await;

    let schemes: Vec<&String> = doc["components"]["securitySchemes"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(schemes, ["api_key", "bearer", "user_api_key"]);
    assert_eq!(
        doc["components"]["schemas"]["ErrorBody"]["required"],
        json!(["error"])
    );
    assert_eq!(doc["servers"], json!([{ "url": "/api/v1" }]));

    // The checker above would notice a schedule without its fields.
    let schema = &doc["paths"]["/schedules/{id}"]["get"]["responses"]["200"]["content"]["application/json"]
        ["schema"];
    let mut root = schema.clone();
    root["components"] = doc["components"].clone();
    let validator = jsonschema::validator_for(&root).unwrap();
    assert!(!validator.is_valid(&json!({ "id": "seven" })));
    let required = doc["components"]["schemas"]["ScheduleView"]["required"].clone();
    assert!(
        required.as_array().unwrap().contains(&json!("status")),
        "{required}"
    );
}
