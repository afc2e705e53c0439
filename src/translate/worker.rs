//! Glossing in the daemon: a task of its own with its own connection to the database, so
//! that a slow or unreachable service never holds up a poll, an alert or a digest.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use tracing::{error, info, warn};

use super::{Plan, run};
use crate::store::Store;

/// After a run that stopped (service down, budget spent), the next is not tried sooner.
const RETRY_AFTER: Duration = Duration::from_secs(5 * 60);

/// The glossing task. Dropping it stops the task between two requests at the latest.
pub struct Worker {
    tx: mpsc::Sender<Plan>,
    task: tokio::task::JoinHandle<()>,
}

impl Worker {
    /// Starts the task, which opens the database at `db` when it first has work.
    pub fn spawn(db: PathBuf) -> Worker {
        // One run waiting at most: a request made while one waits adds nothing.
        let (tx, mut rx) = mpsc::channel::<Plan>(1);
        let task = tokio::spawn(async move {
            let mut store: Option<Store> = None;
            let mut stopped_at: Option<Instant> = None;
            while let Some(plan) = rx.recv().await {
                if stopped_at.is_some_and(|t| t.elapsed() < RETRY_AFTER) {
                    continue;
                }
                if store.is_none() {
                    match Store::open(&db) {
                        Ok(s) => store = Some(s),
                        Err(e) => {
                            error!(error = %e, "glossing: cannot open the database");
                            continue;
                        }
                    }
                }
                let Some(s) = store.as_mut() else { continue };
                match run(&plan, s, None).await {
                    Ok(r) => {
                        if r.glossed + r.refused > 0 {
                            info!(
                                glossed = r.glossed,
                                refused = r.refused,
                                chars = r.chars,
                                "glosses stored"
                            );
                        }
                        match &r.problem {
                            Some(p) => {
                                warn!(problem = %p, left = r.left, "glossing stopped; items go out untranslated");
                                stopped_at = Some(Instant::now());
                            }
                            None => stopped_at = None,
                        }
                    }
                    Err(e) => error!(error = %e, "glossing failed"),
                }
            }
        });
        Worker { tx, task }
    }

    /// Asks for a run with `plan` (none without `[translate]`); returns at once.
    pub fn request(&self, plan: Option<Plan>) {
        if let Some(p) = plan {
            let _ = self.tx.try_send(p);
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.task.abort();
    }
}
