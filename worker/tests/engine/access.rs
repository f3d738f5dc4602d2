//! The effective-rights resolver: each inheritance rule of the access model,
//! for plain users, group members, direct grants, admins and the signed out.

use worker::access::{
    Caller, Chain, FunctionRules, Grantees, INLINE_WORKER, Kind, Right, RuleBook, Rules,
    ScheduleRules, StatedRules, WorkerRules, function_key,
};

fn user(name: &str, groups: &[&str]) -> Caller {
    Caller::User {
        name: name.into(),
        groups: groups.iter().map(|g| g.to_string()).collect(),
        admin: false,
    }
}

fn admin() -> Caller {
    Caller::User {
        name: "root".into(),
        groups: Vec::new(),
        admin: true,
    }
}

/// Rules granting each named right to the given users and groups.
fn rules(entries: &[(&str, &[&str], &[&str])]) -> Rules {
    entries
        .iter()
        .map(|(right, users, groups)| {
            let grantees = Grantees {
                users: users.iter().map(|u| u.to_string()).collect(),
                groups: groups.iter().map(|g| g.to_string()).collect(),
            };
            (right.to_string(), grantees)
        })
        .collect()
}

#[test]
fn where_no_level_says_anything_every_signed_in_user_has_every_right() {
    let chain = Chain::default();
    for right in Right::ALL {
        assert!(user("ann", &[]).may(right, &chain), "{right:?}");
        assert!(!Caller::Anonymous.may(right, &chain), "{right:?}");
    }
}

#[test]
fn admins_and_the_server_key_have_every_right_whatever_the_rules() {
    let nobody = rules(&[("view", &[], &[]), ("edit", &[], &[]), ("delete", &[], &[])]);
    let schedule = ScheduleRules {
        access: nobody.clone(),
        run_access: rules(&[("view", &[], &[]), ("viewLogs", &[], &[])]),
    };
    let chain = Chain {
        schedule: Some(&schedule),
        ..Chain::default()
    };
    for caller in [admin(), Caller::Server] {
        assert_eq!(caller.rights(Kind::Schedule, &chain).len(), 3);
        assert_eq!(caller.rights(Kind::Run, &chain).len(), 3);
    }
    assert!(user("ann", &[]).rights(Kind::Schedule, &chain).is_empty());
}

#[test]
fn a_schedule_rule_grants_to_named_users_and_members_of_named_groups() {
    let schedule = ScheduleRules {
        access: rules(&[("view", &["ann"], &["ops"])]),
        ..ScheduleRules::default()
    };
    let chain = Chain {
        schedule: Some(&schedule),
        ..Chain::default()
    };
    assert!(user("ann", &[]).may(Right::ScheduleView, &chain));
    assert!(user("bob", &["ops"]).may(Right::ScheduleView, &chain));
    assert!(!user("cy", &["dev"]).may(Right::ScheduleView, &chain));
    // Rights the schedule does not name are inherited, here from nothing.
    assert!(user("cy", &["dev"]).may(Right::ScheduleEdit, &chain));
}

#[test]
fn a_function_without_rules_uses_its_workers_default_function_access() {
    let worker = WorkerRules {
        default_function_access: rules(&[("createSchedule", &[], &["ops"])]),
        ..WorkerRules::default()
    };
    let silent = FunctionRules::default();
    let own = FunctionRules {
        access: rules(&[("createSchedule", &["ann"], &[])]),
        ..FunctionRules::default()
    };
    let inherited = Chain {
        worker: Some(&worker),
        function: Some(&silent),
        ..Chain::default()
    };
    let stated = Chain {
        function: Some(&own),
        ..inherited
    };
    assert!(user("bob", &["ops"]).may(Right::FunctionCreateSchedule, &inherited));
    assert!(!user("ann", &[]).may(Right::FunctionCreateSchedule, &inherited));
    // The function's own rule wins over the worker's default.
    assert!(user("ann", &[]).may(Right::FunctionCreateSchedule, &stated));
    assert!(!user("bob", &["ops"]).may(Right::FunctionCreateSchedule, &stated));
    assert!(user("bob", &[]).may(Right::FunctionView, &stated));
}

#[test]
fn a_schedule_inherits_from_its_function_then_its_worker() {
    let worker = WorkerRules {
        default_schedule_access: rules(&[("view", &[], &["staff"]), ("delete", &[], &[])]),
        ..WorkerRules::default()
    };
    let function = FunctionRules {
        default_schedule_access: rules(&[("edit", &[], &["ops"])]),
        ..FunctionRules::default()
    };
    let schedule = ScheduleRules::default();
    let chain = Chain {
        worker: Some(&worker),
        function: Some(&function),
        schedule: Some(&schedule),
    };
    let ops = user("ann", &["ops"]);
    let staff = user("bob", &["staff"]);
    assert_eq!(ops.rights(Kind::Schedule, &chain), [Right::ScheduleEdit]);
    assert_eq!(staff.rights(Kind::Schedule, &chain), [Right::ScheduleView]);
    assert!(admin().may(Right::ScheduleDelete, &chain));
}

