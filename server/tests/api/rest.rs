//! The REST API: keys, the same rights as the dashboard, schedules applied
//! by `eventId`, and JSON errors that name the field at fault.

use axum::http::StatusCode;
use chrono::Duration;
use serde_json::{Value, json};

use crate::access::{World, world};
use crate::helpers::{TestApp, spawn_app, titles};

/// The server's key (`helpers::SERVER_KEY`) as an `Authorization` value.
const SERVER: &str = "Api-Key test-server-key";

/// A live API key for `user`, as an `Authorization` value.
async fn user_key(app: &TestApp, user: &str) -> String {
    let engine = app.app.engine();
    let id = engine
        .store()
        .find_user(user)
        .await
        .unwrap()
        .unwrap()
        .user
        .id;
    let issued = worker::accounts::issue_api_key(engine.store(), id, "test", None, engine.now())
        .await
        .unwrap();
    format!("User-Api-Key {}", issued.key)
}

async fn set_up() -> (TestApp, World) {
    let app = spawn_app().await;
    let world = world(&app).await;
    (app, world)
}

#[tokio::test]
async fn a_call_without_a_valid_key_is_refused_with_401() {
    let (app, _) = set_up().await;
    let engine = app.app.engine();
    let ann = engine
        .store()
        .find_user("ann")
        .await
        .unwrap()
        .unwrap()
        .user
        .id;
    let now = engine.now();
    let expired = "expired-key-0123456789";
    engine
        .store()
        .insert_api_key(
            ann,
            "old",
            &expired[..8],
            &worker::accounts::hash_key(expired),
            Some(now - Duration::seconds(1)),
            now - Duration::days(1),
        )
        .await
        .unwrap();
    let revoked = worker::accounts::issue_api_key(engine.store(), ann, "gone", None, now)
        .await
        .unwrap();
    engine
        .store()
        .revoke_api_key(revoked.id, now)
        .await
        .unwrap();

    let answers = [
        app.api("GET", "/schedules", "", None).await,
        app.api("GET", "/schedules", "Api-Key wrong", None).await,
        app.api("GET", "/schedules", &format!("Bearer {expired}"), None)
            .await,
        app.api(
            "GET",
            "/schedules",
            &format!("Bearer {}", revoked.key),
            None,
        )
        .await,
        app.api("GET", "/schedules", "Basic YWRtaW46eA==", None)
            .await,
    ];

    let refused = |message: &str| {
        (
            StatusCode::UNAUTHORIZED,
            json!({ "error": { "code": "unauthorized", "message": message } }),
        )
    };
    let not_valid = refused("the API key is not valid, or it expired or was revoked");
    assert_eq!(
        answers,
        [
            refused("an Authorization header is required: Api-Key, User-Api-Key or Bearer"),
            refused("the server API key is not valid"),
            not_valid.clone(),
            not_valid,
            refused(
                "`Basic` is not an authorization scheme here: use Api-Key, User-Api-Key or Bearer"
            ),
        ]
    );
}

#[tokio::test]
async fn the_health_check_needs_no_key() {
    let app = spawn_app().await;

    let (status, body) = app.api("GET", "/healthz", "", None).await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "ok");
}

