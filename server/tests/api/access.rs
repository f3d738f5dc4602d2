//! Who may call what: every server function of the dashboard for each kind
//! of caller (signed out, a plain user, a member of a granted group, a user
//! granted directly, an admin), with the exact status and the exact items
//! listed. Also the sign-in rules: sessions, forgery, slowing down guesses.

use axum::http::StatusCode;
use leptos::server_fn::ServerFn;
use serde_json::{Value, json};
use worker::access::Kind;
use worker::model::NewSchedule;

use crate::helpers::{ADMIN, Session, TestApp, spawn_app};

pub const PASSWORD: &str = "password-123";

/// The world every case runs in: an open schedule anyone may see, and a
/// restricted one that group `ops` may see (not edit) and `dan` may see and
/// edit; only `dan` reads its runs' output. Creating schedules of `log-job`
/// is for `ops` only. One pending run on each schedule.
pub struct World {
    pub open: i64,
    pub restricted: i64,
    pub open_run: i64,
    pub restricted_run: i64,
}

pub async fn world(app: &TestApp) -> World {
    let engine = app.app.engine();
    let store = engine.store();
    let now = engine.now();
    for name in ["ann", "gus", "dan"] {
        worker::accounts::create_user(store, name, PASSWORD, false, now)
            .await
            .unwrap();
    }
    let ops = store.create_group("ops", now).await.unwrap();
    let gus = store.find_user("gus").await.unwrap().unwrap().user.id;
    store.add_member(ops, gus).await.unwrap();

    let schedule = |title: &str| {
        let mut new = NewSchedule::new("log-job", 1, json!({ "message": title }));
        new.title = title.to_string();
        new
    };
    let open = engine.create_schedule(schedule("Open")).await.unwrap().id;
    let restricted = engine
        .create_schedule(schedule("Restricted"))
        .await
        .unwrap()
        .id;
    let rules = json!({
        "access": {
            "view": { "users": ["dan"], "groups": ["ops"] },
            "edit": { "users": ["dan"] },
        },
        "runAccess": {
            "view": { "users": ["dan"], "groups": ["ops"] },
            "viewLogs": { "users": ["dan"] },
        },
    });
    store
        .set_access_rules(
            Kind::Schedule,
            &restricted.to_string(),
            Some(&rules.to_string()),
            now,
        )
        .await
        .unwrap();
    let function_rules = json!({ "access": { "createSchedule": { "groups": ["ops"] } } });
    store
        .set_access_rules(
            Kind::Function,
            "log-job@1",
            Some(&function_rules.to_string()),
            now,
        )
        .await
        .unwrap();
    let open_run = engine.run_now(open).await.unwrap().id;
    let restricted_run = engine.run_now(restricted).await.unwrap().id;
    World {
        open,
        restricted,
        open_run,
        restricted_run,
    }
}

/// The callers of the matrix, in its column order.
const CALLERS: [&str; 5] = ["signed out", "ann", "gus", "dan", "admin"];

async fn session(app: &TestApp, caller: &str) -> Session {
    match caller {
        "signed out" => Session::anonymous(app),
        "admin" => app.admin().await,
        name => app.sign_in(name, PASSWORD).await,
    }
}

/// A user's id, as a form field.
async fn user_id(app: &TestApp, name: &str) -> String {
    let store = app.app.engine().store();
    let user = store
        .find_user(name)
        .await
        .unwrap()
        .expect("the user exists");
    user.user.id.to_string()
}

/// A session for each caller, in the order of [`CALLERS`].
async fn sessions(app: &TestApp) -> Vec<Session> {
    let mut sessions = Vec::new();
    for caller in CALLERS {
        sessions.push(session(app, caller).await);
    }
    sessions
}

fn titles(list: &Value) -> Vec<String> {
    let mut titles: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["title"].as_str().unwrap().to_string())
        .collect();
    titles.sort();
    titles
}

/// A server function called with form fields, and the status each caller
/// gets, in the order of [`CALLERS`].
type Case<'a> = (&'a str, &'a str, Vec<(&'a str, &'a str)>, [u16; 5]);

