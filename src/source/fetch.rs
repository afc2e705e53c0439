//! HTTP fetching with hard limits: connect and total timeouts, bounded redirects, a body cap
//! counted after decompression, and conditional GET.

use crate::config::FetchConfig;

use super::SourceError;

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
    NotModified,
    Body {
        /// The raw body, decompressed, never decoded.
        bytes: Vec<u8>,
        content_type: Option<String>,
        validators: Validators,
        /// The URL after redirects.
        final_url: String,
        status: u16,
    },
}

/// A shared HTTP client configured from `[fetch]`.
#[derive(Debug, Clone)]
pub struct Fetcher {
    _cfg: FetchConfig,
}

impl Fetcher {
    pub fn new(cfg: &FetchConfig) -> Result<Self, SourceError> {
        Ok(Self { _cfg: cfg.clone() })
    }

    /// Fetches `url`, sending `validators` as If-None-Match / If-Modified-Since.
    pub async fn fetch(&self, _url: &str, _validators: &Validators) -> Result<Fetched, SourceError> {
        todo!("source helper")
    }
}
