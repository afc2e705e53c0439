//! Polling: one poll of one source, and one cycle over many sources with bounded concurrency.
//!
//! Fetching, parsing and matching run concurrently, as tasks of their own (bounded globally and
//! per host); this task stores their results as they come, whatever is ready in one batch (one
//! transaction). A batch a save fails in is rolled back and its sources stored again one by
//! one, each in its own transaction, so a failing source never undoes another. After each
//! source the next poll time is planned from its schedule, its failures (exponential backoff)
//! and the server's Retry-After.
//!
//! `job.rs` holds one source's task (fetch, parse, match); this file the cycle, the writer
//! and the planning of next polls.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use tokio::sync::{Semaphore, mpsc};
use tracing::{Instrument, debug, error_span, info, warn};

use crate::config::SignalsConfig;
use crate::config::{Config, SourceConfig};
use crate::schedule::{self, Clock, CronSchedule};
use crate::source::{Fetcher, SourceError, Validators};
use crate::store::{FetchRecord, SaveStats, ScheduleRow, Store, StoreError};
use crate::watch::Matcher;

mod job;
use job::{Job, Polled};

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
        /// Stored items that came back changed.
        edited: u64,
        /// Stored items taken off the list.
        withdrawn: u64,
        /// New items folded into another source's story.
        folded: u64,
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
    /// When this source is due again.
    pub next_poll: DateTime<Utc>,
}

/// The figures of one poll cycle.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct PollSummary {
    pub fetched: u64,
    pub not_modified: u64,
    pub failed: u64,
    pub new_items: u64,
    pub new_hits: u64,
    pub edited: u64,
    pub withdrawn: u64,
    pub folded: u64,
    pub sources: Vec<SourceOutcome>,
}

impl PollSummary {
    fn add(&mut self, o: SourceOutcome) {
        match &o.outcome {
            Outcome::Fetched {
                new_items,
                new_hits,
                edited,
                withdrawn,
                folded,
                ..
            } => {
                self.fetched += 1;
                self.new_items += new_items;
                self.new_hits += new_hits;
                self.edited += edited;
                self.withdrawn += withdrawn;
                self.folded += folded;
            }
            Outcome::NotModified => self.not_modified += 1,
            Outcome::Failed { .. } => self.failed += 1,
        }
        self.sources.push(o);
    }
}

/// Everything a poll needs that outlives one cycle.
pub struct Poller {
    fetcher: Fetcher,
    /// Shared with the blocking threads that parse and match.
    matcher: Arc<Matcher>,
    signals: Arc<SignalsConfig>,
    concurrency: usize,
    per_host: usize,
    hosts: Mutex<HashMap<String, Arc<Semaphore>>>,
    /// Poll schedules parsed once per expression: a thousand sources share a handful, and
    /// parsing one took 37 allocations.
    schedules: Mutex<HashMap<String, CronSchedule>>,
    /// Told of each source's outcome as it is stored: a progress bar, a watchdog.
    observer: Option<Observer>,
}

/// A callback run after each source's result is stored.
pub type Observer = Arc<dyn Fn(&SourceOutcome) + Send + Sync>;

impl Poller {
    pub fn new(cfg: &Config) -> Result<Self, PollError> {
        Ok(Self {
            fetcher: Fetcher::new(&cfg.fetch)?,
            matcher: Arc::new(Matcher::new(&cfg.watch)?),
            signals: Arc::new(cfg.signals.clone()),
            concurrency: cfg.fetch.concurrency.max(1),
            per_host: cfg.poll.per_host.max(1),
            hosts: Mutex::default(),
            schedules: Mutex::default(),
            observer: None,
        })
    }

    /// Calls `observer` after each source's result is stored.
    pub fn with_observer(mut self, observer: Observer) -> Self {
        self.observer = Some(observer);
        self
    }

    pub fn matcher(&self) -> &Matcher {
        &self.matcher
    }