#[tokio::test]
async fn every_server_function_answers_each_caller_with_the_right_status() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let restricted = w.restricted.to_string();
    let restricted_run = w.restricted_run.to_string();
    // What the admin functions act on: a user, a group and a key of their own.
    let engine = app.app.engine();
    let now = engine.now();
    let zed = worker::accounts::create_user(engine.store(), "zed", PASSWORD, false, now)
        .await
        .unwrap();
    let spare = engine.store().create_group("spare", now).await.unwrap();
    let key = worker::accounts::issue_api_key(engine.store(), zed, "old", None, now)
        .await
        .unwrap()
        .id;
    let (zed, spare, key) = (zed.to_string(), spare.to_string(), key.to_string());
    let edit_restricted = [
        ("input[schedule_id]", restricted.as_str()),
        ("input[function]", "log-job@1"),
        ("input[title]", "Restricted"),
        ("input[description]", ""),
        ("input[data]", r#"{"message": "edited"}"#),
        ("input[when]", "manual"),
        ("input[timezone]", "UTC"),
    ];
    let new_schedule = [
        ("input[function]", "log-job@1"),
        ("input[title]", "New"),
        ("input[description]", ""),
        ("input[data]", r#"{"message": "new"}"#),
        ("input[when]", "manual"),
        ("input[timezone]", "UTC"),
    ];

    use app::admin::*;
    use app::functions::*;
    use app::runs::*;
    use app::schedules::*;
    #[rustfmt::skip]
    let cases: Vec<Case> = vec![
        ("list_schedules", ListSchedules::PATH, vec![], [401, 200, 200, 200, 200]),
        ("get_schedule", GetSchedule::PATH, vec![("id", &restricted)], [401, 404, 200, 200, 200]),
        ("pause_schedule", PauseSchedule::PATH, vec![("schedule_id", &restricted)], [401, 404, 403, 200, 200]),
        ("resume_schedule", ResumeSchedule::PATH, vec![("schedule_id", &restricted)], [401, 404, 403, 200, 200]),
        ("run_now", RunNow::PATH, vec![("schedule_id", &restricted)], [401, 404, 403, 200, 200]),
        ("save_schedule (edit)", SaveSchedule::PATH, edit_restricted.to_vec(), [401, 404, 403, 200, 200]),
        ("save_schedule (new)", SaveSchedule::PATH, new_schedule.to_vec(), [401, 403, 200, 403, 200]),
        ("check_data", CheckData::PATH, vec![("function", "log-job@1"), ("data", r#"{"message":"x"}"#)], [401, 200, 200, 200, 200]),
        ("preview_timing", PreviewTiming::PATH, vec![("expression", "0 2 * * *"), ("timezone", "UTC")], [401, 200, 200, 200, 200]),
        ("list_runs", ListRuns::PATH, vec![], [401, 200, 200, 200, 200]),
        ("get_run", GetRun::PATH, vec![("id", &restricted_run)], [401, 404, 200, 200, 200]),
        ("list_functions", ListFunctions::PATH, vec![], [401, 200, 200, 200, 200]),
        ("get_function", GetFunction::PATH, vec![("id", "log-job"), ("version", "1")], [401, 200, 200, 200, 200]),
        ("migrate_schedules", MigrateSchedules::PATH, vec![("function_id", "log-job"), ("from", "1"), ("to", "1")], [401, 403, 403, 403, 422]),
        ("me", app::auth::Me::PATH, vec![], [200, 200, 200, 200, 200]),
        ("list_accounts", ListAccounts::PATH, vec![], [401, 403, 403, 403, 200]),
        ("create_group", CreateGroup::PATH, vec![("name", "later")], [401, 403, 403, 403, 200]),
        ("list_api_keys", ListApiKeys::PATH, vec![], [401, 403, 403, 403, 200]),
        ("access_targets", AccessTargets::PATH, vec![], [401, 403, 403, 403, 200]),
        ("get_access", GetAccess::PATH, vec![("kind", "schedule"), ("target", &restricted)], [401, 403, 403, 403, 200]),
        ("set_access", SetAccess::PATH, vec![("kind", "worker"), ("target", "inline"), ("rules", "")], [401, 403, 403, 403, 200]),
        ("create_user", CreateUser::PATH, vec![("name", "newbie"), ("password", PASSWORD)], [401, 403, 403, 403, 200]),
        ("set_user_admin", SetUserAdmin::PATH, vec![("user_id", &zed), ("admin", "true")], [401, 403, 403, 403, 200]),
        ("set_user_disabled", SetUserDisabled::PATH, vec![("user_id", &zed), ("disabled", "false")], [401, 403, 403, 403, 200]),
        ("reset_password", ResetPassword::PATH, vec![("user_id", &zed), ("password", PASSWORD)], [401, 403, 403, 403, 200]),
        ("add_member", AddMember::PATH, vec![("group_id", &spare), ("user", "zed")], [401, 403, 403, 403, 200]),
        ("remove_member", RemoveMember::PATH, vec![("group_id", &spare), ("user", "zed")], [401, 403, 403, 403, 200]),
        ("delete_group", DeleteGroup::PATH, vec![("group_id", &spare)], [401, 403, 403, 403, 200]),
        ("create_api_key", CreateApiKey::PATH, vec![("user", "zed"), ("name", "ci"), ("expires_in_days", "")], [401, 403, 403, 403, 200]),
        ("revoke_api_key", RevokeApiKey::PATH, vec![("key_id", &key)], [401, 403, 403, 403, 200]),
        ("set_http_grants", SetHttpGrants::PATH, vec![("function_id", "send-http-request"), ("hosts", "127.0.0.1:9")], [401, 403, 403, 403, 200]),
        // Cancelling needs `edit` on the schedule; after dan, the run has ended.
        ("cancel_run", CancelRun::PATH, vec![("id", &restricted_run)], [401, 404, 403, 200, 409]),
    ];
    let mut sessions = sessions(&app).await;
    for (name, path, fields, expected) in cases {
        let mut found = [0; 5];
        for (i, session) in sessions.iter_mut().enumerate() {
            found[i] = session.call(path, &fields).await.0.as_u16();
        }
        assert_eq!(found, expected, "{name}");
    }
}

#[tokio::test]
async fn lists_hold_only_what_the_caller_may_see() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let path = app::schedules::ListSchedules::PATH;

    let mut seen = Vec::new();
    for (caller, mut session) in CALLERS.iter().zip(sessions(&app).await).skip(1) {
        let schedules: Value = session.call_ok(path, &[]).await;
        let runs: Value = session.call_ok(app::runs::ListRuns::PATH, &[]).await;
        let mut run_ids: Vec<i64> = runs
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_i64().unwrap())
            .collect();
        run_ids.sort();
        let function: Value = session
            .call_ok(
                app::functions::GetFunction::PATH,
                &[("id", "log-job"), ("version", "1")],
            )
            .await;
        seen.push((
            caller.to_string(),
            titles(&schedules),
            run_ids,
            titles(&function["schedules"]),
        ));
    }

    let both = || vec!["Open".to_string(), "Restricted".to_string()];
    let open = || vec!["Open".to_string()];
    let all_runs = vec![w.open_run, w.restricted_run];
    assert_eq!(
        seen,
        vec![
            ("ann".into(), open(), vec![w.open_run], open()),
            ("gus".into(), both(), all_runs.clone(), both()),
            ("dan".into(), both(), all_runs.clone(), both()),
            ("admin".into(), both(), all_runs, both()),
        ]
    );
    let _ = w.open;
}

#[tokio::test]
async fn a_run_shows_its_output_only_with_the_right_to_view_logs() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let id = w.restricted_run.to_string();

    let mut logs = Vec::new();
    for caller in ["gus", "dan", "admin"] {
        let mut session = session(&app, caller).await;
        let run: Value = session
            .call_ok(app::runs::GetRun::PATH, &[("id", &id)])
            .await;
        logs.push((caller, run["stdout"].is_object(), run["stderr"].is_object()));
    }

    assert_eq!(
        logs,
        [
            ("gus", false, false),
            ("dan", true, true),
            ("admin", true, true)
        ]
    );
}

#[tokio::test]
async fn a_hidden_schedule_and_a_missing_one_answer_the_same() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let mut ann = app.sign_in("ann", PASSWORD).await;
    let path = app::schedules::GetSchedule::PATH;

    let hidden = ann.call(path, &[("id", &w.restricted.to_string())]).await;
    let missing = ann.call(path, &[("id", "999")]).await;

    assert_eq!(
        hidden,
        (
            StatusCode::NOT_FOUND,
            format!(r#"{{"NotFound":"schedule {} not found"}}"#, w.restricted)
        )
    );
    assert_eq!(
        missing,
        (
            StatusCode::NOT_FOUND,
            r#"{"NotFound":"schedule 999 not found"}"#.to_string()
        )
    );
}

#[tokio::test]
async fn pages_send_the_signed_out_to_sign_in_and_back() {
    let app = spawn_app().await;

    let (status, headers, _) = Session::anonymous(&app)
        .send_raw(
            axum::http::Request::get("/schedules/new?function=log-job@1"),
            axum::body::Body::empty(),
        )
        .await;

    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        headers["location"],
        "/sign-in?next=/schedules/new%3Ffunction%3Dlog-job%401"
    );
    let (status, body) = app.get("/sign-in").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains(r#"id="sign-in""#), "{body}");
}

#[tokio::test]
async fn signing_in_gives_a_new_session_id() {
    let app = spawn_app().await;
    let mut session = Session::anonymous(&app);
    session.cookie = Some("enschedule_session=planted-by-someone-else".into());

    let (status, _) = session
        .call(
            app::auth::SignIn::PATH,
            &[("name", ADMIN.0), ("password", ADMIN.1), ("next", "/")],
        )
        .await;

    assert_eq!(status, StatusCode::OK);
    let cookie = session.cookie.clone().unwrap();
    assert!(cookie.starts_with("enschedule_session="), "{cookie}");
    assert_ne!(cookie, "enschedule_session=planted-by-someone-else");
    let me: Value = session.call_ok(app::auth::Me::PATH, &[]).await;
    assert_eq!(me["name"], "admin");
}

#[tokio::test]
async fn the_session_cookie_is_http_only_and_same_site_lax() {
    let app = spawn_app().await;
    let mut session = Session::anonymous(&app);
    let body = serde_urlencoded::to_string([("name", ADMIN.0), ("password", ADMIN.1)]).unwrap();

    let (_, headers, _) = session
        .send_raw(
            axum::http::Request::post(app::auth::SignIn::PATH)
                .header("content-type", "application/x-www-form-urlencoded")
                .header("origin", "http://enschedule.test"),
            axum::body::Body::from(body + "&next=/"),
        )
        .await;

    let cookie = headers["set-cookie"].to_str().unwrap();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(!cookie.contains("Secure"), "{cookie}");
    session.cookie = None;
}

#[tokio::test]
async fn a_change_from_another_origin_is_refused() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let admin = app.admin().await;
    let body = format!("schedule_id={}", w.open);

    let (status, body) = admin
        .send(
            axum::http::Request::post(app::schedules::PauseSchedule::PATH)
                .header("content-type", "application/x-www-form-urlencoded")
                .header("origin", "https://evil.example"),
            axum::body::Body::from(body),
        )
        .await;

    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        body,
        "Cross-origin request refused: changes must come from the dashboard itself"
    );
    let schedule = app.app.engine().store().get_schedule(w.open).await.unwrap();
    assert_eq!(schedule.status.as_str(), "active");
}

