//! `[[notify]]`: the channels alerts and digests go out on besides mail, and which watches
//! each one carries.
//!
//! The mail of `[smtp]` and `[digest]` is a channel too, named `email` unless a
//! `[[notify]]` table of `kind = "email"` names it otherwise. Routing: a watch with
//! `notify = [...]` goes to exactly the channels it names; a watch without goes to every
//! channel whose `watches` lists it, and to every channel without `watches` (the mail
//! channel is one, so the default is today's: every watch is mailed).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use super::{Config, ConfigError, line_col};
use crate::units::de_duration;

/// The name of the mail channel when no `[[notify]]` of `kind = "email"` names it.
pub const EMAIL: &str = "email";

/// What a channel speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChannelKind {
    /// The mail of `[smtp]` and `[digest]`.
    Email,
    /// A POST of sigwatch's own versioned JSON (docs/notifications.md).
    Webhook,
    /// A Slack (or Mattermost) incoming webhook, Block Kit.
    Slack,
    /// A Microsoft Teams Workflows webhook, with an Adaptive Card.
    Teams,
    /// A message in a Matrix room through the client-server API.
    Matrix,
    /// A push notification of an ntfy topic.
    Ntfy,
}

impl ChannelKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::Email => "email",
            ChannelKind::Webhook => "webhook",
            ChannelKind::Slack => "slack",
            ChannelKind::Teams => "teams",
            ChannelKind::Matrix => "matrix",
            ChannelKind::Ntfy => "ntfy",
        }
    }
}

/// An alert (new hits of an `alert = "immediate"` watch) or a digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageKind {
    Alert,
    Digest,
}

impl MessageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::Alert => "alert",
            MessageKind::Digest => "digest",
        }
    }
}

/// One `[[notify]]` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifyConfig {
    pub name: String,
    pub kind: ChannelKind,
    /// Where webhook, slack and teams messages are POSTed.
    #[serde(default)]
    pub url: Option<String>,
    /// Extra request headers of a webhook, as written.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Extra request headers of a webhook whose values are secrets, each read from a file
    /// (found as `[smtp] password_file` is).
    #[serde(default)]
    pub header_files: BTreeMap<String, PathBuf>,
    /// A webhook's HMAC-SHA256 key: each body is signed, in `X-Sigwatch-Signature`.
    #[serde(default)]
    pub secret_file: Option<PathBuf>,
    /// ntfy: the server (`https://ntfy.sh`) and topic.
    #[serde(default)]
    pub server: Option<String>,
    #[serde(default)]
    pub topic: Option<String>,
    /// ntfy: an access token, sent as a bearer token.
    #[serde(default)]
    pub token_file: Option<PathBuf>,
    /// matrix: the homeserver's base URL, the room id (`!abc:example.org`), and the file
    /// holding the access token of the account that posts.
    #[serde(default)]
    pub homeserver: Option<String>,
    #[serde(default)]
    pub room: Option<String>,
    #[serde(default)]
    pub access_token_file: Option<PathBuf>,
    /// The watches this channel carries (those without their own `notify`); all when absent.
    #[serde(default)]
    pub watches: Option<Vec<String>>,
    #[serde(default)]
    pub alerts_only: bool,
    #[serde(default)]
    pub digests_only: bool,
    /// The first retry waits about this long, each next one twice as long, up to `retry_cap`.
    #[serde(default = "default_retry_base", deserialize_with = "de_duration")]
    pub retry_base: Duration,
    #[serde(default = "default_retry_cap", deserialize_with = "de_duration")]
    pub retry_cap: Duration,
    /// A message not delivered for this long after it was queued is marked failed.
    #[serde(default = "default_retry_for", deserialize_with = "de_duration")]
    pub retry_for: Duration,
    /// Time for one request, answer included.
    #[serde(default = "default_timeout", deserialize_with = "de_duration")]
    pub timeout: Duration,
    /// The most stories one message lists; the rest are counted.
    #[serde(default = "default_max_stories")]
    pub max_stories: usize,
}

fn default_retry_base() -> Duration {
    Duration::from_secs(30)
}
fn default_retry_cap() -> Duration {
    Duration::from_secs(30 * 60)
}
fn default_retry_for() -> Duration {
    Duration::from_secs(24 * 3600)
}
fn default_timeout() -> Duration {
    Duration::from_secs(20)
}
fn default_max_stories() -> usize {
    20
}

impl NotifyConfig {
    /// Whether this channel takes messages of `kind`.
    pub fn takes(&self, kind: MessageKind) -> bool {
        match kind {
            MessageKind::Alert => !self.digests_only,
            MessageKind::Digest => !self.alerts_only,
        }
    }