    /// Polls the named sources (every enabled one when `names` is empty) now, whatever
    /// their schedule says.
    pub async fn poll(
        &self,
        cfg: &Config,
        store: &mut Store,
        names: &[String],
        clock: &dyn Clock,
    ) -> Result<PollSummary, PollError> {
        let chosen = if names.is_empty() {
            cfg.sources.iter().filter(|s| s.enabled).collect()
        } else {
            // A source named twice is polled once.
            let mut named = HashSet::new();
            names
                .iter()
                .filter(|n| named.insert(n.as_str()))
                .map(|n| cfg.source(n).ok_or_else(|| PollError::UnknownSource(n.clone())))
                .collect::<Result<Vec<_>, _>>()?
        };
        self.cycle(cfg, store, chosen, clock).await
    }

    /// Polls the enabled sources that are due at the clock's time and not disabled.
    pub async fn poll_due(
        &self,
        cfg: &Config,
        store: &mut Store,
        clock: &dyn Clock,
    ) -> Result<PollSummary, PollError> {
        let now = clock.now();
        let rows: HashMap<String, ScheduleRow> = store
            .schedule_rows()?
            .into_iter()
            .map(|r| (r.name.clone(), r))
            .collect();
        let due = cfg
            .sources
            .iter()
            .filter(|s| s.enabled)
            .filter(|s| {
                rows.get(&s.name)
                    .is_none_or(|r| r.disabled_reason.is_none() && r.next_poll.is_none_or(|t| t <= now))
            })
            .collect();
        self.cycle(cfg, store, due, clock).await
    }

    /// The earliest time any enabled, not disabled source is due.
    pub fn next_due(cfg: &Config, store: &Store) -> Result<Option<DateTime<Utc>>, PollError> {
        let rows: HashMap<String, ScheduleRow> = store
            .schedule_rows()?
            .into_iter()
            .map(|r| (r.name.clone(), r))
            .collect();
        Ok(cfg
            .sources
            .iter()
            .filter(|s| s.enabled)
            .filter_map(|s| match rows.get(&s.name) {
                None => Some(DateTime::<Utc>::MIN_UTC),
                Some(r) if r.disabled_reason.is_some() => None,
                Some(r) => Some(r.next_poll.unwrap_or(DateTime::<Utc>::MIN_UTC)),
            })
            .min())
    }

