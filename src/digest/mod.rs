//! Digests: picks the hits not yet mailed, renders them as text and HTML (with the glosses
//! stored for them, see `gloss`; a digest never waits for one), stores the message in the
//! outbox, and delivers it over SMTP (or writes an .eml file when no `[smtp]` is set).
//!
//! Delivery has the guarantees of a mail queue: taking hits into a digest and storing its
//! message happen in one transaction; a message is marked sent only after the server's final
//! 250; 4xx answers, timeouts and dropped connections are retried with backoff for
//! `[digest] retry_for`; 5xx marks it failed. The stored message (and so its Message-ID) is
//! what is re-sent, so a crash between sending and marking costs at most one duplicate that
//! mail clients can recognise.

mod changes;
mod gloss;
mod render;
mod send;

use std::collections::HashMap;
use std::time::SystemTime;

use chrono::{DateTime, Utc};
use lettre::Message;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use sha2::{Digest as _, Sha256};
use tracing::{info, warn};

use crate::config::{Config, MessageKind};
use crate::schedule::{self, Health, HealthInput};
use crate::store::{NewDigest, Queued, Store, StoreError};
pub use render::{
    Change, Content, Copy, Entry, Members, Notice, Severity, Warning, WatchCount, header_safe, html,
    safe_link, shown_title, subject, text,
};
pub use send::{Delivery, check_password, send_message, send_test};

#[derive(Debug, thiserror::Error)]
pub enum DigestError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("bad address {0:?}: {1}")]
    Address(String, String),
    #[error("cannot build the message: {0}")]
    Build(String),
    #[error("SMTP: {0}")]
    Smtp(String),
    #[error("outbox: {0}")]
    Outbox(String),
    #[error("password: {0}")]
    Password(String),
}

/// A digest built but not yet queued.
pub struct Composed {
    pub content: Content,
    pub digest: NewDigest,
    pub hit_ids: Vec<i64>,
    /// The edit and withdrawal events the digest reports.
    pub event_ids: Vec<i64>,
}

/// Links each entry to its story's page when the web view has a public URL.
fn with_story_urls(cfg: &Config, mut entries: Vec<render::Entry>) -> Vec<render::Entry> {
    for e in &mut entries {
        e.story_url = crate::config::story_url(cfg, e.story);
    }
    entries
}

/// Builds the digest of every hit not yet mailed; `None` when there is nothing to send (and
/// `[digest] send_empty` is off).
pub fn compose(cfg: &Config, store: &Store, now: DateTime<Utc>) -> Result<Option<Composed>, DigestError> {
    let d = &cfg.digest;
    let mut pending = store.pending_hits(d.mail_backlog)?;
    pending.retain(|h| mailed(cfg, h, MessageKind::Digest));
    let events = store.pending_events()?;
    if pending.is_empty() && events.is_empty() && !d.send_empty {
        return Ok(None);
    }
    let role = |source: &str| role_of(cfg, source);
    let (entries, watches, stories) = render::entries(
        &pending,
        d.max_per_watch.max(1),
        &cfg.signals,
        &members(cfg, store, &pending)?,
        &role,
    );
    let content = Content {
        entries: with_story_urls(cfg, entries),
        watches,
        stories,
        changes: events.iter().map(|e| changes::change(cfg, e)).collect(),
        warnings: warnings(cfg, store, now)?,
        spikes: spikes(cfg, store, now)?,
        generated: now,
        new_items: distinct_items(&pending),
        zone: Some(cfg.zone()),
        translation: gloss::note(cfg, store, &pending)?,
    };
    let watches: Vec<&str> = content.watches.iter().map(|w| w.watch.as_str()).collect();
    let watches = if watches.is_empty() {
        "no watch".to_string()
    } else {
        watches.join(", ")
    };
    let subject = render::subject(
        &d.subject
            .replace("{hits}", &content.items().to_string())
            .replace("{items}", &content.stories.to_string())
            .replace("{stories}", &content.stories.to_string())
            .replace("{watches}", &watches),
    );
    let hit_ids: Vec<i64> = pending.iter().map(|h| h.id).collect();
    let message_id = message_id(&d.from, &hit_ids, now);
    let digest = render_message(cfg, subject, message_id, &content, now)?;
    Ok(Some(Composed {
        content,
        digest,
        hit_ids,
        event_ids: events.iter().map(|e| e.event.id).collect(),
    }))
}

/// Whether `h` goes to the mail channel in messages of `kind` (see `[[notify]]` routing).
fn mailed(cfg: &Config, h: &crate::store::PendingHit, kind: MessageKind) -> bool {
    cfg.routes(cfg.email_name(), &h.watch, kind)
}

