//! HTTP fetching with hard limits: connect and total timeouts, bounded redirects, a body cap
//! counted after decompression, and conditional GET.
//!
//! Redirects are followed here rather than by the HTTP client, so that every hop counts
//! against the limit, a loop is cut off, and a chain of permanent redirects (301/308) can be
//! reported for the source's URL to be updated.
//!
//! Every fetch carries the [`Reach`] of the source it is made for, and each hop is held to
//! it (see `guard`); with `[fetch] proxy`, requests go through the proxy (see `proxy`).

use std::time::Duration;

use reqwest::header::{
    ETAG, HeaderMap, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED, LOCATION, RETRY_AFTER,
};
use reqwest::{StatusCode, redirect};

use super::guard::{self, Reach};
use super::request::Request;
use super::{SourceError, proxy};
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
    /// One client per [`Reach`], each resolving names to the addresses its reach allows.
    public: reqwest::Client,
    loopback: reqwest::Client,
    local: reqwest::Client,
    /// A proxy resolves names where the resolver cannot see: each is judged before.
    proxied: bool,
    timeout: Duration,
    max_body: u64,
    max_redirects: usize,
}

impl Fetcher {
    pub fn new(cfg: &FetchConfig) -> Result<Self, SourceError> {
        let proxies = proxy::proxies(&cfg.proxy, |name| std::env::var(name).ok())?;
        let exempt: std::sync::Arc<[String]> = proxies.hosts.clone().into();
        let client = |reach: Reach| {
            let mut b = reqwest::Client::builder()
                .user_agent(cfg.user_agent.clone())
                .connect_timeout(cfg.connect_timeout)
                .timeout(cfg.timeout)
                .redirect(redirect::Policy::none())
                .gzip(true)
                .deflate(true);
            if proxies.list.is_empty() {
                b = b.no_proxy();
            }
            for p in &proxies.list {
                b = b.proxy(p.clone());
            }
            if reach != Reach::Local {
                let exempt = exempt.clone();
                b = b.dns_resolver(std::sync::Arc::new(guard::Guarded { reach, exempt }));
            }
            b.build().map_err(|e| SourceError::Http(root_cause(&e)))
        };
        Ok(Self {
            public: client(Reach::Public)?,
            loopback: client(Reach::Loopback)?,
            local: client(Reach::Local)?,
            proxied: !proxies.list.is_empty(),
            timeout: cfg.timeout,
            max_body: cfg.max_body,
            max_redirects: cfg.max_redirects,
        })
    }

    /// Fetches `url` for a source of reach `reach` (see [`Reach::of_source`]), sending
    /// `validators` as If-None-Match / If-Modified-Since. The whole fetch, redirects and
    /// body included, ends within the configured timeout.
    pub async fn fetch(
        &self,
        url: &str,
        validators: &Validators,
        reach: Reach,
    ) -> Result<Fetched, SourceError> {
        self.fetch_as(url, validators, reach, None).await
    }

    /// [`Fetcher::fetch`] with the method, headers and body of `request` (see
    /// [`Request::of_source`]); `None` is a plain GET. Limits, redirects, validators and the
    /// reach apply alike.
    pub async fn fetch_as(
        &self,
        url: &str,
        validators: &Validators,
        reach: Reach,
        request: Option<&Request>,
    ) -> Result<Fetched, SourceError> {
        let inner = self.fetch_inner(url, validators, reach, request);
        match tokio::time::timeout(self.timeout, inner).await {
            Ok(r) => r,
            Err(_) => Err(SourceError::Timeout(self.timeout)),
        }
    }