    async fn cycle(
        &self,
        cfg: &Config,
        store: &mut Store,
        chosen: Vec<&SourceConfig>,
        clock: &dyn Clock,
    ) -> Result<PollSummary, PollError> {
        store.set_signals(&cfg.signals);
        let (started, timer) = (clock.now(), std::time::Instant::now());
        // A cycle cancelled amid a bulk load left the index of hits by date out.
        if let Err(e) = store.end_bulk() {
            warn!(error = %e, "could not build the index of hits by date");
        }
        store.sync_sources(chosen.iter().map(|s| (s.name.as_str(), s.url.as_str())))?;
        // Each source is fetched, parsed and matched by a task of its own on the runtime's
        // threads, never by this one: this task is the writer, and while it stores a batch
        // the fetches go on. At most `concurrency` sources are fetched at once (a task keeps
        // its slot until its result is in the channel), and at most as many results wait in
        // the channel for the writer, so memory stays bounded however slow the writer is.
        // Dropping the set (the cycle cancelled) aborts every task.
        let slots = Arc::new(Semaphore::new(self.concurrency));
        let (tx, mut rx) = mpsc::channel(self.concurrency);
        let mut tasks = tokio::task::JoinSet::new();
        let now = clock.now();
        // Sources never fetched before, against those fetched with success.
        let (mut first_fetches, mut established) = (0usize, 0usize);
        let mut states = store.source_states()?;
        // Each source's failures in a row before this poll, for its backoff once stored.
        let mut failures_before: HashMap<&str, u32> = HashMap::with_capacity(chosen.len());
        for s in chosen {
            // Every chosen source was synced above.
            let st = states
                .remove(&s.name)
                .ok_or_else(|| StoreError::UnknownSource(s.name.clone()))?;
            if st.last_success.is_some() {
                established += 1;
            } else if st.consecutive_failures == 0 && !st.has_items {
                first_fetches += 1;
            }
            failures_before.insert(&s.name, st.consecutive_failures);
            // A permanent redirect may have moved the source since the config was written:
            // the stored URL is the one to fetch.
            let url = st.url;
            // Only sources that follow item pages need to know which items are new.
            let known = if s.follow {
                store.item_uids(&s.name)?
            } else {
                HashSet::new()
            };
            let validators = Validators {
                etag: st.etag,
                last_modified: st.last_modified,
            };
            let job = self.job(s, url, validators, known, now);
            let (slots, tx) = (slots.clone(), tx.clone());
            // Spans at the highest level, so the source is named on every event whatever
            // the log level lets through.
            let span = error_span!("poll", source = %s.name);
            tasks.spawn(job.run_in_turn(slots, tx).instrument(span));
        }
        drop(tx);
        // A first run or a large import is a bulk load: see `Store::begin_bulk`.
        let bulk = first_fetches >= BULK_SOURCES && first_fetches >= established;
        if bulk {
            debug!(
                sources = first_fetches,
                "bulk load: the index of hits by date is built at the end"
            );
            if let Err(e) = store.begin_bulk() {
                warn!(error = %e, "could not ready the store for a bulk load; storing as usual");
            }
        }
        let mut summary = PollSummary::default();
        while let Some(first) = rx.recv().await {
            // Whatever else is ready is stored with it in one batch (one commit), up to
            // BATCH sources; fetching and parsing go on meanwhile on the other threads.
            let mut ready = vec![first];
            while ready.len() < BATCH {
                match rx.try_recv() {
                    Ok(r) => ready.push(r),
                    Err(_) => break,
                }
            }
            let outcomes = match store.begin_batch() {
                Ok(batch) => {
                    let outcomes = self.store_all(cfg, store, &ready, &failures_before, clock);
                    match store.end_batch(batch) {
                        Ok(()) => Some(outcomes),
                        Err(e) => {
                            warn!(
                                error = %e,
                                sources = ready.len(),
                                "a batch of results was rolled back; storing its sources one by one"
                            );
                            None
                        }
                    }
                }
                Err(e) => {
                    warn!(error = %e, "could not start a batch of writes; storing each source on its own");
                    None
                }
            };
            // Outside a batch each save is a transaction of its own, so one source's failure
            // is that source's alone.
            let outcomes =
                outcomes.unwrap_or_else(|| self.store_all(cfg, store, &ready, &failures_before, clock));
            // Freeing a batch's items (tens of thousands of strings, allocated by other
            // threads) is not the writer's work: it goes to a blocking thread.
            tokio::task::spawn_blocking(move || drop(ready));
            // The tasks that have sent their results are done with: their memory goes now,
            // not when the cycle ends.
            while let Some(ended) = tasks.try_join_next() {
                reraise_panic(ended);
            }
            for outcome in outcomes {
                if let Some(observe) = &self.observer {
                    observe(&outcome);
                }
                summary.add(outcome);
            }
        }
        if bulk {
            let t = std::time::Instant::now();
            match store.end_bulk() {
                Ok(()) => debug!(took = ?t.elapsed(), "bulk load: index of hits by date built"),
                Err(e) => {
                    warn!(error = %e, "could not build the index of hits by date; the next cycle tries again")
                }
            }
        }
        // Every task has ended (each held a sender).
        while let Some(ended) = tasks.join_next().await {
            reraise_panic(ended);
        }
        summary.sources.sort_by(|a, b| a.source.cmp(&b.source));
        // For the web view's health check and metrics; the cycle's own work is done.
        let record = crate::store::CycleRecord {
            started,
            finished: clock.now(),
            duration_ms: timer.elapsed().as_millis() as u64,
            fetched: summary.fetched,
            not_modified: summary.not_modified,
            failed: summary.failed,
            new_items: summary.new_items,
            new_hits: summary.new_hits,
        };
        if let Err(e) = store.record_cycle(&record) {
            warn!(error = %e, "could not record the cycle");
        }
        Ok(summary)
    }

