//! One source's job in a cycle: fetch it, parse the body and match its items, as a task of
//! its own, and send the result to the writer. Parsing and matching run in place for small
//! bodies and on a blocking thread for large ones.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use tracing::{Span, debug, warn};

use crate::config::{SignalsConfig, SourceConfig};
use crate::signals;
use crate::source::{Fetched, Fetcher, Parsed, Reach, SourceError, Validators, follow_new};
use crate::store::{NewHit, NewItem};
use crate::watch::{Matcher, plain_text};

/// What fetching, parsing and matching one source produced, before it is stored.
pub(super) enum Polled {
    NotModified {
        moved_to: Option<String>,
    },
    Items {
        items: Vec<NewItem>,
        validators: Validators,
        moved_to: Option<String>,
    },
}

/// The channel of each source's result to the writer.
pub(super) type Results = mpsc::Sender<(SourceConfig, Result<Polled, SourceError>)>;

/// One source to fetch, parse and match, with all it needs, so that it runs as a task of
/// its own.
pub(super) struct Job {
    pub(super) fetcher: Fetcher,
    pub(super) matcher: Arc<Matcher>,
    pub(super) signals: Arc<SignalsConfig>,
    /// Its host's slots (see `per_host`), when the URL has a host.
    pub(super) host: Option<Arc<Semaphore>>,
    pub(super) source: SourceConfig,
    pub(super) url: String,
    pub(super) validators: Validators,
    /// Identities stored already (for a `follow` source only).
    pub(super) known: HashSet<String>,
    /// The cycle's time, for clamping dates ahead of it.
    pub(super) now: DateTime<Utc>,
}

impl Job {
    /// Waits for a request to its host to be allowed (see `per_host`).
    async fn host_turn(&self) -> Option<OwnedSemaphorePermit> {
        self.host.clone()?.acquire_owned().await.ok()
    }

    /// Waits for its host's turn, then for one of the cycle's `slots`, runs, and sends the
    /// result to the writer. Its host's turn comes first: a source waiting for its host
    /// holds no slot that a source of another host could use.
    pub(super) async fn run_in_turn(self, slots: Arc<Semaphore>, tx: Results) {
        let host = self.host_turn().await;
        let Ok(slot) = slots.acquire_owned().await else {
            return;
        };
        // Every source's task waits here at once: the state of its fetch and parse
        // (kilobytes) is allocated only now that its turn has come.
        Box::pin(self.run_and_send(tx, host, slot)).await;
    }

    /// Runs and sends the result to the writer. The host's turn ends with the fetch; the
    /// slot is held until the result is in the channel, so that at most `concurrency`
    /// results are ever held, however slow the writer.
    async fn run_and_send(
        self,
        tx: Results,
        host: Option<OwnedSemaphorePermit>,
        _slot: OwnedSemaphorePermit,
    ) {
        let result = self.run().await;
        drop(host);
        let _ = tx.send((self.source, result)).await;
    }

