//! `kind = "matrix"`: an `m.notice` (a message bots send, which other bots leave alone) in a
//! room, through the client-server API: `PUT /_matrix/client/v3/rooms/{room}/send/
//! m.room.message/{txnId}`, the idempotency key being the transaction id, so the homeserver
//! itself drops a resend. The HTML body escapes feed text; the plain body is text, and the
//! message says it mentions no one, so an "@room" in a title notifies nobody.

use serde_json::json;

use super::Rendered;
use super::escape::html;
use super::payload::{Payload, count};

/// The event content's key that carries the idempotency key (namespaced, as the spec asks
/// of keys it does not define).
pub const KEY_FIELD: &str = "com.github.sigwatch.idempotency_key";

pub fn render(p: &Payload) -> Rendered {
    let mut plain = format!("{}\n", p.title);
    let mut rich = format!("<p><strong>{}</strong></p>", html(&p.title));
    if !p.stories.is_empty() {
        rich.push_str("<ul>");
    }
    for s in &p.stories {
        let meta = s.meta();
        plain.push_str(&format!("- {} — {meta}", s.title));
        if let Some(l) = &s.link {
            plain.push_str(&format!(" {l}"));
        }
        plain.push('\n');
        let title = match &s.link {
            Some(l) => format!("<a href=\"{}\">{}</a>", html(l), html(&s.title)),
            None => html(&s.title),
        };
        rich.push_str(&format!("<li>{title} — {}</li>", html(&meta)));
    }
    if !p.stories.is_empty() {
        rich.push_str("</ul>");
    }
    let mut footer = format!("sigwatch {}", p.kind);
    if p.more_stories > 0 {
        footer.push_str(&format!(" · {} more", count(p.more_stories, "story", "stories")));
    }
    footer.push_str(&format!(" · ref {}", p.id));
    plain.push_str(&footer);
    rich.push_str(&format!("<p><em>{}</em></p>", html(&footer)));
    let content = json!({
        "msgtype": "m.notice",
        "body": plain,
        "format": "org.matrix.custom.html",
        "formatted_body": rich,
        KEY_FIELD: p.id,
        // Mentions no one: with `m.mentions` present, homeservers leave the legacy rules
        // that notify a whole room for "@room" in the body unapplied.
        "m.mentions": {},
    });
    Rendered {
        body: serde_json::to_vec(&content).unwrap_or_default(),
        headers: vec![("Content-Type".into(), "application/json".into())],
    }
}
