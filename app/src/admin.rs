//! Administration: users, groups, API keys and the access rules of workers,
//! functions and schedules. Every server function here is for admins only.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use crate::components::{ErrorNotice, loaded, textarea_text};
use crate::error::AppError;

/// A user as the users page lists them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserRow {
    pub id: i64,
    pub name: String,
    pub admin: bool,
    pub disabled: bool,
    pub groups: Vec<String>,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupRow {
    pub id: i64,
    pub name: String,
    pub members: Vec<String>,
}

/// Everyone who can sign in, and the groups they form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Accounts {
    pub users: Vec<UserRow>,
    pub groups: Vec<GroupRow>,
}

/// An API key as listed: its first characters, never the key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyRow {
    pub id: i64,
    pub user: String,
    pub name: String,
    pub prefix: String,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub last_used_at: Option<String>,
    /// `live`, `expired` or `revoked`.
    pub state: String,
}

/// A key just made: the only time the key itself is shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewKey {
    pub id: i64,
    pub key: String,
}

/// Something that can state access rules: a worker, a function or a schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccessTarget {
    /// `worker`, `function` or `schedule`.
    pub kind: String,
    /// The worker id, `id@version`, or the schedule id.
    pub target: String,
    pub label: String,
}

/// What the access editor shows for one target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccessView {
    pub target: AccessTarget,
    /// The rules it states, pretty-printed; `None` when it states none and
    /// inherits everything.
    pub stated: Option<String>,
    /// A template of every section it may state, for a target with none.
    pub template: String,
    pub effective: Vec<EffectiveRights>,
}

/// A user's rights on the target, by the kind of thing they are about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EffectiveRights {
    pub user: String,
    pub admin: bool,
    /// For example `schedule: view, edit` and `runs: view`.
    pub rights: Vec<String>,
}

#[server]
pub async fn list_accounts() -> Result<Accounts, AppError> {
    crate::remote::forward_to_worker!(ListAccounts {});
    let (_, engine) = ssr::admin().await?;
    let users = engine.store().list_users().await?;
    let groups = engine.store().list_groups().await?;
    Ok(Accounts {
        users: users
            .into_iter()
            .map(|u| UserRow {
                id: u.id,
                name: u.name,
                admin: u.admin,
                disabled: u.disabled,
                groups: u.groups,
                created_at: crate::components::show_instant(u.created_at),
            })
            .collect(),
        groups: groups
            .into_iter()
            .map(|g| GroupRow {
                id: g.id,
                name: g.name,
                members: g.members,
            })
            .collect(),
    })
}

/// Creates a user; `admin` is the form's checkbox (`on` when ticked).
#[server]
pub async fn create_user(
    name: String,
    password: String,
    admin: Option<String>,
) -> Result<(), AppError> {
    crate::remote::forward_to_worker!(CreateUser {
        name,
        password,
        admin
    });
    let (_, engine) = ssr::admin().await?;
    let name = name.trim();
    worker::accounts::create_user(
        engine.store(),
        name,
        &password,
        admin.is_some(),
        engine.now(),
    )
    .await?;
    tracing::info!(user.name = name, "user created");
    Ok(())
}

#[server]
pub async fn set_user_admin(user_id: i64, admin: bool) -> Result<(), AppError> {
    crate::remote::forward_to_worker!(SetUserAdmin { user_id, admin });
    let (me, engine) = ssr::admin().await?;
    ssr::not_yourself(&me, user_id, "remove your own admin right")?;
    engine
        .store()
        .set_admin(user_id, admin, engine.now())
        .await?;
    tracing::info!(user.id = user_id, admin, "admin flag changed");
    Ok(())
}

/// Disables a user (their sessions end and their keys stop working) or
/// enables them again.
#[server]
pub async fn set_user_disabled(user_id: i64, disabled: bool) -> Result<(), AppError> {
    crate::remote::forward_to_worker!(SetUserDisabled { user_id, disabled });
    let (me, engine) = ssr::admin().await?;
    ssr::not_yourself(&me, user_id, "disable yourself")?;
    engine
        .store()
        .set_disabled(user_id, disabled, engine.now())
        .await?;
    tracing::info!(user.id = user_id, disabled, "user enabled or disabled");
    Ok(())
}

