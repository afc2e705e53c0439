//! `kind = "slack"`: an incoming-webhook message in Block Kit (which Mattermost's incoming
//! webhooks take too): a header, a section per story, and a context line. Feed text is
//! escaped as Slack asks of every text (`&`, `<`, `>`), so it can neither link nor mention.

use serde_json::{Value, json};

use super::Rendered;
use super::escape::slack;
use super::payload::{Payload, count};

/// Slack cuts a header's plain text at 150 characters.
const HEADER_MAX: usize = 150;
/// Members listed after a story's lead.
const ALSO_MAX: usize = 8;

/// The title as a header's text: escaped, and cut so that the escaped text fits.
fn header(title: &str) -> String {
    let mut keep = HEADER_MAX;
    loop {
        let t = slack(&super::escape::line(title, keep));
        if t.chars().count() <= HEADER_MAX || keep <= 10 {
            return t;
        }
        keep -= 10;
    }
}

pub fn render(p: &Payload) -> Rendered {
    let mut blocks: Vec<Value> = vec![json!({
        "type": "header",
        "text": {"type": "plain_text", "text": header(&p.title), "emoji": false}
    })];
    for s in &p.stories {
        let title = match &s.link {
            Some(l) => format!("*<{l}|{}>*", slack(&s.title)),
            None => format!("*{}*", slack(&s.title)),
        };
        let mut text = format!("{title}\n{}", slack(&s.meta()));
        let also: Vec<String> = s
            .members
            .iter()
            .skip(1)
            .take(ALSO_MAX)
            .map(|m| match &m.link {
                Some(l) => format!("<{l}|{}>", slack(&m.source)),
                None => slack(&m.source),
            })
            .collect();
        if !also.is_empty() {
            text.push_str(&format!("\nAlso: {}", also.join(", ")));
        }
        blocks.push(json!({"type": "section", "text": {"type": "mrkdwn", "text": text}}));
    }
    let mut footer = format!("sigwatch {}", p.kind);
    if p.more_stories > 0 {
        footer.push_str(&format!(" · {} more", count(p.more_stories, "story", "stories")));
    }
    footer.push_str(&format!(" · ref {}", p.id));
    blocks.push(json!({"type": "context", "elements": [{"type": "mrkdwn", "text": slack(&footer)}]}));
    let body = json!({"text": slack(&p.title), "blocks": blocks});
    Rendered {
        body: serde_json::to_vec(&body).unwrap_or_default(),
        headers: vec![("Content-Type".into(), "application/json".into())],
    }
}
