//! HTTP fetching with hard limits: connect and total timeouts, bounded redirects, a body cap
//! counted after decompression, and conditional GET.
//!
//! Redirects are followed here rather than by the HTTP client, so that every hop counts
//! against the limit, a loop is cut off, and a chain of permanent redirects (301/308) can be
//! reported for the source's URL to be updated.

use std::time::Duration;

use reqwest::header::{
    ETAG, HeaderMap, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED, LOCATION, RETRY_AFTER,
};
use reqwest::{StatusCode, redirect};

use super::{SourceError, guard};
use crate::config::FetchConfig;

/// The validators a server gave for the last body, stored and sent back byte for byte.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// What one fetch produced.
#[derive(Debug)]
pub enum Fetched {
    /// 304: nothing changed since the validators were given.
    NotModified {
        /// Set when every redirect on the way was permanent: the source's new URL.
        moved_to: Option<String>,
    },
    Body {
        /// The raw body, decompressed, never decoded.
        bytes: Vec<u8>,
        content_type: Option<String>,
        validators: Validators,
        /// The URL after redirects.
        final_url: String,
        status: u16,
        /// Set when every redirect on the way was permanent: the source's new URL.
        moved_to: Option<String>,
    },
}

/// A shared HTTP client configured from `[fetch]`.
#[derive(Debug, Clone)]
pub struct Fetcher {
    /// For ordinary sources: resolves to public addresses only.
    client: reqwest::Client,
    /// For sources on loopback or marked `allow_local`.
    local_client: reqwest::Client,
    timeout: Duration,
    max_body: u64,
    max_redirects: usize,
}

impl Fetcher {
    pub fn new(cfg: &FetchConfig) -> Result<Self, SourceError> {
        let builder = || {
            reqwest::Client::builder()
                .user_agent(cfg.user_agent.clone())
                .connect_timeout(cfg.connect_timeout)
                .timeout(cfg.timeout)
                .redirect(redirect::Policy::none())
                .gzip(true)
                .deflate(true)
        };
        let client = builder()
            .dns_resolver(std::sync::Arc::new(guard::PublicOnly))
            .build()
            .map_err(|e| SourceError::Http(root_cause(&e)))?;
        let local_client = builder().build().map_err(|e| SourceError::Http(root_cause(&e)))?;
        Ok(Self {
            client,
            local_client,
            timeout: cfg.timeout,
            max_body: cfg.max_body,
            max_redirects: cfg.max_redirects,
        })
    }

    /// Fetches `url`, sending `validators` as If-None-Match / If-Modified-Since. The whole
    /// fetch, redirects and body included, ends within the configured timeout.
    pub async fn fetch(&self, url: &str, validators: &Validators) -> Result<Fetched, SourceError> {
        self.fetch_allowing(url, validators, false).await
    }

    /// [`Fetcher::fetch`]; with `allow_local`, private and loopback addresses may be fetched
    /// (they always may when `url` itself is on loopback).
    pub async fn fetch_allowing(
        &self,
        url: &str,
        validators: &Validators,
        allow_local: bool,
    ) -> Result<Fetched, SourceError> {
        match tokio::time::timeout(self.timeout, self.fetch_inner(url, validators, allow_local)).await {
            Ok(r) => r,
            Err(_) => Err(SourceError::Timeout(self.timeout)),
        }
    }