/// The items of each folded story among `pending`, by story, with their sources' roles.
fn members(
    cfg: &Config,
    store: &Store,
    pending: &[crate::store::PendingHit],
) -> Result<Members, DigestError> {
    let mut out = HashMap::new();
    for h in pending.iter().filter(|h| h.folded) {
        if out.contains_key(&h.story) {
            continue;
        }
        let members = store
            .story(h.story)?
            .into_iter()
            .map(|m| render::Copy {
                item: m.item_id,
                role: role_of(cfg, &m.source),
                source: m.source,
                title: m.title,
                link: m.link,
                new: false,
            })
            .collect();
        out.insert(h.story, members);
    }
    Ok(out)
}

/// The role of a source in the config; a source no longer there reads as media.
fn role_of(cfg: &Config, source: &str) -> crate::item::SourceRole {
    cfg.source(source).map(|s| s.role).unwrap_or_default()
}

/// Builds and queues a digest; returns the queued message's id, or `None` if there was
/// nothing to send.
pub fn queue(cfg: &Config, store: &mut Store, now: DateTime<Utc>) -> Result<Option<i64>, DigestError> {
    let Some(c) = compose(cfg, store, now)? else {
        return Ok(None);
    };
    let id = store.enqueue_digest(&c.digest, &c.hit_ids, &c.event_ids, now)?;
    info!(digest = id, hits = c.hit_ids.len(), message_id = %c.digest.message_id, "digest queued");
    Ok(Some(id))
}

/// Queues one alert for the new hits of `alert = "immediate"` watches, if there are any;
/// those hits still go into the next digest, marked as alerted.
pub fn queue_hit_alerts(
    cfg: &Config,
    store: &mut Store,
    now: DateTime<Utc>,
) -> Result<Option<i64>, DigestError> {
    let watches: Vec<&str> = cfg
        .watch
        .iter()
        .filter(|(_, w)| w.alert == Some(crate::watch::Alert::Immediate))
        .map(|(n, _)| n.as_str())
        .collect();
    let mut pending = store.pending_alerts(cfg.digest.mail_backlog, &watches)?;
    // A watch's `alert_roles` keeps the alert to items of those sources' roles; the others
    // wait for the digest, untouched. Watches routed elsewhere (`notify`) are not mailed.
    pending.retain(|h| cfg.alerts(&h.watch, &h.source) && mailed(cfg, h, MessageKind::Alert));
    alert_rules(cfg, store, &mut pending)?;
    // The subject leads with what was decided, not with the reactions to it: an item of an
    // official source, else a story's first item, else the newest.
    let official = |h: &&crate::store::PendingHit| {
        cfg.source(&h.source)
            .is_some_and(|s| s.role == crate::config::SourceRole::Official)
    };
    let Some(first) = pending
        .iter()
        .find(official)
        .or_else(|| pending.iter().find(|h| h.item_id == h.story))
        .or_else(|| pending.first())
    else {
        return Ok(None);
    };
    let role = |source: &str| role_of(cfg, source);
    let (entries, watches, stories) = render::entries(
        &pending,
        usize::MAX,
        &cfg.signals,
        &members(cfg, store, &pending)?,
        &role,
    );
    let content = Content {
        entries: with_story_urls(cfg, entries),
        watches,
        stories,
        generated: now,
        new_items: distinct_items(&pending),
        zone: Some(cfg.zone()),
        ..Default::default()
    };
    let more = if content.items() > 1 {
        format!(" (+{} more)", content.items() - 1)
    } else {
        String::new()
    };
    let subject = render::subject(&format!("sigwatch alert: {}: {}{more}", first.watch, first.title));
    let hit_ids: Vec<i64> = pending.iter().map(|h| h.id).collect();
    let message_id = message_id(&cfg.digest.from, &hit_ids, now).replacen("<digest.", "<alert.", 1);
    let alert = render_message(cfg, subject, message_id, &content, now)?;
    let id = store.enqueue_alert(&alert, &hit_ids, now)?;
    info!(alert = id, hits = hit_ids.len(), "alert queued");
    Ok(Some(id))
}

/// Queues the alerts of immediate watches ([`queue_hit_alerts`]) and those of edits and
/// withdrawals of alerted official items (one per change); returns the last queued id.
pub fn queue_alerts(cfg: &Config, store: &mut Store, now: DateTime<Utc>) -> Result<Option<i64>, DigestError> {
    let hits = queue_hit_alerts(cfg, store, now)?;
    Ok(changes::queue_change_alerts(cfg, store, now)?.or(hits))
}

