//! Accounts: password hashes, the first admin, groups, and API keys with
//! their expiry and revocation, on a real database.

use chrono::Duration;
use worker::accounts::{
    AdminSetUp, KEY_LENGTH, ensure_admin, hash_key, hash_password, parse_admin_account,
    random_secret, verify_password,
};

use crate::helpers::{at, store};

#[test]
fn a_password_verifies_against_its_hash_and_nothing_else() {
    let hash = hash_password("correct horse").unwrap();
    assert!(hash.starts_with("$argon2id$"));
    assert!(verify_password("correct horse", &hash));
    assert!(!verify_password("correct horsE", &hash));
    assert!(!verify_password("correct horse", "not a hash"));
    assert_ne!(hash, hash_password("correct horse").unwrap(), "salted");
    assert_eq!(
        hash_password("short").unwrap_err().to_string(),
        "password: must be at least 8 characters"
    );
}

#[test]
fn admin_account_splits_at_the_first_colon() {
    assert_eq!(
        parse_admin_account("root:pa:ss:word").unwrap(),
        ("root".to_string(), "pa:ss:word".to_string())
    );
    assert_eq!(
        parse_admin_account("no-colon").unwrap_err().to_string(),
        "ADMIN_ACCOUNT: must be user:password"
    );
    assert_eq!(
        parse_admin_account("bad name:secret123")
            .unwrap_err()
            .to_string(),
        "ADMIN_ACCOUNT: `bad name` is not a valid user name"
    );
}

#[tokio::test]
async fn a_first_start_without_admin_account_makes_admin_with_a_random_password() {
    let store = store().await;
    let now = at("2026-01-01T00:00:00Z");

    let AdminSetUp::Generated { name, password } = ensure_admin(&store, None, now).await.unwrap()
    else {
        panic!("expected a generated admin");
    };
    assert_eq!(name, "admin");
    assert_eq!(password.len(), 20);
    let stored = store.find_user("admin").await.unwrap().unwrap();
    assert!(stored.user.admin);
    assert!(verify_password(&password, &stored.password_hash));

    // Users exist now: a second start changes nothing.
    assert_eq!(
        ensure_admin(&store, None, now).await.unwrap(),
        AdminSetUp::Unchanged
    );
}

#[tokio::test]
async fn admin_account_creates_the_admin_then_resets_it_on_each_start() {
    let store = store().await;
    let now = at("2026-01-01T00:00:00Z");
    assert_eq!(
        ensure_admin(&store, Some("ops:first:secret"), now)
            .await
            .unwrap(),
        AdminSetUp::Created("ops".into())
    );
    let id = store.find_user("ops").await.unwrap().unwrap().user.id;
    store.set_admin(id, false, now).await.unwrap();
    store.set_disabled(id, true, now).await.unwrap();

    let later = now + Duration::hours(1);
    assert_eq!(
        ensure_admin(&store, Some("ops:second:secret"), later)
            .await
            .unwrap(),
        AdminSetUp::Updated("ops".into())
    );
    let stored = store.find_user("ops").await.unwrap().unwrap();
    assert!(stored.user.admin && !stored.user.disabled);
    assert!(verify_password("second:secret", &stored.password_hash));
    assert_eq!(stored.user.sessions_valid_from, later);
    assert_eq!(store.count_users().await.unwrap(), 1);
}

#[tokio::test]
async fn the_same_admin_account_again_changes_nothing_so_sessions_survive_a_restart() {
    let store = store().await;
    let now = at("2026-01-01T00:00:00Z");
    ensure_admin(&store, Some("ops:first:secret"), now)
        .await
        .unwrap();

    let later = now + Duration::hours(1);
    let outcome = ensure_admin(&store, Some("ops:first:secret"), later)
        .await
        .unwrap();

    assert_eq!(outcome, AdminSetUp::Unchanged);
    let stored = store.find_user("ops").await.unwrap().unwrap();
    assert_eq!(stored.user.sessions_valid_from, now);
}