    /// The job of fetching `s` from `url`.
    fn job(
        &self,
        s: &SourceConfig,
        url: String,
        validators: Validators,
        known: HashSet<String>,
        now: DateTime<Utc>,
    ) -> Job {
        Job {
            fetcher: self.fetcher.clone(),
            matcher: self.matcher.clone(),
            signals: self.signals.clone(),
            host: self.host_slots(&url),
            source: s.clone(),
            url,
            validators,
            known,
            now,
        }
    }

    /// The semaphore that keeps `url`'s host to `per_host` requests from us at once.
    fn host_slots(&self, url: &str) -> Option<Arc<Semaphore>> {
        let host = url::Url::parse(url).ok()?.host_str()?.to_ascii_lowercase();
        let mut hosts = self.hosts.lock().unwrap_or_else(|e| e.into_inner());
        Some(
            hosts
                .entry(host)
                .or_insert_with(|| Arc::new(Semaphore::new(self.per_host)))
                .clone(),
        )
    }

    /// Stores each source's result (in the open batch, if there is one).
    fn store_all(
        &self,
        cfg: &Config,
        store: &mut Store,
        ready: &[(SourceConfig, Result<Polled, SourceError>)],
        failures_before: &HashMap<&str, u32>,
        clock: &dyn Clock,
    ) -> Vec<SourceOutcome> {
        ready
            .iter()
            .map(|(s, result)| {
                let _span = error_span!("store", source = %s.name).entered();
                let failures = failures_before.get(s.name.as_str()).copied().unwrap_or(0);
                self.store_result(cfg, store, s, result, failures, clock.now())
            })
            .collect()
    }

    fn store_result(
        &self,
        cfg: &Config,
        store: &mut Store,
        s: &SourceConfig,
        result: &Result<Polled, SourceError>,
        failures_before: u32,
        now: DateTime<Utc>,
    ) -> SourceOutcome {
        let (saved, retry_after, gone, moved_to) = match result {
            Ok(Polled::NotModified { moved_to }) => {
                let saved = store.record_fetch(&s.name, &FetchRecord::NotModified, now);
                (
                    saved.map(|()| Outcome::NotModified),
                    None,
                    false,
                    moved_to.as_deref(),
                )
            }
            Ok(Polled::Items {
                items,
                validators,
                moved_to,
            }) => {
                let record = FetchRecord::Fetched {
                    etag: validators.etag.clone(),
                    last_modified: validators.last_modified.clone(),
                };
                let saved = store.save(&s.name, &record, items, now).map(|st: SaveStats| {
                    info!(
                        items = items.len(),
                        new_items = st.new_items,
                        new_hits = st.new_hits,
                        edited = st.edited,
                        withdrawn = st.withdrawn,
                        folded = st.folded,
                        "fetched"
                    );
                    Outcome::Fetched {
                        items: items.len(),
                        new_items: st.new_items,
                        new_hits: st.new_hits,
                        edited: st.edited,
                        withdrawn: st.withdrawn,
                        folded: st.folded,
                    }
                });
                (saved, None, false, moved_to.as_deref())
            }
            Err(e) => {
                warn!(class = %e.class(), error = %e, "source failed");
                let (retry_after, gone) = match e {
                    SourceError::Status {
                        status, retry_after, ..
                    } => (retry_after.clone(), *status == 410),
                    _ => (None, false),
                };
                let record = FetchRecord::Failed { error: e.to_string() };
                let saved = store
                    .record_fetch(&s.name, &record, now)
                    .map(|()| Outcome::Failed {
                        class: e.class(),
                        error: e.to_string(),
                    });
                (saved, retry_after, gone, None)
            }
        };
        let outcome = saved.unwrap_or_else(|e| {
            warn!(error = %e, "could not store the poll's result");
            Outcome::Failed {
                class: "store".into(),
                error: e.to_string(),
            }
        });
        let failures = match &outcome {
            // Our own database failing (full disk, a lock held elsewhere) is not the source's
            // fault: no backoff, so the next cycle catches up as soon as the condition clears.
            Outcome::Failed { class, .. } if class == "store" => failures_before,
            Outcome::Failed { .. } => failures_before.saturating_add(1),
            _ => 0,
        };
        let next_poll = {
            let expr = cfg.schedule_expr(s);
            let mut schedules = self.schedules.lock().unwrap_or_else(|e| e.into_inner());
            if !schedules.contains_key(expr) {
                schedules.insert(expr.to_string(), cfg.schedule_of(s));
            }
            plan_next(cfg, &schedules[expr], s, failures, retry_after.as_deref(), now)
        };
        if let Err(e) = store.set_next_poll(&s.name, next_poll) {
            warn!(error = %e, "could not store the next poll time");
        }
        if let Some(url) = moved_to {
            info!(new_url = %url, "the feed moved permanently (301/308); polling the new URL from now on");
            if let Err(e) = store.move_source(&s.name, url) {
                warn!(error = %e, "could not record the new URL");
            }
        }
        if gone {
            warn!(
                "the server says the feed is gone for good (410); disabling the source until its URL changes"
            );
            if let Err(e) = store.disable_source(&s.name, "HTTP 410 Gone: the server removed this feed") {
                warn!(error = %e, "could not disable the source");
            }
        }
        SourceOutcome {
            source: s.name.clone(),
            outcome,
            next_poll,
        }
    }
}

