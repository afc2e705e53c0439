//! `sigwatch hits`: stored hits, newest first, as a table, JSON, JSON lines or CSV.

use std::process::ExitCode;

use chrono::Utc;

use super::Ctx;
use super::output::{self, Format};
use crate::config::Config;
use crate::store::{HitQuery, HitRow, Store, StoryRow};
use crate::units::parse_since;

#[derive(Debug, clap::Args)]
pub struct HitsArgs {
    /// Only hits of this watch (repeatable)
    #[arg(long = "watch", short = 'w', value_name = "WATCH")]
    pub watches: Vec<String>,
    /// Only hits from this source (repeatable)
    #[arg(long = "source", short = 's', value_name = "SOURCE")]
    pub sources: Vec<String>,
    /// Only hits from sources with this tag in the config (repeatable)
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// Only hits from sources of this language in the config, e.g. zh (repeatable)
    #[arg(long = "lang", value_name = "LANG")]
    pub langs: Vec<String>,
    /// Only items dated since a date (2026-11-01) or a duration ago (7d, 12h)
    #[arg(long, value_name = "WHEN")]
    pub since: Option<String>,
    /// Only items dated before a date or a duration ago
    #[arg(long, value_name = "WHEN")]
    pub until: Option<String>,
    /// Only items whose title or text contains this text (Chinese substrings too)
    #[arg(long, value_name = "TEXT")]
    pub search: Option<String>,
    /// Only hits not yet mailed in a digest
    #[arg(long)]
    pub unsent: bool,
    /// Only hits scoring at least this (see docs/signals.md for the scoring rule)
    #[arg(long, value_name = "SCORE")]
    pub min_score: Option<f64>,
    /// One row per story: an item and the copies other sources carried, folded together
    #[arg(long)]
    pub stories: bool,
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
    /// The source's `role` in the config (official, state-media, media, other); null for a
    /// source no longer in it.
    role: Option<&'static str>,
    title: &'a str,
    link: Option<&'a str>,
    published: Option<String>,
    first_seen: Option<String>,
    snippet: &'a str,
    /// The matched text as it stands in the snippet.
    matched: &'a str,
    score: f64,
    /// edited or withdrawn, when the item changed since first stored.
    status: Option<&'a str>,
    /// The first item of the story the item was folded into (itself when never folded).
    story: i64,
    /// Every term of the watch that matched the item: term, field, start, end, matched text.
    terms: Terms<'a>,
    /// The item's document numbers (`announcement:2026:61`).
    doc_numbers: Joined<'a>,
    /// The bodies its document numbers name as issuing them (`mofcom`).
    issuers: Joined<'a>,
    /// The date it says it takes effect (`2026-12-01`, or `on-publication`).
    effective: Option<String>,
    /// Links to its attachments (PDF, DOC, XLS, …).
    attachments: Joined<'a>,
    /// The machine translation of the title and snippet (title, snippet, service, at); in
    /// CSV, the title's.
    gloss: Glossed<'a>,
}

/// A hit's gloss: an object in JSON; in CSV, the title's gloss alone.
#[derive(Debug, serde::Serialize)]
#[serde(untagged)]
enum Glossed<'a> {
    Full(Option<&'a crate::store::Gloss>),
    Title(Option<&'a str>),
}

/// A list in JSON; in CSV, whose cells hold no lists, its elements joined by spaces.
#[derive(Debug, serde::Serialize)]
#[serde(untagged)]
enum Joined<'a> {
    List(&'a [String]),
    Text(String),
}

impl Joined<'_> {
    fn joined(&mut self) {
        if let Joined::List(l) = self {
            *self = Joined::Text(l.join(" "));
        }
    }
}

