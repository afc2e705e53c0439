//! `kind = "ntfy"`: a push notification, `POST {server}/{topic}`, the message in Markdown
//! (feed text escaped), its title, priority and tags in headers. The priority follows the
//! message's severity: 5 for an alert led by an official source, 4 for another alert, 3
//! for a digest.

use base64::Engine as _;

use super::Rendered;
use super::escape::{line, markdown};
use super::payload::{Payload, count};

pub fn render(p: &Payload) -> Rendered {
    let mut text = String::new();
    for s in &p.stories {
        let title = match &s.link {
            Some(l) => format!("[{}]({l})", markdown(&s.title)),
            None => markdown(&s.title),
        };
        let meta = s.meta();
        text.push_str(&format!("- {title} — {}\n", markdown(&meta)));
    }
    let mut footer = format!("sigwatch {}", p.kind);
    if p.more_stories > 0 {
        footer.push_str(&format!(" · {} more", count(p.more_stories, "story", "stories")));
    }
    footer.push_str(&format!(" · ref {}", p.id));
    text.push_str(&markdown(&footer));
    let priority = match p.severity {
        "urgent" => "5",
        "high" => "4",
        _ => "3",
    };
    let tags = match p.kind {
        "alert" => "rotating_light",
        "digest" => "newspaper",
        _ => "white_check_mark",
    };
    let mut headers = vec![
        (
            "Content-Type".to_string(),
            "text/markdown; charset=utf-8".to_string(),
        ),
        ("Markdown".into(), "yes".into()),
        ("Title".into(), title_header(&p.title)),
        ("Priority".into(), priority.into()),
        ("Tags".into(), tags.into()),
    ];
    if let Some(l) = p.links.first() {
        headers.push(("Click".into(), l.clone()));
    }
    Rendered {
        body: text.into_bytes(),
        headers,
    }
}

/// A header value of `title`: ASCII as it stands, else one RFC 2047 encoded-word (which ntfy
/// decodes), so any title makes a valid header of one line.
fn title_header(title: &str) -> String {
    let t = line(title, 200);
    if t.is_ascii() {
        return t;
    }
    format!(
        "=?UTF-8?B?{}?=",
        base64::engine::general_purpose::STANDARD.encode(t.as_bytes())
    )
}
