//! The typed configuration: one TOML file, unknown keys rejected, every error located.
//!
//! This module reads the file and validates it; it does no other I/O. Relative paths in the
//! file are relative to the folder the file is in, so a config works wherever it is run from,
//! except where data is kept under systemd (see `paths`).

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::units::{de_duration, de_size};
use crate::watch::WatchSpec;

mod limits;
mod mail;
mod notify;
mod paths;
mod proxy;
mod serve;
mod signals;
mod source;
mod translate;
pub use limits::{LIMITS, Range};
pub use mail::{DigestConfig, Security, SmtpConfig};
pub use notify::{ChannelKind, EMAIL, MessageKind, NotifyConfig};
pub use proxy::{PROXY_SCHEMES, ProxySetting, parse_proxy_url};
pub use serve::{DEFAULT_LISTEN, ServeConfig, story_url};
pub use signals::{DEFAULT_ENTITY_THRESHOLD, DEFAULT_FOLD_THRESHOLD, SignalsConfig};
pub use source::{CREDENTIAL_HEADERS, Headers, Method, SourceConfig, SourceKind, SourceRole};
pub use translate::{TranslateConfig, TranslateKind, primary_language};

/// Where the config is looked for when `--config` is absent, after `$SIGWATCH_CONFIG`.
pub const SEARCH_PATHS: &[&str] = &["sigwatch.toml", "/etc/sigwatch/sigwatch.toml"];

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    /// A syntax, type or validation error at a place in the file.
    #[error("{path}:{line}:{col}: {message}")]
    At {
        path: PathBuf,
        line: usize,
        col: usize,
        message: String,
    },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
    #[error(
        "no config found: pass --config FILE, set $SIGWATCH_CONFIG, or create ./sigwatch.toml or /etc/sigwatch/sigwatch.toml"
    )]
    NotFound,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The zone people read times in: tables, digests, date-only arguments and cron
    /// schedules. An IANA name; without it, the machine's zone. Storage stays UTC.
    #[serde(default)]
    pub timezone: Option<String>,
    #[serde(default)]
    pub storage: StorageConfig,
    #[serde(default)]
    pub fetch: FetchConfig,
    #[serde(default)]
    pub poll: PollConfig,
    #[serde(default, rename = "source")]
    pub sources: Vec<SourceConfig>,
    #[serde(default)]
    pub watch: BTreeMap<String, WatchSpec>,
    /// Without it, digests are written to `[digest] outbox_dir` as .eml files.
    #[serde(default)]
    pub smtp: Option<SmtpConfig>,
    #[serde(default)]
    pub digest: DigestConfig,
    /// `[[notify]]`: channels besides mail (webhooks, chat, push), see [`notify`].
    #[serde(default)]
    pub notify: Vec<NotifyConfig>,
    /// A self-hosted RSSHub that `rsshub = "/route"` sources are fetched from.
    #[serde(default)]
    pub rsshub: Option<RsshubConfig>,
    /// Priority scoring, edit and withdrawal detection, folding of copies.
    #[serde(default)]
    pub signals: SignalsConfig,
    /// The web view (`sigwatch serve`, and `sigwatch run` beside the daemon when set).
    #[serde(default)]
    pub serve: Option<ServeConfig>,
    /// The service that glosses Chinese and Japanese items with hits (docs/translation.md).
    #[serde(default)]
    pub translate: Option<TranslateConfig>,
    /// The file this config was read from.
    #[serde(skip)]
    pub path: PathBuf,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorageConfig {
    /// The SQLite database; a relative path is resolved by [`paths::resolve`].
    #[serde(default = "default_db_path")]
    pub path: PathBuf,
}

impl Default for StorageConfig {
    fn default() -> Self {
        Self {
            path: default_db_path(),
        }
    }
}

fn default_db_path() -> PathBuf {
    PathBuf::from("sigwatch.db")
}

