//! `[smtp]` and `[digest]`: how digests are built and where they go.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::units::de_duration;

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    /// TLS from the first byte (port 465).
    Tls,
    /// STARTTLS, required (port 587).
    #[default]
    Starttls,
    /// Plain text; allowed only to a server on this machine.
    None,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    pub host: String,
    /// Defaults to 465 for `tls`, 587 for `starttls`, 25 for `none`.
    #[serde(default)]
    pub port: Option<u16>,
    #[serde(default)]
    pub security: Security,
    #[serde(default)]
    pub username: Option<String>,
    /// A file holding the password (e.g. a systemd credential). A relative path is looked up
    /// in `$CREDENTIALS_DIRECTORY` when that is set, else beside the config file.
    #[serde(default)]
    pub password_file: Option<PathBuf>,
    /// The name of an environment variable holding the password.
    #[serde(default)]
    pub password_env: Option<String>,
}

impl SmtpConfig {
    pub fn port(&self) -> u16 {
        self.port.unwrap_or(match self.security {
            Security::Tls => 465,
            Security::Starttls => 587,
            Security::None => 25,
        })
    }

    /// Whether the host is this machine, where plain text is acceptable.
    pub fn is_loopback(&self) -> bool {
        self.host.eq_ignore_ascii_case("localhost")
            || self.host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
    }

    /// The password file's path, resolved.
    pub fn password_path(&self, config_dir: &Path) -> Option<PathBuf> {
        let p = self.password_file.as_ref()?;
        Some(super::paths::secret_path(p, config_dir))
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DigestConfig {
    /// Cron expression for `sigwatch run` to build and send a digest.
    #[serde(default = "default_digest_schedule")]
    pub schedule: String,
    #[serde(default = "default_from")]
    pub from: String,
    #[serde(default)]
    pub to: Vec<String>,
    /// `{hits}` (new items: an item in several watches counts once), `{stories}` (events:
    /// a story's copies and watches count once; `{items}` is the same) and `{watches}` are
    /// filled in.
    #[serde(default = "default_subject")]
    pub subject: String,
    /// Stories shown per watch (a story is shown when it is among the first of one of its
    /// watches); the digest says how many more there are.
    #[serde(default = "default_max_per_watch")]
    pub max_per_watch: usize,
    /// Send a digest even when there is nothing new.
    #[serde(default)]
    pub send_empty: bool,
    /// Mail the hits of a new source's first fetch (its backlog) too.
    #[serde(default)]
    pub mail_backlog: bool,
    /// How long a digest the server keeps refusing for now (4xx, timeouts) is retried.
    #[serde(default = "default_retry_for", deserialize_with = "de_duration")]
    pub retry_for: Duration,
    /// The deadline for one delivery, from connecting to the server's final answer.
    #[serde(default = "default_send_timeout", deserialize_with = "de_duration")]
    pub send_timeout: Duration,
    /// Without `[smtp]`, messages are written here as .eml files. Relative to the config's
    /// folder; default `outbox` beside the database.
    #[serde(default)]
    pub outbox_dir: Option<PathBuf>,
}

impl Default for DigestConfig {
    fn default() -> Self {
        Self {
            schedule: default_digest_schedule(),
            from: default_from(),
            to: Vec::new(),
            subject: default_subject(),
            max_per_watch: default_max_per_watch(),
            send_empty: false,
            mail_backlog: false,
            retry_for: default_retry_for(),
            send_timeout: default_send_timeout(),
            outbox_dir: None,
        }
    }
}

fn default_digest_schedule() -> String {
    "0 7 * * *".into()
}
fn default_from() -> String {
    "sigwatch <sigwatch@localhost>".into()
}
fn default_subject() -> String {
    "sigwatch: {hits} new items in {watches}".into()
}
fn default_max_per_watch() -> usize {
    25
}
fn default_retry_for() -> Duration {
    Duration::from_secs(3 * 86400)
}
fn default_send_timeout() -> Duration {
    Duration::from_secs(60)
}