#[test]
fn a_run_inherits_from_its_schedule_then_its_function_then_its_worker() {
    let worker = WorkerRules {
        default_run_access: rules(&[("view", &[], &["staff"]), ("viewLogs", &[], &["staff"])]),
        ..WorkerRules::default()
    };
    let function = FunctionRules {
        default_run_access: rules(&[("viewLogs", &[], &["ops"])]),
        ..FunctionRules::default()
    };
    let schedule = ScheduleRules {
        run_access: rules(&[("delete", &["ann"], &[])]),
        ..ScheduleRules::default()
    };
    let chain = Chain {
        worker: Some(&worker),
        function: Some(&function),
        schedule: Some(&schedule),
    };
    // view from the worker, viewLogs from the function, delete from the schedule.
    assert_eq!(
        user("ann", &["ops"]).rights(Kind::Run, &chain),
        [Right::RunViewLogs, Right::RunDelete]
    );
    assert_eq!(
        user("bob", &["staff"]).rights(Kind::Run, &chain),
        [Right::RunView]
    );
    // The schedule's own access does not touch its runs.
    let private = ScheduleRules {
        access: rules(&[("view", &[], &[])]),
        ..ScheduleRules::default()
    };
    let chain = Chain {
        schedule: Some(&private),
        ..Chain::default()
    };
    assert!(user("cy", &[]).may(Right::RunView, &chain));
    assert!(!user("cy", &[]).may(Right::ScheduleView, &chain));
}

#[test]
fn worker_rights_come_only_from_the_worker() {
    let worker = WorkerRules {
        access: rules(&[("delete", &[], &["admins-of-workers"])]),
        ..WorkerRules::default()
    };
    let chain = Chain {
        worker: Some(&worker),
        ..Chain::default()
    };
    assert_eq!(
        user("ann", &[]).rights(Kind::Worker, &chain),
        [Right::WorkerView]
    );
    assert_eq!(
        user("bob", &["admins-of-workers"]).rights(Kind::Worker, &chain),
        [Right::WorkerView, Right::WorkerDelete]
    );
}

#[test]
fn rights_read_from_a_manifest_shaped_document() {
    let document = serde_json::json!({
        "access": { "view": { "users": ["ann"] }, "createSchedule": { "groups": ["ops"] } },
        "defaultScheduleAccess": { "edit": { "groups": ["ops"] } },
        "defaultRunAccess": { "viewLogs": { "users": [], "groups": [] } }
    });
    let function: FunctionRules = serde_json::from_value(document).unwrap();
    let chain = Chain {
        function: Some(&function),
        ..Chain::default()
    };
    assert_eq!(
        user("ann", &[]).rights(Kind::Function, &chain),
        [Right::FunctionView]
    );
    assert_eq!(
        user("bob", &["ops"]).rights(Kind::Function, &chain),
        [Right::FunctionCreateSchedule]
    );
    assert!(!user("bob", &["ops"]).may(Right::RunViewLogs, &chain));
    assert_eq!(
        Right::parse(Kind::Run, "viewLogs"),
        Some(Right::RunViewLogs)
    );
    assert_eq!(Right::parse(Kind::Function, "edit"), None);
}

#[test]
fn stated_rules_name_only_rights_of_their_section() {
    let refused = StatedRules::parse(
        Kind::Function,
        r#"{"defaultRunAccess": {"edit": {"users": ["ann"]}}}"#,
    );
    let run_rules = StatedRules::parse(Kind::Run, "{}");
    let not_json = StatedRules::parse(Kind::Schedule, "{");

    assert_eq!(
        refused,
        Err(
            "rules: defaultRunAccess: `edit` is not a right here (it may hold view, viewLogs, delete)"
                .to_string()
        )
    );
    assert_eq!(
        run_rules,
        Err("rules: runs state no rules; set their schedule's runAccess".to_string())
    );
    assert_eq!(
        not_json,
        Err("rules: not valid rules JSON: EOF while parsing an object at line 1 column 1".into())
    );
}

#[test]
fn stated_rules_list_everyone_they_name_once() {
    let stated = StatedRules::parse(
        Kind::Worker,
        r#"{"access": {"view": {"users": ["dan", "ann"], "groups": ["ops"]}},
            "defaultRunAccess": {"viewLogs": {"users": ["ann"], "groups": ["dev", "ops"]}}}"#,
    )
    .unwrap();

    assert_eq!(
        stated.grantees(),
        Grantees {
            users: vec!["ann".into(), "dan".into()],
            groups: vec!["dev".into(), "ops".into()],
        }
    );
}

#[test]
fn the_rule_book_chains_a_schedule_to_its_function_and_the_inline_worker() {
    let mut book = RuleBook::default();
    book.workers.insert(
        INLINE_WORKER.into(),
        WorkerRules {
            default_run_access: rules(&[("viewLogs", &[], &["ops"])]),
            ..WorkerRules::default()
        },
    );
    book.functions.insert(
        function_key("report", 2),
        FunctionRules {
            default_schedule_access: rules(&[("edit", &["dan"], &[])]),
            ..FunctionRules::default()
        },
    );

    let chain = book.schedule_chain(7, "report", 2);
    let other_version = book.schedule_chain(7, "report", 1);

    assert!(!user("ann", &[]).may(Right::ScheduleEdit, &chain));
    assert!(user("dan", &[]).may(Right::ScheduleEdit, &chain));
    assert!(user("ann", &[]).may(Right::ScheduleEdit, &other_version));
    assert!(!user("ann", &[]).may(Right::RunViewLogs, &chain));
    assert!(user("gus", &["ops"]).may(Right::RunViewLogs, &other_version));
}
