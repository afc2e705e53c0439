//! The store: the only module that speaks SQL.
//!
//! SQLite in WAL mode so the CLI can read while the daemon writes; every write is one
//! `BEGIN IMMEDIATE` transaction; the schema is migrated by `PRAGMA user_version`. The rest of
//! sigwatch asks the store for things through the methods here and never sees SQL, so another
//! backend can be a second implementation of this interface.

mod batch;
mod cycles;
mod deliveries;
mod fold_index;
mod glosses;
mod history;
mod outbox;
mod query;
mod report;
mod revisions;
mod sched;
mod schema;
mod stories;
mod write;

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use rusqlite::{Connection, OpenFlags};

use crate::config::SignalsConfig;
use crate::private::Share;

pub use batch::Batch;
pub use cycles::{Counts, CycleRecord};
pub use deliveries::{Delivery, NewDelivery};
pub use glosses::{Gloss, GlossTodo, StoredGloss};
pub use history::{HitKey, StoredItem};
pub use outbox::{NewDigest, PendingHit, Queued};
pub use query::{HitQuery, HitRow, SourceRow, StatusBonus, StoryRow};
pub use report::{ItemRow, StatsBy};
pub use revisions::{ItemEvent, PendingEvent, Revision};
pub use sched::ScheduleRow;
pub use stories::StoryMember;
pub use write::{FetchRecord, NewHit, NewItem, SaveStats, SourceState, TermMatch};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open database {path}: {source}")]
    Open { path: PathBuf, source: rusqlite::Error },
    #[error("cannot create database {path}: {source}")]
    Create { path: PathBuf, source: std::io::Error },
    #[error("cannot create folder for database {path}: {source}")]
    CreateDir { path: PathBuf, source: std::io::Error },
    #[error(
        "database {path} has schema version {found}, newer than this sigwatch knows ({known}); upgrade sigwatch"
    )]
    TooNew { path: PathBuf, found: i64, known: i64 },
    #[error(
        "database {path} has schema version {found}, older than this sigwatch's ({known}); a command that writes (`sigwatch poll`, or restarting the daemon) upgrades it"
    )]
    TooOld { path: PathBuf, found: i64, known: i64 },
    #[error("unknown source {0:?}")]
    UnknownSource(String),
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
    /// A save inside a batch failed, so the batch is rolled back as a whole when it ends.
    #[error("an earlier save of this batch failed ({0}); the batch is rolled back")]
    BatchFailed(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The settings the store applies while saving.
#[derive(Debug, Clone)]
pub struct SignalSettings {
    pub withdraw_window: chrono::Duration,
    pub fold_threshold: f64,
    pub fold_window: chrono::Duration,
    pub entity_threshold: f64,
    pub entity_window: chrono::Duration,
}

impl Default for SignalSettings {
    fn default() -> Self {
        (&SignalsConfig::default()).into()
    }
}

impl From<&SignalsConfig> for SignalSettings {
    fn from(c: &SignalsConfig) -> Self {
        let d = |x: std::time::Duration| chrono::Duration::from_std(x).unwrap_or(chrono::Duration::MAX);
        Self {
            withdraw_window: d(c.withdraw_window),
            fold_threshold: c.fold_threshold,
            fold_window: d(c.fold_window),
            entity_threshold: c.entity_threshold,
            entity_window: d(c.entity_window),
        }
    }
}

/// An open database.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    /// What saving applies to notice withdrawals and fold copies.
    signals: SignalSettings,
    /// Recent signatures, for folding copies.
    fold_index: fold_index::FoldIndex,
    /// Why a save of the open batch failed: the batch can only be rolled back then.
    batch_failed: Option<String>,
    /// Deferred during a bulk load (see [`Store::begin_bulk`]).
    indexing: write::Indexing,
}

/// See `Store::configure`.
const CHECKPOINT_PAGES: i64 = 1000;

/// A database made by an older sigwatch under a umask of 022 is world-readable, and so are
/// its -wal and -shm files: narrowed to the group on the next open for writing. Whoever is not
/// the owner cannot change the mode and is not stopped by that.
fn narrow_existing(db: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut p = db.as_os_str().to_owned();
        p.push(suffix);
        let p = PathBuf::from(p);
        match crate::private::narrow(&p, Share::Group) {
            Ok(true) => {
                tracing::warn!(path = %p.display(), "was readable by every user; now by its group only")
            }
            Ok(false) => {}
            Err(e) => tracing::debug!(path = %p.display(), error = %e, "cannot narrow the mode"),
        }
    }
}

impl Store {
    /// Sets what saving applies: the withdrawal window and the folding threshold and window.
    pub fn set_signals(&mut self, cfg: &SignalsConfig) {
        self.signals = cfg.into();
    }

