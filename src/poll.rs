//! Polling: one poll of one source, and one cycle over many sources with bounded concurrency.
//!
//! Fetching, parsing and matching run concurrently; writes go to the store one source at a
//! time, each in its own transaction, so a failing source never holds up or undoes another.

use chrono::{DateTime, Duration, Utc};
use futures_util::stream::{self, StreamExt};
use tracing::{Instrument, info, info_span, warn};

use crate::config::{Config, SourceConfig};
use crate::source::{Fetched, Fetcher, SourceError, Validators, parse_feed};
use crate::store::{FetchRecord, NewHit, NewItem, SaveStats, Store, StoreError};
use crate::watch::{Matcher, plain_text};

#[derive(Debug, thiserror::Error)]
pub enum PollError {
    #[error("no source named {0:?} in the config")]
    UnknownSource(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot set up the HTTP client: {0}")]
    Client(#[from] SourceError),
    #[error(transparent)]
    Watch(#[from] crate::watch::WatchError),
}

/// How one source's poll ended.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum Outcome {
    Fetched {
        items: usize,
        new_items: u64,
        new_hits: u64,
    },
    NotModified,
    Failed {
        class: String,
        error: String,
    },
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct SourceOutcome {
    pub source: String,
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// The figures of one poll cycle.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct PollSummary {
    pub fetched: u64,
    pub not_modified: u64,
    pub failed: u64,
    pub new_items: u64,
    pub new_hits: u64,
    pub sources: Vec<SourceOutcome>,
}

impl PollSummary {
    fn add(&mut self, source: &str, outcome: Outcome) {
        match &outcome {
            Outcome::Fetched {
                new_items, new_hits, ..
            } => {
                self.fetched += 1;
                self.new_items += new_items;
                self.new_hits += new_hits;
            }
            Outcome::NotModified => self.not_modified += 1,
            Outcome::Failed { .. } => self.failed += 1,
        }
        self.sources.push(SourceOutcome {
            source: source.to_string(),
            outcome,
        });
    }
}

/// What fetching, parsing and matching one source produced, before it is stored.
enum Polled {
    NotModified,
    Items {
        items: Vec<NewItem>,
        validators: Validators,
    },
}

/// Everything a poll needs that outlives one cycle.
pub struct Poller {
    fetcher: Fetcher,
    matcher: Matcher,
    concurrency: usize,
}

impl Poller {
    pub fn new(cfg: &Config) -> Result<Self, PollError> {
        Ok(Self {
            fetcher: Fetcher::new(&cfg.fetch)?,
            matcher: Matcher::new(&cfg.watch)?,
            concurrency: cfg.fetch.concurrency.max(1),
        })
    }

    pub fn matcher(&self) -> &Matcher {
        &self.matcher
    }

    /// Polls the named sources (all enabled ones when `names` is empty) once.
    pub async fn poll(
        &self,
        cfg: &Config,
        store: &mut Store,
        names: &[String],
    ) -> Result<PollSummary, PollError> {
        let chosen = select(cfg, names)?;
        store.sync_sources(chosen.iter().map(|s| (s.name.as_str(), s.url.as_str())))?;
        let mut work = Vec::with_capacity(chosen.len());
        for s in chosen {
            let st = store.source_state(&s.name)?;
            work.push((
                s,
                Validators {
                    etag: st.etag,
                    last_modified: st.last_modified,
                },
            ));
        }
        let mut results = stream::iter(work)
            .map(|(s, validators)| {
                let span = info_span!("poll", source = %s.name);
                async move { (s, self.poll_one(s, &validators).await) }.instrument(span)
            })
            .buffer_unordered(self.concurrency);
        let mut summary = PollSummary::default();
        while let Some((s, result)) = results.next().await {
            let _span = info_span!("store", source = %s.name).entered();
            let outcome = self.store_result(store, s, result);
            summary.add(&s.name, outcome);
        }
        summary.sources.sort_by(|a, b| a.source.cmp(&b.source));
        Ok(summary)
    }

    async fn poll_one(&self, s: &SourceConfig, validators: &Validators) -> Result<Polled, SourceError> {
        match self.fetcher.fetch(&s.url, validators).await? {
            Fetched::NotModified => Ok(Polled::NotModified),
            Fetched::Body {
                bytes,
                content_type,
                validators,
                final_url,
                ..
            } => {
                let parsed = parse_feed(&bytes, content_type.as_deref(), &final_url)?;
                for w in &parsed.warnings {
                    warn!(warning = %w, "parsed with a warning");
                }
                let now = Utc::now();
                let items = parsed.items.into_iter().map(|it| self.prepare(it, now)).collect();
                Ok(Polled::Items { items, validators })
            }
        }
    }

    /// Matches one item and readies it for the store.
    fn prepare(&self, mut item: crate::item::Item, now: DateTime<Utc>) -> NewItem {
        // A date more than a day ahead is a publisher's mistake; it would pin the item to
        // the top of every listing, so it becomes the time it was first seen.
        if item.published.is_some_and(|p| p > now + Duration::days(1)) {
            item.published = Some(now);
        }
        let hits = self
            .matcher
            .find(&item.title, &item.summary)
            .into_iter()
            .map(|hit| NewHit {
                watch_version: self.matcher.version(&hit.watch).unwrap_or_default().to_string(),
                hit,
            })
            .collect();
        let text = plain_text(&item.summary);
        NewItem { item, text, hits }
    }

    fn store_result(
        &self,
        store: &mut Store,
        s: &SourceConfig,
        result: Result<Polled, SourceError>,
    ) -> Outcome {
        let now = Utc::now();
        let saved = match result {
            Ok(Polled::NotModified) => store
                .record_fetch(&s.name, &FetchRecord::NotModified, now)
                .map(|()| Outcome::NotModified),
            Ok(Polled::Items { items, validators }) => {
                let record = FetchRecord::Fetched {
                    etag: validators.etag,
                    last_modified: validators.last_modified,
                };
                store
                    .save(&s.name, &record, &items, now)
                    .map(|SaveStats { new_items, new_hits }| Outcome::Fetched {
                        items: items.len(),
                        new_items,
                        new_hits,
                    })
            }
            Err(e) => {
                warn!(class = %e.class(), error = %e, "source failed");
                let record = FetchRecord::Failed { error: e.to_string() };
                store
                    .record_fetch(&s.name, &record, now)
                    .map(|()| Outcome::Failed {
                        class: e.class(),
                        error: e.to_string(),
                    })
            }
        };
        match saved {
            Ok(o) => {
                if let Outcome::Fetched {
                    items,
                    new_items,
                    new_hits,
                } = &o
                {
                    info!(items, new_items, new_hits, "fetched");
                }
                o
            }
            Err(e) => {
                warn!(error = %e, "could not store the poll's result");
                Outcome::Failed {
                    class: "store".into(),
                    error: e.to_string(),
                }
            }
        }
    }
}

/// The sources to poll: the named ones, or every enabled one.
fn select<'a>(cfg: &'a Config, names: &[String]) -> Result<Vec<&'a SourceConfig>, PollError> {
    if names.is_empty() {
        return Ok(cfg.sources.iter().filter(|s| s.enabled).collect());
    }
    names
        .iter()
        .map(|n| cfg.source(n).ok_or_else(|| PollError::UnknownSource(n.clone())))
        .collect()
}
