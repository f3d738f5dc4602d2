//! The effective-rights resolver: each inheritance rule of the access model,
//! for plain users, group members, direct grants, admins and the signed out.

use worker::access::{
    Caller, Chain, FunctionRules, Grantees, Kind, Right, Rules, ScheduleRules, WorkerRules,
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
