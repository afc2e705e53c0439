//! `sigwatch sources`: each source with its health, fetch state and item counts.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::Utc;

use super::Ctx;
use super::output::{self, Format};
use crate::schedule::{self, Health, HealthInput};
use crate::store::SourceRow;

#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct SourcesArgs {
    #[command(subcommand)]
    pub action: Option<SourcesAction>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, clap::Subcommand)]
pub enum SourcesAction {
    /// Fetch one source now and print what it would store (storing nothing), naming any
    /// selector that matched nothing
    Test {
        /// A source's name in the config, or the URL of a feed
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        target: Option<String>,
        /// Try every enabled source once and print one line each (fetched or not, items
        /// read, newest date, what matched nothing); exit 3 when one could not be fetched or
        /// read, 1 when one listed no items
        #[arg(long)]
        all: bool,
    },
    /// Add the feeds of an OPML file (a feed reader's export) to the config file as
    /// [[source]] tables; feeds whose URL the config already has are skipped
    Import {
        file: PathBuf,
        /// Print the tables that would be added; change nothing
        #[arg(long)]
        dry_run: bool,
        /// Also import feeds on this machine or a private network (loopback, private or
        /// link-local addresses, localhost, single-label and .local/.internal names); they
        /// get allow_local = true
        #[arg(long)]
        allow_local: bool,
    },
    /// Print the config's feeds as OPML 2.0 (html and json sources, and feeds that need a
    /// POST, headers or a cookie, are left out)
    Export {
        /// Write to this file instead of standard output
        #[arg(long, short)]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, serde::Serialize)]
struct SourceOut<'a> {
    name: &'a str,
    url: &'a str,
    in_config: bool,
    enabled: bool,
    /// Who publishes it (the config's `role`): official, state-media, media or other.
    role: &'a str,
    /// ok, failing (longer than [poll] fail_after), stale (nothing newer than [poll]
    /// stale_after), new (never fetched) or disabled.
    health: Health,
    /// The last fetch's result: ok, not-modified, error, or never.
    status: &'a str,
    last_fetch: Option<String>,
    last_success: Option<String>,
    consecutive_failures: u32,
    failing_since: Option<String>,
    last_error: Option<&'a str>,
    disabled_reason: Option<&'a str>,
    next_poll: Option<String>,
    items: u64,
    newest_item: Option<String>,
}

pub fn run(ctx: &Ctx, args: &SourcesArgs) -> anyhow::Result<ExitCode> {
    let cfg = ctx.config()?;
    match &args.action {
        Some(SourcesAction::Test { all: true, .. }) => return super::sources_test::test_all(&cfg),
        Some(SourcesAction::Test { target, .. }) => {
            return super::sources_test::test(&cfg, target.as_deref().unwrap_or_default());
        }
        Some(SourcesAction::Import {
            file,
            dry_run,
            allow_local,
        }) => return import(&cfg, file, *dry_run, *allow_local),
        Some(SourcesAction::Export { out }) => return export(&cfg, out.as_deref()),
        None => {}
    }
    // A listing only reads (an operator in the service's group may not write the database):
    // sources of the config that were never polled, or that no database holds yet, are
    // listed as "never".
    let mut rows = if ctx.db_path(Some(&cfg))?.exists() {
        ctx.open_store_read(Some(&cfg))?.sources()?
    } else {
        Vec::new()
    };
    for s in &cfg.sources {
        if !rows.iter().any(|r| r.name == s.name) {
            rows.push(SourceRow::never(&s.name, &s.url));
        }
    }
    rows.sort_by(|a, b| a.name.cmp(&b.name));
    let now = Utc::now();
    let out: Vec<SourceOut> = rows
        .iter()
        .map(|r: &SourceRow| {
            let conf = cfg.source(&r.name);
            let enabled = conf.is_some_and(|c| c.enabled);
            let input = HealthInput {
                ever_fetched: r.last_fetch.is_some(),
                disabled: !enabled || r.disabled_reason.is_some(),
                failing_since: r.failing_since,
                newest_item: r.newest_item,
                last_success: r.last_success,
            };
            SourceOut {
                name: &r.name,
                url: &r.url,
                in_config: conf.is_some(),
                enabled,
                role: conf.map_or("-", |c| c.role.as_str()),
                health: schedule::health(&input, now, cfg.poll.fail_after, cfg.poll.stale_after),
                status: r.last_status.as_deref().unwrap_or("never"),
                last_fetch: output::iso_time(r.last_fetch),
                last_success: output::iso_time(r.last_success),
                consecutive_failures: r.consecutive_failures,
                failing_since: output::iso_time(r.failing_since),
                last_error: r.last_error.as_deref(),
                disabled_reason: r.disabled_reason.as_deref(),
                next_poll: output::iso_time(r.next_poll),
                items: r.items,
                newest_item: output::iso_time(r.newest_item),
            }
        })
        .collect();
    if output::write_rows(args.format, &out)? {
        return Ok(ExitCode::SUCCESS);
    }
    let mut t = output::table(&[
        "source",
        "role",
        "health",
        "last",
        "last fetch",
        "fails",
        "items",
        "newest",
        "note",
    ]);
    for (o, r) in out.iter().zip(&rows) {
        let health = serde_json::to_value(o.health)
            .ok()
            .and_then(|v| v.as_str().map(String::from));
        let note = if !o.in_config {
            "not in config".to_string()
        } else if !o.enabled {
            "disabled in config".to_string()
        } else {
            o.disabled_reason.or(o.last_error).unwrap_or("").to_string()
        };
        t.add_row(output::term_row([
            o.name.to_string(),
            o.role.to_string(),
            health.unwrap_or_default(),
            o.status.to_string(),
            output::short_time(r.last_fetch, cfg.zone()),
            o.consecutive_failures.to_string(),
            o.items.to_string(),
            output::short_time(r.newest_item, cfg.zone()),
            note,
        ]));
    }
    println!("{t}");
    Ok(ExitCode::SUCCESS)
}

/// `sources import`: appends the OPML file's new feeds to the config file, after checking that
/// the result still loads.
fn import(
    cfg: &crate::config::Config,
    file: &Path,
    dry_run: bool,
    allow_local: bool,
) -> anyhow::Result<ExitCode> {
    use anyhow::Context;
    // Quoted and escaped: a file name may carry line breaks or terminal escapes.
    let shown = format!("{file:?}");
    let text = std::fs::read_to_string(file).with_context(|| format!("cannot read {shown}"))?;
    let found = crate::opml::import(&text, cfg, allow_local).with_context(|| shown.clone())?;
    for (url, why) in &found.refused {
        eprintln!("skipped {url:?}: {why}");
    }
    let summary = format!(
        "{} new feeds, {} already in the config, {} skipped",
        found.added.len(),
        found.present.len(),
        found.refused.len()
    );
    if found.added.is_empty() {
        eprintln!("{shown}: nothing to add ({summary})");
        return Ok(ExitCode::SUCCESS);
    }
    let origin = file
        .file_name()
        .map_or_else(|| file.display().to_string(), |n| n.to_string_lossy().into());
    let tables = crate::opml::to_toml(&found.added, &origin);
    if dry_run {
        print!("{tables}");
        eprintln!("dry run: {summary}; {} left unchanged", cfg.path.display());
        return Ok(ExitCode::SUCCESS);
    }
    let current =
        std::fs::read_to_string(&cfg.path).with_context(|| format!("cannot read {}", cfg.path.display()))?;
    let mut next = current.clone();
    if !next.is_empty() && !next.ends_with('\n') {
        next.push('\n');
    }
    next.push_str(&tables);
    // The file is replaced only by a config that loads, so a bad import cannot stop the daemon.
    crate::config::Config::parse(&next, &cfg.path).context("the imported sources would not load")?;
    write_beside(&cfg.path, &next)?;
    eprintln!("{shown}: {summary}; added to {}", cfg.path.display());
    for f in &found.added {
        println!("{}\t{}", f.name, f.url);
    }
    Ok(ExitCode::SUCCESS)
}

/// Replaces `path` by writing a sibling file and renaming it over, keeping the permissions.
fn write_beside(path: &Path, text: &str) -> anyhow::Result<()> {
    use anyhow::Context;
    let tmp = path.with_extension("toml.import-tmp");
    // Private while written; the config's own mode is copied over before the rename.
    crate::private::write(&tmp, text.as_bytes(), crate::private::Share::Owner)
        .with_context(|| format!("cannot write {}", tmp.display()))?;
    if let Ok(meta) = std::fs::metadata(path) {
        std::fs::set_permissions(&tmp, meta.permissions())?;
    }
    std::fs::rename(&tmp, path).with_context(|| format!("cannot replace {}", path.display()))?;
    Ok(())
}

/// `sources export`: the config's feeds as OPML 2.0.
fn export(cfg: &crate::config::Config, out: Option<&Path>) -> anyhow::Result<ExitCode> {
    let (xml, skipped) = crate::opml::export(cfg, Utc::now())?;
    match out {
        Some(p) => crate::private::write(p, xml.as_bytes(), crate::private::Share::Owner)
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", p.display()))?,
        None => print!("{xml}"),
    }
    if skipped > 0 {
        eprintln!(
            "{skipped} sources left out (html, json, or asked for with a POST, headers or a cookie): OPML lists plain feeds only"
        );
    }
    Ok(ExitCode::SUCCESS)
}