    async fn fetch_inner(
        &self,
        url: &str,
        validators: &Validators,
        reach: Reach,
        request: Option<&Request>,
    ) -> Result<Fetched, SourceError> {
        let mut url = parse_http_url(url)?;
        let origin = request.is_some().then(|| url.origin());
        // Made only when a redirect changes the request (a POST turned GET, credentials
        // dropped); until then the source's own request is sent as it is.
        let mut redirected: Option<Request> = None;
        let client = match reach {
            Reach::Public => &self.public,
            Reach::Loopback => &self.loopback,
            Reach::Local => &self.local,
        };
        let mut hops = 0;
        let mut all_permanent = true;
        loop {
            // Every hop is checked before it is requested, against the source's reach: a
            // redirect's target is the server's word, never a reason to reach further.
            guard::check_target(&url, reach).map_err(|r| refused(&url, r))?;
            if let (true, Some(url::Host::Domain(host))) = (self.proxied, url.host()) {
                guard::check_name(host, reach)
                    .await
                    .map_err(|r| refused(&url, r))?;
            }
            let current = redirected.as_ref().or(request);
            let sent_get = current.is_none_or(|r| r.method == reqwest::Method::GET);
            let mut req = match current {
                None => client.get(url.clone()),
                Some(r) => {
                    let mut b = client
                        .request(r.method.clone(), url.clone())
                        .headers(r.headers.clone());
                    if let Some(body) = &r.body {
                        b = b.body(body.clone());
                    }
                    b
                }
            };
            if let Some(e) = &validators.etag {
                req = req.header(IF_NONE_MATCH, e.as_str());
            }
            if let Some(lm) = &validators.last_modified {
                req = req.header(IF_MODIFIED_SINCE, lm.as_str());
            }
            let mut resp = req.send().await.map_err(|e| self.classify(&url, e))?;
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
                if let Some(mut next) = redirected.take().or_else(|| request.cloned()) {
                    next.after_redirect(status);
                    if origin.as_ref() != Some(&url.origin()) {
                        next.drop_credentials();
                    }
                    redirected = Some(next);
                }
                continue;
            }
            // To a request other than GET, a server whose validator matches answers 412, not
            // 304 (RFC 9110, 13.1.2): for a POST that carried them, that is "unchanged".
            let unchanged_post = status == StatusCode::PRECONDITION_FAILED
                && !sent_get
                && (validators.etag.is_some() || validators.last_modified.is_some());
            if status == StatusCode::NOT_MODIFIED || unchanged_post {
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
            while let Some(chunk) = resp.chunk().await.map_err(|e| self.classify(&url, e))? {
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

    fn classify(&self, url: &url::Url, e: reqwest::Error) -> SourceError {
        // The guard's resolver refused the name: the same class and message as a refused
        // literal, wherever in the client's layers the refusal surfaced.
        let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(&e);
        while let Some(err) = cur {
            if let Some(r) = err.downcast_ref::<guard::Refused>() {
                return refused(url, r.clone());
            }
            cur = err.source();
        }
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

fn refused(url: &url::Url, r: guard::Refused) -> SourceError {
    SourceError::Refused(format!("refused to fetch {url}: {r}"))
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

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// A server on 127.0.0.1 that answers "ok" and counts its connections.
    fn server() -> (u16, Arc<AtomicUsize>) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let count = Arc::new(AtomicUsize::new(0));
        let c = count.clone();
        std::thread::spawn(move || {
            for mut conn in listener.incoming().flatten() {
                c.fetch_add(1, Ordering::SeqCst);
                let _ = conn.read(&mut [0; 4096]);
                let _ =
                    conn.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
            }
        });
        (port, count)
    }

    /// Issue 24, item 8: a name that resolves only to non-public addresses was reported as
    /// a connect error; it is `refused`, naming the address and `allow_local`, and nothing
    /// connects.
    #[tokio::test]
    async fn a_name_resolving_only_to_local_addresses_is_refused_with_its_address() {
        let (port, count) = server();
        let fetcher = Fetcher::new(&FetchConfig::default()).unwrap();
        let url = format!("http://localhost:{port}/feed.xml");
        let e = fetcher
            .fetch(&url, &Validators::default(), Reach::Public)
            .await
            .unwrap_err();
        assert_eq!(e.class(), "refused", "{e}");
        let msg = e.to_string();
        assert!(msg.contains(&format!("refused to fetch {url}")), "{msg}");
        assert!(
            msg.contains("localhost resolves only to ") && msg.contains("allow_local"),
            "{msg}"
        );
        assert_eq!(count.load(Ordering::SeqCst), 0);
        // The same name for a source on loopback is fetched.
        let got = fetcher.fetch(&url, &Validators::default(), Reach::Loopback).await;
        assert!(matches!(got, Ok(Fetched::Body { .. })), "{got:?}");
        assert_eq!(count.load(Ordering::SeqCst), 1);
    }
}
