//! Glosses: machine translations of the titles and snippets of Chinese and Japanese items
//! with hits, from the service `[translate]` names (see docs/translation.md).
//!
//! Glossing is never on the way of anything else. It runs after the poll that stored the
//! hits (`sigwatch poll` at its end, bounded by `[translate] timeout`; the daemon as a task
//! of its own, see [`Worker`]; `sigwatch translate` on demand), and what it could not gloss
//! is shown untranslated. Each text is sent once: a stored gloss (or a refusal) is never
//! asked for again, and matching and `rematch` read the original text only.
//!
//! What leaves the machine is the title and snippets of items with hits, and only to the
//! configured URL: the service is the operator's choice, not a feed's, so it is reached
//! without the guard that keeps feeds off local addresses, and redirects are not followed.
//! Characters sent are counted per UTC day in the store; past `max_chars_per_day`, nothing
//! is sent. Glosses are untrusted text like a feed's, cleaned before they are stored.

mod deepl;
mod libretranslate;
mod openai;
mod worker;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use tracing::warn;

use crate::config::{Config, TranslateConfig, TranslateKind, primary_language};
use crate::store::{Store, StoreError};

pub use worker::Worker;

/// The longest piece of one text sent, in characters: a snippet is about 200, and a title
/// that runs on is a feed's fault, not worth the budget.
const MAX_SENT_CHARS: usize = 1000;

/// The longest gloss kept, in characters.
const MAX_GLOSS_CHARS: usize = 2000;

/// The largest answer read from the service.
const MAX_ANSWER_BYTES: usize = 1024 * 1024;

/// Items looked at in one run.
const MAX_ITEMS: usize = 500;

#[derive(Debug, thiserror::Error)]
pub enum TranslateError {
    /// The service cannot answer now (unreachable, too slow, 5xx, 429, the key refused, an
    /// answer not in its API's shape): the run stops and the texts wait for the next.
    #[error("{0}")]
    Unavailable(String),
    /// The service refused this text (413, 422, an empty translation): not asked again.
    #[error("{0}")]
    Refused(String),
    /// The key file cannot be used.
    #[error("{0}")]
    Key(String),
}

/// What glossing needs from the config: the service, and each source's language.
#[derive(Debug, Clone)]
pub struct Plan {
    pub translate: TranslateConfig,
    langs: HashMap<String, Option<String>>,
    key_path: Option<PathBuf>,
    user_agent: String,
    proxy: crate::config::ProxySetting,
    with_backlog: bool,
}

impl Plan {
    /// The plan of `cfg`; `None` without `[translate]`.
    pub fn of(cfg: &Config) -> Option<Plan> {
        let t = cfg.translate.clone()?;
        let dir = cfg.path.parent().unwrap_or(Path::new("."));
        Some(Plan {
            key_path: t.key_path(dir),
            translate: t,
            langs: cfg
                .sources
                .iter()
                .map(|s| (s.name.clone(), s.lang.clone()))
                .collect(),
            user_agent: cfg.fetch.user_agent.clone(),
            proxy: cfg.fetch.proxy.clone(),
            // Hits of a source's first fetch are glossed when they are mailed.
            with_backlog: cfg.digest.mail_backlog,
        })
    }

    /// The language an item of `source` is glossed from: the source's `lang`, else what the
    /// script of `text` says; `None` when that is not one of `languages`.
    pub fn language(&self, source: &str, text: &str) -> Option<String> {
        let lang = match self.langs.get(source).cloned().flatten() {
            Some(l) => primary_language(&l),
            None => script_language(text)?.to_string(),
        };
        self.translate.wants(&lang).then_some(lang)
    }

    pub fn kind(&self) -> TranslateKind {
        self.translate.kind
    }
}

/// The language a text's script says, cheaply: Japanese when it has kana, Chinese when it
/// has Han characters only; `None` when it has neither, or when they are a small part of
/// it (an English headline naming 稀土 is English).
pub fn script_language(text: &str) -> Option<&'static str> {
    let (mut han, mut kana, mut other) = (0usize, 0usize, 0usize);
    for c in text.chars() {
        match c {
            '\u{3040}'..='\u{30FF}' | '\u{31F0}'..='\u{31FF}' | '\u{FF66}'..='\u{FF9D}' => kana += 1,
            '\u{3400}'..='\u{4DBF}'
            | '\u{4E00}'..='\u{9FFF}'
            | '\u{F900}'..='\u{FAFF}'
            | '\u{20000}'..='\u{2EBEF}' => han += 1,
            c if c.is_alphabetic() => other += 1,
            _ => {}
        }
    }
    // A Han character carries about a word: four letters of another script weigh as one.
    let cjk = han + kana;
    if cjk == 0 || cjk * 4 < other {
        return None;
    }
    Some(if kana > 0 { "ja" } else { "zh" })
}

