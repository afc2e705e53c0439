//! `sigwatch sources test`: fetch and read sources now, storing nothing: one source in detail,
//! or every enabled source in a line each (`--all`), the check after a site's redesign.

use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::Arc;

use futures_util::StreamExt;
use tokio::sync::Semaphore;

use super::output;
use crate::config::{Config, SourceConfig};
use crate::source::{Fetched, Fetcher, Reach, Request, SourceError};

/// `sources test`: one fetch and parse, printed; nothing stored.
pub fn test(cfg: &Config, target: &str) -> anyhow::Result<ExitCode> {
    let source = match cfg.source(target) {
        Some(s) => s.clone(),
        None => {
            let url = url::Url::parse(target).map_err(|_| {
                super::UsageError(format!(
                    "{target:?} is neither a source in {} nor a URL",
                    cfg.path.display()
                ))
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
    let fetched = match Request::of_source(&source) {
        Ok(request) => rt.block_on(fetcher.fetch_as(
            &source.url,
            &Default::default(),
            Reach::of_source(&source),
            request.as_ref(),
        )),
        Err(e) => Err(e),
    };
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
            return Ok(report_failure(&source, &e));
        }
    };
    let mut parsed = match crate::source::parse_source(&source, &bytes, content_type.as_deref(), &final_url) {
        Ok(p) => p,
        Err(e) => {
            return Ok(report_failure(&source, &e));
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
        "{} ({}, {}): {}, {}{}",
        source.name,
        output::term(&final_url),
        source.role.as_str(),
        output::count(parsed.items.len() as u64, "item", "items"),
        output::count(bytes.len() as u64, "byte", "bytes"),
        parsed
            .title
            .as_deref()
            .map(|t| format!(", titled {t:?}"))
            .unwrap_or_default()
    );
    for w in &parsed.warnings {
        println!("  warning: {}", output::term(w));
    }
    for it in &parsed.items {
        println!(
            "\n  {}  {}",
            output::short_time(it.published, cfg.zone()),
            output::term(&it.title)
        );
        if let Some(l) = &it.link {
            println!("      {}", output::term(l));
        }
        println!("      identity: {}", output::term(&it.uid()));
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
    // Read fine but found nothing: a list page whose selectors match nothing ends here.
    if parsed.items.is_empty() {
        return Ok(ExitCode::from(super::exit::NOTHING_FOUND));
    }
    Ok(ExitCode::SUCCESS)
}

/// What trying one source gave.
enum Tried {
    /// Not fetched: the request failed.
    NotFetched(SourceError),
    /// Fetched, but not read (a selector or path matched nothing, not a feed).
    NotRead(SourceError),
    Read {
        items: usize,
        newest: Option<chrono::DateTime<chrono::Utc>>,
        warnings: Vec<String>,
    },
}

/// One fetch and parse of `source`, as a poll would make it.
async fn try_source(fetcher: &Fetcher, source: &SourceConfig) -> Tried {
    let request = match Request::of_source(source) {
        Ok(r) => r,
        Err(e) => return Tried::NotFetched(e),
    };
    let got = fetcher
        .fetch_as(
            &source.url,
            &Default::default(),
            Reach::of_source(source),
            request.as_ref(),
        )
        .await;
    let (bytes, content_type, final_url) = match got {
        Ok(Fetched::Body {
            bytes,
            content_type,
            final_url,
            ..
        }) => (bytes, content_type, final_url),
        Ok(Fetched::NotModified { .. }) => {
            return Tried::NotFetched(SourceError::Http(
                "the server answered 304 to a request without validators".into(),
            ));
        }
        Err(e) => return Tried::NotFetched(e),
    };
    match crate::source::parse_source(source, &bytes, content_type.as_deref(), &final_url) {
        Ok(p) => Tried::Read {
            items: p.items.len(),
            newest: p.items.iter().filter_map(|i| i.published).max(),
            warnings: p.warnings,
        },
        Err(e) => Tried::NotRead(e),
    }
}

/// `sources test --all`: every enabled source once, `[fetch] concurrency` at a time, one line
/// each in config order. Exits non-zero when any source yields nothing: `exit::FAILURE` when
/// one could not be fetched or read, else `exit::NOTHING_FOUND` when one listed no items.
pub fn test_all(cfg: &Config) -> anyhow::Result<ExitCode> {
    let fetcher = Fetcher::new(&cfg.fetch)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let sources: Vec<&SourceConfig> = cfg.sources.iter().filter(|s| s.enabled).collect();
    let width = sources.iter().map(|s| s.name.chars().count()).max().unwrap_or(0);
    let concurrency = cfg.fetch.concurrency.max(1);
    // As in a poll, at most `[poll] per_host` requests go to one host at a time: a check of
    // the config should not look like an attack to a ministry's firewall.
    let mut hosts: HashMap<String, Arc<Semaphore>> = HashMap::new();
    let turns: Vec<Arc<Semaphore>> = sources
        .iter()
        .map(|s| {
            let host = url::Url::parse(&s.url)
                .ok()
                .and_then(|u| u.host_str().map(String::from))
                .unwrap_or_default();
            hosts
                .entry(host)
                .or_insert_with(|| Arc::new(Semaphore::new(cfg.poll.per_host.max(1))))
                .clone()
        })
        .collect();
    let (mut failed, mut empty) = (0, 0);
    rt.block_on(async {
        let mut tries = futures_util::stream::iter(sources.iter().zip(turns).map(|(s, turn)| {
            let fetcher = &fetcher;
            async move {
                let _turn = turn.acquire_owned().await;
                (*s, try_source(fetcher, s).await)
            }
        }))
        .buffered(concurrency);
        while let Some((s, tried)) = tries.next().await {
            let line = match tried {
                Tried::NotFetched(e) => {
                    failed += 1;
                    format!("not fetched  [{}] {e}", e.class())
                }
                Tried::NotRead(e) => {
                    failed += 1;
                    format!("fetched, not read  [{}] {e}", e.class())
                }
                Tried::Read {
                    items,
                    newest,
                    warnings,
                } => {
                    if items == 0 {
                        empty += 1;
                    }
                    // The date as the source writes it: in its own zone, else the config's.
                    let zone = s
                        .timezone
                        .as_deref()
                        .and_then(|z| z.parse::<chrono_tz::Tz>().ok())
                        .unwrap_or_else(|| cfg.zone());
                    let newest = newest.map_or_else(
                        || "-".into(),
                        |t| t.with_timezone(&zone).format("%Y-%m-%d").to_string(),
                    );
                    let mut l = format!("fetched  {items} items  newest {newest}");
                    for w in &warnings {
                        l.push_str("  warning: ");
                        l.push_str(w);
                    }
                    l
                }
            };
            println!("{:width$}  {}", s.name, output::term(&line));
        }
    });
    eprintln!(
        "{} tried: {} not fetched or not read, {} read but empty; nothing was stored",
        output::count(sources.len() as u64, "enabled source", "enabled sources"),
        failed,
        empty
    );
    // As for one source: a failure is a failure, an empty list is "nothing found".
    Ok(ExitCode::from(if failed > 0 {
        super::exit::FAILURE
    } else if empty > 0 {
        super::exit::NOTHING_FOUND
    } else {
        super::exit::OK
    }))
}

/// Prints that `source` could not be fetched or read, and the exit status that says so.
fn report_failure(source: &crate::config::SourceConfig, e: &crate::source::SourceError) -> ExitCode {
    println!(
        "{} ({}): FAILED [{}] {}",
        source.name,
        source.url,
        e.class(),
        output::term(&e.to_string())
    );
    ExitCode::from(super::exit::FAILURE)
}