#[tokio::test]
async fn groups_list_their_members_and_users_their_groups() {
    let store = store().await;
    let now = at("2026-01-01T00:00:00Z");
    let hash = hash_password("password1").unwrap();
    let ann = store.create_user("ann", &hash, false, now).await.unwrap();
    let bob = store.create_user("bob", &hash, false, now).await.unwrap();
    let ops = store.create_group("ops", now).await.unwrap();
    let dev = store.create_group("dev", now).await.unwrap();
    store.add_member(ops, ann).await.unwrap();
    store.add_member(ops, bob).await.unwrap();
    store.add_member(ops, bob).await.unwrap();
    store.add_member(dev, bob).await.unwrap();
    store.remove_member(ops, ann).await.unwrap();

    let groups: Vec<(String, Vec<String>)> = store
        .list_groups()
        .await
        .unwrap()
        .into_iter()
        .map(|g| (g.name, g.members))
        .collect();
    assert_eq!(
        groups,
        [
            ("dev".to_string(), vec!["bob".to_string()]),
            ("ops".to_string(), vec!["bob".to_string()])
        ]
    );
    assert_eq!(store.get_user(bob).await.unwrap().groups, ["dev", "ops"]);
    assert_eq!(
        store
            .create_group("ops", now)
            .await
            .unwrap_err()
            .to_string(),
        "a group named ops exists"
    );
}

#[tokio::test]
async fn an_api_key_works_until_it_expires_or_is_revoked() {
    let store = store().await;
    let now = at("2026-01-01T00:00:00Z");
    let ann = store
        .create_user("ann", &hash_password("password1").unwrap(), false, now)
        .await
        .unwrap();
    let key = random_secret(KEY_LENGTH);
    assert_eq!(key.len(), 40);
    let expires = now + Duration::days(30);
    let id = store
        .insert_api_key(ann, "ci", &key[..8], &hash_key(&key), Some(expires), now)
        .await
        .unwrap();

    let user = store.use_api_key(&hash_key(&key), now).await.unwrap();
    assert_eq!(user.map(|u| u.name), Some("ann".to_string()));
    assert!(
        store
            .use_api_key(&hash_key("guess"), now)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .use_api_key(&hash_key(&key), expires)
            .await
            .unwrap()
            .is_none()
    );

    let listed = store.list_api_keys(Some(ann)).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].prefix, key[..8]);
    assert_eq!(listed[0].last_used_at, Some(now));
    assert!(listed[0].is_live(now) && !listed[0].is_live(expires));

    store.revoke_api_key(id, now).await.unwrap();
    assert!(
        store
            .use_api_key(&hash_key(&key), now)
            .await
            .unwrap()
            .is_none()
    );

    // A disabled user's keys stop working too.
    let key2 = random_secret(KEY_LENGTH);
    store
        .insert_api_key(ann, "other", &key2[..8], &hash_key(&key2), None, now)
        .await
        .unwrap();
    store.set_disabled(ann, true, now).await.unwrap();
    assert!(
        store
            .use_api_key(&hash_key(&key2), now)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn access_rules_are_stored_per_target_and_removed_to_inherit_again() {
    use worker::access::Kind;
    let store = store().await;
    let now = at("2026-01-01T00:00:00Z");
    let rules = r#"{"access":{"view":{"users":["ann"],"groups":[]}}}"#;
    store
        .set_access_rules(Kind::Schedule, "7", Some(rules), now)
        .await
        .unwrap();
    assert_eq!(
        store
            .access_rules(Kind::Schedule, "7")
            .await
            .unwrap()
            .as_deref(),
        Some(rules)
    );
    assert_eq!(
        store.all_access_rules(Kind::Schedule).await.unwrap(),
        [("7".to_string(), rules.to_string())]
    );
    store
        .set_access_rules(Kind::Schedule, "7", None, now)
        .await
        .unwrap();
    assert_eq!(store.access_rules(Kind::Schedule, "7").await.unwrap(), None);
    assert_eq!(
        store
            .set_access_rules(Kind::Run, "1", Some("{}"), now)
            .await
            .unwrap_err()
            .to_string(),
        "runs have no access rules of their own; set their schedule's run access"
    );
}