/// Sets a user's password; their sessions end.
#[server]
pub async fn reset_password(user_id: i64, password: String) -> Result<(), AppError> {
    crate::remote::forward_to_worker!(ResetPassword { user_id, password });
    let (_, engine) = ssr::admin().await?;
    let hash = worker::accounts::hash_password(&password)?;
    engine
        .store()
        .set_password(user_id, &hash, engine.now())
        .await?;
    tracing::info!(user.id = user_id, "password reset by an admin");
    Ok(())
}

#[server]
pub async fn create_group(name: String) -> Result<(), AppError> {
    crate::remote::forward_to_worker!(CreateGroup { name });
    let (_, engine) = ssr::admin().await?;
    let name = name.trim();
    worker::accounts::check_name(name)?;
    engine.store().create_group(name, engine.now()).await?;
    Ok(())
}

#[server]
pub async fn delete_group(group_id: i64) -> Result<(), AppError> {
    crate::remote::forward_to_worker!(DeleteGroup { group_id });
    let (_, engine) = ssr::admin().await?;
    engine.store().delete_group(group_id).await?;
    Ok(())
}

#[server]
pub async fn add_member(group_id: i64, user: String) -> Result<(), AppError> {
    crate::remote::forward_to_worker!(AddMember { group_id, user });
    let (_, engine) = ssr::admin().await?;
    let user_id = ssr::user_id(&engine, user.trim()).await?;
    engine.store().add_member(group_id, user_id).await?;
    Ok(())
}

#[server]
pub async fn remove_member(group_id: i64, user: String) -> Result<(), AppError> {
    crate::remote::forward_to_worker!(RemoveMember { group_id, user });
    let (_, engine) = ssr::admin().await?;
    let user_id = ssr::user_id(&engine, &user).await?;
    engine.store().remove_member(group_id, user_id).await?;
    Ok(())
}

#[server]
pub async fn list_api_keys() -> Result<Vec<KeyRow>, AppError> {
    crate::remote::forward_to_worker!(ListApiKeys {});
    let (_, engine) = ssr::admin().await?;
    let names: std::collections::HashMap<i64, String> = engine
        .store()
        .list_users()
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    let now = engine.now();
    let show = crate::components::show_instant;
    Ok(engine
        .store()
        .list_api_keys(None)
        .await?
        .into_iter()
        .map(|k| KeyRow {
            state: match (k.revoked_at, k.is_live(now)) {
                (Some(_), _) => "revoked",
                (None, false) => "expired",
                (None, true) => "live",
            }
            .to_string(),
            id: k.id,
            user: names.get(&k.user_id).cloned().unwrap_or_default(),
            name: k.name,
            prefix: k.prefix,
            created_at: show(k.created_at),
            expires_at: k.expires_at.map(show),
            last_used_at: k.last_used_at.map(show),
        })
        .collect())
}

/// Makes an API key for `user`, valid for `expires_in_days` days (empty:
/// until revoked).
#[server]
pub async fn create_api_key(
    user: String,
    name: String,
    expires_in_days: String,
) -> Result<NewKey, AppError> {
    crate::remote::forward_to_worker!(CreateApiKey {
        user,
        name,
        expires_in_days
    });
    let (_, engine) = ssr::admin().await?;
    let user_id = ssr::user_id(&engine, user.trim()).await?;
    let now = engine.now();
    let expires_at = match expires_in_days.trim() {
        "" => None,
        days => {
            let days = days
                .parse::<u32>()
                .ok()
                .filter(|d| (1..=3650).contains(d))
                .ok_or_else(|| {
                    AppError::Invalid(format!(
                        "expires: `{days}` is not a number of days from 1 to 3650"
                    ))
                })?;
            Some(now + chrono::Duration::days(days.into()))
        }
    };
    let issued =
        worker::accounts::issue_api_key(engine.store(), user_id, &name, expires_at, now).await?;
    tracing::info!(user.id = user_id, key.id = issued.id, "API key created");
    Ok(NewKey {
        id: issued.id,
        key: issued.key,
    })
}