#[tokio::test]
async fn wrong_passwords_are_refused_then_slowed_down() {
    let app = spawn_app().await;
    let mut session = Session::anonymous(&app);
    let attempt = [
        ("name", "admin"),
        ("password", "wrong-guess"),
        ("next", "/"),
    ];

    let mut answers = Vec::new();
    for _ in 0..6 {
        answers.push(session.call(app::auth::SignIn::PATH, &attempt).await);
    }

    let refused = (
        StatusCode::UNAUTHORIZED,
        r#"{"Unauthorized":"the user name or the password is wrong"}"#.to_string(),
    );
    assert_eq!(answers[..5], vec![refused; 5]);
    assert_eq!(
        answers[5],
        (
            StatusCode::TOO_MANY_REQUESTS,
            r#"{"TooManyRequests":"too many sign-in attempts for this user; wait 12 seconds and try again"}"#
                .to_string()
        )
    );
}

#[tokio::test]
async fn signing_out_everywhere_ends_every_session_of_the_user() {
    let app = spawn_app().await;
    let mut first = app.admin().await;
    let mut second = app.admin().await;

    first
        .call_ok::<Value>(app::auth::SignOutEverywhere::PATH, &[])
        .await;

    let me: Value = second.call_ok(app::auth::Me::PATH, &[]).await;
    assert_eq!(me, Value::Null);
    let me: Value = first.call_ok(app::auth::Me::PATH, &[]).await;
    assert_eq!(me, Value::Null);
}

