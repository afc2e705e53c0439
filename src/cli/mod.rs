//! The command line: argument definitions and one function per command.
//!
//! Commands turn arguments into calls on the library and format what comes back; the
//! business logic lives in the modules they call. Errors here are `anyhow`, like `main`'s.

mod db_cmd;
mod digest_cmd;
mod hits_cmd;
mod man;
mod match_cmd;
mod output;
mod poll_cmd;
mod rematch_cmd;
mod report_cmd;
mod run_cmd;
mod serve_cmd;
mod sources_cmd;
mod sources_test;
mod translate_cmd;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::config::Config;
use crate::store::Store;

pub use output::{DocFormat, Format};

/// Exit statuses, the same for every command (listed in the man pages' EXIT STATUS).
pub mod exit {
    /// Success.
    pub const OK: u8 = 0;
    /// The command worked and found nothing, where that is its answer (`match`, `show`,
    /// `sources test`).
    pub const NOTHING_FOUND: u8 = 1;
    /// A usage or config error (clap exits with 2 for its own, too).
    pub const USAGE: u8 = 2;
    /// A failure at run time.
    pub const FAILURE: u8 = 3;
}

/// An argument that parses but cannot be used (a date that is none, a backup file that
/// exists): exit status 2, like clap's own usage errors.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// The exit status of a command that failed with `e`.
pub fn exit_status(e: &anyhow::Error) -> u8 {
    let usage = e
        .chain()
        .any(|c| c.is::<UsageError>() || c.is::<crate::config::ConfigError>());
    if usage { exit::USAGE } else { exit::FAILURE }
}

/// Watches state media and ministries for policy signals.
#[derive(Debug, Parser)]
#[command(name = "sigwatch", version, about, propagate_version = true)]
pub struct Cli {
    /// Config file [default: $SIGWATCH_CONFIG, ./sigwatch.toml, /etc/sigwatch/sigwatch.toml]
    #[arg(long, short = 'c', global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Database file, overriding [storage] path
    #[arg(long, global = true, value_name = "FILE")]
    pub db: Option<PathBuf>,
    /// More log output (-v: debug, -vv: trace); RUST_LOG overrides
    #[arg(long, short = 'v', global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Print only what was asked for and errors: no counts, hints, progress or warnings
    #[arg(long, short = 'q', global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run as a daemon: poll sources on their schedules until SIGTERM; SIGHUP reloads the config
    Run,
    /// Poll every enabled source (or the named ones) once and store new items and hits
    Poll(poll_cmd::PollArgs),
    /// List stored hits, newest first
    Hits(hits_cmd::HitsArgs),
    /// List sources with their fetch state
    Sources(sources_cmd::SourcesArgs),
    /// Print one item whole, with every hit in it highlighted
    Show(report_cmd::ShowArgs),
    /// Count hits by watch, source or day
    Stats(report_cmd::StatsArgs),
    /// Draw daily hits per watch and flag spikes
    Trends(report_cmd::TrendsArgs),
    /// Run the current watchlists over stored items and add the hits that are new
    Rematch(rematch_cmd::RematchArgs),
    /// Database upkeep: backup, prune, check
    #[command(subcommand)]
    Db(db_cmd::DbCommand),
    /// Print shell completions
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print a man page (roff), or write every page with --dir
    Man(man::ManArgs),
    /// Build and send the digest of new hits now (--preview to look first, --status for the queue)
    Digest(digest_cmd::DigestArgs),
    /// Send a short test message to check the [smtp] settings
    TestEmail,
    /// Send a short test message through one [[notify]] channel and print the server's answer
    TestNotify {
        /// The channel's `name`
        name: String,
    },
    /// Show which watches and terms match a text (or JSON lines on stdin)
    Match(match_cmd::MatchArgs),
    /// Serve the read-only web view, Atom feeds, /healthz and /metrics (see docs/web.md)
    Serve(serve_cmd::ServeArgs),
    /// Gloss the titles and snippets of Chinese and Japanese items with hits through [translate]
    Translate(translate_cmd::TranslateArgs),
    /// Validate the config and exit
    Check,
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let default_level = match cli.command {
        // A daemon's log is its only voice.
        Command::Run | Command::Serve(_) => "info",
        // `poll` prints every failure in its summary; the log would say it twice.
        Command::Poll(_) => "error",
        _ => "warn",
    };
    output::set_quiet(cli.quiet);
    init_logging(cli.verbose, if cli.quiet { "error" } else { default_level });
    let ctx = Ctx {
        config: cli.config,
        db: cli.db,
    };
    match cli.command {
        Command::Run => run_cmd::run(&ctx),
        Command::Poll(args) => poll_cmd::run(&ctx, &args),
        Command::Hits(args) => hits_cmd::run(&ctx, &args),
        Command::Sources(args) => sources_cmd::run(&ctx, &args),
        Command::Rematch(args) => rematch_cmd::run(&ctx, &args),
        Command::Show(args) => report_cmd::show(&ctx, &args),
        Command::Stats(args) => report_cmd::stats(&ctx, &args),
        Command::Trends(args) => report_cmd::trends(&ctx, &args),
        Command::Db(cmd) => db_cmd::run(&ctx, &cmd),
        Command::Completions { shell } => {
            use clap::CommandFactory;
            clap_complete::generate(shell, &mut Cli::command(), "sigwatch", &mut std::io::stdout());
            Ok(ExitCode::SUCCESS)
        }
        Command::Man(args) => man::run(&args),
        Command::Match(args) => match_cmd::run(&ctx, &args),
        Command::Digest(args) => digest_cmd::run(&ctx, &args),
        Command::TestEmail => digest_cmd::test_email(&ctx),
        Command::Serve(args) => serve_cmd::run(&ctx, &args),
        Command::Translate(args) => translate_cmd::run(&ctx, &args),
        Command::TestNotify { name } => digest_cmd::test_notify(&ctx, &name),
        Command::Check => check(&ctx),
    }
}

