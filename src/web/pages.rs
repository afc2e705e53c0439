//! The list pages: stories (filtered, searched), sources and one source, trends.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use minijinja::context;

use super::view::{self, link, text, time};
use super::{App, Failure};
use crate::config::Config;
use crate::schedule::{Health, HealthInput};
use crate::store::{Gloss, HitQuery, SourceRow, StoryRow};

/// Stories on one page.
const PAGE: usize = 50;
/// Days a story list covers unless asked.
const DAYS: i64 = 7;
/// Days of the trends and a source's items over time.
const SPAN_DAYS: usize = 30;
/// The longest search text taken.
const MAX_SEARCH: usize = 200;

/// The filters of the stories page, as the form sends them.
#[derive(Debug, Default, serde::Deserialize, serde::Serialize)]
pub(crate) struct Filters {
    #[serde(default)]
    watch: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    days: Option<i64>,
    #[serde(default)]
    q: String,
    /// `score` for highest first; newest first otherwise.
    #[serde(default)]
    sort: String,
    /// Only stories dated before this Unix time: the next page of a newest-first list.
    #[serde(default)]
    until: Option<i64>,
}

/// The stories' query for `f` under `cfg`.
fn query(f: &Filters, cfg: &Config) -> HitQuery {
    let now = Utc::now();
    let days = f.days.unwrap_or(DAYS).clamp(1, 3660);
    let mut sources: Vec<String> = Vec::new();
    if !f.role.is_empty() {
        sources = cfg
            .sources
            .iter()
            .filter(|s| s.role.as_str() == f.role)
            .map(|s| s.name.clone())
            .collect();
        if !f.source.is_empty() {
            sources.retain(|s| *s == f.source);
        }
        if sources.is_empty() {
            // No source has the role: a name no source has, so that nothing is listed.
            sources.push(String::from("\u{0}"));
        }
    } else if !f.source.is_empty() {
        sources.push(f.source.clone());
    }
    let q: String = f.q.trim().chars().take(MAX_SEARCH).collect();
    HitQuery {
        watches: if f.watch.is_empty() {
            vec![]
        } else {
            vec![f.watch.clone()]
        },
        sources,
        since: Some(now - chrono::Duration::days(days)),
        until: f.until.and_then(|t| chrono::DateTime::from_timestamp(t, 0)),
        search: (!q.is_empty()).then_some(q),
        bonus: (&cfg.signals).into(),
        limit: Some(PAGE),
        ..Default::default()
    }
}

/// One story as the list shows it.
#[derive(serde::Serialize)]
struct StoryOut {
    id: i64,
    title: String,
    link: Option<String>,
    sources: Vec<String>,
    watches: Vec<String>,
    items: u64,
    hits: u64,
    score: String,
    date: String,
    /// The machine translation of the title, when one is stored.
    gloss: Option<(String, String)>,
}

fn story_out(s: &StoryRow, gloss: Option<Gloss>, zone: chrono_tz::Tz) -> StoryOut {
    StoryOut {
        gloss: gloss.and_then(|g| g.title.map(|t| (text(&t), text(&g.service)))),
        id: s.story,
        title: text(&s.title),
        link: link(s.link.as_deref()),
        sources: s.sources.iter().map(|x| text(x)).collect(),
        watches: s.watches.iter().map(|x| text(x)).collect(),
        items: s.items,
        hits: s.hits,
        score: format!("{:.1}", s.score),
        date: time(s.date, zone),
    }
}

pub(crate) async fn stories(
    State(app): State<Arc<App>>,
    uri: axum::http::Uri,
    Query(f): Query<Filters>,
) -> Result<Response, Failure> {
    let key = uri.query().unwrap_or_default().to_string();
    if let Some(page) = app.cached(&key) {
        return Ok(page);
    }
    let q = query(&f, &app.cfg);
    let by_score = f.sort == "score";
    let rows = app
        .read(move |s, _| {
            let rows = if by_score {
                s.stories_by(&q, true)?
            } else {
                s.stories_page(&q)?
            };
            // Glosses are looked up only when some are stored at all.
            let glossed = !rows.is_empty() && s.has_glosses()?;
            rows.into_iter()
                .map(|r| {
                    let g = match glossed {
                        true => s.gloss_of(r.story, &r.title, None)?,
                        false => None,
                    };
                    Ok((r, g))
                })
                .collect::<Result<Vec<_>, crate::store::StoreError>>()
        })
        .await?;
    let zone = app.cfg.zone();
    let next = (!by_score && rows.len() == PAGE)
        .then(|| rows.last().map(|(r, _)| r.date.timestamp()))
        .flatten();
    let next_url = next.map(|until| {
        let mut u = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("watch", &f.watch),
            ("source", &f.source),
            ("role", &f.role),
            ("q", &f.q),
            ("sort", &f.sort),
        ] {
            if !v.is_empty() {
                u.append_pair(k, v);
            }
        }
        if let Some(d) = f.days {
            u.append_pair("days", &d.to_string());
        }
        u.append_pair("until", &until.to_string());
        format!("/?{}", u.finish())
    });
    let stories: Vec<StoryOut> = rows.into_iter().map(|(r, g)| story_out(&r, g, zone)).collect();
    let html = app.render(
        "stories.html",
        context! {
            title => "Stories",
            stories => stories,
            f => f,
            days => f.days.unwrap_or(DAYS),
            watches => app.cfg.watch.keys().collect::<Vec<_>>(),
            sources => app.cfg.sources.iter().map(|s| &s.name).collect::<Vec<_>>(),
            roles => ["official", "state-media", "media", "other"],
            next_url => next_url,
            zone => zone.name(),
        },
    )?;
    app.keep(&key, &html);
    Ok(super::html_response(html))
}