/// The runtime a cycle runs on. The writer, the cycle's own future, runs on the thread that
/// blocks on it (`Runtime::block_on`), so the runtime's workers, which fetch, parse and match,
/// are one fewer than the cores, and at least one. With a worker for every core, one more busy
/// thread than there are cores contends for them, and a cold poll took more CPU and more wall
/// time; see docs/performance.md.
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cores.saturating_sub(1).max(1))
        .enable_all()
        .build()
}

/// Most sources stored in one transaction.
const BATCH: usize = 64;

/// A cycle that fetches at least this many sources for the first time, and no fewer than
/// those fetched before, is a bulk load (`Store::begin_bulk`).
const BULK_SOURCES: usize = 64;

/// When a source is due next: the next firing of its schedule `sched` (`cfg.schedule_of(s)`,
/// spread per source), pushed back by exponential backoff while it fails, and never sooner
/// than the server's Retry-After.
pub fn plan_next(
    cfg: &Config,
    sched: &CronSchedule,
    s: &SourceConfig,
    failures: u32,
    retry_after: Option<&str>,
    now: DateTime<Utc>,
) -> DateTime<Utc> {
    let period = sched.period_after(now);
    let spread = schedule::spread(&s.name, period, cfg.poll.spread);
    let mut next = sched.next_after(now).unwrap_or(now + Duration::hours(1)) + to_chrono(spread);
    if failures > 0 {
        let base = period.max(std::time::Duration::from_secs(60));
        let delay = schedule::backoff(failures, base, cfg.poll.backoff_cap.max(base), &s.name);
        next = next.max(now + to_chrono(delay));
    }
    if let Some(t) = retry_after.and_then(|v| schedule::parse_retry_after(v, now)) {
        next = next.max(t);
    }
    next
}

/// A source's task that panicked is a bug of ours: raised on the writer, as it would have
/// been without tasks. (A task cancelled, when the cycle is, is no error.)
fn reraise_panic(ended: Result<(), tokio::task::JoinError>) {
    if let Err(e) = ended
        && e.is_panic()
    {
        std::panic::resume_unwind(e.into_panic());
    }
}