#[server]
pub async fn revoke_api_key(key_id: i64) -> Result<(), AppError> {
    crate::remote::forward_to_worker!(RevokeApiKey { key_id });
    let (_, engine) = ssr::admin().await?;
    engine.store().revoke_api_key(key_id, engine.now()).await?;
    tracing::info!(key.id = key_id, "API key revoked");
    Ok(())
}

/// Every worker, function and schedule, for the access editor's picker.
#[server]
pub async fn access_targets() -> Result<Vec<AccessTarget>, AppError> {
    crate::remote::forward_to_worker!(AccessTargets {});
    let (_, engine) = ssr::admin().await?;
    let mut targets = vec![ssr::target(
        "worker",
        worker::access::INLINE_WORKER.to_string(),
        "worker inline".to_string(),
    )];
    for f in engine.store().list_functions().await? {
        let key = worker::access::function_key(&f.id, f.version);
        let label = format!("function {} v{} ({})", f.id, f.version, f.title);
        targets.push(ssr::target("function", key, label));
    }
    for s in engine.store().list_schedules().await? {
        let label = format!("schedule #{} {}", s.id, s.title);
        targets.push(ssr::target("schedule", s.id.to_string(), label));
    }
    Ok(targets)
}

#[server]
pub async fn get_access(kind: String, target: String) -> Result<AccessView, AppError> {
    crate::remote::forward_to_worker!(GetAccess { kind, target });
    let (_, engine) = ssr::admin().await?;
    ssr::access_view(&engine, &kind, &target).await
}

/// Replaces the rules a target states with `rules` (JSON); empty rules
/// remove them, so the target inherits again.
#[server]
pub async fn set_access(kind: String, target: String, rules: String) -> Result<(), AppError> {
    crate::remote::forward_to_worker!(SetAccess {
        kind,
        target,
        rules
    });
    let (_, engine) = ssr::admin().await?;
    ssr::set_access(&engine, &kind, &target, &rules).await
}

#[cfg(feature = "ssr")]
mod ssr {
    use worker::Engine;
    use worker::access::{Caller, Kind, Right, StatedRules, sections_of};
    use worker::accounts::User;

    use super::{AccessTarget, AccessView, EffectiveRights};
    use crate::error::AppError;

    /// The signed-in admin and the engine.
    pub async fn admin() -> Result<(User, Engine), AppError> {
        let engine = crate::error::engine()?;
        let me = crate::auth::ssr::require_admin().await?;
        Ok((me, engine))
    }

    /// Refuses an admin's change to their own account that could lock every
    /// admin out.
    pub fn not_yourself(me: &User, user_id: i64, what: &str) -> Result<(), AppError> {
        if me.id == user_id {
            return Err(AppError::Conflict(format!(
                "you cannot {what}; another admin can"
            )));
        }
        Ok(())
    }

    pub async fn user_id(engine: &Engine, name: &str) -> Result<i64, AppError> {
        engine
            .store()
            .find_user(name)
            .await?
            .map(|u| u.user.id)
            .ok_or_else(|| AppError::NotFound(format!("user {name} not found")))
    }

    pub fn target(kind: &str, target: String, label: String) -> AccessTarget {
        AccessTarget {
            kind: kind.to_string(),
            target,
            label,
        }
    }

    fn kind(name: &str) -> Result<Kind, AppError> {
        match name {
            "worker" => Ok(Kind::Worker),
            "function" => Ok(Kind::Function),
            "schedule" => Ok(Kind::Schedule),
            other => Err(AppError::Invalid(format!(
                "kind: `{other}` is not one of worker, function, schedule"
            ))),
        }
    }