    async fn run(&self) -> Result<Polled, SourceError> {
        let s = &self.source;
        let request = crate::source::Request::of_source(s)?;
        match self
            .fetcher
            .fetch_as(&self.url, &self.validators, Reach::of_source(s), request.as_ref())
            .await?
        {
            Fetched::NotModified { moved_to } => Ok(Polled::NotModified { moved_to }),
            Fetched::Body {
                bytes,
                content_type,
                validators,
                final_url,
                moved_to,
                ..
            } => {
                // Parsing and matching are CPU work. A body of up to PARSE_IN_PLACE bytes is
                // parsed and matched in place, on the runtime thread that fetched it; a larger
                // one on a blocking thread, so that it never stalls the fetches or the writes.
                // A source that follows its items' pages fetches them between the two, and
                // matches on a blocking thread whatever the list's size (the pages make its
                // items' text); any other is parsed and matched in one go.
                let in_place = bytes.len() <= PARSE_IN_PLACE;
                if !in_place {
                    debug!(bytes = bytes.len(), "a large body: parsed on a blocking thread");
                }
                let span = Span::current();
                let (matcher, signals, now) = (self.matcher.clone(), self.signals.clone(), self.now);
                // Empty but for a follow source (see `known`).
                let (source, known) = (s.clone(), self.known.clone());
                let prepare_all = move |parsed: Parsed| -> Vec<NewItem> {
                    for w in &parsed.warnings {
                        warn!(warning = %w, "parsed with a warning");
                    }
                    parsed
                        .items
                        .into_iter()
                        .map(|it| prepare(&matcher, &signals, &source, &known, it, now))
                        .collect()
                };
                let parse = {
                    let s = s.clone();
                    move || crate::source::parse_source(&s, &bytes, content_type.as_deref(), &final_url)
                };
                let items = if s.follow {
                    let mut parsed = cpu_work(&span, in_place, parse).await?;
                    let followed = follow_new(&self.fetcher, s, &mut parsed.items, &self.known).await;
                    parsed.warnings.extend(followed);
                    cpu_work(&span, false, move || prepare_all(parsed)).await
                } else {
                    cpu_work(&span, in_place, move || parse().map(prepare_all)).await?
                };
                Ok(Polled::Items {
                    items,
                    validators,
                    moved_to,
                })
            }
        }
    }
}

/// Sanitizes one item (every polled item passes here, followed or not), matches it and
/// readies it for the store.
fn prepare(
    matcher: &Matcher,
    signals: &SignalsConfig,
    s: &SourceConfig,
    known: &HashSet<String>,
    mut item: crate::item::Item,
    now: DateTime<Utc>,
) -> NewItem {
    crate::sanitize::item(&mut item);
    // A date more than a day ahead is a publisher's mistake; it would pin the item to
    // the top of every listing, so it becomes the time it was first seen.
    if item.published.is_some_and(|p| p > now + Duration::days(1)) {
        item.published = Some(now);
    }
    let (found, entities) = matcher.find_with_entities(&item.title, &item.summary);
    let scores = signals::scores(matcher, signals, s.weight.unwrap_or(1.0), &found);
    let hits: Vec<NewHit> = found
        .into_iter()
        .zip(scores)
        .map(|(hit, score)| NewHit {
            watch_version: matcher.version(&hit.watch).cloned().unwrap_or_default(),
            score,
            hit,
        })
        .collect();
    let text = plain_text(&item.summary);
    // Only items with hits are compared for copies: those are what digests show.
    let signature = if hits.is_empty() {
        None
    } else {
        signals::signature(&item.title, &text)
    };
    // An item of a follow source that was stored before was not followed now: its text
    // here is the list's, so only its title can tell an edit.
    let check_text = !(s.follow && known.contains(&item.uid()));
    let (doc_numbers, notice) = if hits.is_empty() {
        (Vec::new(), None)
    } else {
        let facts = crate::notice::facts(
            &item.title,
            &text,
            &item.summary,
            item.link.as_deref(),
            // Only a date without a year reads it, to pick the year: a day's zone is moot.
            item.published.map(|p| p.date_naive()),
        );
        (crate::notice::item_numbers(&item.title, &text), Some(facts))
    };
    NewItem {
        signature,
        check_text,
        doc_numbers,
        notice,
        entities,
        ..NewItem::new(item, text, hits)
    }
}

/// Runs CPU work: in place when `in_place` (small enough not to hold up the runtime thread's
/// other tasks for long), else on a blocking thread with `span` entered there. Either way a
/// panic in `f` is a panic here.
async fn cpu_work<T: Send + 'static>(
    span: &Span,
    in_place: bool,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    if in_place {
        return f();
    }
    let span = span.clone();
    let on_thread = move || {
        let _span = span.entered();
        f()
    };
    match tokio::task::spawn_blocking(on_thread).await {
        Ok(v) => v,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}

/// The largest body parsed and matched in place (see [`cpu_work`]): about a millisecond of
/// work, and most feeds of the shared corpus. Handing every body to a blocking thread and
/// back wakes and parks a thread each way, which costs more CPU than parsing a small feed
/// where it is; see docs/performance.md.
const PARSE_IN_PLACE: usize = 128 * 1024;
