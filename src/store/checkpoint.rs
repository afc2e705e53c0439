//! WAL checkpoints on a thread of their own.
//!
//! In WAL mode each commit appends pages to the log, and a checkpoint copies them back into
//! the database file and syncs it. Left to SQLite, that happens inside whichever commit takes
//! the log past 1,000 pages, on the one thread that writes: a cold poll of 1,000 feeds spent
//! about a tenth of the writer's time there. Batches of a poll instead nudge this thread,
//! whose own connection runs a PASSIVE checkpoint (which never blocks the writer or readers)
//! beside the writer, at most every `EVERY`; the writer keeps SQLite's automatic checkpoint
//! only as a backstop, at `BACKSTOP_PAGES`.

use std::path::Path;
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError, sync_channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rusqlite::Connection;
use tracing::warn;

/// Least time between two checkpoints.
const EVERY: Duration = Duration::from_millis(250);
/// The writer checkpoints by itself past this many pages of log (SQLite's default is 1,000),
/// should this thread fall behind.
pub(super) const BACKSTOP_PAGES: i64 = 10_000;

#[derive(Debug)]
pub(super) struct Checkpointer {
    nudge: Option<SyncSender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Opens a second connection to `path` and starts the thread.
    pub(super) fn start(path: &Path) -> rusqlite::Result<Self> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(10))?;
        let (nudge, nudged) = sync_channel(1);
        let thread = std::thread::Builder::new()
            .name("sigwatch-checkpoint".into())
            .spawn(move || run(&conn, &nudged))
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
        Ok(Self {
            nudge: Some(nudge),
            thread: Some(thread),
        })
    }

    /// Asks for a checkpoint soon; never waits.
    pub(super) fn nudge(&self) {
        if let Some(n) = &self.nudge
            && let Err(TrySendError::Disconnected(())) = n.try_send(())
        {
            warn!("the checkpoint thread has stopped; SQLite's automatic checkpoints go on");
        }
    }
}

impl Drop for Checkpointer {
    /// Runs a last checkpoint and waits for the thread.
    fn drop(&mut self) {
        drop(self.nudge.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn run(conn: &Connection, nudged: &Receiver<()>) {
    let mut last: Option<Instant> = None;
    loop {
        let mut stop = nudged.recv().is_err();
        // Within EVERY of the last checkpoint, wait out the rest (nudges meanwhile are served
        // by this one); a store closing meanwhile ends the wait at once.
        if let Some(rest) = last.and_then(|t| EVERY.checked_sub(t.elapsed())) {
            let until = Instant::now() + rest;
            while !stop {
                match nudged.recv_timeout(until.saturating_duration_since(Instant::now())) {
                    Ok(()) => {}
                    Err(RecvTimeoutError::Timeout) => break,
                    Err(RecvTimeoutError::Disconnected) => stop = true,
                }
            }
        }
        if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            warn!(error = %e, "WAL checkpoint failed; the next one retries");
        }
        last = Some(Instant::now());
        if stop {
            return;
        }
    }
}
