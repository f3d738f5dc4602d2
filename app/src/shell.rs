//! The page shell and the router: one layout around every page.

use leptos::prelude::*;
use leptos_meta::{Link, MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{A, Route, Router, Routes};
use leptos_router::path;

use crate::admin::{AdminAccessPage, AdminKeysPage, AdminUsersPage};
use crate::auth::{ProfilePage, SignInPage, me};
use crate::functions::{FunctionPage, FunctionsPage, UploadPage};
use crate::runs::{RunPage, RunsPage};
use crate::schedules::{EditSchedulePage, NewSchedulePage, SchedulePage, SchedulesPage};
use crate::workers::WorkersPage;

/// The HTML document the server renders around the app.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();

    // Marks the page as interactive, so a browser test knows when clicks count.
    Effect::new(|_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });

    view! {
        <Stylesheet id="enschedule" href="/pkg/enschedule.css" />
        // No icon of its own yet: this stops browsers asking for /favicon.ico.
        <Link rel="icon" href="data:," />
        <Title formatter=|page: String| {
            if page.is_empty() { "Enschedule".to_string() } else { format!("{page} · Enschedule") }
        } />
        <Router>
            <header class="topbar">
                <A href="/" attr:class="brand">
                    "Enschedule"
                </A>
                <nav>
                    <A href="/functions">"Functions"</A>
                    <A href="/schedules">"Schedules"</A>
                    <A href="/runs">"Runs"</A>
                    <A href="/workers">"Workers"</A>
                </nav>
                <SignedInAs />
            </header>
            <main>
                <Routes fallback=|| view! { <NotFound /> }>
                    <Route path=path!("/") view=SchedulesPage />
                    <Route path=path!("/sign-in") view=SignInPage />
                    <Route path=path!("/profile") view=ProfilePage />
                    <Route path=path!("/functions") view=FunctionsPage />
                    <Route path=path!("/functions/upload") view=UploadPage />
                    <Route path=path!("/functions/:id/:version") view=FunctionPage />
                    <Route path=path!("/schedules") view=SchedulesPage />
                    <Route path=path!("/schedules/new") view=NewSchedulePage />
                    <Route path=path!("/schedules/:id") view=SchedulePage />
                    <Route path=path!("/schedules/:id/edit") view=EditSchedulePage />
                    <Route path=path!("/runs") view=RunsPage />
                    <Route path=path!("/runs/:id") view=RunPage />
                    <Route path=path!("/workers") view=WorkersPage />
                    <Route path=path!("/admin/users") view=AdminUsersPage />
                    <Route path=path!("/admin/keys") view=AdminKeysPage />
                    <Route path=path!("/admin/access") view=AdminAccessPage />
                </Routes>
            </main>
        </Router>
    }
}

/// The signed-in user's name, linking to their profile, and for admins the
/// administration pages.
#[component]
fn SignedInAs() -> impl IntoView {
    let me = Resource::new(|| (), |_| me());
    view! {
        <Suspense fallback=|| ()>
            {move || me.get().and_then(Result::ok).flatten().map(|me| view! {
                <nav class="account">
                    {me.admin.then(|| view! {
                        <A href="/admin/users">"Users"</A>
                        <A href="/admin/keys">"API keys"</A>
                        <A href="/admin/access">"Access"</A>
                    })}
                    <A href="/profile" attr:class="whoami" attr:id="whoami">{me.name}</A>
                </nav>
            })}
        </Suspense>
    }
}

#[component]
fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    {
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(http::StatusCode::NOT_FOUND);
        }
    }
    view! {
        <Title text="Not found" />
        <section class="page">
            <h1>"Not found"</h1>
            <p>"There is no page at this address. " <A href="/">"Go to the schedules"</A> "."</p>
        </section>
    }
}