/// Hard limits and manners for every HTTP request.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FetchConfig {
    /// Total time for one request, body included.
    #[serde(default = "default_timeout", deserialize_with = "de_duration")]
    pub timeout: Duration,
    #[serde(default = "default_connect_timeout", deserialize_with = "de_duration")]
    pub connect_timeout: Duration,
    /// Largest body accepted, counted after decompression.
    #[serde(default = "default_max_body", deserialize_with = "de_size")]
    pub max_body: u64,
    /// How many sources are fetched at once.
    #[serde(default = "default_concurrency")]
    pub concurrency: usize,
    #[serde(default = "default_user_agent")]
    pub user_agent: String,
    /// Redirects followed before the fetch fails.
    #[serde(default = "default_max_redirects")]
    pub max_redirects: usize,
    /// `"none"` (the default), `"env"`, or a proxy URL (see docs/operations.md).
    #[serde(default)]
    pub proxy: ProxySetting,
}

impl Default for FetchConfig {
    fn default() -> Self {
        Self {
            timeout: default_timeout(),
            connect_timeout: default_connect_timeout(),
            max_body: default_max_body(),
            concurrency: default_concurrency(),
            user_agent: default_user_agent(),
            max_redirects: default_max_redirects(),
            proxy: ProxySetting::None,
        }
    }
}

fn default_timeout() -> Duration {
    Duration::from_secs(30)
}
fn default_connect_timeout() -> Duration {
    Duration::from_secs(10)
}
fn default_max_body() -> u64 {
    10 * 1024 * 1024
}
fn default_concurrency() -> usize {
    8
}
fn default_max_redirects() -> usize {
    5
}
pub fn default_user_agent() -> String {
    format!(
        "sigwatch/{} (+https://github.com/sigwatch/sigwatch)",
        env!("CARGO_PKG_VERSION")
    )
}

/// `[rsshub]`: where RSSHub runs.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RsshubConfig {
    /// e.g. "http://127.0.0.1:1200"
    pub base: String,
}

/// When sources are polled, and how failing or frozen sources are treated.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PollConfig {
    /// Cron expression for every source without its own `schedule`.
    #[serde(default = "default_poll_schedule")]
    pub schedule: String,
    /// Sources sharing a schedule are spread over up to this much time (and at most half
    /// the schedule's period), so they do not all fire at once.
    #[serde(default = "default_spread", deserialize_with = "de_duration")]
    pub spread: Duration,
    /// A failing source backs off exponentially from its schedule's period up to this.
    #[serde(default = "default_backoff_cap", deserialize_with = "de_duration")]
    pub backoff_cap: Duration,
    /// A source failing for longer than this is flagged as failing.
    #[serde(default = "default_fail_after", deserialize_with = "de_duration")]
    pub fail_after: Duration,
    /// A source whose newest item is older than this is flagged as stale.
    #[serde(default = "default_stale_after", deserialize_with = "de_duration")]
    pub stale_after: Duration,
    /// Requests in flight to one host at a time.
    #[serde(default = "default_per_host")]
    pub per_host: usize,
}

impl Default for PollConfig {
    fn default() -> Self {
        Self {
            schedule: default_poll_schedule(),
            spread: default_spread(),
            backoff_cap: default_backoff_cap(),
            fail_after: default_fail_after(),
            stale_after: default_stale_after(),
            per_host: default_per_host(),
        }
    }
}

fn default_poll_schedule() -> String {
    "*/30 * * * *".into()
}
fn default_spread() -> Duration {
    Duration::from_secs(10 * 60)
}
fn default_backoff_cap() -> Duration {
    Duration::from_secs(24 * 3600)
}
fn default_fail_after() -> Duration {
    Duration::from_secs(24 * 3600)
}
fn default_stale_after() -> Duration {
    Duration::from_secs(14 * 86400)
}
fn default_per_host() -> usize {
    2
}

impl Config {
    /// Finds the config: the explicit path, else `$SIGWATCH_CONFIG`, else [`SEARCH_PATHS`].
    pub fn locate(explicit: Option<&Path>) -> Result<PathBuf, ConfigError> {
        if let Some(p) = explicit {
            return Ok(p.to_path_buf());
        }
        if let Some(p) = std::env::var_os("SIGWATCH_CONFIG").filter(|p| !p.is_empty()) {
            return Ok(PathBuf::from(p));
        }
        SEARCH_PATHS
            .iter()
            .map(PathBuf::from)
            .find(|p| p.is_file())
            .ok_or(ConfigError::NotFound)
    }

