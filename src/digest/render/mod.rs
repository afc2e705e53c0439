//! Rendering a digest as plain text and as HTML that reads well in common mail clients:
//! inline styles only, no scripts, no remote images, every feed string escaped, links only
//! when they are http(s). What is shown is built in `model` (stories, each once, led by the
//! official item), and written by `text` and `html`.

mod change;
mod html;
mod model;
mod text;

pub use change::{change_html, change_text};
pub use html::html;
pub use model::{Change, Content, Copy, Entry, Members, Notice, Severity, Warning, WatchCount, entries};
pub use text::text;

use chrono::{DateTime, Utc};

/// A title as a message shows it: without escape sequences and control characters, and
/// without the bidi overrides and zero-width characters that would make it read otherwise.
pub fn shown_title(title: &str) -> String {
    crate::sanitize::without_invisible(&crate::sanitize::cleaned(title)).into_owned()
}

/// Strips CR, LF and other control characters, for anything that becomes a header, and bidi
/// overrides and zero-width characters.
pub fn header_safe(s: &str) -> String {
    let cleaned: String = s
        .chars()
        .filter(|&c| !crate::sanitize::is_invisible(c))
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    cleaned.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The longest subject, in characters: a title can be any length, and a header line may not
/// pass 998 octets (RFC 5322). Even four-byte characters, encoded, stay below that.
pub const SUBJECT_MAX: usize = 200;

/// A subject made of `s`: [`header_safe`], and cut to [`SUBJECT_MAX`] characters with an
/// ellipsis.
pub fn subject(s: &str) -> String {
    let safe = header_safe(s);
    match safe.char_indices().nth(SUBJECT_MAX - 1) {
        Some((cut, _)) => format!("{}…", &safe[..cut]),
        None => safe,
    }
}

/// The link when it is http(s); anything else (javascript:, data:, file:) is not a link.
pub fn safe_link(link: Option<&str>) -> Option<&str> {
    let l = link?.trim();
    let lower = l.get(..8).unwrap_or(l).to_ascii_lowercase();
    (lower.starts_with("http://") || lower.starts_with("https://")).then_some(l)
}

/// The command that lists every hit of a watch in the digest.
fn list_command(w: &WatchCount) -> String {
    let since = w
        .since
        .map(|d| format!(" --since {}", d.format("%Y-%m-%d")))
        .unwrap_or_default();
    format!("sigwatch hits --watch {}{since} --limit {}", w.watch, w.stories)
}

/// A header line: "3 stories (5 new items) in 2 watches".
fn headline(c: &Content) -> String {
    format!(
        "{} ({}) in {}",
        count(c.stories, "story"),
        count(c.items(), "new item"),
        count(c.watches.len(), "watch")
    )
}

#[cfg(test)]
mod tests;

/// "1 item", "2 items", "2 stories", "2 watches".
fn count(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else if let Some(stem) = what.strip_suffix('y') {
        format!("{n} {stem}ies")
    } else if what.ends_with("ch") || what.ends_with('s') {
        format!("{n} {what}es")
    } else {
        format!("{n} {what}s")
    }
}

/// A time as people read it, in the digest's zone, which is named.
fn when(d: DateTime<Utc>, zone: Option<chrono_tz::Tz>) -> String {
    match zone {
        Some(z) => format!("{} {}", d.with_timezone(&z).format("%Y-%m-%d %H:%M"), z.name()),
        None => d.format("%Y-%m-%d %H:%M UTC").to_string(),
    }
}
