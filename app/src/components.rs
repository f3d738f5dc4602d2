//! Pieces shared by the pages: status badges, errors, JSON and log views.

use leptos::prelude::*;

use crate::error::AppError;

/// A run or schedule status as a coloured badge.
#[component]
pub fn StatusBadge(#[prop(into)] status: String) -> impl IntoView {
    let class = format!("badge badge-{status}");
    let label = status.replace('_', " ");
    view! { <span class=class data-status=status>{label}</span> }
}

/// An error from a server function, as a notice on the page.
#[component]
pub fn ErrorNotice(error: AppError) -> impl IntoView {
    view! {
        <p class="notice notice-error" role="alert">
            {error.to_string()}
        </p>
    }
}

/// Shows `children` for a loaded value, or the error that prevented it.
pub fn loaded<T, V>(result: Option<Result<T, AppError>>, view: impl FnOnce(T) -> V) -> AnyView
where
    V: IntoView + 'static,
{
    match result {
        None => view! { <p class="muted">"Loading…"</p> }.into_any(),
        Some(Err(error)) => view! { <ErrorNotice error /> }.into_any(),
        Some(Ok(value)) => view(value).into_any(),
    }
}

/// The IANA timezone the browser runs in; `None` on the server, which
/// cannot know the viewer's zone.
pub fn browser_timezone() -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        let format =
            js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new());
        let options = format.resolved_options();
        js_sys::Reflect::get(&options, &"timeZone".into())
            .ok()
            .and_then(|zone| zone.as_string())
    }
    #[cfg(not(feature = "hydrate"))]
    {
        None
    }
}

/// Text for a `<textarea>`'s content. The renderer writes a textarea's
/// children as they are (the browser reads them as text), so text holding
/// `</textarea>` could end the element and inject markup: on the server it
/// is escaped; in the browser it becomes a text node, which needs nothing.
pub fn textarea_text(text: &str) -> String {
    #[cfg(feature = "ssr")]
    {
        text.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    }
    #[cfg(not(feature = "ssr"))]
    {
        text.to_string()
    }
}

/// Pretty-printed JSON in a block.
#[component]
pub fn JsonBlock(#[prop(into)] json: String) -> impl IntoView {
    view! { <pre class="code">{json}</pre> }
}

/// One line of captured output, with the instant it was written.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LogLine {
    pub at: String,
    pub text: String,
}

/// A captured output stream as the page shows it.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct Log {
    pub lines: Vec<LogLine>,
    pub total_bytes: u64,
    pub omitted_bytes: u64,
    /// The index of the first line after the omitted bytes.
    pub omitted_before_line: Option<usize>,
    /// Lines kept but not shown, so the page stays light: how many, and the
    /// index of the first line shown after them.
    pub hidden: Option<(usize, usize)>,
}

/// A log viewer: timestamped lines, with a marker where output was omitted.
#[component]
pub fn LogView(#[prop(into)] name: String, log: Log) -> impl IntoView {
    let empty = log.lines.is_empty();
    let stream = name.clone();
    let marker = log.omitted_before_line;
    let omitted = log.omitted_bytes;
    let hidden = log.hidden;
    let lines = log
        .lines
        .into_iter()
        .enumerate()
        .map(|(index, line)| {
            let gap = (marker == Some(index)).then(|| {
                view! {
                    <div class="log-omitted">
                        {format!("… {omitted} bytes left out …")}
                    </div>
                }
            });
            let not_shown = hidden.filter(|(_, before)| *before == index).map(|(count, _)| {
                view! {
                    <div class="log-omitted log-hidden">
                        {format!("… {count} lines not shown here (the API serves every line) …")}
                    </div>
                }
            });
            view! {
                {gap}
                {not_shown}
                <div class="log-line">
                    <time class="log-time">{line.at}</time>
                    <span class="log-text">{line.text}</span>
                </div>
            }
        })
        .collect_view();
    view! {
        <section class="log" data-stream=stream>
            <h3>{name} <span class="muted">{format!(" {} bytes", log.total_bytes)}</span></h3>
            {if empty {
                view! { <p class="muted">"No output."</p> }.into_any()
            } else {
                view! { <div class="log-body">{lines}</div> }.into_any()
            }}
        </section>
    }
}

/// An instant as the dashboard shows it: UTC, to the second.
#[cfg(feature = "ssr")]
pub fn show_instant(instant: chrono::DateTime<chrono::Utc>) -> String {
    instant.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}
