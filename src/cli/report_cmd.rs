//! `sigwatch show`, `stats` and `trends`: reading one item, counting hits, seeing movement.

use std::process::ExitCode;

use chrono::Utc;

use super::Ctx;
use super::output::{self, DocFormat, Format};
use crate::store::{HitQuery, StatsBy};
use crate::trends::{self, SPIKE_RULE};
use crate::units::parse_since;

#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    /// The item's id (the first column of `sigwatch hits`)
    pub id: i64,
    #[arg(long, value_enum, default_value_t = DocFormat::Text)]
    pub format: DocFormat,
}

#[derive(Debug, clap::Args)]
pub struct StatsArgs {
    /// What to count hits by
    #[arg(long, value_enum, default_value_t = StatsBy::Watch)]
    pub by: StatsBy,
    /// Only items dated since a date or a duration ago
    #[arg(long, value_name = "WHEN")]
    pub since: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, clap::Args)]
pub struct TrendsArgs {
    /// How many days the chart covers, ending today (UTC)
    #[arg(long, default_value_t = 30)]
    pub days: usize,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

pub fn show(ctx: &Ctx, args: &ShowArgs) -> anyhow::Result<ExitCode> {
    let store = ctx.open_store_read(None)?;
    let Some(item) = store.item(args.id)? else {
        eprintln!("sigwatch: no item with id {}", args.id);
        return Ok(ExitCode::from(super::exit::NOTHING_FOUND));
    };
    let signals = ctx.config().map(|c| c.signals.clone()).unwrap_or_default();
    let hits = store.hits(&HitQuery {
        item: Some(item.id),
        bonus: (&signals).into(),
        ..Default::default()
    })?;
    let revisions = store.revisions(item.id)?;
    let events = store.events(item.id)?;
    let story = store.story(item.id)?;
    let glosses = store.item_glosses(item.id)?;
    if args.format == DocFormat::Json {
        let v = serde_json::json!({
            "item": item, "hits": hits, "revisions": revisions, "events": events, "story": story,
            "glosses": glosses,
        });
        output::write_json(&v)?;
        return Ok(ExitCode::SUCCESS);
    }
    let color = output::color();
    // Everything stored came from feeds: made safe for the terminal before the highlight's
    // own escape sequences go in.
    let term = |s: &str| output::term(s).into_owned();
    let mut title = term(&item.title);
    let mut text = term(if item.text.is_empty() {
        &item.summary
    } else {
        &item.text
    });
    for h in &hits {
        let matched = &*output::term(
            h.snippet
                .get(h.snippet_match.0..h.snippet_match.1)
                .unwrap_or_default(),
        );
        if h.field == "title" {
            title = output::highlight(&title, matched, color);
        } else {
            text = output::highlight(&text, matched, color);
        }
    }
    println!("{title}");
    if let Some(g) = glosses
        .iter()
        .find(|g| g.original == item.title && g.gloss.is_some())
    {
        println!(
            "{}",
            gloss_line(g.gloss.as_deref().unwrap_or_default(), &g.service)
        );
    }
    if let Some(st) = &item.status {
        println!("status:     {st}");
    }
    println!("source:     {}", term(&item.source));
    // Published is what the source says; first seen is when sigwatch found it.
    let zone = ctx.zone();
    println!(
        "published:  {} {}",
        output::short_time(item.published, zone),
        zone.name()
    );
    println!(
        "first seen: {} {}",
        output::short_time(Some(item.first_seen), zone),
        zone.name()
    );
    if let Some(l) = &item.link {
        println!("link:       {}", term(l));
    }
    print_notice(&item, zone);
    println!();
    println!("{text}");
    println!();
    if hits.is_empty() {
        println!("no hits");
    }
    for h in &hits {
        let marked = format!(
            "{}[{}]{}",
            h.snippet.get(..h.snippet_match.0).unwrap_or_default(),
            h.snippet
                .get(h.snippet_match.0..h.snippet_match.1)
                .unwrap_or_default(),
            h.snippet.get(h.snippet_match.1..).unwrap_or_default()
        );
        let terms: Vec<String> = h
            .terms
            .iter()
            .map(|t| format!("{:?} in {}", t.term, t.field))
            .collect();
        let terms = if terms.is_empty() {
            format!("{:?} in {}", h.term, h.field)
        } else {
            terms.join(", ")
        };
        println!(
            "hit  {} / {} (score {:.1}): {}",
            h.watch,
            term(&terms),
            h.score,
            term(&marked)
        );
        if let Some(g) = &h.gloss
            && let Some(s) = g.snippet.as_deref().filter(|s| g.title.as_deref() != Some(*s))
        {
            println!("     {}", gloss_line(s, &g.service));
        }
    }
    print_history(&item, &revisions, &events, zone);
    print_story(item.id, &story);
    Ok(ExitCode::SUCCESS)
}

/// A gloss under its original, marked as machine translation.
fn gloss_line(gloss: &str, service: &str) -> String {
    format!(
        "[machine translation, {}] {}",
        output::term(service),
        output::term(gloss)
    )
}

/// What an analyst needs from a notice: its document numbers and issuing bodies, the date
/// it takes effect, and its attachments, read out of the item (see `notice`).
fn print_notice(item: &crate::store::ItemRow, zone: chrono_tz::Tz) {
    use crate::notice::{Effective, attachments, effective_date};
    use output::term;
    for d in &item.doc_numbers {
        if d.issuers.is_empty() {
            println!("document:   {}", term(&d.key));
        } else {
            println!("document:   {} ({})", term(&d.key), d.issuers.join(", "));
        }
    }
    let published = item.published.map(|p| p.with_timezone(&zone).date_naive());
    match effective_date(&format!("{}\n{}", item.title, item.text), published) {
        Some(Effective::On(d)) => println!("effective:  {d}"),
        Some(Effective::OnPublication) => println!("effective:  on publication"),
        None => {}
    }
    let base = item.link.as_deref().and_then(|l| url::Url::parse(l).ok());
    for a in attachments(&item.summary, base.as_ref()) {
        println!("attachment: {}", term(&a));
    }
}

/// Edits and withdrawals, and what each edit changed, oldest first.
fn print_history(
    item: &crate::store::ItemRow,
    revisions: &[crate::store::Revision],
    events: &[crate::store::ItemEvent],
    zone: chrono_tz::Tz,
) {
    if events.is_empty() {
        return;
    }
    println!();
    for e in events {
        println!(
            "{:<10} {}  {}",
            e.kind,
            output::short_time(Some(e.at), zone),
            output::term(&e.detail)
        );
    }
    // Each revision against the next; the last against the item as it stands.
    let mut versions: Vec<(&str, &str, chrono::DateTime<Utc>)> = revisions
        .iter()
        .map(|r| (r.title.as_str(), r.text.as_str(), r.fetched))
        .collect();
    versions.push((&item.title, &item.text, item.revised.unwrap_or(item.first_seen)));
    for pair in versions.windows(2) {
        let ((ot, ox, of), (nt, nx, nf)) = (pair[0], pair[1]);
        println!(
            "\nrevision fetched {} → revision fetched {}",
            output::short_time(Some(of), zone),
            output::short_time(Some(nf), zone)
        );
        if let Some(d) = crate::diff::inline(ot, nt) {
            println!("  title: {}", output::term(&d));
        }
        if let Some(d) = crate::diff::inline(ox, nx) {
            println!("  text:  {}", output::term(&d));
        }
    }
}

/// The other items of the item's story, and the similarity each was folded by.
fn print_story(id: i64, story: &[crate::store::StoryMember]) {
    if story.len() < 2 {
        return;
    }
    let mut sources: Vec<&str> = story.iter().map(|m| m.source.as_str()).collect();
    sources.sort_unstable();
    sources.dedup();
    println!(
        "\nstory of {} from {}:",
        output::count(story.len() as u64, "item", "items"),
        output::count(sources.len() as u64, "source", "sources")
    );
    for m in story {
        let how = match (m.folded_into, m.similarity) {
            (Some(into), Some(sim)) => format!("folded into {into}, similarity {sim:.2}"),
            _ => "first seen".to_string(),
        };
        let me = if m.item_id == id { " (this item)" } else { "" };
        println!(
            "  {:>6}  {:<16} {}{me}  [{how}]",
            m.item_id,
            output::term(&m.source),
            output::term(&m.title)
        );
    }
}

pub fn stats(ctx: &Ctx, args: &StatsArgs) -> anyhow::Result<ExitCode> {
    let since = args
        .since
        .as_deref()
        .map(|s| parse_since(s, Utc::now(), ctx.zone()))
        .transpose()
        .map_err(super::UsageError)?;
    let store = ctx.open_store_read(None)?;
    let counts = store.hit_counts(args.by, since)?;
    #[derive(serde::Serialize)]
    struct Row<'a> {
        key: &'a str,
        hits: u64,
    }
    let rows: Vec<Row> = counts.iter().map(|(k, n)| Row { key: k, hits: *n }).collect();
    if output::write_rows(args.format, &rows)? {
        return Ok(ExitCode::SUCCESS);
    }
    let by = serde_json::to_value(args.by)?
        .as_str()
        .unwrap_or("key")
        .to_string();
    let mut t = output::table(&[&by, "hits"]);
    for r in &rows {
        t.add_row(vec![r.key.to_string(), r.hits.to_string()]);
    }
    println!("{t}");
    println!("total: {}", rows.iter().map(|r| r.hits).sum::<u64>());
    Ok(ExitCode::SUCCESS)
}