/// What one run of glossing did.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct RunReport {
    /// Texts glossed and stored.
    pub glossed: u64,
    /// Texts the service refused (not asked again).
    pub refused: u64,
    /// Characters sent.
    pub chars: u64,
    /// Items left for a later run.
    pub left: u64,
    /// Why the run stopped before the end.
    pub problem: Option<String>,
}

/// Glosses what is pending: the untaken hits' items (and with `since`, the items with hits
/// dated since then), within `[translate] timeout` and the day's budget. Only errors of the
/// store are errors; the service's are the report's `problem`, also stored for the digest.
pub async fn run(
    plan: &Plan,
    store: &mut Store,
    since: Option<DateTime<Utc>>,
) -> Result<RunReport, StoreError> {
    let t = &plan.translate;
    let deadline = Instant::now() + t.timeout;
    let todo: Vec<_> = store
        .gloss_todo(plan.with_backlog, since, MAX_ITEMS)?
        .into_iter()
        .filter_map(|item| {
            let lang = plan.language(
                &item.source,
                &format!("{}\n{}", item.title, item.texts.join("\n")),
            )?;
            Some((item, lang))
        })
        .collect();
    let mut report = RunReport::default();
    if todo.is_empty() {
        if store.gloss_problem()?.is_some() {
            store.set_gloss_problem(None, Utc::now())?;
        }
        return Ok(report);
    }
    let translator = match Translator::new(plan) {
        Ok(tr) => tr,
        Err(e) => {
            report.left = todo.len() as u64;
            report.problem = Some(e.to_string());
            store.set_gloss_problem(report.problem.as_deref(), Utc::now())?;
            return Ok(report);
        }
    };
    let service = t.kind.as_str();
    'items: for (i, (item, lang)) in todo.iter().enumerate() {
        let day = Utc::now().date_naive();
        let chars: u64 = item.texts.iter().map(|s| sent(s).chars().count() as u64).sum();
        let used = store.gloss_chars(day)?;
        if used.saturating_add(chars) > t.max_chars_per_day {
            report.left = (todo.len() - i) as u64;
            report.problem = Some(format!(
                "the day's budget of {} characters is spent ({used} sent today, UTC)",
                t.max_chars_per_day
            ));
            break;
        }
        for text in &item.texts {
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                report.left = (todo.len() - i) as u64;
                report.problem = Some(format!(
                    "the run took its {} (translate.timeout)",
                    humantime::format_duration(t.timeout)
                ));
                break 'items;
            }
            let piece = sent(text);
            // Counted before it is sent: once sent, it has left the machine either way.
            store.add_gloss_chars(day, piece.chars().count() as u64)?;
            report.chars += piece.chars().count() as u64;
            let answer = tokio::time::timeout(remaining, translator.translate(piece, lang)).await;
            let result = match answer {
                Ok(r) => r,
                Err(_) => Err(TranslateError::Unavailable(format!(
                    "{}: timed out, no answer within the {} left of translate.timeout",
                    translator.endpoint,
                    humantime::format_duration(Duration::from_secs(remaining.as_secs().max(1)))
                ))),
            };
            match result.map(|g| clean_gloss(&g)) {
                Ok(g) if !g.is_empty() => {
                    store.save_gloss(item.item_id, text, Some(&g), service, Utc::now())?;
                    report.glossed += 1;
                }
                Ok(_) | Err(TranslateError::Refused(_)) => {
                    warn!(
                        item = item.item_id,
                        "the translation service refused a text; it is not sent again"
                    );
                    store.save_gloss(item.item_id, text, None, service, Utc::now())?;
                    report.refused += 1;
                }
                Err(e) => {
                    report.left = (todo.len() - i) as u64;
                    report.problem = Some(e.to_string());
                    break 'items;
                }
            }
        }
    }
    store.set_gloss_problem(report.problem.as_deref(), Utc::now())?;
    Ok(report)
}

/// The part of `text` that is sent: at most [`MAX_SENT_CHARS`] characters.
fn sent(text: &str) -> &str {
    match text.char_indices().nth(MAX_SENT_CHARS) {
        Some((cut, _)) => &text[..cut],
        None => text,
    }
}

/// A gloss as it is stored: escape sequences, control and invisible characters out, one
/// line, at most [`MAX_GLOSS_CHARS`] characters.
pub fn clean_gloss(g: &str) -> String {
    let shown = crate::sanitize::without_invisible(&crate::sanitize::cleaned(g)).into_owned();
    let one_line = shown.split_whitespace().collect::<Vec<_>>().join(" ");
    match one_line.char_indices().nth(MAX_GLOSS_CHARS) {
        Some((cut, _)) => format!("{}…", &one_line[..cut]),
        None => one_line,
    }
}

