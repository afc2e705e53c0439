//! Alerts of changes: an official item that was alerted and is then edited or withdrawn is
//! alerted again, once per change, saying what changed. A reader who acted on a notice must
//! hear that it moved. Items of other roles change often (headlines are retouched) and their
//! changes wait for the digest.

use chrono::{DateTime, Utc};
use tracing::info;

use super::{DigestError, NewDigest, build_message, message_id, render, role_of};
use crate::config::Config;
use crate::item::SourceRole;
use crate::store::{PendingEvent, Store};

/// The longest difference an alert or a digest quotes, in characters: an item rewritten whole
/// is a new text, which `sigwatch show` prints.
const DIFF_MAX: usize = 800;

/// What a digest or an alert shows of an edit or withdrawal.
pub(super) fn change(cfg: &Config, e: &PendingEvent) -> render::Change {
    let mut diff = Vec::new();
    if let Some(before) = &e.before {
        let cut = |s: String| match s.char_indices().nth(DIFF_MAX) {
            Some((at, _)) => format!("{}…", &s[..at]),
            None => s,
        };
        if let Some(d) = crate::diff::inline(&before.title, &e.title) {
            diff.push(("title".to_string(), cut(d)));
        }
        if let Some(d) = crate::diff::inline(&before.text, &e.text) {
            diff.push(("text".to_string(), cut(d)));
        }
    }
    render::Change {
        kind: e.event.kind.clone(),
        detail: e.event.detail.clone(),
        at: e.event.at,
        title: e.title.clone(),
        link: e.link.clone(),
        role: role_of(cfg, &e.source),
        source: e.source.clone(),
        watches: e.watches.clone(),
        show: format!("sigwatch show {}", e.event.item_id),
        diff,
    }
}

/// Queues one alert per edit or withdrawal of an alerted official item not yet alerted;
/// returns the last queued id.
pub(super) fn queue_change_alerts(
    cfg: &Config,
    store: &mut Store,
    now: DateTime<Utc>,
) -> Result<Option<i64>, DigestError> {
    let mut last = None;
    for e in store.pending_change_alerts()? {
        if role_of(cfg, &e.source) != SourceRole::Official {
            continue;
        }
        let verb = match e.event.kind.as_str() {
            "edited" => "Edited",
            "withdrawn" => "Withdrawn",
            _ => continue,
        };
        let change = change(cfg, &e);
        let subject = render::subject(&format!("sigwatch alert: {verb}: {}", e.title));
        let id = message_id(&cfg.digest.from, &[e.event.id], now).replacen("<digest.", "<change.", 1);
        let zone = Some(cfg.zone());
        let text = render::change_text(&change, zone);
        let html = render::change_html(&change, zone);
        let message = build_message(cfg, &subject, &id, &text, &html, now)?;
        let alert = NewDigest {
            message_id: id,
            subject,
            sender: cfg.digest.from.clone(),
            recipients: cfg.digest.to.clone(),
            message: message.formatted(),
        };
        if let Some(id) = store.enqueue_change_alert(&alert, e.event.id, now)? {
            info!(alert = id, item = e.event.item_id, kind = %e.event.kind, "change alert queued");
            last = Some(id);
        }
    }
    Ok(last)
}