/// Keeps, of the hits of watches with `alert_rule`s, those whose item meets one of its
/// watch's rules (new controls, list additions); the others wait for the digest, untouched.
/// The rules are read over the item as stored, as the watch's own were when it was polled.
pub fn alert_rules(
    cfg: &Config,
    store: &Store,
    pending: &mut Vec<crate::store::PendingHit>,
) -> Result<(), DigestError> {
    let ruled = |w: &str| cfg.watch.get(w).is_some_and(|w| !w.alert_rule.is_empty());
    if !pending.iter().any(|h| ruled(&h.watch)) {
        return Ok(());
    }
    let Some(watches) = crate::watch::with_alert_rules(&cfg.watch) else {
        return Ok(());
    };
    // Checked when the config was loaded.
    let matcher = crate::watch::Matcher::new(&watches).map_err(|e| DigestError::Build(e.to_string()))?;
    let mut fired: HashMap<i64, Vec<String>> = HashMap::new();
    for h in pending.iter().filter(|h| ruled(&h.watch)) {
        if fired.contains_key(&h.item_id) {
            continue;
        }
        let owners = match store.item(h.item_id)? {
            Some(it) => matcher
                .find(&it.title, &it.summary)
                .into_iter()
                .filter_map(|x| crate::watch::alert_rule_owner(&x.watch).map(String::from))
                .collect(),
            None => Vec::new(),
        };
        fired.insert(h.item_id, owners);
    }
    pending.retain(|h| !ruled(&h.watch) || fired.get(&h.item_id).is_some_and(|o| o.contains(&h.watch)));
    Ok(())
}

/// What one round of delivery did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct DeliveryReport {
    pub sent: u32,
    pub retrying: u32,
    pub failed: u32,
}

/// Delivers queued messages that are due (all queued ones when `all`), oldest first.
pub async fn deliver(
    cfg: &Config,
    store: &mut Store,
    now: DateTime<Utc>,
    all: bool,
) -> Result<DeliveryReport, DigestError> {
    let mut report = DeliveryReport::default();
    for q in store.due_digests((!all).then_some(now))? {
        match send_message(cfg, &q).await {
            Delivery::Sent => {
                store.mark_digest_sent(q.id, Utc::now())?;
                info!(digest = q.id, message_id = %q.message_id, "digest delivered");
                report.sent += 1;
            }
            Delivery::Retry(e) => {
                let age = (now - q.created).to_std().unwrap_or_default();
                if age >= cfg.digest.retry_for {
                    warn!(digest = q.id, error = %e, "digest undeliverable for longer than retry_for; giving up");
                    store.mark_digest_failed(
                        q.id,
                        &format!("gave up after {} attempts: {e}", q.attempts + 1),
                    )?;
                    report.failed += 1;
                } else {
                    let delay = schedule::backoff(
                        q.attempts + 1,
                        std::time::Duration::from_secs(60),
                        std::time::Duration::from_secs(3600),
                        &q.message_id,
                    );
                    let next = now + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::hours(1));
                    warn!(digest = q.id, error = %e, next_attempt = %next, "digest not delivered; will retry");
                    store.mark_digest_retry(q.id, &e, next)?;
                    report.retrying += 1;
                }
            }
            Delivery::Failed(e) => {
                warn!(digest = q.id, error = %e, "digest refused by the server");
                store.mark_digest_failed(q.id, &e)?;
                report.failed += 1;
            }
        }
    }
    Ok(report)
}

/// The complete message for `content`, ready for the outbox.
fn render_message(
    cfg: &Config,
    subject: String,
    message_id: String,
    content: &Content,
    now: DateTime<Utc>,
) -> Result<NewDigest, DigestError> {
    let message = build_message(
        cfg,
        &subject,
        &message_id,
        &render::text(content),
        &render::html(content),
        now,
    )?;
    Ok(NewDigest {
        message_id,
        subject,
        sender: cfg.digest.from.clone(),
        recipients: cfg.digest.to.clone(),
        message: message.formatted(),
    })
}

/// A Message-ID that identifies this digest for good: it is stored with the message, so
/// every resend carries the same one.
fn message_id(from: &str, hit_ids: &[i64], now: DateTime<Utc>) -> String {
    let mut h = Sha256::new();
    h.update(now.timestamp_nanos_opt().unwrap_or_default().to_le_bytes());
    for id in hit_ids {
        h.update(id.to_le_bytes());
    }
    let hash: String = h.finalize()[..8].iter().map(|b| format!("{b:02x}")).collect();
    let domain = from
        .parse::<Mailbox>()
        .map(|m| m.email.domain().to_string())
        .unwrap_or_else(|_| "sigwatch.invalid".into());
    format!("<digest.{}.{hash}@{domain}>", now.format("%Y%m%d%H%M%S"))
}

