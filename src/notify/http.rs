//! One attempt to deliver a stored message to its channel: the request (URL, headers, the
//! stored body byte for byte) and what the answer means for the message.

use chrono::{DateTime, Utc};
use reqwest::Method;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use super::webhook;
use crate::config::{ChannelKind, Config, NotifyConfig};

/// The most of an answer's body kept, for `test-notify` and the last error.
const ANSWER_MAX: usize = 2048;

/// How one attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A 2xx answer, with the status and the start of the body.
    Sent { status: u16, answer: String },
    /// Worth another try: a timeout, no connection, 408, 429 or 5xx; not before `after`
    /// when the receiver said so (Retry-After).
    Retry {
        error: String,
        after: Option<DateTime<Utc>>,
    },
    /// Refused for good: any other answer, or a request that cannot be made.
    Failed(String),
}

/// Sends `body` with `headers` and the idempotency `key` to channel `ch`.
pub async fn send(
    cfg: &Config,
    ch: &NotifyConfig,
    key: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Outcome {
    let (method, url) = match target(ch, key) {
        Ok(t) => t,
        Err(e) => return Outcome::Failed(e),
    };
    let map = match header_map(cfg, ch, key, headers, body) {
        Ok(m) => m,
        // A missing or unreadable secret file can be put right; the message waits for it.
        Err(e) => {
            return Outcome::Retry {
                error: e,
                after: None,
            };
        }
    };
    let builder = reqwest::Client::builder()
        .timeout(ch.timeout)
        .connect_timeout(ch.timeout.min(cfg.fetch.connect_timeout))
        // A redirect would carry the body (and its signature) somewhere not configured.
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(cfg.fetch.user_agent.clone());
    // Through `[fetch] proxy`, as fetches go; a proxy variable the environment gets wrong
    // (with proxy = "env") can be put right, so the message waits for it.
    let builder = match crate::source::install_proxy(builder, &cfg.fetch.proxy) {
        Ok(b) => b,
        Err(e) => {
            return Outcome::Retry {
                error: e.to_string(),
                after: None,
            };
        }
    };
    let client = match builder.build() {
        Ok(c) => c,
        Err(e) => return Outcome::Failed(format!("cannot make an HTTP client: {e}")),
    };
    let resp = client
        .request(method, url)
        .headers(map)
        .body(body.to_vec())
        .send()
        .await;
    let resp = match resp {
        Ok(r) => r,
        Err(e) if e.is_timeout() => {
            return Outcome::Retry {
                error: format!("no answer within {:?}", ch.timeout),
                after: None,
            };
        }
        Err(e) => {
            return Outcome::Retry {
                error: format!("cannot connect: {}", without_url(&e)),
                after: None,
            };
        }
    };
    let status = resp.status().as_u16();
    let after = resp
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| crate::schedule::parse_retry_after(v, Utc::now()));
    let answer = read_answer(resp).await;
    match status {
        200..=299 => Outcome::Sent { status, answer },
        408 | 429 | 500..=599 => Outcome::Retry {
            error: format!("HTTP {status}: {answer}"),
            after,
        },
        _ => Outcome::Failed(format!("HTTP {status}: {answer}")),
    }
}

/// The method and URL of a message to `ch`.
fn target(ch: &NotifyConfig, key: &str) -> Result<(Method, url::Url), String> {
    let parse = |u: &Option<String>| -> Result<url::Url, String> {
        url::Url::parse(u.as_deref().unwrap_or_default()).map_err(|e| format!("bad URL: {e}"))
    };
    let push = |mut u: url::Url, segments: &[&str]| -> Result<url::Url, String> {
        u.path_segments_mut()
            .map_err(|()| "the URL cannot take a path".to_string())?
            .pop_if_empty()
            .extend(segments);
        Ok(u)
    };
    Ok(match ch.kind {
        ChannelKind::Webhook | ChannelKind::Slack | ChannelKind::Teams => (Method::POST, parse(&ch.url)?),
        ChannelKind::Ntfy => (
            Method::POST,
            push(parse(&ch.server)?, &[ch.topic.as_deref().unwrap_or_default()])?,
        ),
        ChannelKind::Matrix => (
            Method::PUT,
            push(
                parse(&ch.homeserver)?,
                &[
                    "_matrix",
                    "client",
                    "v3",
                    "rooms",
                    ch.room.as_deref().unwrap_or_default(),
                    "send",
                    "m.room.message",
                    key,
                ],
            )?,
        ),
        ChannelKind::Email => return Err("an email channel is not sent over HTTP".into()),
    })
}

/// The request's headers: the message's own, the idempotency key, and the channel's
/// credentials and signature, read from their files now (never stored, never logged).
fn header_map(
    cfg: &Config,
    ch: &NotifyConfig,
    key: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Result<HeaderMap, String> {
    let dir = cfg.path.parent().unwrap_or(std::path::Path::new("."));
    let secret = |file: &std::path::Path| crate::private::read_secret(&ch.secret_path(file, dir));
    let mut all: Vec<(String, String)> = headers.to_vec();
    all.push(("Idempotency-Key".into(), key.into()));
    match ch.kind {
        ChannelKind::Webhook => {
            all.extend(ch.headers.iter().map(|(k, v)| (k.clone(), v.clone())));
            for (name, file) in &ch.header_files {
                all.push((name.clone(), secret(file)?));
            }
            if let Some(file) = &ch.secret_file {
                let key = secret(file)?;
                all.push((
                    webhook::SIGNATURE_HEADER.into(),
                    webhook::signature(key.as_bytes(), body),
                ));
            }
        }
        ChannelKind::Ntfy => {
            if let Some(file) = &ch.token_file {
                all.push(("Authorization".into(), format!("Bearer {}", secret(file)?)));
            }
        }
        ChannelKind::Matrix => {
            if let Some(file) = &ch.access_token_file {
                all.push(("Authorization".into(), format!("Bearer {}", secret(file)?)));
            }
        }
        _ => {}
    }
    let mut map = HeaderMap::new();
    for (k, v) in all {
        let name = HeaderName::from_bytes(k.as_bytes()).map_err(|_| format!("bad header name {k:?}"))?;
        // The name only: a value may be a secret.
        let value = HeaderValue::from_str(&v).map_err(|_| format!("bad value of header {k}"))?;
        map.insert(name, value);
    }
    Ok(map)
}

/// The start of an answer's body, one line, without control characters.
async fn read_answer(mut resp: reqwest::Response) -> String {
    let mut got: Vec<u8> = Vec::new();
    while got.len() < ANSWER_MAX {
        match resp.chunk().await {
            Ok(Some(c)) => got.extend_from_slice(&c),
            _ => break,
        }
    }
    got.truncate(ANSWER_MAX);
    super::escape::line(&String::from_utf8_lossy(&got), ANSWER_MAX)
}

/// An error without the URL it was for: a webhook URL is often its own secret (Slack's and
/// Teams' are).
fn without_url(e: &reqwest::Error) -> String {
    let mut s = e.to_string();
    if let Some(u) = e.url() {
        s = s.replace(u.as_str(), "(url)");
    }
    let mut source = std::error::Error::source(e);
    while let Some(inner) = source {
        s.push_str(&format!(": {inner}"));
        source = inner.source();
    }
    s
}