#[tokio::test]
async fn a_user_key_carries_that_users_rights() {
    let (app, w) = set_up().await;
    let ann = user_key(&app, "ann").await;
    let gus = user_key(&app, "gus").await;
    let dan = user_key(&app, "dan").await;
    let restricted = format!("/schedules/{}", w.restricted);

    let (_, server_list) = app.api("GET", "/schedules", SERVER, None).await;
    let (_, ann_list) = app.api("GET", "/schedules", &ann, None).await;
    let ann_get = app.api("GET", &restricted, &ann, None).await;
    let gus_pause = app
        .api("POST", &format!("{restricted}/pause"), &gus, None)
        .await;
    let (dan_status, dan_pause) = app
        .api("POST", &format!("{restricted}/pause"), &dan, None)
        .await;
    let (_, ann_runs) = app.api("GET", "/runs", &ann, None).await;
    let gus_logs = app
        .api(
            "GET",
            &format!("/runs/{}/stdout", w.restricted_run),
            &gus,
            None,
        )
        .await;

    assert_eq!(titles(&server_list["items"]), ["Restricted", "Open"]);
    assert_eq!(server_list["total"], 2);
    assert_eq!(titles(&ann_list["items"]), ["Open"]);
    assert_eq!(
        ann_get,
        (
            StatusCode::NOT_FOUND,
            json!({ "error": { "code": "not_found", "message": format!("schedule {} not found", w.restricted) } })
        )
    );
    assert_eq!(
        gus_pause,
        (
            StatusCode::FORBIDDEN,
            json!({ "error": { "code": "forbidden", "message": format!("you do not have the right `edit` on schedule {}", w.restricted) } })
        )
    );
    assert_eq!(
        (dan_status, dan_pause["status"].clone()),
        (StatusCode::OK, json!("paused"))
    );
    let run_ids: Vec<i64> = ann_runs
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    assert_eq!(run_ids, [w.open_run]);
    assert_eq!(
        gus_logs,
        (
            StatusCode::FORBIDDEN,
            json!({ "error": { "code": "forbidden", "message": format!("you do not have the right `viewLogs` on run {}", w.restricted_run) } })
        )
    );
}

#[tokio::test]
async fn applying_the_same_schedule_twice_creates_then_leaves_it_unchanged() {
    let app = spawn_app().await;
    let body = json!({
        "functionId": "log-job",
        "functionVersion": 1,
        "data": { "message": "nightly" },
        "options": {
            "title": "Nightly",
            "cronExpression": "every day at 2 am",
            "eventId": "nightly",
            "timezone": "Europe/Berlin",
        }
    });

    let (first, created) = app
        .api("POST", "/schedules", SERVER, Some(body.clone()))
        .await;
    let (second, unchanged) = app
        .api("POST", "/schedules", SERVER, Some(body.clone()))
        .await;
    let mut changed = body.clone();
    changed["options"]["title"] = json!("Nightly report");
    let (third, updated) = app.api("POST", "/schedules", SERVER, Some(changed)).await;

    assert_eq!(
        (first, created["status"].clone()),
        (StatusCode::CREATED, json!("created"))
    );
    assert_eq!(
        (second, unchanged["status"].clone()),
        (StatusCode::OK, json!("unchanged"))
    );
    assert_eq!(
        (third, updated["status"].clone()),
        (StatusCode::OK, json!("updated"))
    );
    let schedule = &updated["schedule"];
    assert_eq!(schedule["id"], created["schedule"]["id"]);
    assert_eq!(schedule["title"], "Nightly report");
    assert_eq!(schedule["cronExpression"], "0 2 * * *");
    assert_eq!(schedule["phrase"], "every day at 2 am");
    assert_eq!(schedule["timezone"], "Europe/Berlin");
    let (_, list) = app.api("GET", "/schedules", SERVER, None).await;
    assert_eq!(list["total"], 1);
}

#[tokio::test]
async fn a_body_that_breaks_a_rule_is_answered_with_the_field_at_fault() {
    let app = spawn_app().await;
    let schedule = |options: Value| json!({ "functionId": "log-job", "data": { "message": "x" }, "options": options });

    let never = app
        .api(
            "POST",
            "/schedules",
            SERVER,
            Some(schedule(json!({ "cronExpression": "0 0 31 2 *" }))),
        )
        .await;
    let unknown = app
        .api(
            "POST",
            "/schedules",
            SERVER,
            Some(json!({ "functionId": "nope" })),
        )
        .await;
    let overlap = app
        .api(
            "POST",
            "/schedules",
            SERVER,
            Some(schedule(json!({ "overlap": "replace" }))),
        )
        .await;
    let bad_data = app
        .api(
            "POST",
            "/schedules",
            SERVER,
            Some(json!({ "functionId": "log-job", "data": { "message": 7 } })),
        )
        .await;

    assert_eq!(
        never,
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({ "error": { "code": "invalid", "field": "cronExpression",
                "message": "cronExpression: `0 0 31 2 *` never fires: it has no fire time in the next 100 years" } })
        )
    );
    assert_eq!(
        unknown,
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({ "error": { "code": "invalid", "field": "functionId",
                "message": "functionId: there is no function `nope`" } })
        )
    );
    assert_eq!(
        overlap,
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({ "error": { "code": "invalid", "field": "options.overlap",
                "message": "options.overlap: `replace` is not one of skip, allow, queue" } })
        )
    );
    assert_eq!(bad_data.0, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad_data.1["error"]["field"], "data");
    let (_, list) = app.api("GET", "/schedules", SERVER, None).await;
    assert_eq!(list["total"], 0);
}

