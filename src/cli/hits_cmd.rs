//! `sigwatch hits`: stored hits, newest first, as a table, JSON or CSV.

use std::process::ExitCode;

use chrono::Utc;

use super::Ctx;
use super::output::{self, Format};
use crate::store::{HitQuery, HitRow};
use crate::units::parse_since;

#[derive(Debug, clap::Args)]
pub struct HitsArgs {
    /// Only hits of this watch (repeatable)
    #[arg(long = "watch", short = 'w', value_name = "WATCH")]
    pub watches: Vec<String>,
    /// Only hits from this source (repeatable)
    #[arg(long = "source", short = 's', value_name = "SOURCE")]
    pub sources: Vec<String>,
    /// Only items dated since a date (2026-11-01) or a duration ago (7d, 12h)
    #[arg(long, value_name = "WHEN")]
    pub since: Option<String>,
    /// At most this many hits
    #[arg(long, short = 'n', default_value_t = 50)]
    pub limit: usize,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// One hit as printed in JSON and CSV.
#[derive(Debug, serde::Serialize)]
struct HitOut<'a> {
    id: i64,
    item: i64,
    watch: &'a str,
    term: &'a str,
    field: &'a str,
    source: &'a str,
    title: &'a str,
    link: Option<&'a str>,
    published: Option<String>,
    first_seen: Option<String>,
    snippet: &'a str,
    /// The matched text as it stands in the snippet.
    matched: &'a str,
}

impl<'a> From<&'a HitRow> for HitOut<'a> {
    fn from(h: &'a HitRow) -> Self {
        HitOut {
            id: h.id,
            item: h.item_id,
            watch: &h.watch,
            term: &h.term,
            field: &h.field,
            source: &h.source,
            title: &h.title,
            link: h.link.as_deref(),
            published: output::iso_time(h.published),
            first_seen: output::iso_time(Some(h.first_seen)),
            snippet: &h.snippet,
            matched: h
                .snippet
                .get(h.snippet_match.0..h.snippet_match.1)
                .unwrap_or_default(),
        }
    }
}

pub fn run(ctx: &Ctx, args: &HitsArgs) -> anyhow::Result<ExitCode> {
    let since = args
        .since
        .as_deref()
        .map(|s| parse_since(s, Utc::now()))
        .transpose()
        .map_err(anyhow::Error::msg)?;
    let store = ctx.open_store_read(None)?;
    let rows = store.hits(&HitQuery {
        watches: args.watches.clone(),
        sources: args.sources.clone(),
        since,
        limit: Some(args.limit),
    })?;
    let out: Vec<HitOut> = rows.iter().map(HitOut::from).collect();
    match args.format {
        Format::Json => output::write_json(&out)?,
        Format::Csv => output::write_csv(&out)?,
        Format::Table => {
            if rows.is_empty() {
                eprintln!("no hits");
                return Ok(ExitCode::SUCCESS);
            }
            let mut t = output::table(&["date", "watch", "term", "source", "title", "link"]);
            for h in &rows {
                t.add_row(vec![
                    output::short_time(h.published.or(Some(h.first_seen))),
                    h.watch.clone(),
                    h.term.clone(),
                    h.source.clone(),
                    h.title.clone(),
                    h.link.clone().unwrap_or_default(),
                ]);
            }
            println!("{t}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