    /// The label of an existing target; `NotFound` for one that does not
    /// exist, so no rules are stored for nothing.
    async fn label(engine: &Engine, kind: Kind, target: &str) -> Result<String, AppError> {
        let store = engine.store();
        match kind {
            Kind::Worker if target == worker::access::INLINE_WORKER => {
                Ok(format!("worker {target}"))
            }
            Kind::Function => {
                let (id, version) = target
                    .rsplit_once('@')
                    .and_then(|(id, v)| Some((id, v.parse::<i64>().ok()?)))
                    .ok_or_else(|| {
                        AppError::Invalid(format!("target: `{target}` is not id@version"))
                    })?;
                let f = store.get_function(id, version).await?;
                Ok(format!("function {} v{} ({})", f.id, f.version, f.title))
            }
            Kind::Schedule => {
                let id = target.parse::<i64>().map_err(|_| {
                    AppError::Invalid(format!("target: `{target}` is not a schedule id"))
                })?;
                let s = store.get_schedule(id).await?;
                Ok(format!("schedule #{} {}", s.id, s.title))
            }
            _ => Err(AppError::NotFound(format!("worker {target} not found"))),
        }
    }

    pub async fn access_view(
        engine: &Engine,
        kind_name: &str,
        target: &str,
    ) -> Result<AccessView, AppError> {
        let kind = kind(kind_name)?;
        let label = label(engine, kind, target).await?;
        let store = engine.store();
        let stated = store
            .access_rules(kind, target)
            .await?
            .map(|json| pretty(&json));
        let book = store.rule_book().await?;

        // Each user's rights as the resolver decides them, on the target and,
        // for a schedule, on its runs.
        let schedule = match kind {
            Kind::Schedule => Some(
                store
                    .get_schedule(target.parse().unwrap_or_default())
                    .await?,
            ),
            _ => None,
        };
        let mut effective = Vec::new();
        for user in store.list_users().await? {
            if user.disabled {
                continue;
            }
            let caller = Caller::User {
                name: user.name.clone(),
                groups: user.groups.clone(),
                admin: user.admin,
            };
            let rights = match (&kind, &schedule) {
                (Kind::Worker, _) => {
                    vec![describe(&caller, Kind::Worker, &book.worker_chain(target))]
                }
                (Kind::Function, _) => {
                    let (id, version) = target.rsplit_once('@').unwrap_or_default();
                    let chain = book.function_chain(id, version.parse().unwrap_or_default());
                    vec![describe(&caller, Kind::Function, &chain)]
                }
                (_, Some(s)) => {
                    let chain = book.schedule_chain(s.id, &s.function_id, s.function_version);
                    vec![
                        describe(&caller, Kind::Schedule, &chain),
                        describe(&caller, Kind::Run, &chain),
                    ]
                }
                _ => Vec::new(),
            };
            effective.push(EffectiveRights {
                user: user.name,
                admin: user.admin,
                rights,
            });
        }
        Ok(AccessView {
            target: target_of(kind_name, target, label),
            stated,
            template: template(kind),
            effective,
        })
    }

    fn target_of(kind: &str, target: &str, label: String) -> AccessTarget {
        self::target(kind, target.to_string(), label)
    }

    /// `schedule: view, edit`, or `schedule: none`.
    fn describe(caller: &Caller, kind: Kind, chain: &worker::access::Chain<'_>) -> String {
        let rights: Vec<&str> = caller
            .rights(kind, chain)
            .into_iter()
            .map(Right::name)
            .collect();
        let label = match kind {
            Kind::Worker => "worker",
            Kind::Function => "function",
            Kind::Schedule => "schedule",
            Kind::Run => "runs",
        };
        match rights.is_empty() {
            true => format!("{label}: none"),
            false => format!("{label}: {}", rights.join(", ")),
        }
    }

    /// Every section a target of `kind` may state, each right granted to
    /// nobody: a starting point to fill in.
    fn template(kind: Kind) -> String {
        let nobody = serde_json::json!({ "users": [], "groups": [] });
        let sections: serde_json::Map<String, serde_json::Value> = sections_of(kind)
            .iter()
            .map(|&(name, about)| {
                let rights = Right::ALL
                    .iter()
                    .filter(|r| r.kind() == about)
                    .map(|r| (r.name().to_string(), nobody.clone()))
                    .collect();
                (name.to_string(), serde_json::Value::Object(rights))
            })
            .collect();
        serde_json::to_string_pretty(&sections).unwrap_or_default()
    }

    fn pretty(json: &str) -> String {
        serde_json::from_str::<serde_json::Value>(json)
            .and_then(|v| serde_json::to_string_pretty(&v))
            .unwrap_or_else(|_| json.to_string())
    }