    /// Opens (creating if needed) the database at `path` and migrates it to the current schema.
    pub fn open(path: &Path) -> Result<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            crate::private::create_dir_all(dir, Share::Group).map_err(|source| StoreError::CreateDir {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        // SQLite would create the file 0644 less the umask; created here first, it keeps
        // 0640, and SQLite gives the -wal and -shm files the database file's mode.
        match crate::private::create_new(path, Share::Group) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => narrow_existing(path),
            Err(source) => {
                return Err(StoreError::Create {
                    path: path.to_path_buf(),
                    source,
                });
            }
        }
        let conn = Connection::open(path).map_err(|source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        let mut store = Self {
            conn,
            path: path.to_path_buf(),
            signals: SignalSettings::default(),
            fold_index: Default::default(),
            batch_failed: None,
            indexing: write::Indexing::Now,
        };
        store.configure()?;
        store.migrate()?;
        // A bulk load cut short (see `Store::begin_bulk`) left an index out.
        store.end_bulk()?;
        Ok(store)
    }

    /// Opens an existing database for reading only: never creates, migrates or writes it, so
    /// that an operator in the service's group, who may read but not write the database and
    /// its folder, can query it whether the daemon runs or not.
    ///
    /// SQLite documents when a reader without write access can open a WAL database: when the
    /// -wal and -shm files exist (a writer keeps them, see `configure`), or when the database
    /// is opened as immutable. The second is the fallback for a database whose last writer
    /// removed them (an older sigwatch did): with no -wal file, the database file holds every
    /// committed transaction, and a writer starting during the read is not expected (a
    /// writer of this sigwatch keeps its files, so the fallback is needed no more).
    pub fn open_read_only(path: &Path) -> Result<Self> {
        match Self::open_read_only_with(path, false) {
            Err(StoreError::Open { source, .. } | StoreError::Sql(source))
                if needs_write_access(&source) && !wal_file(path).exists() =>
            {
                tracing::debug!(error = %source, "no -wal file to share: reading the database as immutable");
                Self::open_read_only_with(path, true)
            }
            other => other,
        }
    }

    fn open_read_only_with(path: &Path, immutable: bool) -> Result<Self> {
        let open_err = |source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        };
        let flags =
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI;
        let conn = if immutable {
            let abs = std::path::absolute(path).map_err(|e| StoreError::Create {
                path: path.to_path_buf(),
                source: e,
            })?;
            let mut uri = url::Url::from_file_path(&abs)
                .map_err(|()| open_err(rusqlite::Error::InvalidPath(abs.clone())))?;
            uri.set_query(Some("immutable=1"));
            Connection::open_with_flags(uri.as_str(), flags).map_err(open_err)?
        } else {
            Connection::open_with_flags(path, flags).map_err(open_err)?
        };
        conn.busy_timeout(Duration::from_secs(5))?;
        register_functions(&conn)?;
        let store = Self {
            conn,
            path: path.to_path_buf(),
            signals: SignalSettings::default(),
            fold_index: Default::default(),
            batch_failed: None,
            indexing: write::Indexing::Now,
        };
        // The first read opens the WAL: where it fails without write access, it fails here.
        let version = store.schema_version().map_err(|e| match e {
            StoreError::Sql(source) => open_err(source),
            e => e,
        })?;
        let known = schema::MIGRATIONS.len() as i64;
        if version > known {
            return Err(StoreError::TooNew {
                path: store.path.clone(),
                found: version,
                known,
            });
        }
        if version < known {
            return Err(StoreError::TooOld {
                path: store.path.clone(),
                found: version,
                known,
            });
        }
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn configure(&self) -> Result<()> {
        register_functions(&self.conn)?;
        // A reader or writer that finds the database busy waits rather than failing at once.
        self.conn.busy_timeout(Duration::from_secs(10))?;
        // A new database gets 16 KiB pages (SQLite's default is 4 KiB; an existing database
        // keeps its own, and this must come before WAL mode writes the header). A cold poll
        // writes and reads back its log a page per system call, so fewer, larger pages mean
        // fewer system calls; rows of items and FTS5's leaves fit more to a page, and a commit
        // of a few items writing a few larger pages is not noticed. See docs/performance.md.
        self.conn.pragma_update(None, "page_size", 16384)?;
        self.conn.pragma_update(None, "journal_mode", "WAL")?;
        // NORMAL is durable across application crashes in WAL mode; only power loss can
        // drop the last transactions, never corrupt the file.
        self.conn.pragma_update(None, "synchronous", "NORMAL")?;
        // The writer copies the log back into the database itself, in the commit that takes
        // the log past this many pages (SQLite's default count), and the next write
        // transaction, finding it all copied, writes the log again from its start: a cold
        // poll writes its log frames over the same stretch of file. A checkpoint thread beside
        // the writer, never done when the next batch began, grew the log into new file blocks
        // instead, each allocated by the file system and freed when the log was deleted, for
        // more CPU in the same wall time. Smaller and larger counts were no faster; see
        // docs/performance.md.
        self.conn
            .pragma_update(None, "wal_autocheckpoint", CHECKPOINT_PAGES)?;
        // The -wal and -shm files stay when the last writer closes: a reader that may not write
        // the database's folder (an operator in the service's group) cannot create them, and
        // SQLite reads a WAL database without write access only when they exist. On close, the
        // writer checkpoints the log and truncates it to nothing (the size limit below).
        persist_wal(&self.conn)?;
        // A log grown past this by a long read that held checkpoints off is cut back after the
        // next checkpoint, rather than kept at its largest.
        self.conn
            .pragma_update(None, "journal_size_limit", 64 * 1024 * 1024)?;
        self.conn.pragma_update(None, "foreign_keys", "ON")?;
        // Statement journals and temporary b-trees (sorting, DISTINCT) stay in memory, not
        // in temporary files written and read back.
        self.conn.pragma_update(None, "temp_store", "MEMORY")?;
        // Saving an item runs a score of statements; the default cache of 16 would evict them.
        self.conn.set_prepared_statement_cache_capacity(64);
        Ok(())
    }

    fn migrate(&mut self) -> Result<()> {
        let known = schema::MIGRATIONS.len() as i64;
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let version: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if version > known {
            return Err(StoreError::TooNew {
                path: self.path.clone(),
                found: version,
                known,
            });
        }
        for (i, sql) in schema::MIGRATIONS.iter().enumerate().skip(version as usize) {
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Lets go of what the store keeps only to be quick, for a daemon about to nap: the
    /// prepared statements, SQLite's page cache, and the fold index. Each comes back when next needed:
    /// the fold index is reloaded from the signatures table by the first save that needs it.
    /// Does nothing inside a batch.
    pub fn release_memory(&mut self) {
        if !self.conn.is_autocommit() {
            return;
        }
        self.fold_index = Default::default();
        self.conn.flush_prepared_statement_cache();
        if let Err(e) = self.conn.execute_batch("PRAGMA shrink_memory") {
            tracing::warn!(error = %e, "could not shrink SQLite's page cache");
        }
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<i64> {
        Ok(self.conn.pragma_query_value(None, "user_version", |r| r.get(0))?)
    }
}

/// Times are stored as Unix seconds: compact, indexable, and zone-free.
fn to_ts(t: DateTime<Utc>) -> i64 {
    t.timestamp()
}

fn from_ts(t: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(t, 0).single().unwrap_or_default()
}

#[cfg(test)]
mod tests;

/// Runs `sql` from the connection's cache of prepared statements: the write path runs the
/// same few statements for every item, and preparing one costs more than running it.
fn exec(conn: &Connection, sql: &str, params: impl rusqlite::Params) -> rusqlite::Result<usize> {
    conn.prepare_cached(sql)?.execute(params)
}

/// [`exec`] for a query of one row.
fn one<T>(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
    f: impl FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    conn.prepare_cached(sql)?.query_row(params, f)
}

/// Asks SQLite to keep the -wal and -shm files when the last connection closes
/// (`SQLITE_FCNTL_PERSIST_WAL`, which rusqlite has no safe call for).
fn persist_wal(conn: &Connection) -> Result<()> {
    let mut on: std::os::raw::c_int = 1;
    // SAFETY: the handle is this open connection's and is used on this thread only; "main"
    // is a NUL-terminated schema name; the file control reads and writes one int, which `on`
    // is and which outlives the call.
    let rc = unsafe {
        rusqlite::ffi::sqlite3_file_control(
            conn.handle(),
            c"main".as_ptr(),
            rusqlite::ffi::SQLITE_FCNTL_PERSIST_WAL,
            (&raw mut on).cast(),
        )
    };
    if rc != rusqlite::ffi::SQLITE_OK {
        return Err(StoreError::Sql(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rc),
            Some("cannot keep the -wal and -shm files".into()),
        )));
    }
    Ok(())
}

/// The database's -wal file.
fn wal_file(db: &Path) -> PathBuf {
    let mut p = db.as_os_str().to_owned();
    p.push("-wal");
    PathBuf::from(p)
}

/// Whether opening failed for want of write access to the database's folder or files.
fn needs_write_access(e: &rusqlite::Error) -> bool {
    use rusqlite::ffi;
    matches!(e, rusqlite::Error::SqliteFailure(f, _)
        if f.extended_code == ffi::SQLITE_READONLY_DIRECTORY
            || f.extended_code == ffi::SQLITE_READONLY_CANTINIT
            || f.code == ffi::ErrorCode::CannotOpen)
}

/// SQL functions of ours, on every connection: `sigwatch_contains(haystack, needle)`, whether
/// `haystack` contains `needle` with case folded as the trigram index folds it (so that what
/// the index finds is checked the same way).
fn register_functions(conn: &Connection) -> rusqlite::Result<()> {
    use rusqlite::functions::FunctionFlags;
    conn.create_scalar_function(
        "sigwatch_contains",
        2,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            let (hay, needle) = (ctx.get_raw(0), ctx.get_raw(1));
            let (Ok(hay), Ok(needle)) = (hay.as_str(), needle.as_str()) else {
                return Ok(false);
            };
            Ok(crate::text::contains_folded(hay, needle))
        },
    )
}
