//! Alerts and digests on the channels besides mail (`[[notify]]`): webhooks, Slack, Teams,
//! Matrix and ntfy. It sits at the end of the flow, beside [`crate::digest`], and makes the
//! same promises as mail:
//!
//! - a message is rendered and stored with its idempotency key in the transaction that
//!   takes its hits for that channel, so a hit sent to one channel is still pending for
//!   another, and no channel gets a hit twice;
//! - every attempt sends the stored body as it was stored, with the key as
//!   `Idempotency-Key` (and in the body; Matrix's transaction id), so a crash between
//!   sending and marking costs at most one resend that the receiver can recognise;
//! - timeouts, 408, 429 (after its Retry-After) and 5xx are retried with a backoff from
//!   the channel's `retry_base` (about 30 s: alerts are urgent), doubling up to `retry_cap`,
//!   for `retry_for`; any other answer marks the message failed.

mod escape;
mod http;
mod matrix;
mod ntfy;
pub mod payload;
mod slack;
pub mod story;
mod teams;
mod webhook;

use chrono::{DateTime, Utc};
use sha2::{Digest as _, Sha256};
use tracing::{info, warn};

use crate::config::{ChannelKind, Config, MessageKind, NotifyConfig};
use crate::digest::DeliveryReport;
use crate::store::{Delivery, NewDelivery, PendingHit, Store, StoreError};
pub use http::Outcome;
pub use webhook::SIGNATURE_HEADER;

#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("no channel named {0:?} in the config")]
    Unknown(String),
    #[error("the channel {0:?} is mail: use `sigwatch test-email`")]
    Email(String),
    #[error(transparent)]
    Digest(#[from] crate::digest::DigestError),
}

/// A message as sent: the body and the headers that belong to it.
pub struct Rendered {
    pub body: Vec<u8>,
    pub headers: Vec<(String, String)>,
}

/// Renders `p` for a channel of `kind`.
fn render(kind: ChannelKind, p: &payload::Payload) -> Rendered {
    match kind {
        ChannelKind::Slack => slack::render(p),
        ChannelKind::Teams => teams::render(p),
        ChannelKind::Matrix => matrix::render(p),
        ChannelKind::Ntfy => ntfy::render(p),
        ChannelKind::Webhook | ChannelKind::Email => webhook::render(p),
    }
}

/// Records the config's channels the store has not seen: each takes the hits stored from
/// now on. Called before a poll stores hits, so a new channel's first poll counts.
pub fn register(cfg: &Config, store: &mut Store) -> Result<(), NotifyError> {
    store.register_channels(cfg.chat_channels().map(|c| c.name.as_str()))?;
    Ok(())
}

/// Queues, on every channel that takes alerts, one alert with its new hits of
/// `alert = "immediate"` watches (and `alert_roles`). Returns the messages queued.
pub fn queue_alerts(cfg: &Config, store: &mut Store, now: DateTime<Utc>) -> Result<Vec<i64>, NotifyError> {
    queue(cfg, store, MessageKind::Alert, now)
}

/// Queues, on every channel that takes digests, a digest of the hits it has not had in one.
pub fn queue_digests(cfg: &Config, store: &mut Store, now: DateTime<Utc>) -> Result<Vec<i64>, NotifyError> {
    queue(cfg, store, MessageKind::Digest, now)
}

fn queue(
    cfg: &Config,
    store: &mut Store,
    kind: MessageKind,
    now: DateTime<Utc>,
) -> Result<Vec<i64>, NotifyError> {
    let mut out = Vec::new();
    for ch in cfg.chat_channels() {
        let upto = store.newest_hit()?;
        if !ch.takes(kind) {
            // Such messages are not for it: turning `alerts_only` off later does not send
            // the hits of the time it was on.
            store.pass_channel(&ch.name, kind.as_str(), upto)?;
            continue;
        }
        let watches: Vec<&str> = cfg
            .watch
            .iter()
            .filter(|(_, w)| !w.concept)
            .filter(|(_, w)| kind == MessageKind::Digest || w.alert == Some(crate::watch::Alert::Immediate))
            .map(|(n, _)| n.as_str())
            .filter(|n| cfg.routes(&ch.name, n, kind))
            .collect();
        let mut pending =
            store.channel_pending(&ch.name, kind.as_str(), &watches, cfg.digest.mail_backlog, upto)?;
        if kind == MessageKind::Alert {
            // What alerts by mail alerts here: `alert_roles` and `alert_rule` as there.
            pending.retain(|h| cfg.alerts(&h.watch, &h.source));
            crate::digest::alert_rules(cfg, store, &mut pending)?;
        }
        if !pending.is_empty() {
            match queue_one(cfg, store, ch, kind, &pending, now) {
                Ok(Some(id)) => out.push(id),
                // Another process took some of these hits: the next round sees what is left.
                Ok(None) => continue,
                // One channel's trouble does not hold up the others.
                Err(e) => {
                    warn!(channel = %ch.name, error = %e, "could not queue the message");
                    continue;
                }
            }
        }
        // Every hit up to `upto` is in a message now, or was not for this channel.
        store.pass_channel(&ch.name, kind.as_str(), upto)?;
    }
    Ok(out)
}

