//! `sigwatch db`: backup, prune and integrity check.

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::Utc;

use super::Ctx;
use crate::units::parse_duration;

#[derive(Debug, clap::Subcommand)]
pub enum DbCommand {
    /// Write a consistent copy of the database to FILE (safe while the daemon runs)
    Backup {
        /// Where the copy goes; must not exist
        file: PathBuf,
    },
    /// Delete old items (items with hits are kept unless --with-hits)
    Prune {
        /// Age beyond which items go, e.g. 365d
        #[arg(long, value_name = "AGE")]
        older_than: String,
        /// Delete old items' hits too
        #[arg(long)]
        with_hits: bool,
    },
    /// Check the database's integrity
    Check,
}

pub fn run(ctx: &Ctx, cmd: &DbCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        DbCommand::Backup { file } => {
            if file.exists() {
                return Err(super::UsageError(format!(
                    "{} exists already; choose a new file",
                    file.display()
                ))
                .into());
            }
            let store = ctx.open_store_read(None)?;
            store.backup_to(file)?;
            println!("backed up {} to {}", store.path().display(), file.display());
        }
        DbCommand::Prune {
            older_than,
            with_hits,
        } => {
            let age = parse_duration(older_than).map_err(super::UsageError)?;
            let cutoff = Utc::now() - chrono::Duration::from_std(age)?;
            let mut store = ctx.open_store(None)?;
            let (items, hits) = store.prune(cutoff, *with_hits)?;
            println!(
                "deleted {} and {} dated before {}",
                super::output::count(items, "item", "items"),
                super::output::count(hits, "hit", "hits"),
                cutoff.format("%Y-%m-%d")
            );
        }
        DbCommand::Check => {
            // The full-text index's own check is run as a write, so this needs write access.
            let store = ctx.open_store(None)?;
            let problems = store.integrity_check()?;
            if problems == ["ok"] {
                println!("{}: ok", store.path().display());
            } else {
                for p in &problems {
                    println!("{p}");
                }
                return Ok(ExitCode::from(super::exit::FAILURE));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