/// What every command may need: where the config and the database are.
struct Ctx {
    config: Option<PathBuf>,
    db: Option<PathBuf>,
}

impl Ctx {
    /// The zone people read times in: the config's `timezone`, else the machine's (times
    /// stay readable without a good config).
    fn zone(&self) -> chrono_tz::Tz {
        self.config()
            .map(|c| c.zone())
            .unwrap_or_else(|_| crate::config::machine_zone())
    }

    fn config(&self) -> anyhow::Result<Config> {
        let path = Config::locate(self.config.as_deref())?;
        Ok(Config::load(&path)?)
    }

    /// The database path: `--db`, else the config's `[storage] path`.
    fn db_path(&self, cfg: Option<&Config>) -> anyhow::Result<PathBuf> {
        if let Some(p) = &self.db {
            return Ok(p.clone());
        }
        match cfg {
            Some(c) => Ok(c.storage.path.clone()),
            None => Ok(self.config()?.storage.path),
        }
    }

    fn open_store(&self, cfg: Option<&Config>) -> anyhow::Result<Store> {
        let path = self.db_path(cfg)?;
        Ok(Store::open(&path)?)
    }

    /// Opens the database for reading, failing clearly when it does not exist yet.
    fn open_store_read(&self, cfg: Option<&Config>) -> anyhow::Result<Store> {
        let path = self.db_path(cfg)?;
        anyhow::ensure!(
            path.exists(),
            "no database at {} yet: run `sigwatch poll` first",
            path.display()
        );
        Store::open_read_only(&path).with_context(|| format!("reading {}", path.display()))
    }
}

fn check(ctx: &Ctx) -> anyhow::Result<ExitCode> {
    let cfg = ctx.config()?;
    crate::digest::check_password(&cfg)?;
    check_channel_secrets(&cfg)?;
    // A cookie file is read at each fetch; `check` reads it once, so that a missing or
    // world-readable one is found before the first poll.
    for s in cfg
        .sources
        .iter()
        .filter(|s| s.enabled && s.cookie_file.is_some())
    {
        if let Err(e) = crate::source::Request::of_source(s) {
            // The source's own `cookie_file` line: the first after its name.
            let named = format!("\"{}\"", s.name);
            let line = std::fs::read_to_string(&cfg.path)
                .ok()
                .and_then(|t| {
                    let lines: Vec<&str> = t.lines().collect();
                    let from = lines
                        .iter()
                        .position(|l| l.starts_with("name") && l.contains(&named))?;
                    let at = lines[from..]
                        .iter()
                        .position(|l| l.trim_start().starts_with("cookie_file"))?;
                    Some(from + at)
                })
                .map_or(String::new(), |n| format!(":{}", n + 1));
            anyhow::bail!("{}{line}: source.cookie_file: {e}", cfg.path.display());
        }
    }
    // The key file is read at each run of glossing; `check` reads it once, and says when
    // the service is not on this machine or its private network.
    match crate::translate::check_setup(&cfg) {
        Ok(warnings) => {
            for w in warnings {
                output::note(format_args!("sigwatch: warning: {w}"));
            }
        }
        Err(e) => {
            let line = std::fs::read_to_string(&cfg.path)
                .ok()
                .and_then(|t| {
                    let lines: Vec<&str> = t.lines().collect();
                    let from = lines.iter().position(|l| l.trim() == "[translate]")?;
                    let at = lines[from..]
                        .iter()
                        .position(|l| l.trim_start().starts_with("key_file"))?;
                    Some(from + at)
                })
                .map_or(String::new(), |n| format!(":{}", n + 1));
            anyhow::bail!("{}{line}: translate.key_file: {e}", cfg.path.display());
        }
    }
    let enabled = cfg.sources.iter().filter(|s| s.enabled).count();
    println!(
        "{}: ok ({}, {enabled} enabled; {}; database {})",
        cfg.path.display(),
        output::count(cfg.sources.len() as u64, "source", "sources"),
        output::count(cfg.watch.len() as u64, "watch", "watches"),
        display_path(&cfg.storage.path)
    );
    Ok(ExitCode::SUCCESS)
}