/// A hit's terms: a list in JSON; in CSV, whose cells hold no lists, the terms joined.
#[derive(Debug, serde::Serialize)]
#[serde(untagged)]
enum Terms<'a> {
    List(&'a [crate::store::TermMatch]),
    Joined(String),
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
            role: None,
            title: &h.title,
            link: h.link.as_deref(),
            published: output::iso_time(h.published),
            first_seen: output::iso_time(Some(h.first_seen)),
            snippet: &h.snippet,
            matched: h
                .snippet
                .get(h.snippet_match.0..h.snippet_match.1)
                .unwrap_or_default(),
            score: h.score,
            status: h.status.as_deref(),
            story: h.story,
            terms: Terms::List(&h.terms),
            doc_numbers: Joined::List(&h.doc_numbers),
            issuers: Joined::List(&h.issuers),
            effective: h
                .notice
                .as_ref()
                .and_then(|n| n.effective)
                .map(crate::notice::Effective::stored),
            attachments: Joined::List(h.notice.as_ref().map_or(&[], |n| &n.attachments)),
            gloss: Glossed::Full(h.gloss.as_ref()),
        }
    }
}

pub fn run(ctx: &Ctx, args: &HitsArgs) -> anyhow::Result<ExitCode> {
    let now = Utc::now();
    let zone = ctx.zone();
    let when = |s: &Option<String>| {
        s.as_deref()
            .map(|s| parse_since(s, now, zone))
            .transpose()
            .map_err(super::UsageError)
    };
    let (since, until) = (when(&args.since)?, when(&args.until)?);
    let mut sources = args.sources.clone();
    let cfg = if args.tags.is_empty() && args.langs.is_empty() {
        // Only for the status bonus of scores: hits are readable without a good config.
        ctx.config().ok()
    } else {
        Some(ctx.config()?)
    };
    if let Some(cfg) = cfg
        .as_ref()
        .filter(|_| !(args.tags.is_empty() && args.langs.is_empty()))
    {
        let picked = sources_with(cfg, &args.tags, &args.langs);
        if picked.is_empty() {
            return Err(super::UsageError(
                "no source in the config has the tags and languages asked for".into(),
            )
            .into());
        }
        sources.extend(picked);
    }
    let store = ctx.open_store_read(cfg.as_ref())?;
    let signals = cfg.as_ref().map(|c| c.signals.clone()).unwrap_or_default();
    let query = HitQuery {
        watches: args.watches.clone(),
        sources,
        since,
        until,
        search: args.search.clone(),
        item: None,
        unsent: args.unsent,
        min_score: args.min_score,
        bonus: (&signals).into(),
        limit: Some(args.limit),
    };
    if args.stories {
        return stories(&store, cfg.as_ref(), &query, args.format, zone);
    }
    let rows = store.hits(&query)?;
    let role_of = |name: &str| Some(cfg.as_ref()?.source(name)?.role.as_str());
    let mut out: Vec<HitOut> = rows
        .iter()
        .map(|h| HitOut {
            role: role_of(&h.source),
            ..HitOut::from(h)
        })
        .collect();
    if args.format == Format::Csv {
        for (o, h) in out.iter_mut().zip(&rows) {
            o.terms = Terms::Joined(term_list(h));
            o.gloss = Glossed::Title(h.gloss.as_ref().and_then(|g| g.title.as_deref()));
            o.doc_numbers.joined();
            o.issuers.joined();
            o.attachments.joined();
        }
    }
    if output::write_rows(args.format, &out)? {
        return Ok(ExitCode::SUCCESS);
    }
    if rows.is_empty() {
        output::note("no hits");
        return Ok(ExitCode::SUCCESS);
    }
    let color = output::color();
    let date = output::zoned("date", zone);
    // A notice column only when some item says what it is: most lists have none.
    let notices: Vec<String> = rows.iter().map(notice_cell).collect();
    let with_notice = notices.iter().any(|n| !n.is_empty());
    let mut head = vec!["id", &date, "score", "watch", "terms", "source", "title", "link"];
    if with_notice {
        head.insert(7, "notice");
    }
    let mut t = output::table(&head);
    for (h, notice) in rows.iter().zip(notices) {
        let safe = output::term(&h.title);
        let title = match &args.search {
            Some(q) => output::highlight(&safe, q, color),
            None => output::highlight(&safe, out_matched(h), color),
        };
        let title = match &h.status {
            Some(st) => format!("[{st}] {title}"),
            None => title,
        };
        // The gloss on a second line of the cell, marked; the note below names the service.
        let title = match h.gloss.as_ref().and_then(|g| g.title.as_deref()) {
            Some(g) => format!("{title}\n[MT] {}", output::term(g)),
            None => title,
        };
        let mut row = vec![
            h.item_id.to_string(),
            output::short_time(h.published.or(Some(h.first_seen)), zone),
            format!("{:.1}", h.score),
            h.watch.clone(),
            term_list(h),
            h.source.clone(),
            // Made safe before the highlight's own escape sequences went in.
            title,
            output::term(h.link.as_deref().unwrap_or_default()).into_owned(),
        ];
        if with_notice {
            row.insert(7, output::term(&notice).into_owned());
        }
        t.add_row(row);
    }
    println!("{t}");
    let mut services: Vec<&str> = rows
        .iter()
        .filter_map(|h| h.gloss.as_ref().filter(|g| g.title.is_some()))
        .map(|g| g.service.as_str())
        .collect();
    services.sort_unstable();
    services.dedup();
    if !services.is_empty() {
        output::note(format_args!(
            "[MT]: machine translation ({})",
            output::term(&services.join(", "))
        ));
    }
    output::note(format_args!(
        "{}; `sigwatch show ID` prints an item whole",
        output::count(rows.len() as u64, "hit", "hits")
    ));
    Ok(ExitCode::SUCCESS)
}

