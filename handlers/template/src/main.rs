//! `template`: prints a message template with its placeholders filled in,
//! from the data's variables and the run's context.
//!
//! A *placeholder* is `{{name}}`, spaces around the name allowed. There is no
//! escape: a literal `{{` comes from a variable whose value is `{{`.

mod data;

use std::collections::BTreeMap;
use std::fmt;

enschedule_sdk::embed_manifest!();

/// The context values and the environment variables they come from.
const CONTEXT: [(&str, &str); 5] = [
    ("run.id", "ENSCHEDULE_RUN_ID"),
    ("run.attempt", "ENSCHEDULE_ATTEMPT"),
    ("schedule.id", "ENSCHEDULE_SCHEDULE_ID"),
    ("function.id", "ENSCHEDULE_FUNCTION_ID"),
    ("function.version", "ENSCHEDULE_FUNCTION_VERSION"),
];

fn main() {
    enschedule_sdk::run(|data: data::Data| {
        let mut values: BTreeMap<String, String> = CONTEXT
            .iter()
            .filter_map(|(name, var)| Some((name.to_string(), std::env::var(var).ok()?)))
            .collect();
        values.extend(data.variables);

        let text = render(&data.template, &values)?;
        if text.ends_with('\n') {
            print!("{text}");
        } else {
            println!("{text}");
        }
        Ok::<(), RenderError>(())
    })
}

/// Why a template could not be rendered.
#[derive(Debug, PartialEq)]
enum RenderError {
    /// A `{{` at this byte offset has no `}}` after it.
    Unclosed(usize),
    /// Placeholders with no value, each named once, in order of appearance.
    Unknown(Vec<String>),
}

impl fmt::Display for RenderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RenderError::Unclosed(at) => {
                write!(
                    f,
                    "the template's `{{{{` at byte {at} is not closed by `}}}}`"
                )
            }
            RenderError::Unknown(names) => {
                let names: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
                write!(f, "no value for {}", names.join(", "))
            }
        }
    }
}

/// Fills in every placeholder, or names every one that has no value.
fn render(template: &str, values: &BTreeMap<String, String>) -> Result<String, RenderError> {
    let mut text = String::with_capacity(template.len());
    let mut unknown: Vec<String> = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find("{{") {
        text.push_str(&rest[..open]);
        let after = &rest[open + 2..];
        let close = after
            .find("}}")
            .ok_or(RenderError::Unclosed(template.len() - rest.len() + open))?;
        let name = after[..close].trim();
        match values.get(name) {
            Some(value) => text.push_str(value),
            None if !unknown.iter().any(|n| n == name) => unknown.push(name.to_string()),
            None => {}
        }
        rest = &after[close + 2..];
    }
    text.push_str(rest);

    if unknown.is_empty() {
        Ok(text)
    } else {
        Err(RenderError::Unknown(unknown))
    }
}