#[tokio::test]
async fn malformed_json_is_400_and_a_10_mb_body_is_413() {
    let app = spawn_app().await;

    let malformed = app
        .api_raw(
            "POST",
            "/schedules",
            SERVER,
            Some("{\"functionId\": ".into()),
        )
        .await;
    let huge = format!(
        r#"{{"functionId": "log-job", "data": {{"message": "{}"}}}}"#,
        "x".repeat(10 * 1024 * 1024)
    );
    let (huge_status, huge_body) = app.api_raw("POST", "/schedules", SERVER, Some(huge)).await;

    assert_eq!(malformed.0, StatusCode::BAD_REQUEST);
    let malformed: Value = serde_json::from_str(&malformed.1).unwrap();
    assert_eq!(malformed["error"]["code"], "malformed");
    assert_eq!(huge_status, StatusCode::PAYLOAD_TOO_LARGE);
    let huge: Value = serde_json::from_str(&huge_body).unwrap();
    assert_eq!(
        huge,
        json!({ "error": { "code": "too_large", "message": "the body is larger than the limit of 1048576 bytes" } })
    );
}

#[tokio::test]
async fn run_now_starts_a_run_and_delete_removes_the_schedule() {
    let (app, w) = set_up().await;
    let path = format!("/schedules/{}", w.open);

    let (status, run) = app.api("POST", &format!("{path}/run"), SERVER, None).await;
    let (_, fetched) = app
        .api("GET", &format!("/runs/{}", run["id"]), SERVER, None)
        .await;
    let (_, stdout) = app
        .api("GET", &format!("/runs/{}/stdout", run["id"]), SERVER, None)
        .await;
    let deleted = app.api("DELETE", &path, SERVER, None).await;
    let gone = app.api("GET", &path, SERVER, None).await;

    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(run["trigger"], "manual");
    assert_eq!(run["status"], "pending");
    assert_eq!(fetched["scheduleId"], w.open);
    assert_eq!(
        stdout,
        json!({ "encoding": "text", "lines": [], "totalBytes": 0, "omittedBytes": 0, "omittedAt": 0 })
    );
    assert_eq!(deleted, (StatusCode::NO_CONTENT, Value::Null));
    assert_eq!(gone.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_plain_user_may_not_create_a_schedule_of_a_function_reserved_to_a_group() {
    let (app, _) = set_up().await;
    let ann = user_key(&app, "ann").await;
    let gus = user_key(&app, "gus").await;
    let body = json!({ "functionId": "log-job", "data": { "message": "x" }, "options": { "title": "Mine" } });

    let refused = app
        .api("POST", "/schedules", &ann, Some(body.clone()))
        .await;
    let (status, _) = app.api("POST", "/schedules", &gus, Some(body)).await;

    assert_eq!(
        refused,
        (
            StatusCode::FORBIDDEN,
            json!({ "error": { "code": "forbidden", "message": "you do not have the right `createSchedule` on function log-job version 1" } })
        )
    );
    assert_eq!(status, StatusCode::CREATED);
}

/// A schedule only `dan` may see, made through the API with its own rules.
async fn dans_schedule(app: &TestApp, event_id: &str) -> i64 {
    let body = json!({ "functionId": "log-job", "data": { "message": "dan" },
        "options": { "title": "Dan's", "eventId": event_id,
                     "access": { "view": { "users": ["dan"] } } } });
    let (status, answer) = app.api("POST", "/schedules", SERVER, Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    answer["schedule"]["id"].as_i64().unwrap()
}

#[tokio::test]
async fn a_failure_trigger_needs_edit_on_the_schedule_it_names() {
    let (app, w) = set_up().await;
    let hidden = dans_schedule(&app, "dans").await;
    let gus = user_key(&app, "gus").await;
    let naming = |target: i64| {
        json!({ "functionId": "log-job", "data": { "message": "x" },
                "options": { "title": "T", "failureTrigger": target } })
    };

    let hidden = app
        .api("POST", "/schedules", &gus, Some(naming(hidden)))
        .await;
    let missing = app.api("POST", "/schedules", &gus, Some(naming(999))).await;
    let not_editable = app
        .api("POST", "/schedules", &gus, Some(naming(w.restricted)))
        .await;

    let no_schedule = |id: i64| {
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({ "error": { "code": "invalid", "field": "options.failureTrigger",
                "message": format!("options.failureTrigger: there is no schedule {id}") } }),
        )
    };
    assert_eq!(missing, no_schedule(999));
    assert_eq!(hidden.0, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(hidden.1["error"]["field"], "options.failureTrigger");
    assert_eq!(
        not_editable,
        (
            StatusCode::FORBIDDEN,
            json!({ "error": { "code": "forbidden", "message": format!("you do not have the right `edit` on schedule {}", w.restricted) } })
        )
    );
}

#[tokio::test]
async fn runs_of_a_schedule_the_caller_may_not_see_are_hidden_too() {
    let (app, w) = set_up().await;
    let engine = app.app.engine();
    // Only the schedule's view is restricted; its runs state nothing.
    let rules = json!({ "access": { "view": { "users": ["dan"] } } }).to_string();
    engine
        .store()
        .set_access_rules(
            worker::access::Kind::Schedule,
            &w.open.to_string(),
            Some(&rules),
            engine.now(),
        )
        .await
        .unwrap();
    let ann = user_key(&app, "ann").await;

    let run = app
        .api("GET", &format!("/runs/{}", w.open_run), &ann, None)
        .await;
    let (_, runs) = app.api("GET", "/runs", &ann, None).await;

    assert_eq!(
        run,
        (
            StatusCode::NOT_FOUND,
            json!({ "error": { "code": "not_found", "message": format!("run {} not found", w.open_run) } })
        )
    );
    assert_eq!(runs, json!([]));
}

#[tokio::test]
async fn an_event_id_taken_by_a_hidden_schedule_is_a_conflict_that_tells_nothing_more() {
    let (app, _) = set_up().await;
    dans_schedule(&app, "secret").await;
    let gus = user_key(&app, "gus").await;
    let body = json!({ "functionId": "log-job", "data": { "message": "x" },
                       "options": { "eventId": "secret" } });

    let answer = app.api("POST", "/schedules", &gus, Some(body)).await;

    assert_eq!(
        answer,
        (
            StatusCode::CONFLICT,
            json!({ "error": { "code": "conflict", "field": "options.eventId",
                "message": "options.eventId: `secret` is taken by a schedule you may not see" } })
        )
    );
}

#[tokio::test]
async fn every_error_is_json_and_names_the_field_it_can() {
    let app = spawn_app().await;

    let bad_path = app.api("GET", "/functions/log-job/abc", SERVER, None).await;
    let wrong_method = app.api("PUT", "/schedules/1", SERVER, None).await;
    let unknown_field = app
        .api(
            "POST",
            "/schedules",
            SERVER,
            Some(json!({ "functionId": "log-job", "options": { "bogus": 1 } })),
        )
        .await;
    let bad_zone = app
        .api(
            "POST",
            "/schedules",
            SERVER,
            Some(json!({ "functionId": "log-job", "data": { "message": "x" },
                         "options": { "timezone": "Mars/Olympus" } })),
        )
        .await;

    assert_eq!(bad_path.0, StatusCode::BAD_REQUEST);
    assert_eq!(bad_path.1["error"]["code"], "malformed");
    assert_eq!(
        wrong_method,
        (
            StatusCode::METHOD_NOT_ALLOWED,
            json!({ "error": { "code": "method_not_allowed", "message": "Method Not Allowed" } })
        )
    );
    assert_eq!(unknown_field.0, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(unknown_field.1["error"]["field"], "options.bogus");
    assert!(
        unknown_field.1["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("options.bogus: unknown field `bogus`, expected one of"),
        "{}",
        unknown_field.1
    );
    assert_eq!(
        bad_zone,
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({ "error": { "code": "invalid", "field": "options.timezone",
                "message": "options.timezone: `Mars/Olympus` is not an IANA timezone name (for example `Europe/Berlin` or `UTC`)" } })
        )
    );
}

#[tokio::test]
async fn every_endpoint_answers_each_caller_with_the_right_status() {
    let (app, w) = set_up().await;
    let mut keys = vec![String::new()];
    for user in ["ann", "gus", "dan", "admin"] {
        keys.push(user_key(&app, user).await);
    }
    let restricted = format!("/schedules/{}", w.restricted);
    let run = format!("/runs/{}", w.restricted_run);
    let new = json!({ "functionId": "log-job", "data": { "message": "x" } });

    // Callers in order: no key, ann, gus (group ops), dan (granted), admin.
    #[rustfmt::skip]
    let cases: Vec<(&str, String, Option<Value>, [u16; 5])> = vec![
        ("GET", "/healthz".into(), None, [200, 200, 200, 200, 200]),
        ("GET", "/functions".into(), None, [401, 200, 200, 200, 200]),
        ("GET", "/functions/log-job/1".into(), None, [401, 200, 200, 200, 200]),
        ("GET", "/schedules".into(), None, [401, 200, 200, 200, 200]),
        ("GET", restricted.clone(), None, [401, 404, 200, 200, 200]),
        ("POST", "/schedules".into(), Some(new.clone()), [401, 403, 201, 403, 201]),
        ("POST", "/schedules?dryRun=true".into(), Some(new), [401, 403, 200, 403, 200]),
        ("POST", format!("{restricted}/pause"), None, [401, 404, 403, 200, 200]),
        ("POST", format!("{restricted}/resume"), None, [401, 404, 403, 200, 200]),
        ("POST", format!("{restricted}/run"), None, [401, 404, 403, 201, 201]),
        ("GET", "/runs".into(), None, [401, 200, 200, 200, 200]),
        ("GET", "/workers".into(), None, [401, 200, 200, 200, 200]),
        ("GET", run.clone(), None, [401, 404, 200, 200, 200]),
        ("GET", format!("{run}/stdout"), None, [401, 404, 403, 200, 200]),
        ("GET", format!("{run}/stderr"), None, [401, 404, 403, 200, 200]),
        // The run is pending: whoever may delete it learns it has not ended.
        ("DELETE", run.clone(), None, [401, 404, 409, 409, 409]),
        // Cancelling needs `edit` on the schedule; after dan, it has ended.
        ("POST", format!("{run}/cancel"), None, [401, 404, 403, 200, 409]),
    ];
    for (method, path, body, expected) in cases {
        let mut found = [0; 5];
        for (i, key) in keys.iter().enumerate() {
            found[i] = app.api(method, &path, key, body.clone()).await.0.as_u16();
        }
        assert_eq!(found, expected, "{method} {path}");
    }

    // Deleting: a copy of the restricted schedule for each caller.
    let engine = app.app.engine();
    let rules = engine
        .store()
        .access_rules(worker::access::Kind::Schedule, &w.restricted.to_string())
        .await
        .unwrap();
    let mut found = [0; 5];
    for (i, key) in keys.iter().enumerate() {
        let mut copy = worker::model::NewSchedule::new("log-job", 1, json!({ "message": "c" }));
        copy.title = "Copy".into();
        let id = engine.create_schedule(copy).await.unwrap().id;
        engine
            .store()
            .set_access_rules(
                worker::access::Kind::Schedule,
                &id.to_string(),
                rules.as_deref(),
                engine.now(),
            )
            .await
            .unwrap();
        found[i] = app
            .api("DELETE", &format!("/schedules/{id}"), key, None)
            .await
            .0
            .as_u16();
    }
    // `delete` is stated nowhere, so whoever sees the schedule has it.
    assert_eq!(found, [401, 404, 204, 204, 204]);
}

#[tokio::test]
async fn a_run_is_deleted_once_it_has_ended() {
    let (app, w) = set_up().await;
    let path = format!("/runs/{}", w.open_run);

    let while_pending = app.api("DELETE", &path, SERVER, None).await;
    app.app.engine().tick().await.unwrap();
    let (_, ended) = app.api("GET", &path, SERVER, None).await;
    let deleted = app.api("DELETE", &path, SERVER, None).await;
    let gone = app.api("GET", &path, SERVER, None).await;

    assert_eq!(
        while_pending,
        (
            StatusCode::CONFLICT,
            json!({ "error": { "code": "conflict",
                "message": format!("run {} is pending: it can be deleted once it has ended", w.open_run) } })
        )
    );
    assert_eq!(ended["status"], "succeeded");
    assert_eq!(deleted, (StatusCode::NO_CONTENT, Value::Null));
    assert_eq!(gone.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn login_answers_a_token_that_carries_the_users_rights() {
    let (app, _) = set_up().await;
    let login = |password: &str| json!({ "name": "ann", "password": password });

    let wrong = app
        .api("POST", "/login", "", Some(login("not-it-at-all")))
        .await;
    let (status, token) = app
        .api("POST", "/login", "", Some(login(crate::access::PASSWORD)))
        .await;
    let bearer = format!("Bearer {}", token["token"].as_str().unwrap());
    let (_, schedules) = app.api("GET", "/schedules", &bearer, None).await;

    assert_eq!(
        wrong,
        (
            StatusCode::UNAUTHORIZED,
            json!({ "error": { "code": "unauthorized", "message": "the user name or the password is wrong" } })
        )
    );
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (token["name"].clone(), token["admin"].clone()),
        (json!("ann"), json!(false))
    );
    assert_eq!(titles(&schedules["items"]), ["Open"]);
}

#[tokio::test]
async fn a_pending_run_is_cancelled_at_once_and_an_ended_one_is_refused() {
    let (app, w) = set_up().await;
    let path = format!("/runs/{}/cancel", w.open_run);

    let (status, cancelled) = app.api("POST", &path, SERVER, None).await;
    let again = app.api("POST", &path, SERVER, None).await;
    app.app.engine().tick().await.unwrap();
    let (_, after_tick) = app
        .api("GET", &format!("/runs/{}", w.open_run), SERVER, None)
        .await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(cancelled["error"], "cancelled before it started");
    assert_eq!(cancelled["startedAt"], Value::Null);
    assert_eq!(cancelled["cancelRequestedAt"], Value::Null);
    assert_eq!(
        again,
        (
            StatusCode::CONFLICT,
            json!({ "error": { "code": "conflict", "message": format!(
                "run {} has already ended (cancelled): only a pending or running run can be cancelled",
                w.open_run
            ) } })
        )
    );
    // The engine never picks it up.
    assert_eq!(after_tick["status"], "cancelled");
}

#[tokio::test]
async fn output_comes_as_text_in_pages_or_exact_as_base64() {
    let (app, _) = set_up().await;
    let engine = app.app.engine();
    let hostile = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../handlers/dist/hostile.wasm"
    ))
    .unwrap();
    engine.register_module(&hostile, None).await.unwrap();
    let mut schedule =
        worker::model::NewSchedule::new("hostile", 1, json!({ "attack": "invalid-utf8" }));
    schedule.timing = worker::model::Timing::Manual;
    let schedule = engine.create_schedule(schedule).await.unwrap();
    let run = engine.run_now(schedule.id).await.unwrap();
    engine.tick().await.unwrap();
    let path = format!("/runs/{}/stdout", run.id);

    let (_, text) = app.api("GET", &path, SERVER, None).await;
    let (_, exact) = app
        .api("GET", &format!("{path}?encoding=base64"), SERVER, None)
        .await;
    let (_, past_the_end) = app
        .api("GET", &format!("{path}?offset=1&limit=5"), SERVER, None)
        .await;
    let wrong = app
        .api("GET", &format!("{path}?encoding=hex"), SERVER, None)
        .await;

    assert_eq!(text["encoding"], "text");
    assert_eq!(text["lines"][0]["text"], "ok \u{fffd}\u{fffd} end");
    assert_eq!(text["totalBytes"], 10);
    assert_eq!(text.get("nextOffset"), None);
    assert_eq!(exact["encoding"], "base64");
    // `ok \xff\xfe end\n`, byte for byte.
    assert_eq!(exact["data"], "b2sg//4gZW5kCg==");
    assert_eq!(exact["lineStarts"][0]["offset"], 0);
    assert_eq!(exact.get("lines"), None);
    assert_eq!(past_the_end["lines"], json!([]));
    assert_eq!(
        wrong,
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({ "error": { "code": "invalid", "field": "encoding",
                "message": "encoding: `hex` is not one of text, base64" } })
        )
    );
}
