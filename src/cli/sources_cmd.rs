//! `sigwatch sources`: each source with its health, fetch state and item counts.

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
        target: String,
    },
}

#[derive(Debug, serde::Serialize)]
struct SourceOut<'a> {
    name: &'a str,
    url: &'a str,
    in_config: bool,
    enabled: bool,
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
    if let Some(SourcesAction::Test { target }) = &args.action {
        return test(&cfg, target);
    }
    let mut store = ctx.open_store(Some(&cfg))?;
    // Sources never polled yet are listed too, as "never".
    store.sync_sources(cfg.sources.iter().map(|s| (s.name.as_str(), s.url.as_str())))?;
    let rows = store.sources()?;
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
        t.add_row(vec![
            o.name.to_string(),
            health.unwrap_or_default(),
            o.status.to_string(),
            output::short_time(r.last_fetch),
            o.consecutive_failures.to_string(),
            o.items.to_string(),
            output::short_time(r.newest_item),
            note,
        ]);
    }
    println!("{t}");
    Ok(ExitCode::SUCCESS)
}

/// `sources test`: one fetch and parse, printed; nothing stored.
fn test(cfg: &crate::config::Config, target: &str) -> anyhow::Result<ExitCode> {
    let source = match cfg.source(target) {
        Some(s) => s.clone(),
        None => {
            let url = url::Url::parse(target).map_err(|_| {
                anyhow::anyhow!(
                    "{target:?} is neither a source in {} nor a URL",
                    cfg.path.display()
                )
            })?;
            crate::config::SourceConfig {
                name: "test".into(),
                url: url.to_string(),
                enabled: true,
                ..Default::default()
            }
        }
    };
    let fetcher = crate::source::Fetcher::new(&cfg.fetch)?;
    let matcher = crate::watch::Matcher::new(&cfg.watch)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let fetched = rt.block_on(fetcher.fetch_allowing(&source.url, &Default::default(), source.allow_local));
    let (bytes, content_type, final_url) = match fetched {
        Ok(crate::source::Fetched::Body {
            bytes,
            content_type,
            final_url,
            ..
        }) => (bytes, content_type, final_url),
        Ok(crate::source::Fetched::NotModified { .. }) => {
            anyhow::bail!("the server answered 304 to a request without validators")
        }
        Err(e) => {
            println!("{} ({}): FAILED [{}] {e}", source.name, source.url, e.class());
            return Ok(ExitCode::from(1));
        }
    };
    let mut parsed = match crate::source::parse_source(&source, &bytes, content_type.as_deref(), &final_url) {
        Ok(p) => p,
        Err(e) => {
            println!("{} ({}): FAILED [{}] {e}", source.name, source.url, e.class());
            return Ok(ExitCode::from(1));
        }
    };
    if source.follow {
        // Every item counts as new here: this shows what a first poll would fetch.
        let known = std::collections::HashSet::new();
        let warnings = rt.block_on(crate::source::follow_new(
            &fetcher,
            &source,
            &mut parsed.items,
            &known,
        ));
        parsed.warnings.extend(warnings);
    }
    println!(
        "{} ({}): {} items, {} bytes{}",
        source.name,
        final_url,
        parsed.items.len(),
        bytes.len(),
        parsed
            .title
            .as_deref()
            .map(|t| format!(", titled {t:?}"))
            .unwrap_or_default()
    );
    for w in &parsed.warnings {
        println!("  warning: {w}");
    }
    for it in &parsed.items {
        println!("\n  {}  {}", output::short_time(it.published), it.title);
        if let Some(l) = &it.link {
            println!("      {l}");
        }
        println!("      identity: {}", it.uid());
        if source.follow {
            println!(
                "      text: {} characters",
                crate::watch::plain_text(&it.summary).chars().count()
            );
        }
        for h in matcher.find(&it.title, &it.summary) {
            println!("      hit: {} / {} ({})", h.watch, h.term, h.field.as_str());
        }
    }
    Ok(ExitCode::SUCCESS)
}
