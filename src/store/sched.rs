//! Scheduling state: when each source is next due, permanent moves and disabling.

use chrono::{DateTime, Utc};
use rusqlite::params;

use super::{Result, Store, StoreError, from_ts, to_ts};

/// What the scheduler needs to know of a source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleRow {
    pub name: String,
    /// The URL to fetch: the config's, unless a permanent redirect moved it.
    pub url: String,
    pub next_poll: Option<DateTime<Utc>>,
    pub last_fetch: Option<DateTime<Utc>>,
    pub consecutive_failures: u32,
    pub failing_since: Option<DateTime<Utc>>,
    pub disabled_reason: Option<String>,
}

impl Store {
    /// The scheduling state of every known source.
    pub fn schedule_rows(&self) -> Result<Vec<ScheduleRow>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT name, url, next_poll, last_fetch, consecutive_failures, failing_since, disabled_reason
             FROM sources ORDER BY name",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(ScheduleRow {
                name: r.get(0)?,
                url: r.get(1)?,
                next_poll: r.get::<_, Option<i64>>(2)?.map(from_ts),
                last_fetch: r.get::<_, Option<i64>>(3)?.map(from_ts),
                consecutive_failures: r.get(4)?,
                failing_since: r.get::<_, Option<i64>>(5)?.map(from_ts),
                disabled_reason: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn set_next_poll(&mut self, source: &str, at: DateTime<Utc>) -> Result<()> {
        self.update_source(source, "next_poll = ?2", params![source, to_ts(at)])
    }

    /// Stops polling a source until its config URL changes (e.g. after a 410 Gone).
    pub fn disable_source(&mut self, source: &str, reason: &str) -> Result<()> {
        self.update_source(source, "disabled_reason = ?2", params![source, reason])
    }

    /// Records a permanent redirect: later polls fetch `url`.
    pub fn move_source(&mut self, source: &str, url: &str) -> Result<()> {
        self.update_source(source, "url = ?2", params![source, url])
    }

    fn update_source(&mut self, source: &str, set: &str, args: impl rusqlite::Params) -> Result<()> {
        let n = self
            .conn
            .execute(&format!("UPDATE sources SET {set} WHERE name = ?1"), args)?;
        if n == 0 {
            return Err(StoreError::UnknownSource(source.to_string()));
        }
        Ok(())
    }
}