    pub async fn set_access(
        engine: &Engine,
        kind_name: &str,
        target: &str,
        rules: &str,
    ) -> Result<(), AppError> {
        let kind = kind(kind_name)?;
        label(engine, kind, target).await?;
        let store = engine.store();
        let stored = match rules.trim() {
            "" => None,
            json => {
                let stated = StatedRules::parse(kind, json).map_err(AppError::Invalid)?;

                // A rule naming someone who does not exist is most likely a typo.
                let named = stated.grantees();
                let users = store.list_users().await?;
                let groups = store.list_groups().await?;
                if let Some(unknown) = named
                    .users
                    .iter()
                    .find(|n| !users.iter().any(|u| &u.name == *n))
                {
                    return Err(AppError::Invalid(format!(
                        "rules: there is no user `{unknown}`"
                    )));
                }
                if let Some(unknown) = named
                    .groups
                    .iter()
                    .find(|n| !groups.iter().any(|g| &g.name == *n))
                {
                    return Err(AppError::Invalid(format!(
                        "rules: there is no group `{unknown}`"
                    )));
                }
                Some(stated.to_json())
            }
        };
        store
            .set_access_rules(kind, target, stored.as_deref(), engine.now())
            .await?;
        tracing::info!(
            target.kind = kind_name,
            target.id = target,
            "access rules changed"
        );
        Ok(())
    }
}

