//! `sigwatch poll`: one poll of every source, or of the named ones.

use std::io::Write;
use std::process::ExitCode;

use super::{Ctx, Format};
use crate::poll::{Outcome, Poller};

#[derive(Debug, clap::Args)]
pub struct PollArgs {
    /// Sources to poll, by name [default: every enabled source]
    pub sources: Vec<String>,
    /// Output format of the summary (table prints a human summary; csv is not offered)
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

pub fn run(ctx: &Ctx, args: &PollArgs) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        args.format != Format::Csv,
        "poll prints a summary: use --format table or json"
    );
    let cfg = ctx.config()?;
    let mut store = ctx.open_store(Some(&cfg))?;
    let mut poller = Poller::new(&cfg)?;
    // A bar on a terminal; plain lines (after the cycle) otherwise.
    let bar = std::io::IsTerminal::is_terminal(&std::io::stderr()).then(|| {
        let n = if args.sources.is_empty() {
            cfg.sources.iter().filter(|s| s.enabled).count()
        } else {
            args.sources.len()
        };
        let bar = indicatif::ProgressBar::new(n as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} polling [{bar:30}] {pos}/{len} {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar
    });
    if let Some(bar) = &bar {
        let bar = bar.clone();
        poller = poller.with_observer(std::sync::Arc::new(move |o| {
            bar.set_message(o.source.clone());
            bar.inc(1);
        }));
    }
    let rt = crate::poll::runtime()?;
    let summary = rt.block_on(poller.poll(&cfg, &mut store, &args.sources, &crate::schedule::SystemClock))?;
    // Immediate watches are mailed now, as the daemon would after its cycle.
    let now = chrono::Utc::now();
    if crate::digest::queue_alerts(&cfg, &mut store, now)?.is_some() {
        let r = rt.block_on(crate::digest::deliver(&cfg, &mut store, now, false))?;
        eprintln!(
            "alerts: {} sent, {} to retry, {} failed",
            r.sent, r.retrying, r.failed
        );
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    if args.format == Format::Json {
        super::output::write_json(&summary)?;
        return Ok(ExitCode::SUCCESS);
    }
    // Written in blocks, not a system call per line (stdout is line-buffered): a poll of
    // 1,000 sources prints 1,001 lines.
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    writeln!(
        out,
        "polled {} sources: {} fetched, {} not modified, {} failed; {} new items, {} new hits",
        summary.sources.len(),
        summary.fetched,
        summary.not_modified,
        summary.failed,
        summary.new_items,
        summary.new_hits
    )?;
    for s in &summary.sources {
        match &s.outcome {
            Outcome::Fetched {
                items,
                new_items,
                new_hits,
                edited,
                withdrawn,
                folded,
            } => {
                let mut notes = String::new();
                for (n, what) in [(edited, "edited"), (withdrawn, "withdrawn"), (folded, "folded")] {
                    if *n > 0 {
                        notes += &format!(", {n} {what}");
                    }
                }
                writeln!(
                    out,
                    "  ok            {}: {items} items, {new_items} new, {new_hits} new hits{notes}",
                    s.source
                )?
            }
            Outcome::NotModified => writeln!(out, "  not modified  {}", s.source)?,
            Outcome::Failed { class, error } => {
                writeln!(out, "  FAILED        {}: [{class}] {error}", s.source)?
            }
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