pub fn trends(ctx: &Ctx, args: &TrendsArgs) -> anyhow::Result<ExitCode> {
    let days = args.days.clamp(2, 366);
    let today = Utc::now().date_naive();
    let first = today - chrono::Days::new(days as u64 - 1);
    let watches: Vec<String> = ctx
        .config()
        .map(|c| c.watch.keys().cloned().collect())
        .unwrap_or_default();
    let store = ctx.open_store_read(None)?;
    let rows = store.daily_hits(first.and_time(chrono::NaiveTime::MIN).and_utc())?;
    let trends = trends::trends(&rows, &watches, today, days);
    if output::write_rows(args.format, &trends)? {
        return Ok(ExitCode::SUCCESS);
    }
    println!("daily hits, {first} to {today} (UTC)");
    let mut t = output::table(&["watch", "trend", "today", "mean", ""]);
    for tr in &trends {
        t.add_row(vec![
            tr.watch.clone(),
            tr.sparkline.clone(),
            tr.today.to_string(),
            format!("{:.1}", tr.baseline_mean),
            if tr.spike { "SPIKE".into() } else { String::new() },
        ]);
    }
    println!("{t}");
    for tr in trends.iter().filter(|t| t.spike) {
        println!("SPIKE {}", trends::spike_line(tr));
    }
    println!("({SPIKE_RULE})");
    Ok(ExitCode::SUCCESS)
}