fn to_chrono(d: std::time::Duration) -> Duration {
    Duration::from_std(d).unwrap_or(Duration::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn cfg() -> Config {
        Config::parse(
            "[poll]\nschedule = \"*/30 * * * *\"\nspread = \"0s\"\nbackoff_cap = \"24h\"\n\
             [[source]]\nname = \"a\"\nurl = \"http://a.test/\"\n",
            Path::new("/tmp/x.toml"),
        )
        .unwrap()
    }

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        use chrono::TimeZone;
        Utc.with_ymd_and_hms(2026, 11, 28, h, m, 0).unwrap()
    }

    /// A server on 127.0.0.1 answering every request with a small RSS feed, and the count of
    /// requests it has read.
    async fn feed_server() -> (std::net::SocketAddr, Arc<std::sync::atomic::AtomicUsize>) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = requests.clone();
        tokio::spawn(async move {
            while let Ok((mut conn, _)) = listener.accept().await {
                let counted = counted.clone();
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut buf = [0u8; 1024];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        match conn.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                    }
                    counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let body = "<rss version=\"2.0\"><channel><title>t</title>\
                                <item><guid>1</guid><title>Rare earth export controls</title></item>\
                                </channel></rss>";
                    let reply = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n\
                         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = conn.write_all(reply.as_bytes()).await;
                });
            }
        });
        (addr, requests)
    }

    /// Waits up to 10 s for `requests` to reach `n`.
    async fn reach(requests: &std::sync::atomic::AtomicUsize, n: usize) -> usize {
        for _ in 0..1000 {
            let seen = requests.load(std::sync::atomic::Ordering::SeqCst);
            if seen >= n {
                return seen;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        requests.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// A source's task keeps its slot until the writer's channel has taken its result, so
    /// that at most `concurrency` results are held besides those in the channel, however slow
    /// the writer: with one slot and room for one result, a third source is not fetched
    /// until a result is taken.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_source_keeps_its_slot_until_the_writer_takes_its_result() {
        let (addr, requests) = feed_server().await;
        let sources: String = (0..3)
            .map(|i| {
                format!("[[source]]\nname = \"s{i}\"\nurl = \"http://{addr}/{i}.xml\"\nallow_local = true\n")
            })
            .collect();
        let cfg = Config::parse(
            &format!("[poll]\nper_host = 8\n{sources}"),
            Path::new("/tmp/x.toml"),
        )
        .unwrap();
        let poller = Poller::new(&cfg).unwrap();
        let slots = Arc::new(Semaphore::new(1));
        let (tx, mut rx) = mpsc::channel(1);
        for s in &cfg.sources {
            let job = poller.job(
                s,
                s.url.clone(),
                Validators::default(),
                HashSet::new(),
                Utc::now(),
            );
            tokio::spawn(job.run_in_turn(slots.clone(), tx.clone()));
        }
        // The first result fills the channel; the second source is fetched and waits to send.
        assert_eq!(reach(&requests, 2).await, 2);
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert_eq!(
            requests.load(std::sync::atomic::Ordering::SeqCst),
            2,
            "a third source was fetched"
        );
        // Taking a result lets the second send, which frees its slot for the third.
        let (first, result) = rx.recv().await.unwrap();
        assert!(
            matches!(result, Ok(Polled::Items { ref items, .. }) if items.len() == 1),
            "{}",
            first.name
        );
        assert_eq!(reach(&requests, 3).await, 3);
        let mut names = vec![first.name];
        for _ in 0..2 {
            names.push(rx.recv().await.unwrap().0.name);
        }
        names.sort();
        assert_eq!(names, ["s0", "s1", "s2"]);
    }

    #[test]
    fn the_runtime_leaves_a_core_to_the_writer() {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let rt = runtime().unwrap();
        assert_eq!(rt.metrics().num_workers(), cores.saturating_sub(1).max(1));
    }

    #[test]
    fn next_poll_follows_schedule_backoff_and_retry_after() {
        let c = cfg();
        let s = &c.sources[0];
        let sched = c.schedule_of(s);
        assert_eq!(plan_next(&c, &sched, s, 0, None, at(10, 5)), at(10, 30));
        // One failure: at least one period (30 min, ±20 %) later.
        let one = plan_next(&c, &sched, s, 1, None, at(10, 5));
        assert!(one >= at(10, 29) && one <= at(10, 42), "{one}");
        let five = plan_next(&c, &sched, s, 5, None, at(10, 5));
        assert!(five >= at(10, 5) + Duration::hours(6), "{five}");
        let many = plan_next(&c, &sched, s, 40, None, at(10, 5));
        assert!(many <= at(10, 5) + Duration::hours(24), "capped: {many}");
        // Retry-After: 3600 wins over the schedule's 10:30.
        assert_eq!(
            plan_next(&c, &sched, s, 1, Some("3600"), at(10, 5)).max(at(11, 5)),
            at(11, 5)
        );
        assert!(plan_next(&c, &sched, s, 1, Some("3600"), at(10, 5)) >= at(11, 5));
    }
}
