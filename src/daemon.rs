//! The daemon: runs polls on their schedules until told to stop, reloads its config on
//! request, and tells systemd how it is doing. It holds no business logic: what is due, how
//! a source is polled and when it is due again are `poll`'s and `schedule`'s.
//!
//! Requests arrive as [`Control`]s on a channel rather than as OS signals directly, so tests
//! can drive the loop; `sigwatch run` turns SIGTERM, SIGINT and SIGHUP into them.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::mpsc;
use tracing::{error, info, warn};

use crate::config::{Config, ConfigError};
use crate::digest;
// Named so, since `notify` here tells systemd.
use crate::notify as channels;
use crate::poll::{PollError, PollSummary, Poller};
use crate::schedule::Clock;
use crate::store::{Store, StoreError};

/// What the outside world can ask of a running daemon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// Re-read the config; keep the old one if the new one is bad.
    Reload,
    /// Finish what is being written and return.
    Stop,
}

#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Poll(#[from] PollError),
}

/// Where the daemon finds its config and database.
#[derive(Debug, Clone)]
pub struct Options {
    pub config_path: PathBuf,
    /// Overrides the config's `[storage] path`.
    pub db: Option<PathBuf>,
}

/// The longest the loop sleeps before it looks again, so that a changed clock or a
/// watchdog deadline is noticed.
const MAX_NAP: Duration = Duration::from_secs(30);

/// With nothing due for at least this long, the store lets go of its caches and its fold
/// index before the loop naps (`Store::release_memory`); sooner than that,
/// it keeps them, so that sources due a few seconds apart do not reload them each time.
const RELEASE_AFTER: Duration = Duration::from_secs(60);

/// Runs until a [`Control::Stop`] arrives or the channel closes.
pub async fn run(
    opts: Options,
    mut control: mpsc::Receiver<Control>,
    clock: Arc<dyn Clock>,
) -> Result<(), DaemonError> {
    let mut cfg = Config::load(&opts.config_path)?;
    let db_path = opts.db.clone().unwrap_or_else(|| cfg.storage.path.clone());
    let mut store = Store::open(&db_path)?;
    store.sync_sources(cfg.sources.iter().map(|s| (s.name.as_str(), s.url.as_str())))?;
    register_channels(&cfg, &mut store);
    let progress = Arc::new(AtomicI64::new(clock.now().timestamp()));
    let mut poller = Poller::new(&cfg)?.with_observer(heartbeat(&progress, &clock));
    let mut next_digest = digest_schedule(&cfg)
        .next_after(clock.now())
        .unwrap_or(clock.now() + chrono::Duration::days(1));
    info!(config = %cfg.path.display(), db = %db_path.display(), sources = cfg.sources.len(), "sigwatch started");
    notify(&[
        sd_notify::NotifyState::Ready,
        sd_notify::NotifyState::Status("started; first poll running"),
    ]);
    let watchdog = spawn_watchdog(progress.clone(), clock.clone());
    // Glossing runs beside the loop, on its own connection: a slow translation service
    // never holds up a poll, an alert or a digest.
    let glosser = crate::translate::Worker::spawn(db_path.clone());

    loop {
        progress.store(clock.now().timestamp(), Ordering::Relaxed);
        let mut reload = false;
        let result = {
            let cycle = poller.poll_due(&cfg, &mut store, &*clock);
            tokio::pin!(cycle);
            loop {
                tokio::select! {
                    r = &mut cycle => break Some(r),
                    ctl = control.recv() => match ctl {
                        Some(Control::Reload) => reload = true,
                        // Dropping the cycle here is safe: each batch of results is written
                        // in one synchronous transaction, never across an await, and the
                        // fetch tasks end with it.
                        Some(Control::Stop) | None => break None,
                    },
                }
            }
        };
        let Some(result) = result else { break };
        match result {
            Ok(summary) => {
                report(&summary, Poller::next_due(&cfg, &store).ok().flatten());
                if summary.new_hits > 0 || !summary.sources.is_empty() {
                    glosser.request(crate::translate::Plan::of(&cfg));
                }
            }
            Err(e) => error!(error = %e, "poll cycle failed"),
        }
        // A reload asked for during the cycle is done after delivery, below.
        // Alerts for immediate watches go out within the cycle that found them; digests are
        // built when their schedule says; then what is queued and due is delivered.
        let now = clock.now();
        if let Err(e) = digest::queue_alerts(&cfg, &mut store, now) {
            error!(error = %e, "could not build the alert");
        }
        if let Err(e) = channels::queue_alerts(&cfg, &mut store, now) {
            error!(error = %e, "could not build the channels' alerts");
        }
        if now >= next_digest {
            if let Err(e) = digest::queue(&cfg, &mut store, now) {
                error!(error = %e, "could not build the digest");
            }
            if let Err(e) = channels::queue_digests(&cfg, &mut store, now) {
                error!(error = %e, "could not build the channels' digests");
            }
            next_digest = digest_schedule(&cfg)
                .next_after(now)
                .unwrap_or(now + chrono::Duration::days(1));
        }
        let delivery = async {
            if let Err(e) = digest::deliver(&cfg, &mut store, now, false).await {
                error!(error = %e, "digest delivery failed");
            }
            if let Err(e) = channels::deliver(&cfg, &mut store, now).await {
                error!(error = %e, "channel delivery failed");
            }
        };
        tokio::select! {
            () = delivery => {},
            ctl = control.recv() => match ctl {
                Some(Control::Reload) => reload = true,
                Some(Control::Stop) | None => break,
            },
        }
        if reload {
            reload_config(
                &opts,
                &mut cfg,
                &mut poller,
                &mut store,
                heartbeat(&progress, &clock),
            );
            next_digest = digest_schedule(&cfg)
                .next_after(clock.now())
                .unwrap_or(next_digest);
        }
        let now = clock.now();
        let next = [
            Poller::next_due(&cfg, &store).ok().flatten(),
            Some(next_digest),
            store.next_digest_attempt().ok().flatten(),
            store.next_delivery_attempt().ok().flatten(),
        ]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(now + chrono::Duration::hours(1));
        let until_next = (next - now).to_std().unwrap_or(Duration::ZERO);
        if until_next >= RELEASE_AFTER {
            store.release_memory();
        }
        release_free_memory();
        let nap = until_next.min(MAX_NAP);
        tokio::select! {
            _ = tokio::time::sleep(nap) => {}
            ctl = control.recv() => match ctl {
                Some(Control::Reload) => {
                    reload_config(&opts, &mut cfg, &mut poller, &mut store, heartbeat(&progress, &clock))
                }
                Some(Control::Stop) | None => break,
            },
        }
    }
    drop(glosser);
    notify(&[sd_notify::NotifyState::Stopping]);
    if let Some(w) = watchdog {
        w.abort();
    }
    info!("sigwatch stopped");
    Ok(())
}