    /// A secret file's path: absolute as written, else in `$CREDENTIALS_DIRECTORY` when that
    /// is set (systemd's `LoadCredential=`), else beside the config.
    pub fn secret_path(&self, file: &Path, config_dir: &Path) -> PathBuf {
        super::paths::secret_path(file, config_dir)
    }

    /// The secret files this channel reads, with the key naming each.
    pub fn secret_files(&self) -> Vec<(String, &Path)> {
        let mut out: Vec<(String, &Path)> = self
            .header_files
            .iter()
            .map(|(h, p)| (format!("header_files.{h}"), p.as_path()))
            .collect();
        for (key, p) in [
            ("secret_file", &self.secret_file),
            ("token_file", &self.token_file),
            ("access_token_file", &self.access_token_file),
        ] {
            if let Some(p) = p {
                out.push((key.to_string(), p.as_path()));
            }
        }
        out
    }
}

impl Config {
    /// The mail channel's settings: its `[[notify]]` table of `kind = "email"`, if any.
    pub fn email_channel(&self) -> Option<&NotifyConfig> {
        self.notify.iter().find(|c| c.kind == ChannelKind::Email)
    }

    /// The mail channel's name.
    pub fn email_name(&self) -> &str {
        self.email_channel().map_or(EMAIL, |c| c.name.as_str())
    }

    /// The channels that are not mail.
    pub fn chat_channels(&self) -> impl Iterator<Item = &NotifyConfig> {
        self.notify.iter().filter(|c| c.kind != ChannelKind::Email)
    }

    pub fn channel(&self, name: &str) -> Option<&NotifyConfig> {
        self.notify.iter().find(|c| c.name == name)
    }

    /// Whether hits of `watch` go to the channel `name` in messages of `kind`.
    pub fn routes(&self, name: &str, watch: &str, kind: MessageKind) -> bool {
        let channel = self.channel(name);
        if channel.is_some_and(|c| !c.takes(kind)) {
            return false;
        }
        if let Some(list) = self.watch.get(watch).and_then(|w| w.notify.as_ref()) {
            return list.iter().any(|n| n == name);
        }
        match channel.and_then(|c| c.watches.as_ref()) {
            Some(list) => list.iter().any(|w| w == watch),
            // The mail channel without a table, and channels without `watches`, take all.
            None => channel.is_some() || name == self.email_name(),
        }
    }

    /// Whether a hit of `watch` from `source` is alerted: a watch's `alert_roles` keeps its
    /// alerts to items of those sources' roles; the others wait for the digest.
    pub fn alerts(&self, watch: &str, source: &str) -> bool {
        let roles = self
            .watch
            .get(watch)
            .map(|w| w.alert_roles.as_slice())
            .unwrap_or_default();
        roles.is_empty() || self.source(source).is_some_and(|s| roles.contains(&s.role))
    }