    /// Reads, parses and validates the config at `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// Parses and validates config text; `path` names the file in errors and anchors
    /// relative paths.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let mut cfg: Config = toml::from_str(text).map_err(|e| {
            let (line, col) = e.span().map(|s| line_col(text, s.start)).unwrap_or((1, 1));
            let message = e.message().trim().to_string();
            // A value of the wrong type is reported at the value: name its key as well.
            let key = text
                .lines()
                .nth(line - 1)
                .and_then(|l| l.split_once('='))
                .map(|(k, _)| k.trim().trim_matches('"').to_string())
                .filter(|k| !k.is_empty() && !k.starts_with('[') && !message.contains(k.as_str()));
            ConfigError::At {
                path: path.to_path_buf(),
                line,
                col,
                message: match key {
                    Some(k) => format!("{k}: {message}"),
                    None => message,
                },
            }
        })?;
        cfg.path = path.to_path_buf();
        cfg.resolve_rsshub(text)?;
        paths::resolve(&mut cfg, paths::state_directory().as_deref());
        // A relative cookie file is found as a relative [smtp] password_file is: in
        // $CREDENTIALS_DIRECTORY under systemd's LoadCredential=, else beside the config.
        let base = path.parent().unwrap_or(Path::new("."));
        let credentials = std::env::var_os("CREDENTIALS_DIRECTORY").map(PathBuf::from);
        for s in &mut cfg.sources {
            if let Some(p) = s.cookie_file.take() {
                s.cookie_file = Some(if p.is_relative() {
                    credentials.as_deref().unwrap_or(base).join(p)
                } else {
                    p
                });
            }
        }
        cfg.validate(text)?;
        Ok(cfg)
    }

    /// Turns `rsshub = "/route"` into the route's URL on `[rsshub] base`.
    fn resolve_rsshub(&mut self, text: &str) -> Result<(), ConfigError> {
        let base = self
            .rsshub
            .as_ref()
            .map(|r| r.base.trim_end_matches('/').to_string());
        for i in 0..self.sources.len() {
            let name = self.sources[i].name.clone();
            let Some(route) = self.sources[i].rsshub.clone() else {
                continue;
            };
            let err = |message: String| {
                let (line, col) = text.find(&route).map(|i| line_col(text, i)).unwrap_or((1, 1));
                ConfigError::At {
                    path: self.path.clone(),
                    line,
                    col,
                    message,
                }
            };
            if !self.sources[i].url.is_empty() {
                return Err(err(format!(
                    "source.rsshub: source {name:?} has both url and rsshub; give one"
                )));
            }
            let Some(base) = &base else {
                return Err(err(format!(
                    "source.rsshub: source {name:?} names an RSSHub route, but there is no [rsshub] base"
                )));
            };
            let route = if route.starts_with('/') {
                route.clone()
            } else {
                format!("/{route}")
            };
            self.sources[i].url = format!("{base}{route}");
        }
        Ok(())
    }

    fn validate(&self, text: &str) -> Result<(), ConfigError> {
        let at = |needle: &str, message: String| {
            let (line, col) = text.find(needle).map(|i| line_col(text, i)).unwrap_or((1, 1));
            ConfigError::At {
                path: self.path.clone(),
                line,
                col,
                message,
            }
        };
        if let Some(tz) = &self.timezone
            && tz.parse::<chrono_tz::Tz>().is_err()
        {
            return Err(at(
                &format!("\"{tz}\""),
                format!("timezone: {tz:?} is not an IANA time zone such as \"Asia/Shanghai\""),
            ));
        }
        let mut seen = HashSet::new();
        for s in &self.sources {
            if s.name.trim().is_empty() {
                return Err(at("[[source]]", "source.name: must not be empty".into()));
            }
            if !seen.insert(s.name.as_str()) {
                return Err(at(
                    &format!("\"{}\"", s.name),
                    format!("source.name: duplicate source name {:?}", s.name),
                ));
            }
            if s.url.is_empty() {
                return Err(at(
                    &format!("\"{}\"", s.name),
                    format!("source.url: source {:?} needs a url (or an rsshub route)", s.name),
                ));
            }
            match url::Url::parse(&s.url) {
                Ok(u) if matches!(u.scheme(), "http" | "https") => {}
                Ok(u) => {
                    return Err(at(
                        &s.url,
                        format!(
                            "source.url: {:?} of source {:?}: scheme {:?} is not http or https",
                            s.url,
                            s.name,
                            u.scheme()
                        ),
                    ));
                }
                Err(e) => {
                    return Err(at(
                        &s.url,
                        format!("source.url: {:?} of source {:?} is not a URL: {e}", s.url, s.name),
                    ));
                }
            }
        }
        for s in &self.sources {
            if let Some(tz) = &s.timezone
                && tz.parse::<chrono_tz::Tz>().is_err()
            {
                return Err(at(
                    tz,
                    format!(
                        "source.timezone: {tz:?} of source {:?} is not an IANA time zone such as \"Asia/Shanghai\"",
                        s.name
                    ),
                ));
            }
            if s.kind == SourceKind::Json && s.title.is_none() {
                return Err(at(
                    &s.url,
                    format!(
                        "source.title: source {:?} has kind = \"json\" and needs a `title` path",
                        s.name
                    ),
                ));
            }
            if s.kind == SourceKind::Html {
                for (key, sel) in [("item", &s.item), ("title", &s.title)] {
                    if sel.is_none() {
                        return Err(at(
                            &s.url,
                            format!(
                                "source.{key}: source {:?} has kind = \"html\" and needs an `{key}` selector",
                                s.name
                            ),
                        ));
                    }
                }
                for (key, sel) in [
                    ("item", &s.item),
                    ("title", &s.title),
                    ("link", &s.link),
                    ("date", &s.date),
                    ("summary", &s.summary),
                ] {
                    if let Some(sel) = sel
                        && let Err(e) = crate::selector::check(sel)
                    {
                        return Err(at(sel, format!("source.{key}: {e}")));
                    }
                }
            }
            if let Some(sel) = &s.content
                && let Err(e) = crate::selector::check(sel)
            {
                return Err(at(sel, format!("source.content: {e}")));
            }
            if let Err((needle, message)) = s.check_request() {
                return Err(at(&needle, message));
            }
            if let Some(w) = s.weight
                && !(w.is_finite() && w >= 0.0)
            {
                return Err(at(
                    "weight",
                    format!("source.weight: must be a number ≥ 0, not {w}"),
                ));
            }
        }
        for (name, w) in &self.watch {
            if let Some(w) = w.weight
                && !(w.is_finite() && w >= 0.0)
            {
                return Err(at(
                    "weight",
                    format!("watch.{name}.weight: must be a number ≥ 0, not {w}"),
                ));
            }
        }
        for (key, v) in [
            ("fold_threshold", self.signals.fold_threshold),
            ("entity_threshold", self.signals.entity_threshold),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return Err(at(
                    key,
                    format!("signals.{key}: must be between 0 and 1, not {v}"),
                ));
            }
        }
        let schedules = std::iter::once(("poll.schedule", self.poll.schedule.as_str())).chain(
            self.sources
                .iter()
                .filter_map(|s| s.schedule.as_deref().map(|c| ("source.schedule", c))),
        );
        for (key, expr) in schedules {
            if let Err(e) = crate::schedule::CronSchedule::parse_in(expr, self.zone()) {
                return Err(at(&format!("\"{expr}\""), format!("{key}: {e}")));
            }
        }
        if let Some(smtp) = &self.smtp {
            if smtp.security == Security::None && !smtp.is_loopback() {
                return Err(at(
                    "security",
                    format!(
                        "smtp.security: \"none\" sends mail in plain text and is allowed only to a server on this machine, not {:?}",
                        smtp.host
                    ),
                ));
            }
            if smtp.password_file.is_some() && smtp.password_env.is_some() {
                return Err(at(
                    "password_",
                    "smtp: give password_file or password_env, not both".into(),
                ));
            }
            if self.digest.to.is_empty() {
                return Err(at(
                    "[smtp]",
                    "digest.to: list at least one recipient when [smtp] is set".into(),
                ));
            }
        }
        for addr in std::iter::once(&self.digest.from).chain(&self.digest.to) {
            if addr.parse::<lettre::message::Mailbox>().is_err() {
                return Err(at(addr, format!("digest: {addr:?} is not an email address")));
            }
        }
        if let Err(e) = self.digest_schedule() {
            return Err(at(
                &format!("\"{}\"", self.digest.schedule),
                format!("digest.schedule: {e}"),
            ));
        }
        limits::check(self, text)?;
        if let Err((needle, message)) = serve::check(self, text) {
            return Err(at(&needle, message));
        }
        if let Some(t) = &self.translate {
            translate::check(t, &self.path, text)?;
        }
        self.check_notify(text)?;
        for (name, w) in &self.watch {
            if !w.alert_rule.is_empty() && w.alert.is_none() {
                return Err(at(
                    &format!("[[watch.{name}.alert_rule]]"),
                    format!("watch.{name}.alert_rule: needs alert = \"immediate\" in [watch.{name}]"),
                ));
            }
        }
        let checked = crate::watch::Matcher::check(&self.watch).and_then(|_| {
            crate::watch::with_alert_rules(&self.watch)
                .map(|w| crate::watch::Matcher::check(&w))
                .transpose()
        });
        if let Err(e) = checked {
            // Point at the bad token inside its watch's table (or at the table itself); an
            // alert rule's inside its own table.
            let (watch, token) = e.location();
            let heads = match crate::watch::alert_rule_owner(watch) {
                Some(owner) => vec![format!("[[watch.{owner}.alert_rule]]")],
                None => vec![
                    format!("[watch.{watch}]"),
                    format!("[watch.\"{watch}\"]"),
                    format!("[[watch.{watch}."),
                ],
            };
            let table = heads.iter().find_map(|h| text.find(h.as_str()));
            let message = match (crate::watch::alert_rule_owner(watch), &e) {
                (Some(owner), crate::watch::WatchError::Invalid { message, .. }) => {
                    format!("watch.{owner}.alert_rule: {message}")
                }
                _ => e.to_string(),
            };
            let Some(table) = table else {
                return Err(ConfigError::Invalid {
                    path: self.path.clone(),
                    message,
                });
            };
            let at_token = token.and_then(|t| text[table..].find(t)).map(|i| table + i);
            let (line, col) = line_col(text, at_token.unwrap_or(table));
            return Err(ConfigError::At {
                path: self.path.clone(),
                line,
                col,
                message,
            });
        }
        Ok(())
    }

    pub fn source(&self, name: &str) -> Option<&SourceConfig> {
        self.sources.iter().find(|s| s.name == name)
    }

    /// The expression of a source's poll schedule: its own, else `[poll] schedule`.
    pub fn schedule_expr<'a>(&'a self, source: &'a SourceConfig) -> &'a str {
        source.schedule.as_deref().unwrap_or(&self.poll.schedule)
    }

    /// The poll schedule of a source: its own, else `[poll] schedule`, in [`Config::zone`].
    /// Validated at load.
    pub fn schedule_of(&self, source: &SourceConfig) -> crate::schedule::CronSchedule {
        let zone = self.zone();
        crate::schedule::CronSchedule::parse_in(self.schedule_expr(source), zone)
            .or_else(|_| crate::schedule::CronSchedule::parse_in(&default_poll_schedule(), zone))
            .expect("the default schedule parses")
    }

    /// The digest's schedule, in [`Config::zone`].
    pub fn digest_schedule(&self) -> Result<crate::schedule::CronSchedule, crate::schedule::ScheduleError> {
        crate::schedule::CronSchedule::parse_in(&self.digest.schedule, self.zone())
    }

    /// The zone times are shown and schedules evaluated in: `timezone`, else the machine's
    /// (`$TZ`, then the system setting), else UTC.
    pub fn zone(&self) -> chrono_tz::Tz {
        self.timezone
            .as_deref()
            .and_then(|z| z.parse().ok())
            .unwrap_or_else(machine_zone)
    }
}

/// The machine's time zone by IANA name: `$TZ` when it names one, else the system's setting.
pub fn machine_zone() -> chrono_tz::Tz {
    std::env::var("TZ")
        .ok()
        .map(|tz| tz.trim_start_matches(':').to_string())
        .and_then(|tz| tz.parse().ok())
        .or_else(|| iana_time_zone::get_timezone().ok()?.parse().ok())
        .unwrap_or(chrono_tz::Tz::UTC)
}

/// 1-based line and column (in characters) of byte offset `at` in `text`.
fn line_col(text: &str, at: usize) -> (usize, usize) {
    let at = at.min(text.len());
    let before = &text[..text.floor_char_boundary(at)];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

#[cfg(test)]
mod tests;