/// Users and groups.
#[component]
pub fn AdminUsersPage() -> impl IntoView {
    let create = ServerAction::<CreateUser>::new();
    let admin = ServerAction::<SetUserAdmin>::new();
    let disabled = ServerAction::<SetUserDisabled>::new();
    let reset = ServerAction::<ResetPassword>::new();
    let new_group = ServerAction::<CreateGroup>::new();
    let drop_group = ServerAction::<DeleteGroup>::new();
    let add = ServerAction::<AddMember>::new();
    let remove = ServerAction::<RemoveMember>::new();
    let accounts = Resource::new(
        move || {
            (
                create.version().get(),
                admin.version().get(),
                disabled.version().get(),
                new_group.version().get(),
                drop_group.version().get(),
                add.version().get(),
                remove.version().get(),
            )
        },
        |_| list_accounts(),
    );
    let errors = move || {
        [
            create.value().get().and_then(Result::err),
            admin.value().get().and_then(Result::err),
            disabled.value().get().and_then(Result::err),
            reset.value().get().and_then(Result::err),
            new_group.value().get().and_then(Result::err),
            drop_group.value().get().and_then(Result::err),
            add.value().get().and_then(Result::err),
            remove.value().get().and_then(Result::err),
        ]
        .into_iter()
        .flatten()
        .map(|error| view! { <ErrorNotice error /> })
        .collect_view()
    };
    view! {
        <Title text="Users and groups" />
        <section class="page">
            <h1>"Users and groups"</h1>
            {errors}
            {move || reset.value().get().and_then(Result::ok).map(|()| view! {
                <p class="notice notice-ok">"Password reset; the user's sessions have ended."</p>
            })}
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || loaded(accounts.get(), move |a: Accounts| view! {
                    <h2>"Users"</h2>
                    <table class="table" id="users">
                        <thead><tr><th>"User"</th><th>"Role"</th><th>"Groups"</th><th>"Created"</th><th></th></tr></thead>
                        <tbody>
                            {a.users.into_iter().map(|u| view! {
                                <tr data-user=u.name.clone()>
                                    <td>{u.name.clone()}{u.disabled.then(|| view! { <span class="badge badge-cancelled">"disabled"</span> })}</td>
                                    <td>{if u.admin { "admin" } else { "user" }}</td>
                                    <td>{u.groups.join(", ")}</td>
                                    <td>{u.created_at}</td>
                                    <td class="actions">
                                        <ActionForm action=admin>
                                            <input type="hidden" name="user_id" value=u.id />
                                            <input type="hidden" name="admin" value=(!u.admin).to_string() />
                                            <button type="submit" class="secondary">{if u.admin { "Remove admin" } else { "Make admin" }}</button>
                                        </ActionForm>
                                        <ActionForm action=disabled>
                                            <input type="hidden" name="user_id" value=u.id />
                                            <input type="hidden" name="disabled" value=(!u.disabled).to_string() />
                                            <button type="submit" class="secondary">{if u.disabled { "Enable" } else { "Disable" }}</button>
                                        </ActionForm>
                                        <ActionForm action=reset attr:class="inline-form">
                                            <input type="hidden" name="user_id" value=u.id />
                                            <input type="password" name="password" placeholder="new password" autocomplete="new-password" required />
                                            <button type="submit" class="secondary">"Reset password"</button>
                                        </ActionForm>
                                    </td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                    <h2>"Groups"</h2>
                    <table class="table" id="groups">
                        <thead><tr><th>"Group"</th><th>"Members"</th><th></th></tr></thead>
                        <tbody>
                            {a.groups.into_iter().map(|g| {
                                let id = g.id;
                                view! {
                                    <tr data-group=g.name.clone()>
                                        <td>{g.name.clone()}</td>
                                        <td>
                                            {g.members.into_iter().map(|m| view! {
                                                <ActionForm action=remove attr:class="member">
                                                    <input type="hidden" name="group_id" value=id />
                                                    <input type="hidden" name="user" value=m.clone() />
                                                    <span>{m.clone()}</span>
                                                    <button type="submit" class="link" title="Remove from the group">"×"</button>
                                                </ActionForm>
                                            }).collect_view()}
                                        </td>
                                        <td class="actions">
                                            <ActionForm action=add attr:class="inline-form add-member">
                                                <input type="hidden" name="group_id" value=id />
                                                <input type="text" name="user" placeholder="user name" required />
                                                <button type="submit" class="secondary">"Add member"</button>
                                            </ActionForm>
                                            <ActionForm action=drop_group>
                                                <input type="hidden" name="group_id" value=id />
                                                <button type="submit" class="secondary">"Delete group"</button>
                                            </ActionForm>
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                })}
            </Suspense>
            <div class="columns">
                <ActionForm action=create attr:class="form" attr:id="create-user">
                    <h2>"New user"</h2>
                    <label>"User name" <input type="text" name="name" required /></label>
                    <label>"Password (at least 8 characters)" <input type="password" name="password" autocomplete="new-password" required /></label>
                    <label class="check"><input type="checkbox" name="admin" />" Admin"</label>
                    <button type="submit">"Create user"</button>
                </ActionForm>
                <ActionForm action=new_group attr:class="form" attr:id="create-group">
                    <h2>"New group"</h2>
                    <label>"Group name" <input type="text" name="name" required /></label>
                    <button type="submit">"Create group"</button>
                </ActionForm>
            </div>
        </section>
    }
}

/// API keys: made for a user, shown once, revocable.
#[component]
pub fn AdminKeysPage() -> impl IntoView {
    let create = ServerAction::<CreateApiKey>::new();
    let revoke = ServerAction::<RevokeApiKey>::new();
    let keys = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| list_api_keys(),
    );
    view! {
        <Title text="API keys" />
        <section class="page">
            <h1>"API keys"</h1>
            {move || create.value().get().map(|result| match result {
                Ok(new) => view! {
                    <div class="notice notice-ok" id="new-key">
                        <p>"The new key, shown this once: copy it now."</p>
                        <pre class="code mono" id="new-key-value">{new.key}</pre>
                    </div>
                }.into_any(),
                Err(error) => view! { <ErrorNotice error /> }.into_any(),
            })}
            {move || revoke.value().get().and_then(Result::err).map(|error| view! { <ErrorNotice error /> })}
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || loaded(keys.get(), move |keys: Vec<KeyRow>| view! {
                    <table class="table" id="api-keys">
                        <thead><tr><th>"Key"</th><th>"User"</th><th>"Created"</th><th>"Expires"</th><th>"Last used"</th><th>"State"</th><th></th></tr></thead>
                        <tbody>
                            {keys.into_iter().map(|k| {
                                let live = k.state == "live";
                                view! {
                                    <tr>
                                        <td>{k.name}<div class="muted mono">{format!("{}…", k.prefix)}</div></td>
                                        <td>{k.user}</td>
                                        <td>{k.created_at}</td>
                                        <td>{k.expires_at.unwrap_or_else(|| "never".into())}</td>
                                        <td>{k.last_used_at.unwrap_or_else(|| "—".into())}</td>
                                        <td data-state=k.state.clone()>{k.state.clone()}</td>
                                        <td>{live.then(|| view! {
                                            <ActionForm action=revoke>
                                                <input type="hidden" name="key_id" value=k.id />
                                                <button type="submit" class="secondary">"Revoke"</button>
                                            </ActionForm>
                                        })}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                })}
            </Suspense>
            <ActionForm action=create attr:class="form narrow" attr:id="create-key">
                <h2>"New key"</h2>
                <label>"For user" <input type="text" name="user" required /></label>
                <label>"Name (what it is for)" <input type="text" name="name" required /></label>
                <label>"Expires after (days; empty: never)" <input type="number" name="expires_in_days" min="1" max="3650" /></label>
                <button type="submit">"Create key"</button>
            </ActionForm>
        </section>
    }
}

/// The access rules of one worker, function or schedule, with every user's
/// effective rights under them.
#[component]
pub fn AdminAccessPage() -> impl IntoView {
    let query = use_query_map();
    let chosen = move || {
        query.with(|q| {
            let kind = q.get("kind").unwrap_or_else(|| "worker".into());
            let target = q.get("target").unwrap_or_else(|| "inline".into());
            (kind, target)
        })
    };
    let save = ServerAction::<SetAccess>::new();
    let targets = Resource::new(|| (), |_| access_targets());
    let view_of = Resource::new(
        move || (chosen(), save.version().get()),
        |((kind, target), _)| get_access(kind, target),
    );
    view! {
        <Title text="Access rules" />
        <section class="page">
            <h1>"Access rules"</h1>
            <Suspense fallback=|| ()>
                {move || loaded(targets.get(), move |targets: Vec<AccessTarget>| {
                    let (kind, target) = chosen();
                    view! {
                        <ul class="targets" id="access-targets">
                            {targets.into_iter().map(|t| {
                                let current = t.kind == kind && t.target == target;
                                let href = format!("/admin/access?kind={}&target={}", t.kind, t.target);
                                view! { <li><a href=href aria-current=current.then_some("page")>{t.label}</a></li> }
                            }).collect_view()}
                        </ul>
                    }
                })}
            </Suspense>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || loaded(view_of.get(), move |v: AccessView| {
                    let inherits = v.stated.is_none();
                    let text = v.stated.clone().unwrap_or_default();
                    view! {
                        <h2 id="access-target">{v.target.label.clone()}</h2>
                        <p class="muted">{if inherits {
                            "It states no rules of its own: every right is inherited."
                        } else {
                            "The rules it states; a right it does not list is inherited."
                        }}</p>
                        <ActionForm action=save attr:class="form" attr:id="access-form">
                            <input type="hidden" name="kind" value=v.target.kind.clone() />
                            <input type="hidden" name="target" value=v.target.target.clone() />
                            <label>"Rules (JSON; empty to inherit everything)"
                                <textarea name="rules" rows="14" class="mono" spellcheck="false">{textarea_text(&text)}</textarea>
                            </label>
                            <details>
                                <summary>"Every section it may state"</summary>
                                <pre class="code">{v.template.clone()}</pre>
                            </details>
                            <button type="submit" id="save-access">"Save rules"</button>
                            {move || save.value().get().map(|result| match result {
                                Ok(()) => view! { <p class="notice notice-ok">"Rules saved."</p> }.into_any(),
                                Err(error) => view! { <ErrorNotice error /> }.into_any(),
                            })}
                        </ActionForm>
                        <h2>"Effective rights"</h2>
                        <table class="table" id="effective-rights">
                            <thead><tr><th>"User"</th><th>"Rights"</th></tr></thead>
                            <tbody>
                                {v.effective.into_iter().map(|e| view! {
                                    <tr data-user=e.user.clone()>
                                        <td>{e.user.clone()}{e.admin.then_some(" (admin)")}</td>
                                        <td>{e.rights.join(" · ")}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }
                })}
            </Suspense>
        </section>
    }
}