/// What an item says of itself as a notice, in a table cell: its issuers, the date it takes
/// effect and how many attachments it links ("mofcom, gacc; effective 2026-12-01; 2 files").
fn notice_cell(h: &HitRow) -> String {
    let mut parts: Vec<String> = Vec::new();
    if !h.issuers.is_empty() {
        parts.push(h.issuers.join(", "));
    }
    if let Some(n) = &h.notice {
        if let Some(e) = n.effective {
            parts.push(format!("effective {e}"));
        }
        match n.attachments.len() {
            0 => {}
            1 => parts.push("1 file".into()),
            k => parts.push(format!("{k} files")),
        }
    }
    parts.join("; ")
}

/// The distinct terms that matched, first one first.
fn term_list(h: &HitRow) -> String {
    let mut seen: Vec<&str> = Vec::new();
    for t in h.terms.iter().map(|t| t.term.as_str()).chain([h.term.as_str()]) {
        if !seen.contains(&t) {
            seen.push(t);
        }
    }
    seen.join(", ")
}

fn out_matched(h: &HitRow) -> &str {
    if h.field == "title" {
        h.snippet
            .get(h.snippet_match.0..h.snippet_match.1)
            .unwrap_or_default()
    } else {
        ""
    }
}

/// Names of the config's sources that carry every asked tag and one of the asked languages.
fn sources_with(cfg: &Config, tags: &[String], langs: &[String]) -> Vec<String> {
    cfg.sources
        .iter()
        .filter(|s| tags.iter().all(|t| s.tags.contains(t)))
        .filter(|s| langs.is_empty() || s.lang.as_ref().is_some_and(|l| langs.contains(l)))
        .map(|s| s.name.clone())
        .collect()
}

/// One item of a story as printed in JSON.
type MemberOut = crate::notify::story::Member;

/// One story as printed in JSON: led by its official item, else its first.
#[derive(Debug, serde::Serialize)]
struct StoryOut {
    story: i64,
    /// The lead's title and link.
    title: String,
    link: Option<String>,
    lead: MemberOut,
    /// Every item of the story, the lead first.
    members: Vec<MemberOut>,
    watches: Vec<String>,
    /// Sources of its items with hits matching the query.
    sources: Vec<String>,
    /// The document numbers its items carry, each once.
    doc_numbers: Vec<String>,
    score: f64,
    /// The newest date among its items with hits.
    date: String,
    /// Items with hits matching the query, and their hits (items in watches).
    items: u64,
    hits: u64,
    /// The machine translation of the lead's title, once stored.
    gloss: Option<crate::store::Gloss>,
}