/// Reads each `[[notify]]` channel's secret files once, so that a missing or world-readable
/// one is found before the first message; an error names the file, line and key.
fn check_channel_secrets(cfg: &Config) -> anyhow::Result<()> {
    let dir = cfg.path.parent().unwrap_or(Path::new("."));
    let text = std::fs::read_to_string(&cfg.path).unwrap_or_default();
    for ch in cfg.chat_channels() {
        for (key, file) in ch.secret_files() {
            if let Err(e) = crate::private::read_secret(&ch.secret_path(file, dir)) {
                // The key's line within the channel's table: the first after its name.
                let named = format!("\"{}\"", ch.name);
                let leaf = key.rsplit('.').next().unwrap_or(&key).to_string();
                let lines: Vec<&str> = text.lines().collect();
                let line = lines
                    .iter()
                    .position(|l| l.trim_start().starts_with("name") && l.contains(&named))
                    .and_then(|from| {
                        let at = lines[from..].iter().position(|l| {
                            let l = l.trim_start();
                            l.starts_with(key.split('.').next().unwrap_or(&key)) || l.contains(&leaf)
                        })?;
                        Some(from + at)
                    })
                    .map_or(String::new(), |n| format!(":{}", n + 1));
                anyhow::bail!("{}{line}: notify.{key}: {e}", cfg.path.display());
            }
        }
    }
    Ok(())
}

fn display_path(p: &Path) -> String {
    p.display().to_string()
}

/// Logs go to stderr; `-v` raises the level, `RUST_LOG` overrides it. When stderr is the
/// journal, each line starts with its syslog priority (`<3>` error, `<4>` warning, `<6>` info,
/// `<7>` debug), which journald takes off and keeps, so `journalctl -p warning` finds warnings;
/// the journal adds timestamps, so the log leaves them and colours out.
fn init_logging(verbose: u8, default_level: &str) {
    use tracing_subscriber::EnvFilter;
    use tracing_subscriber::fmt::format;
    let level = match verbose {
        0 => default_level,
        1 => "info,sigwatch=debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if stderr_is_journal() {
        let plain = format().with_target(false).with_ansi(false).without_time();
        builder.event_format(JournalPriority(plain)).try_init()
    } else {
        builder
            .with_target(false)
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .try_init()
    };
}

/// Whether stderr is the journal's stream: systemd sets `JOURNAL_STREAM` to its device and
/// inode, and a child that inherited the variable but writes elsewhere must not add prefixes.
pub fn stderr_is_journal() -> bool {
    let Some(v) = std::env::var_os("JOURNAL_STREAM") else {
        return false;
    };
    let Some((dev, ino)) = v.to_str().and_then(|v| v.split_once(':')) else {
        return false;
    };
    let (Ok(dev), Ok(ino)) = (dev.parse::<u64>(), ino.parse::<u64>()) else {
        return false;
    };
    let Ok(fd) = std::os::fd::AsFd::as_fd(&std::io::stderr()).try_clone_to_owned() else {
        return false;
    };
    let Ok(meta) = std::fs::File::from(fd).metadata() else {
        return false;
    };
    use std::os::unix::fs::MetadataExt;
    meta.dev() == dev && meta.ino() == ino
}

/// Prefixes each log line with its journald priority.
struct JournalPriority<F>(F);

impl<S, N, F> tracing_subscriber::fmt::FormatEvent<S, N> for JournalPriority<F>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    N: for<'a> tracing_subscriber::fmt::FormatFields<'a> + 'static,
    F: tracing_subscriber::fmt::FormatEvent<S, N>,
{
    fn format_event(
        &self,
        ctx: &tracing_subscriber::fmt::FmtContext<'_, S, N>,
        mut writer: tracing_subscriber::fmt::format::Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> std::fmt::Result {
        write!(writer, "{}", journal_prefix(*event.metadata().level()))?;
        self.0.format_event(ctx, writer, event)
    }
}

/// The syslog priority prefix journald reads for a level.
pub fn journal_prefix(level: tracing::Level) -> &'static str {
    match level {
        tracing::Level::ERROR => "<3>",
        tracing::Level::WARN => "<4>",
        tracing::Level::INFO => "<6>",
        _ => "<7>",
    }
}