#[tokio::test]
async fn changing_the_password_ends_the_other_sessions_but_not_this_one() {
    let app = spawn_app().await;
    let mut this = app.admin().await;
    let mut other = app.admin().await;

    this.call_ok::<Value>(
        app::auth::ChangePassword::PATH,
        &[("current", ADMIN.1), ("new", "a-new-password")],
    )
    .await;

    let me: Value = this.call_ok(app::auth::Me::PATH, &[]).await;
    assert_eq!(me["name"], "admin");
    let me: Value = other.call_ok(app::auth::Me::PATH, &[]).await;
    assert_eq!(me, Value::Null);
    let (status, _) = Session::anonymous(&app)
        .call(
            app::auth::SignIn::PATH,
            &[("name", "admin"), ("password", ADMIN.1), ("next", "/")],
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    app.sign_in("admin", "a-new-password").await;
}

#[tokio::test]
async fn a_disabled_user_is_signed_out_and_cannot_sign_in() {
    let app = spawn_app().await;
    world(&app).await;
    let mut ann = app.sign_in("ann", PASSWORD).await;
    let mut admin = app.admin().await;
    let ann_id = user_id(&app, "ann").await;

    admin
        .call_ok::<Value>(
            app::admin::SetUserDisabled::PATH,
            &[("user_id", &ann_id), ("disabled", "true")],
        )
        .await;

    let (status, _) = ann.call(app::schedules::ListSchedules::PATH, &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = Session::anonymous(&app)
        .call(
            app::auth::SignIn::PATH,
            &[("name", "ann"), ("password", PASSWORD), ("next", "/")],
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_admin_cannot_take_away_their_own_admin_right() {
    let app = spawn_app().await;
    let mut admin = app.admin().await;
    let id = user_id(&app, "admin").await;

    let answer = admin
        .call(
            app::admin::SetUserAdmin::PATH,
            &[("user_id", &id), ("admin", "false")],
        )
        .await;

    assert_eq!(
        answer,
        (
            StatusCode::CONFLICT,
            r#"{"Conflict":"you cannot remove your own admin right; another admin can"}"#
                .to_string()
        )
    );
}

#[tokio::test]
async fn access_rules_naming_an_unknown_right_or_group_are_refused() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let mut admin = app.admin().await;
    let target = w.open.to_string();
    let set = |rules: &'static str| {
        [
            ("kind", "schedule"),
            ("target", target.as_str()),
            ("rules", rules),
        ]
    };

    let unknown_right = admin
        .call(
            app::admin::SetAccess::PATH,
            &set(r#"{"access": {"viewLogs": {"users": ["ann"]}}}"#),
        )
        .await;
    let unknown_group = admin
        .call(
            app::admin::SetAccess::PATH,
            &set(r#"{"access": {"view": {"groups": ["opps"]}}}"#),
        )
        .await;

    assert_eq!(
        unknown_right,
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            r#"{"Invalid":"rules: access: `viewLogs` is not a right here (it may hold view, edit, delete)"}"#
                .to_string()
        )
    );
    assert_eq!(
        unknown_group,
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            r#"{"Invalid":"rules: there is no group `opps`"}"#.to_string()
        )
    );
    let stored = app
        .app
        .engine()
        .store()
        .access_rules(Kind::Schedule, &target)
        .await
        .unwrap();
    assert_eq!(stored, None);
}

#[tokio::test]
async fn the_access_editor_shows_each_users_effective_rights() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let mut admin = app.admin().await;

    let view: Value = admin
        .call_ok(
            app::admin::GetAccess::PATH,
            &[("kind", "schedule"), ("target", &w.restricted.to_string())],
        )
        .await;

    assert_eq!(
        view["effective"],
        json!([
            { "user": "admin", "admin": true, "rights": ["schedule: view, edit, delete", "runs: view, viewLogs, delete"] },
            { "user": "ann", "admin": false, "rights": ["schedule: delete", "runs: delete"] },
            { "user": "dan", "admin": false, "rights": ["schedule: view, edit, delete", "runs: view, viewLogs, delete"] },
            { "user": "gus", "admin": false, "rights": ["schedule: view, delete", "runs: view, delete"] },
        ])
    );
}

#[tokio::test]
async fn an_api_key_is_shown_once_and_listed_by_its_prefix() {
    let app = spawn_app().await;
    world(&app).await;
    let mut admin = app.admin().await;

    let new: Value = admin
        .call_ok(
            app::admin::CreateApiKey::PATH,
            &[("user", "ann"), ("name", "ci"), ("expires_in_days", "30")],
        )
        .await;
    let keys: Value = admin.call_ok(app::admin::ListApiKeys::PATH, &[]).await;

    let key = new["key"].as_str().unwrap();
    assert_eq!(key.len(), worker::accounts::KEY_LENGTH);
    assert_eq!(
        keys[0]["prefix"],
        key[..worker::accounts::KEY_PREFIX_LENGTH]
    );
    assert_eq!(keys[0]["user"], "ann");
    assert_eq!(keys[0]["state"], "live");
    assert!(!keys.to_string().contains(key));
    let user = app
        .app
        .engine()
        .store()
        .use_api_key(&worker::accounts::hash_key(key), app.app.engine().now())
        .await
        .unwrap();
    assert_eq!(user.map(|u| u.name), Some("ann".to_string()));
}

#[tokio::test]
async fn the_session_functions_need_a_signed_in_caller() {
    let app = spawn_app().await;
    world(&app).await;
    use app::auth::*;
    let change = [("current", PASSWORD), ("new", "another-password")];
    #[rustfmt::skip]
    let cases: Vec<Case> = vec![
        ("sign_out", SignOut::PATH, vec![], [200, 200, 200, 200, 200]),
        ("sign_out_everywhere", SignOutEverywhere::PATH, vec![], [401, 200, 200, 200, 200]),
        ("change_password", ChangePassword::PATH, change.to_vec(), [401, 200, 200, 200, 422]),
    ];

    for (name, path, fields, expected) in cases {
        // Each of these ends a session or a password: fresh sessions each
        // time, and the password put back after.
        let mut found = [0; 5];
        for (i, caller) in CALLERS.iter().enumerate() {
            let mut session = session(&app, caller).await;
            found[i] = session.call(path, &fields).await.0.as_u16();
            if found[i] == 200 && name == "change_password" {
                let back = [("current", "another-password"), ("new", PASSWORD)];
                session.call_ok::<Value>(ChangePassword::PATH, &back).await;
            }
        }
        assert_eq!(found, expected, "{name}");
    }
}

#[tokio::test]
async fn only_admins_upload_modules() {
    let app = spawn_app().await;
    world(&app).await;
    let probe = std::fs::read(
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../handlers/dist/probe.wasm"),
    )
    .unwrap();

    let mut found = Vec::new();
    for caller in CALLERS {
        let session = session(&app, caller).await;
        let (status, body) = session
            .upload(
                app::functions::UploadFunction::PATH,
                "module",
                "probe.wasm",
                &probe,
            )
            .await;
        found.push((status.as_u16(), body));
    }

    let refused = r#"{"Forbidden":"only admins may do this"}"#.to_string();
    assert_eq!(
        found,
        vec![
            (401, r#"{"Unauthorized":"sign in first"}"#.to_string()),
            (403, refused.clone()),
            (403, refused.clone()),
            (403, refused),
            (
                200,
                r#"{"id":"probe","version":1,"created":true}"#.to_string()
            ),
        ]
    );
}

#[tokio::test]
async fn an_upload_that_is_not_multipart_is_refused_not_dropped() {
    let app = spawn_app().await;
    let admin = app.admin().await;

    let answer = admin
        .send(
            axum::http::Request::post(app::functions::UploadFunction::PATH)
                .header("content-type", "application/x-www-form-urlencoded")
                .header("origin", "http://enschedule.test"),
            axum::body::Body::from("x=1"),
        )
        .await;

    assert_eq!(
        answer,
        (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Send the module as multipart/form-data".to_string()
        )
    );
}