/// Reads the API key from `path`. As for `[smtp] password_file` and a source's
/// `cookie_file`, a file every user can read is refused; errors name the file, never what
/// it holds.
pub fn read_key(path: &Path) -> Result<String, TranslateError> {
    let shown = path.display();
    let meta = std::fs::metadata(path)
        .map_err(|e| TranslateError::Key(format!("cannot read key_file {shown}: {e}")))?;
    if std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o004 != 0 {
        return Err(TranslateError::Key(format!(
            "key_file {shown} is readable by every user; make it private (chmod 600)"
        )));
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| TranslateError::Key(format!("cannot read key_file {shown}: {e}")))?;
    let key = text.trim();
    if key.is_empty() {
        return Err(TranslateError::Key(format!("key_file {shown} is empty")));
    }
    if key.chars().any(char::is_control) {
        return Err(TranslateError::Key(format!(
            "key_file {shown} holds line breaks or control characters"
        )));
    }
    Ok(key.to_string())
}

/// What `sigwatch check` says of `[translate]`: an error when the key file cannot be used,
/// else warnings (a service off this machine and its private network, a key sent in clear).
pub fn check_setup(cfg: &Config) -> Result<Vec<String>, TranslateError> {
    let Some(plan) = Plan::of(cfg) else {
        return Ok(Vec::new());
    };
    if let Some(p) = &plan.key_path {
        read_key(p)?;
    }
    let mut warnings = Vec::new();
    let Ok(url) = plan.translate.endpoint() else {
        return Ok(warnings);
    };
    let host = url
        .host_str()
        .unwrap_or_default()
        .trim_matches(['[', ']'])
        .to_string();
    let port = url.port_or_known_default().unwrap_or(443);
    let addrs: Vec<std::net::IpAddr> = match host.parse::<std::net::IpAddr>() {
        Ok(ip) => vec![ip],
        Err(_) if host.eq_ignore_ascii_case("localhost") => vec![std::net::IpAddr::from([127, 0, 0, 1])],
        Err(_) => match std::net::ToSocketAddrs::to_socket_addrs(&(host.as_str(), port)) {
            Ok(a) => a.map(|a| a.ip()).collect(),
            Err(e) => {
                warnings.push(format!(
                    "translate.url: cannot resolve {host:?} ({e}), so cannot tell whether it is on this machine or its private network"
                ));
                Vec::new()
            }
        },
    };
    if addrs.iter().any(|ip| crate::source::is_public(*ip)) {
        warnings.push(format!(
            "translate.url: {host} is not on this machine or a private network: the titles and snippets of matched items will be sent there"
        ));
    }
    let all_loopback = !addrs.is_empty() && addrs.iter().all(|ip| crate::source::is_loopback(*ip));
    if url.scheme() == "http" && plan.key_path.is_some() && !all_loopback {
        warnings.push(format!(
            "translate.url: the key and the texts go to {host} over plain http; use https"
        ));
    }
    Ok(warnings)
}

/// A client for the configured service.
struct Translator {
    client: reqwest::Client,
    endpoint: url::Url,
    kind: TranslateKind,
    key: Option<String>,
    target: String,
    model: String,
}

impl Translator {
    fn new(plan: &Plan) -> Result<Self, TranslateError> {
        let t = &plan.translate;
        let key = plan.key_path.as_deref().map(read_key).transpose()?;
        let endpoint = t.endpoint().map_err(TranslateError::Unavailable)?;
        // The service is the config's: no guard against local addresses (it often runs
        // beside sigwatch), `[fetch] proxy` as fetches go (a service on loopback is reached
        // direct), and no redirect, which would send the texts elsewhere.
        let builder = reqwest::Client::builder()
            .user_agent(plan.user_agent.clone())
            .connect_timeout(t.timeout.min(Duration::from_secs(10)))
            .timeout(t.timeout)
            .redirect(reqwest::redirect::Policy::none());
        let client = crate::source::install_proxy(builder, &plan.proxy)
            .map_err(|e| TranslateError::Unavailable(e.to_string()))?
            .build()
            .map_err(|e| TranslateError::Unavailable(format!("cannot build the HTTP client: {e}")))?;
        Ok(Translator {
            client,
            endpoint,
            kind: t.kind,
            key,
            target: t.target.trim().to_string(),
            model: t.model.clone().unwrap_or_default(),
        })
    }