fn build_message(
    cfg: &Config,
    subject: &str,
    message_id: &str,
    text: &str,
    html: &str,
    now: DateTime<Utc>,
) -> Result<Message, DigestError> {
    let d = &cfg.digest;
    let from: Mailbox = d
        .from
        .parse()
        .map_err(|e| DigestError::Address(d.from.clone(), format!("{e}")))?;
    let mut b = Message::builder()
        .from(from)
        .raw_header(subject_header(subject))
        .message_id(Some(message_id.to_string()))
        .date(SystemTime::from(now));
    for to in &d.to {
        b = b.to(to
            .parse()
            .map_err(|e| DigestError::Address(to.clone(), format!("{e}")))?);
    }
    if d.to.is_empty() {
        // An outbox-only setup still writes a well-formed message.
        b = b.to("sigwatch <sigwatch@localhost>"
            .parse()
            .map_err(|e| DigestError::Address("sigwatch@localhost".into(), format!("{e}")))?);
    }
    b.multipart(MultiPart::alternative_plain_html(
        text.to_string(),
        html.to_string(),
    ))
    .map_err(|e| DigestError::Build(e.to_string()))
}

/// The Subject header for `subject` (already [`render::subject`]). lettre writes a word of
/// ASCII as it stands, so an RFC 2047 encoded-word a feed put in a title (`=?utf-8?b?…?=`)
/// would reach the reader's client as one, to be decoded into whatever it hides (CR/LF,
/// another subject). A subject holding `=?` is therefore encoded whole, and the client shows
/// the text as it was written; the encoder folds its lines below 78 octets.
fn subject_header(subject: &str) -> HeaderValue {
    let name = HeaderName::new_from_ascii_str("Subject");
    if !subject.contains("=?") {
        return HeaderValue::new(name, subject.to_string());
    }
    let mut encoded = String::with_capacity(subject.len() * 2);
    {
        let mut w =
            email_encoding::headers::writer::EmailWriter::new(&mut encoded, "Subject: ".len(), 0, false);
        // Writing to a String cannot fail.
        let _ = email_encoding::headers::rfc2047::encode(subject, &mut w);
    }
    HeaderValue::dangerous_new_pre_encoded(name, subject.to_string(), encoded)
}

/// Failing and stale sources, for the end of the digest.
fn warnings(cfg: &Config, store: &Store, now: DateTime<Utc>) -> Result<Vec<render::Warning>, DigestError> {
    let mut out = Vec::new();
    for r in store.sources()? {
        let Some(conf) = cfg.source(&r.name) else { continue };
        let input = HealthInput {
            ever_fetched: r.last_fetch.is_some(),
            disabled: !conf.enabled || r.disabled_reason.is_some(),
            failing_since: r.failing_since,
            newest_item: r.newest_item,
            last_success: r.last_success,
        };
        let detail = match schedule::health(&input, now, cfg.poll.fail_after, cfg.poll.stale_after) {
            Health::Failing => format!(
                "failing since {}: {}",
                r.failing_since
                    .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
                    .unwrap_or_default(),
                r.last_error.clone().unwrap_or_default()
            ),
            Health::Stale => format!(
                "answers, but its newest item is from {}",
                r.newest_item
                    .map_or("never".to_string(), |t| t.format("%Y-%m-%d").to_string())
            ),
            Health::Disabled if r.disabled_reason.is_some() => r.disabled_reason.clone().unwrap_or_default(),
            _ => continue,
        };
        let health = if r.disabled_reason.is_some() {
            "disabled"
        } else if r.failing_since.is_some() {
            "failing"
        } else {
            "stale"
        };
        out.push(render::Warning {
            source: r.name,
            health: health.into(),
            detail,
        });
    }
    Ok(out)
}

/// The spike lines of `sigwatch trends`, for the top of the digest.
fn spikes(cfg: &Config, store: &Store, now: DateTime<Utc>) -> Result<Vec<String>, DigestError> {
    let today = now.date_naive();
    let days = 30;
    let first = today - chrono::Days::new(days - 1);
    let rows = store.daily_hits(first.and_time(chrono::NaiveTime::MIN).and_utc())?;
    let watches: Vec<String> = cfg.watch.keys().cloned().collect();
    Ok(crate::trends::trends(&rows, &watches, today, days as usize)
        .iter()
        .filter(|t| t.spike)
        .map(crate::trends::spike_line)
        .collect())
}

/// The queued, sent and failed messages, newest first.
pub fn status(store: &Store) -> Result<Vec<Queued>, DigestError> {
    Ok(store.digest_status()?)
}

/// How many items the hits are of: an item in several watches counts once.
fn distinct_items(pending: &[crate::store::PendingHit]) -> usize {
    pending
        .iter()
        .map(|h| h.item_id)
        .collect::<std::collections::HashSet<_>>()
        .len()
}
