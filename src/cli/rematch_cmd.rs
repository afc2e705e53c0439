//! `sigwatch rematch`: runs the current watchlists over stored items.

use std::process::ExitCode;

use chrono::Utc;

use super::Ctx;
use super::output::{self, Format};
use crate::units::parse_since;
use crate::watch::Matcher;

#[derive(Debug, clap::Args)]
pub struct RematchArgs {
    /// Only items dated since a date (2026-11-01) or a duration ago (30d)
    #[arg(long, value_name = "WHEN")]
    pub since: Option<String>,
    /// Say what would change, changing nothing
    #[arg(long)]
    pub dry_run: bool,
    /// table: a summary for people; json: the report as one document; jsonl and csv: one
    /// record per watch
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

pub fn run(ctx: &Ctx, args: &RematchArgs) -> anyhow::Result<ExitCode> {
    let now = Utc::now();
    let since = args
        .since
        .as_deref()
        .map(|s| parse_since(s, now, ctx.zone()))
        .transpose()
        .map_err(super::UsageError)?;
    let cfg = ctx.config()?;
    let matcher = Matcher::new(&cfg.watch)?;
    let mut store = ctx.open_store(Some(&cfg))?;
    let report = crate::rematch::rematch(&mut store, &matcher, &cfg, since, args.dry_run, now)?;
    match args.format {
        Format::Json => {
            output::write_json(&report)?;
            return Ok(ExitCode::SUCCESS);
        }
        Format::Jsonl | Format::Csv => {
            #[derive(serde::Serialize)]
            struct Row<'a> {
                watch: &'a str,
                added: u64,
                unmatched: u64,
                dry_run: bool,
            }
            // Every watch, those that nothing changed for too: a record per watch.
            let none = crate::rematch::WatchDelta::default();
            let rows: Vec<Row> = cfg
                .watch
                .keys()
                .map(|w| {
                    let d = report.watches.get(w).unwrap_or(&none);
                    Row {
                        watch: w,
                        added: d.added,
                        unmatched: d.unmatched,
                        dry_run: args.dry_run,
                    }
                })
                .collect();
            output::write_rows(args.format, &rows)?;
            return Ok(ExitCode::SUCCESS);
        }
        Format::Table => {}
    }
    let verb = if args.dry_run { "would add" } else { "added" };
    println!(
        "matched {} against {}",
        output::count(report.items, "stored item", "stored items"),
        output::count(cfg.watch.len() as u64, "watch", "watches")
    );
    if report.notices > 0 {
        println!(
            "read the notice facts (effective date, attachments) of {}",
            output::count(report.notices, "item", "items")
        );
    }
    let mut t = output::table(&["watch", verb, "no longer match"]);
    for (w, d) in &report.watches {
        t.add_row(vec![w.clone(), d.added.to_string(), d.unmatched.to_string()]);
    }
    if !report.watches.is_empty() {
        println!("{t}");
    }
    // What the change does, item by item: the first few per watch and direction.
    for (w, d) in &report.watches {
        for (sign, n, items) in [
            ("+", d.added, &d.added_items),
            ("-", d.unmatched, &d.unmatched_items),
        ] {
            if items.is_empty() {
                continue;
            }
            let what = match (sign, args.dry_run) {
                ("+", true) => "would gain hits",
                ("+", false) => "gained hits",
                _ => "no longer match",
            };
            let hits = if n == 1 { "hit" } else { "hits" };
            println!("{w}: {n} {hits}; items that {what}:");
            for e in items {
                println!(
                    "  {sign} [{}] {}  ({})",
                    e.item,
                    output::term(&e.title),
                    output::term(&e.terms.join(", "))
                );
            }
        }
    }
    if args.dry_run {
        println!("dry run: nothing was changed");
    }
    Ok(ExitCode::SUCCESS)
}