/// Records new `[[notify]]` channels, which take the hits stored from now on.
fn register_channels(cfg: &Config, store: &mut Store) {
    if let Err(e) = channels::register(cfg, store) {
        error!(error = %e, "could not record the config's channels");
    }
}

fn reload_config(
    opts: &Options,
    cfg: &mut Config,
    poller: &mut Poller,
    store: &mut Store,
    observer: crate::poll::Observer,
) {
    notify(&[sd_notify::NotifyState::Reloading]);
    let loaded = Config::load(&opts.config_path)
        .map_err(DaemonError::from)
        .and_then(|new| {
            let p = Poller::new(&new)?;
            store.sync_sources(new.sources.iter().map(|s| (s.name.as_str(), s.url.as_str())))?;
            Ok((new, p))
        });
    match loaded {
        Ok((new, p)) => {
            if opts.db.is_none() && new.storage.path != cfg.storage.path {
                warn!(db = %new.storage.path.display(), "a new [storage] path takes effect only after a restart");
            }
            info!(
                sources = new.sources.len(),
                watches = new.watch.len(),
                "config reloaded"
            );
            *cfg = new;
            *poller = p.with_observer(observer);
            register_channels(cfg, store);
        }
        Err(e) => error!(error = %e, "config reload failed; keeping the running config"),
    }
    notify(&[sd_notify::NotifyState::Ready]);
}

fn report(s: &PollSummary, next: Option<DateTime<Utc>>) {
    let next = next.map_or_else(
        || "none".to_string(),
        |t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
    );
    if !s.sources.is_empty() {
        info!(
            polled = s.sources.len(),
            fetched = s.fetched,
            not_modified = s.not_modified,
            failed = s.failed,
            new_items = s.new_items,
            new_hits = s.new_hits,
            next_poll = %next,
            "poll cycle done"
        );
    }
    let count = |n: u64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let status = format!(
        "last cycle: {} polled, {} fetched, {} not modified, {} failed, {}, {}; next poll {next}",
        s.sources.len(),
        s.fetched,
        s.not_modified,
        s.failed,
        count(s.new_items, "new item", "new items"),
        count(s.new_hits, "new hit", "new hits")
    );
    notify(&[sd_notify::NotifyState::Status(&status)]);
}

/// The digest's schedule (validated when the config was loaded).
fn digest_schedule(cfg: &Config) -> crate::schedule::CronSchedule {
    cfg.digest_schedule()
        .or_else(|_| crate::schedule::CronSchedule::parse_in("0 7 * * *", cfg.zone()))
        .expect("the default digest schedule parses")
}

/// An observer that records the time of each stored result in `progress`.
fn heartbeat(progress: &Arc<AtomicI64>, clock: &Arc<dyn Clock>) -> crate::poll::Observer {
    let (progress, clock) = (progress.clone(), clock.clone());
    Arc::new(move |_| progress.store(clock.now().timestamp(), Ordering::Relaxed))
}

/// Hands what the cycle freed back to the system before the daemon naps: glibc keeps freed
/// blocks in its arenas, so a daemon that has just stored a thousand feeds would otherwise
/// sit at that size all the while it sleeps.
fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns the allocator's free memory to the system; it is
    // safe to call from any thread at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Pings systemd's watchdog only while the loop is making progress: a hung loop stops the
/// pings and systemd restarts the service.
fn spawn_watchdog(progress: Arc<AtomicI64>, clock: Arc<dyn Clock>) -> Option<tokio::task::JoinHandle<()>> {
    let period = sd_notify::watchdog_enabled()?;
    info!(?period, "systemd watchdog enabled");
    Some(tokio::spawn(async move {
        let mut tick = tokio::time::interval(period / 2);
        loop {
            tick.tick().await;
            let idle = clock.now().timestamp() - progress.load(Ordering::Relaxed);
            if idle <= period.as_secs().max(1) as i64 {
                notify(&[sd_notify::NotifyState::Watchdog]);
            } else {
                warn!(idle_seconds = idle, "no progress; withholding the watchdog ping");
            }
        }
    }))
}

/// Tells systemd something; a no-op outside systemd (no NOTIFY_SOCKET).
fn notify(state: &[sd_notify::NotifyState]) {
    if let Err(e) = sd_notify::notify(state) {
        warn!(error = %e, "could not notify systemd");
    }
}