    async fn fetch_inner(
        &self,
        url: &str,
        validators: &Validators,
        allow_local: bool,
    ) -> Result<Fetched, SourceError> {
        let mut url = parse_http_url(url)?;
        // A source on loopback (RSSHub beside sigwatch) may be fetched, and may redirect to
        // loopback, but its redirects elsewhere are held to the public-address rule like any
        // other source's: a local service must not steer sigwatch at 169.254.169.254.
        let on_loopback = guard::is_loopback_url(&url);
        let mut hops = 0;
        let mut all_permanent = true;
        loop {
            // Every hop is checked before it is requested.
            let local = allow_local || (on_loopback && guard::is_loopback_url(&url));
            if !local {
                guard::check_target(&url).map_err(SourceError::Refused)?;
            }
            let client = if local { &self.local_client } else { &self.client };
            let mut req = client.get(url.clone());
            if let Some(e) = &validators.etag {
                req = req.header(IF_NONE_MATCH, e.as_str());
            }
            if let Some(lm) = &validators.last_modified {
                req = req.header(IF_MODIFIED_SINCE, lm.as_str());
            }
            let mut resp = req.send().await.map_err(|e| self.classify(e))?;
            let status = resp.status();
            let moved_to = || (hops > 0 && all_permanent).then(|| url.to_string());
            if status.is_redirection() && status != StatusCode::NOT_MODIFIED {
                hops += 1;
                if hops > self.max_redirects {
                    return Err(SourceError::TooManyRedirects(self.max_redirects));
                }
                all_permanent &= matches!(
                    status,
                    StatusCode::MOVED_PERMANENTLY | StatusCode::PERMANENT_REDIRECT
                );
                let location = header(resp.headers(), LOCATION).ok_or_else(|| SourceError::Status {
                    status: status.as_u16(),
                    reason: Some("redirect without a Location".into()),
                    retry_after: None,
                })?;
                url = url
                    .join(&location)
                    .map_err(|e| SourceError::Url(format!("redirect to {location:?}: {e}")))?;
                url = parse_http_url(url.as_str())?;
                continue;
            }
            if status == StatusCode::NOT_MODIFIED {
                return Ok(Fetched::NotModified { moved_to: moved_to() });
            }
            if !status.is_success() {
                return Err(SourceError::Status {
                    status: status.as_u16(),
                    reason: status.canonical_reason().map(String::from),
                    retry_after: header(resp.headers(), RETRY_AFTER),
                });
            }
            // The declared length is only a hint (it counts compressed bytes), but a body
            // declared over the cap is refused before it is read.
            if resp.content_length().is_some_and(|n| n > self.max_body) && !is_compressed(resp.headers()) {
                return Err(SourceError::TooLarge { limit: self.max_body });
            }
            let headers = resp.headers().clone();
            let mut bytes = Vec::new();
            while let Some(chunk) = resp.chunk().await.map_err(|e| self.classify(e))? {
                if bytes.len() as u64 + chunk.len() as u64 > self.max_body {
                    return Err(SourceError::TooLarge { limit: self.max_body });
                }
                bytes.extend_from_slice(&chunk);
            }
            return Ok(Fetched::Body {
                bytes,
                content_type: header(&headers, reqwest::header::CONTENT_TYPE),
                validators: Validators {
                    etag: header(&headers, ETAG),
                    last_modified: header(&headers, LAST_MODIFIED),
                },
                final_url: url.to_string(),
                status: status.as_u16(),
                moved_to: moved_to(),
            });
        }
    }

    fn classify(&self, e: reqwest::Error) -> SourceError {
        if e.is_timeout() {
            SourceError::Timeout(self.timeout)
        } else if e.is_connect() {
            SourceError::Connect(root_cause(&e))
        } else if e.is_body() || e.is_decode() {
            SourceError::Http(format!("reading the body: {}", root_cause(&e)))
        } else {
            SourceError::Http(root_cause(&e))
        }
    }
}

fn parse_http_url(s: &str) -> Result<url::Url, SourceError> {
    let u = url::Url::parse(s).map_err(|e| SourceError::Url(format!("{s:?}: {e}")))?;
    match u.scheme() {
        "http" | "https" => Ok(u),
        other => Err(SourceError::Url(format!(
            "{s:?}: scheme {other:?} is not http or https"
        ))),
    }
}

/// A header's value as text; values that are not visible ASCII are taken lossily, since
/// servers do send Latin-1 dates and quoted ETags with odd bytes.
fn header(h: &HeaderMap, name: reqwest::header::HeaderName) -> Option<String> {
    h.get(name).map(|v| {
        v.to_str()
            .map(String::from)
            .unwrap_or_else(|_| String::from_utf8_lossy(v.as_bytes()).into_owned())
    })
}

fn is_compressed(h: &HeaderMap) -> bool {
    h.get(reqwest::header::CONTENT_ENCODING)
        .is_some_and(|v| !v.as_bytes().eq_ignore_ascii_case(b"identity"))
}

/// The innermost cause of an error, which is the one that says what happened ("Connection
/// refused", "failed to lookup address"), without the layers above it.
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}
