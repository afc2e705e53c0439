//! `sigwatch poll`: one poll of every source, or of the named ones.

use std::io::Write;
use std::process::ExitCode;

use super::output;
use super::{Ctx, Format};
use crate::poll::{Outcome, Poller};

#[derive(Debug, clap::Args)]
pub struct PollArgs {
    /// Sources to poll, by name [default: every enabled source]
    pub sources: Vec<String>,
    /// table: a summary for people; json: the summary as one document; jsonl and csv: one
    /// record per source
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

pub fn run(ctx: &Ctx, args: &PollArgs) -> anyhow::Result<ExitCode> {
    let cfg = ctx.config()?;
    if let Some(unknown) = args.sources.iter().find(|n| cfg.source(n).is_none()) {
        return Err(super::UsageError(format!("no source {unknown:?} in {}", cfg.path.display())).into());
    }
    let mut store = ctx.open_store(Some(&cfg))?;
    // A channel added to the config takes the hits stored from this poll on.
    crate::notify::register(&cfg, &mut store)?;
    let mut poller = Poller::new(&cfg)?;
    // A bar on a terminal; plain lines (after the cycle) otherwise.
    let bar = (!output::quiet() && std::io::IsTerminal::is_terminal(&std::io::stderr())).then(|| {
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
    // Glosses of the new hits, before the alerts that show them; bounded by
    // `[translate] timeout`, and what is not glossed by then goes out untranslated.
    if let Some(plan) = crate::translate::Plan::of(&cfg) {
        let r = rt.block_on(crate::translate::run(&plan, &mut store, None))?;
        super::translate_cmd::note(&r);
    }
    // Immediate watches are mailed now, as the daemon would after its cycle.
    let now = chrono::Utc::now();
    if crate::digest::queue_alerts(&cfg, &mut store, now)?.is_some() {
        let r = rt.block_on(crate::digest::deliver(&cfg, &mut store, now, false))?;
        output::note(format_args!(
            "alerts: {} sent, {} to retry, {} failed",
            r.sent, r.retrying, r.failed
        ));
    }
    // Every other channel: its new alerts, and whatever of its queue is due (retries).
    if cfg.chat_channels().next().is_some() {
        crate::notify::queue_alerts(&cfg, &mut store, now)?;
        let r = rt.block_on(crate::notify::deliver(&cfg, &mut store, chrono::Utc::now()))?;
        if r.sent + r.retrying + r.failed > 0 {
            output::note(format_args!(
                "channels: {} sent, {} to retry, {} failed",
                r.sent, r.retrying, r.failed
            ));
        }
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    match args.format {
        Format::Json => {
            output::write_json(&summary)?;
            return Ok(ExitCode::SUCCESS);
        }
        Format::Jsonl | Format::Csv => {
            output::write_rows(args.format, &summary.sources)?;
            return Ok(ExitCode::SUCCESS);
        }
        Format::Table => {}
    }
    // Written in blocks, not a system call per line (stdout is line-buffered): a poll of
    // 1,000 sources prints 1,001 lines.
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    writeln!(
        out,
        "polled {}: {} fetched, {} not modified, {} failed; {}, {}",
        output::count(summary.sources.len() as u64, "source", "sources"),
        summary.fetched,
        summary.not_modified,
        summary.failed,
        output::count(summary.new_items, "new item", "new items"),
        output::count(summary.new_hits, "new hit", "new hits")
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
                    "  ok            {}: {}, {new_items} new, {}{notes}",
                    s.source,
                    output::count(*items as u64, "item", "items"),
                    output::count(*new_hits, "new hit", "new hits")
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