/// A source as the pages show it, with its health.
#[derive(serde::Serialize)]
struct SourceOut {
    name: String,
    url: Option<String>,
    health: Health,
    last_fetch: Option<String>,
    last_status: Option<String>,
    last_error: Option<String>,
    last_success: Option<String>,
    failures: u32,
    items: u64,
    newest_item: Option<String>,
    next_poll: Option<String>,
    disabled: Option<String>,
}

pub(super) fn health(cfg: &Config, r: &SourceRow) -> Health {
    let input = HealthInput {
        ever_fetched: r.last_fetch.is_some(),
        disabled: r.disabled_reason.is_some() || cfg.source(&r.name).is_some_and(|s| !s.enabled),
        failing_since: r.failing_since,
        newest_item: r.newest_item,
        last_success: r.last_success,
    };
    crate::schedule::health(&input, Utc::now(), cfg.poll.fail_after, cfg.poll.stale_after)
}

fn source_out(cfg: &Config, r: &SourceRow) -> SourceOut {
    let zone = cfg.zone();
    let t = |x: Option<chrono::DateTime<Utc>>| x.map(|x| time(x, zone));
    SourceOut {
        name: text(&r.name),
        url: link(Some(&r.url)),
        health: health(cfg, r),
        last_fetch: t(r.last_fetch),
        last_status: r.last_status.as_deref().map(text),
        last_error: r.last_error.as_deref().map(text),
        last_success: t(r.last_success),
        failures: r.consecutive_failures,
        items: r.items,
        newest_item: t(r.newest_item),
        next_poll: t(r.next_poll),
        disabled: r.disabled_reason.as_deref().map(text),
    }
}

pub(crate) async fn sources(State(app): State<Arc<App>>) -> Result<Response, Failure> {
    let rows = app.read(|s, _| s.sources()).await?;
    let out: Vec<SourceOut> = rows.iter().map(|r| source_out(&app.cfg, r)).collect();
    Ok(app.page("sources.html", context! { title => "Sources", sources => out }))
}

pub(crate) async fn source(
    State(app): State<Arc<App>>,
    Path(name): Path<String>,
) -> Result<Response, Failure> {
    let since = Utc::now() - chrono::Duration::days(SPAN_DAYS as i64 - 1);
    let n = name.clone();
    let (rows, days) = app
        .read(move |s, _| Ok((s.sources()?, s.items_per_day(&n, since)?)))
        .await?;
    let Some(row) = rows.iter().find(|r| r.name == name) else {
        return Ok((StatusCode::NOT_FOUND, "no such source\n").into_response());
    };
    let out = source_out(&app.cfg, row);
    // Every day of the span, with the days without items.
    let first = since.date_naive();
    let counts: Vec<u64> = (0..SPAN_DAYS)
        .map(|i| {
            let d = (first + chrono::Days::new(i as u64))
                .format("%Y-%m-%d")
                .to_string();
            days.iter().find(|(k, _)| *k == d).map_or(0, |(_, n)| *n)
        })
        .collect();
    let max = counts.iter().copied().max().unwrap_or(0);
    let bars: Vec<(String, u64, f64)> = counts
        .iter()
        .enumerate()
        .map(|(i, &n)| {
            let d = (first + chrono::Days::new(i as u64)).format("%m-%d").to_string();
            (
                d,
                n,
                if max == 0 {
                    0.0
                } else {
                    38.0 * n as f64 / max as f64
                },
            )
        })
        .collect();
    let role = app.cfg.source(&name).map(|s| s.role.as_str());
    Ok(app.page(
        "source.html",
        context! { title => out.name.clone(), s => out, bars => bars, role => role, days => SPAN_DAYS },
    ))
}

#[derive(serde::Serialize)]
struct TrendOut {
    watch: String,
    points: String,
    today: u64,
    total: u64,
    mean: String,
    spike: bool,
}

pub(crate) async fn trends(State(app): State<Arc<App>>) -> Result<Response, Failure> {
    let zone = app.cfg.zone();
    let today = Utc::now().with_timezone(&zone).date_naive();
    let since = Utc::now() - chrono::Duration::days(SPAN_DAYS as i64 + 1);
    let rows = app.read(move |s, _| s.daily_hits(since)).await?;
    let watches: Vec<String> = app.cfg.watch.keys().cloned().collect();
    let trends = crate::trends::trends(&rows, &watches, today, SPAN_DAYS);
    let out: Vec<TrendOut> = trends
        .iter()
        .map(|t| TrendOut {
            watch: text(&t.watch),
            points: view::spark_points(&t.daily, 120.0, 24.0),
            today: t.today,
            total: t.daily.iter().sum(),
            mean: format!("{:.1}", t.baseline_mean),
            spike: t.spike,
        })
        .collect();
    Ok(app.page(
        "trends.html",
        context! { title => "Trends", trends => out, rule => crate::trends::SPIKE_RULE, days => SPAN_DAYS },
    ))
}