/// A story's members, the lead (the first item of an official source, else the first item)
/// first.
fn story_out(store: &Store, cfg: Option<&Config>, r: &StoryRow) -> anyhow::Result<StoryOut> {
    let members = crate::notify::story::members(store, cfg, r.story)?;
    let lead = members.first().cloned().unwrap_or_else(|| MemberOut {
        item: r.story,
        source: r.sources.first().cloned().unwrap_or_default(),
        role: "media",
        title: r.title.clone(),
        link: r.link.clone(),
        doc_numbers: Vec::new(),
        published: None,
        first_seen: None,
    });
    let doc_numbers = crate::notify::story::doc_numbers(&members);
    let gloss = store.gloss_of(lead.item, &lead.title, None)?;
    Ok(StoryOut {
        gloss,
        story: r.story,
        title: lead.title.clone(),
        link: lead.link.clone(),
        lead,
        members,
        watches: r.watches.clone(),
        sources: r.sources.clone(),
        doc_numbers,
        score: r.score,
        date: r.date.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        items: r.items,
        hits: r.hits,
    })
}

#[derive(serde::Serialize)]
struct StoryCsv<'a> {
    story: i64,
    date: String,
    score: f64,
    items: u64,
    hits: u64,
    watches: String,
    sources: String,
    doc_numbers: String,
    title: &'a str,
    link: Option<&'a str>,
}

/// `hits --stories`: one row per story.
fn stories(
    store: &Store,
    cfg: Option<&Config>,
    query: &HitQuery,
    format: Format,
    zone: chrono_tz::Tz,
) -> anyhow::Result<ExitCode> {
    let rows = store.stories(query)?;
    let out: Vec<StoryOut> = rows
        .iter()
        .map(|r| story_out(store, cfg, r))
        .collect::<anyhow::Result<_>>()?;
    if format == Format::Csv {
        // CSV cells hold no lists: sources and watches are joined.
        let flat: Vec<StoryCsv> = rows
            .iter()
            .zip(&out)
            .map(|(r, o)| StoryCsv {
                story: r.story,
                date: r.date.to_rfc3339(),
                score: r.score,
                items: r.items,
                hits: r.hits,
                watches: r.watches.join(" "),
                sources: r.sources.join(" "),
                doc_numbers: o.doc_numbers.join(" "),
                title: &o.lead.title,
                link: o.lead.link.as_deref(),
            })
            .collect();
        output::write_rows(format, &flat)?;
        return Ok(ExitCode::SUCCESS);
    }
    if output::write_rows(format, &out)? {
        return Ok(ExitCode::SUCCESS);
    }
    if rows.is_empty() {
        output::note("no hits");
        return Ok(ExitCode::SUCCESS);
    }
    let date = output::zoned("date", zone);
    let mut t = output::table(&["story", &date, "score", "watches", "sources", "title", "link"]);
    for (r, o) in rows.iter().zip(&out) {
        let title = match o.gloss.as_ref().and_then(|g| g.title.as_deref()) {
            Some(g) => format!("{}\n[MT] {g}", o.lead.title),
            None => o.lead.title.clone(),
        };
        let sources = if r.sources.len() > 1 {
            format!("{} ({})", r.sources.len(), r.sources.join(", "))
        } else {
            r.sources.join(", ")
        };
        t.add_row(output::term_row([
            r.story.to_string(),
            output::short_time(Some(r.date), zone),
            format!("{:.1}", r.score),
            r.watches.join(", "),
            sources,
            title,
            o.lead.link.clone().unwrap_or_default(),
        ]));
    }
    println!("{t}");
    output::note(format_args!(
        "{}; `sigwatch show ID` prints a story's items and how they were folded",
        output::count(rows.len() as u64, "story", "stories")
    ));
    Ok(ExitCode::SUCCESS)
}