fn queue_one(
    cfg: &Config,
    store: &mut Store,
    ch: &NotifyConfig,
    kind: MessageKind,
    pending: &[PendingHit],
    now: DateTime<Utc>,
) -> Result<Option<i64>, NotifyError> {
    let hit_ids: Vec<i64> = pending.iter().map(|h| h.id).collect();
    let key = idempotency_key(&ch.name, kind.as_str(), &hit_ids, now);
    let p = payload::build(cfg, store, &ch.name, kind, &key, pending, ch.max_stories, now)?;
    let r = render(ch.kind, &p);
    let d = NewDelivery {
        channel: ch.name.clone(),
        kind: kind.as_str().into(),
        key: key.clone(),
        summary: p.title.clone(),
        headers: r.headers,
        body: r.body,
    };
    let id = store.enqueue_delivery(&d, &hit_ids, now)?;
    if let Some(id) = id {
        info!(channel = %ch.name, kind = kind.as_str(), delivery = id, hits = hit_ids.len(), key = %key, "message queued");
    }
    Ok(id)
}

/// A key that names this message for good: stored with it, so every attempt carries the
/// same one. Letters, digits and dashes only, so it fits a header and a URL path.
fn idempotency_key(channel: &str, kind: &str, hit_ids: &[i64], now: DateTime<Utc>) -> String {
    let mut h = Sha256::new();
    h.update(channel.as_bytes());
    h.update([0]);
    h.update(kind.as_bytes());
    h.update(now.timestamp_nanos_opt().unwrap_or_default().to_le_bytes());
    for id in hit_ids {
        h.update(id.to_le_bytes());
    }
    let hash: String = h.finalize()[..12].iter().map(|b| format!("{b:02x}")).collect();
    format!("sigwatch-{kind}-{}-{hash}", now.format("%Y%m%d%H%M%S"))
}

/// Delivers every channel's queued messages that are due at `now`, oldest first.
pub async fn deliver(
    cfg: &Config,
    store: &mut Store,
    now: DateTime<Utc>,
) -> Result<DeliveryReport, NotifyError> {
    let mut report = DeliveryReport::default();
    for d in store.due_deliveries(now)? {
        let Some(ch) = cfg.channel(&d.channel).filter(|c| c.kind != ChannelKind::Email) else {
            store.mark_delivery_failed(d.id, "the channel is no longer in the config")?;
            report.failed += 1;
            continue;
        };
        match http::send(cfg, ch, &d.key, &d.headers, &d.body).await {
            Outcome::Sent { status, .. } => {
                store.mark_delivery_sent(d.id, Utc::now())?;
                info!(channel = %d.channel, delivery = d.id, status, key = %d.key, "message delivered");
                report.sent += 1;
            }
            Outcome::Retry { error, after } => {
                let now = Utc::now();
                let age = (now - d.created).to_std().unwrap_or_default();
                if age >= ch.retry_for {
                    warn!(channel = %d.channel, delivery = d.id, error = %error, "undeliverable for longer than retry_for; giving up");
                    store.mark_delivery_failed(
                        d.id,
                        &format!("gave up after {} attempts: {error}", d.attempts + 1),
                    )?;
                    report.failed += 1;
                    continue;
                }
                let next = next_attempt(ch, &d, now, after);
                warn!(channel = %d.channel, delivery = d.id, error = %error, next_attempt = %next, "message not delivered; will retry");
                store.mark_delivery_retry(d.id, &error, next)?;
                report.retrying += 1;
            }
            Outcome::Failed(error) => {
                warn!(channel = %d.channel, delivery = d.id, error = %error, "message refused");
                store.mark_delivery_failed(d.id, &error)?;
                report.failed += 1;
            }
        }
    }
    Ok(report)
}

/// When to try `d` again: the backoff for its attempts so far, and no sooner than the
/// receiver asked.
fn next_attempt(
    ch: &NotifyConfig,
    d: &Delivery,
    now: DateTime<Utc>,
    after: Option<DateTime<Utc>>,
) -> DateTime<Utc> {
    let delay = crate::schedule::backoff(d.attempts + 1, ch.retry_base, ch.retry_cap, &d.key);
    let next = now + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::hours(1));
    after.map_or(next, |a| a.max(next))
}

/// Every channel's messages, newest first.
pub fn status(store: &Store) -> Result<Vec<Delivery>, NotifyError> {
    Ok(store.delivery_status()?)
}

/// Sends a short test message through the channel `name`, now, outside the outbox; the
/// outcome holds the server's answer.
pub async fn send_test(cfg: &Config, name: &str) -> Result<Outcome, NotifyError> {
    if name == cfg.email_name() {
        return Err(NotifyError::Email(name.into()));
    }
    let ch = cfg
        .channel(name)
        .ok_or_else(|| NotifyError::Unknown(name.into()))?;
    let now = Utc::now();
    let key = idempotency_key(name, "test", &[], now);
    let r = render(ch.kind, &payload::test(name, &key, now));
    Ok(http::send(cfg, ch, &key, &r.headers, &r.body).await)
}
