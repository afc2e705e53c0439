//! `sigwatch sources`: each source with its fetch state and item counts.

use std::process::ExitCode;

use super::Ctx;
use super::output::{self, Format};
use crate::store::SourceRow;

#[derive(Debug, clap::Args)]
pub struct SourcesArgs {
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, serde::Serialize)]
struct SourceOut<'a> {
    name: &'a str,
    url: &'a str,
    in_config: bool,
    enabled: bool,
    status: &'a str,
    last_fetch: Option<String>,
    last_success: Option<String>,
    consecutive_failures: u32,
    last_error: Option<&'a str>,
    items: u64,
    newest_item: Option<String>,
}

pub fn run(ctx: &Ctx, args: &SourcesArgs) -> anyhow::Result<ExitCode> {
    let cfg = ctx.config()?;
    let mut store = ctx.open_store(Some(&cfg))?;
    // Sources never polled yet are listed too, as "never".
    store.sync_sources(cfg.sources.iter().map(|s| (s.name.as_str(), s.url.as_str())))?;
    let rows = store.sources()?;
    let out: Vec<SourceOut> = rows
        .iter()
        .map(|r: &SourceRow| {
            let conf = cfg.source(&r.name);
            SourceOut {
                name: &r.name,
                url: &r.url,
                in_config: conf.is_some(),
                enabled: conf.is_some_and(|c| c.enabled),
                status: r.last_status.as_deref().unwrap_or("never"),
                last_fetch: output::iso_time(r.last_fetch),
                last_success: output::iso_time(r.last_success),
                consecutive_failures: r.consecutive_failures,
                last_error: r.last_error.as_deref(),
                items: r.items,
                newest_item: output::iso_time(r.newest_item),
            }
        })
        .collect();
    match args.format {
        Format::Json => output::write_json(&out)?,
        Format::Csv => output::write_csv(&out)?,
        Format::Table => {
            let mut t = output::table(&[
                "source",
                "status",
                "last fetch",
                "fails",
                "items",
                "newest",
                "last error",
            ]);
            for (o, r) in out.iter().zip(&rows) {
                let mut status = o.status.to_string();
                if !o.in_config {
                    status.push_str(" (not in config)");
                } else if !o.enabled {
                    status.push_str(" (disabled)");
                }
                t.add_row(vec![
                    o.name.to_string(),
                    status,
                    output::short_time(r.last_fetch),
                    o.consecutive_failures.to_string(),
                    o.items.to_string(),
                    output::short_time(r.newest_item),
                    o.last_error.unwrap_or("").to_string(),
                ]);
            }
            println!("{t}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
