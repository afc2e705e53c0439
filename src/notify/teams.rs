//! `kind = "teams"`: a message for a Microsoft Teams Workflows webhook ("When a Teams
//! webhook request is received"), carrying an Adaptive Card. TextBlocks read a subset of
//! Markdown, so feed text is Markdown-escaped.

use serde_json::{Value, json};

use super::Rendered;
use super::escape::markdown;
use super::payload::{Payload, count};

pub fn render(p: &Payload) -> Rendered {
    let mut body: Vec<Value> = vec![json!({
        "type": "TextBlock", "text": markdown(&p.title), "weight": "Bolder", "size": "Medium", "wrap": true
    })];
    for s in &p.stories {
        let title = match &s.link {
            Some(l) => format!("[{}]({l})", markdown(&s.title)),
            None => markdown(&s.title),
        };
        body.push(json!({"type": "TextBlock", "text": title, "wrap": true, "separator": true}));
        let mut meta = s.meta();
        if s.members.len() > 1 {
            let also: Vec<&str> = s.members.iter().skip(1).map(|m| m.source.as_str()).collect();
            meta.push_str(&format!(" · also {}", also.join(", ")));
        }
        body.push(json!({"type": "TextBlock", "text": markdown(&meta), "isSubtle": true, "spacing": "None", "wrap": true}));
    }
    let mut footer = format!("sigwatch {}", p.kind);
    if p.more_stories > 0 {
        footer.push_str(&format!(" · {} more", count(p.more_stories, "story", "stories")));
    }
    footer.push_str(&format!(" · ref {}", p.id));
    body.push(json!({"type": "TextBlock", "text": markdown(&footer), "isSubtle": true, "size": "Small", "wrap": true}));
    let message = json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": {
                "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                "type": "AdaptiveCard",
                "version": "1.4",
                "body": body
            }
        }]
    });
    Rendered {
        body: serde_json::to_vec(&message).unwrap_or_default(),
        headers: vec![("Content-Type".into(), "application/json".into())],
    }
}