    /// The translation of `text` from `lang`, as the service wrote it.
    async fn translate(&self, text: &str, lang: &str) -> Result<String, TranslateError> {
        let key = self.key.as_deref();
        let (body, auth) = match self.kind {
            TranslateKind::Libretranslate => (libretranslate::body(text, lang, &self.target, key), None),
            TranslateKind::Deepl => (
                deepl::body(text, lang, &self.target),
                key.map(deepl::authorization),
            ),
            TranslateKind::Openai => (
                openai::body(text, lang, &self.target, &self.model),
                key.map(|k| format!("Bearer {k}")),
            ),
        };
        let body = serde_json::to_vec(&body).map_err(|e| TranslateError::Refused(e.to_string()))?;
        let mut req = self
            .client
            .post(self.endpoint.clone())
            .header(CONTENT_TYPE, "application/json")
            .body(body);
        if let Some(a) = auth {
            let mut v = HeaderValue::from_str(&a)
                .map_err(|_| TranslateError::Key("the key cannot be sent in a header".into()))?;
            v.set_sensitive(true);
            req = req.header(AUTHORIZATION, v);
        }
        let unavailable =
            |what: String| TranslateError::Unavailable(self.scrub(&format!("{}: {what}", self.endpoint)));
        let mut resp = req.send().await.map_err(|e| unavailable(root_cause(&e)))?;
        let status = resp.status();
        let mut bytes = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| unavailable(root_cause(&e)))? {
            if bytes.len() + chunk.len() > MAX_ANSWER_BYTES {
                return Err(unavailable(format!(
                    "an answer larger than {MAX_ANSWER_BYTES} bytes"
                )));
            }
            bytes.extend_from_slice(&chunk);
        }
        if !status.is_success() {
            let said = clean_gloss(&String::from_utf8_lossy(&bytes));
            let said: String = said.chars().take(200).collect();
            let what = format!(
                "HTTP {}{}",
                status.as_u16(),
                if said.is_empty() {
                    String::new()
                } else {
                    format!(": {said}")
                }
            );
            return Err(match status.as_u16() {
                413 | 422 => TranslateError::Refused(self.scrub(&what)),
                _ => unavailable(what),
            });
        }
        let v: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|e| unavailable(format!("an answer that is not JSON ({e})")))?;
        let text = match self.kind {
            TranslateKind::Libretranslate => libretranslate::answer(&v),
            TranslateKind::Deepl => deepl::answer(&v),
            TranslateKind::Openai => openai::answer(&v),
        };
        text.map(str::to_string).ok_or_else(|| {
            unavailable(format!(
                "an answer not in the shape of the {} API",
                self.kind.as_str()
            ))
        })
    }

    /// `s` without the key, should a server have echoed it.
    fn scrub(&self, s: &str) -> String {
        match self.key.as_deref() {
            Some(k) if k.len() >= 4 => s.replace(k, "[key]"),
            _ => s.to_string(),
        }
    }
}

/// The innermost cause of a reqwest error, which says what went wrong (refused, timed out).
fn root_cause(e: &reqwest::Error) -> String {
    let mut msg = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        msg = s.to_string();
        src = s.source();
    }
    if e.is_timeout() {
        format!("timed out ({msg})")
    } else {
        msg
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_say_the_language() {
        assert_eq!(
            script_language("商务部公告2026年第61号 关于对部分中重稀土相关物项实施出口管制的决定"),
            Some("zh")
        );
        assert_eq!(
            script_language("経済産業省、レアアースの輸出管理を強化"),
            Some("ja")
        );
        assert_eq!(script_language("China curbs rare earth exports"), None);
        assert_eq!(
            script_language("China's new 稀土 rules take effect in December"),
            None
        );
        assert_eq!(script_language("2026-11-27"), None);
        assert_eq!(script_language(""), None);
    }

    #[test]
    fn glosses_are_cleaned_to_one_line() {
        assert_eq!(
            clean_gloss("  Rare\u{1b}[31m earth\n\nexports\u{202e} "),
            "Rare earth exports"
        );
        assert_eq!(
            clean_gloss(&"x".repeat(5000)).chars().count(),
            MAX_GLOSS_CHARS + 1
        );
        assert_eq!(sent(&"稀".repeat(3000)).chars().count(), MAX_SENT_CHARS);
    }

    #[test]
    fn a_key_file_is_read_privately_and_never_shown() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("k");
        std::fs::write(&p, "SECRET-KEY\n").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = read_key(&p).unwrap_err().to_string();
        assert!(
            e.contains("readable by every user") && !e.contains("SECRET"),
            "{e}"
        );
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(read_key(&p).unwrap(), "SECRET-KEY");
        std::fs::write(&p, "SECRET\r\nX: y").unwrap();
        let e = read_key(&p).unwrap_err().to_string();
        assert!(e.contains("control characters") && !e.contains("SECRET"), "{e}");
    }
}