    /// Checks the `[[notify]]` tables and every route: names unique and known, each kind's
    /// settings present, URLs http or https.
    pub(super) fn check_notify(&self, text: &str) -> Result<(), ConfigError> {
        let at = |needle: &str, from: usize, message: String| {
            let i = text[from.min(text.len())..]
                .find(needle)
                .map(|i| i + from)
                .or_else(|| text.find(needle));
            let (line, col) = i.map(|i| line_col(text, i)).unwrap_or((1, 1));
            ConfigError::At {
                path: self.path.clone(),
                line,
                col,
                message,
            }
        };
        let mut names: Vec<&str> = Vec::new();
        let mut from = 0;
        for c in &self.notify {
            // Each table's own place: the line of its name, after the previous table's.
            let named = [format!("\"{}\"", c.name), format!("'{}'", c.name)];
            from = named
                .iter()
                .filter_map(|n| text[from..].find(n.as_str()).map(|i| i + from))
                .min()
                .unwrap_or(from);
            let err = |needle: &str, m: String| at(needle, from, m);
            if c.name.trim().is_empty() || c.name.chars().any(|ch| ch.is_control() || ch == ',') {
                return Err(err(
                    "[[notify]]",
                    "notify.name: must be a name, without commas".into(),
                ));
            }
            if names.contains(&c.name.as_str()) {
                return Err(err(
                    &named[0],
                    format!("notify.name: duplicate channel name {:?}", c.name),
                ));
            }
            names.push(&c.name);
            if c.kind == ChannelKind::Email && self.email_channel().is_some_and(|e| e.name != c.name) {
                return Err(err(
                    "kind",
                    "notify.kind: only one channel may be \"email\"".into(),
                ));
            }
            if c.alerts_only && c.digests_only {
                return Err(err(
                    "alerts_only",
                    format!(
                        "notify: channel {:?} sets both alerts_only and digests_only",
                        c.name
                    ),
                ));
            }
            if c.retry_base.is_zero() {
                return Err(err("retry_base", "notify.retry_base: must be more than 0".into()));
            }
            if c.max_stories == 0 {
                return Err(err(
                    "max_stories",
                    "notify.max_stories: must be at least 1".into(),
                ));
            }
            let need: &[(&str, bool)] = match c.kind {
                ChannelKind::Email => &[],
                ChannelKind::Webhook | ChannelKind::Slack | ChannelKind::Teams => &[("url", c.url.is_some())],
                ChannelKind::Matrix => &[
                    ("homeserver", c.homeserver.is_some()),
                    ("room", c.room.is_some()),
                    ("access_token_file", c.access_token_file.is_some()),
                ],
                ChannelKind::Ntfy => &[("server", c.server.is_some()), ("topic", c.topic.is_some())],
            };
            for (key, present) in need {
                if !present {
                    return Err(err(
                        &named[0],
                        format!(
                            "notify.{key}: channel {:?} of kind \"{}\" needs `{key}`",
                            c.name,
                            c.kind.as_str()
                        ),
                    ));
                }
            }
            let allowed: &[&str] = match c.kind {
                ChannelKind::Webhook => &["url", "headers", "header_files", "secret_file"],
                ChannelKind::Slack | ChannelKind::Teams => &["url"],
                ChannelKind::Matrix => &["homeserver", "room", "access_token_file"],
                ChannelKind::Ntfy => &["server", "topic", "token_file"],
                ChannelKind::Email => &[],
            };
            let given = [
                ("url", c.url.is_some()),
                ("headers", !c.headers.is_empty()),
                ("header_files", !c.header_files.is_empty()),
                ("secret_file", c.secret_file.is_some()),
                ("server", c.server.is_some()),
                ("topic", c.topic.is_some()),
                ("token_file", c.token_file.is_some()),
                ("homeserver", c.homeserver.is_some()),
                ("room", c.room.is_some()),
                ("access_token_file", c.access_token_file.is_some()),
            ];
            if let Some((key, _)) = given.iter().find(|(k, g)| *g && !allowed.contains(k)) {
                return Err(err(
                    key,
                    format!(
                        "notify.{key}: a channel of kind \"{}\" has no `{key}`",
                        c.kind.as_str()
                    ),
                ));
            }
            for u in [&c.url, &c.server, &c.homeserver].into_iter().flatten() {
                match url::Url::parse(u) {
                    Ok(p) if matches!(p.scheme(), "http" | "https") && p.host().is_some() => {}
                    _ => {
                        return Err(err(
                            u,
                            format!(
                                "notify: {u:?} of channel {:?} is not an http or https URL",
                                c.name
                            ),
                        ));
                    }
                }
            }
            for h in c.headers.keys().chain(c.header_files.keys()) {
                if reqwest::header::HeaderName::from_bytes(h.as_bytes()).is_err() {
                    return Err(err(h, format!("notify.headers: {h:?} is not a header name")));
                }
            }
            for v in c.headers.values() {
                if reqwest::header::HeaderValue::from_str(v).is_err() {
                    return Err(err(v, format!("notify.headers: {v:?} is not a header value")));
                }
            }
            for w in c.watches.iter().flatten() {
                if !self.watch.contains_key(w) {
                    return Err(err(
                        &format!("\"{w}\""),
                        format!(
                            "notify.watches: channel {:?} names an unknown watch {w:?}",
                            c.name
                        ),
                    ));
                }
            }
        }
        let email = self.email_name();
        for (watch, w) in &self.watch {
            for route in w.notify.iter().flatten() {
                if route != email && self.channel(route).is_none() {
                    let table = [format!("[watch.{watch}]"), format!("[watch.\"{watch}\"]")]
                        .iter()
                        .find_map(|h| text.find(h.as_str()))
                        .unwrap_or(0);
                    let known: Vec<&str> = std::iter::once(email)
                        .chain(self.chat_channels().map(|c| c.name.as_str()))
                        .collect();
                    return Err(at(
                        &format!("\"{route}\""),
                        table,
                        format!(
                            "watch.{watch}.notify: no channel named {route:?} (channels: {})",
                            known.join(", ")
                        ),
                    ));
                }
            }
        }
        Ok(())
    }
}
