//! `sigwatch translate`: glosses what is pending now, as `poll` does at its end.

use std::process::ExitCode;

use chrono::Utc;

use super::output::{self, DocFormat};
use super::{Ctx, UsageError};
use crate::translate::{Plan, RunReport};
use crate::units::parse_since;

#[derive(Debug, clap::Args)]
pub struct TranslateArgs {
    /// Also gloss items with hits dated since a date or a duration ago (default: the hits
    /// not yet mailed)
    #[arg(long, value_name = "WHEN")]
    pub since: Option<String>,
    #[arg(long, value_enum, default_value_t = DocFormat::Text)]
    pub format: DocFormat,
}

pub fn run(ctx: &Ctx, args: &TranslateArgs) -> anyhow::Result<ExitCode> {
    let cfg = ctx.config()?;
    // Without a service there is nothing to do, as with a digest that has nothing to send.
    let Some(plan) = Plan::of(&cfg) else {
        if args.format == DocFormat::Json {
            output::write_json(&RunReport::default())?;
        } else {
            println!("glossed 0 texts");
        }
        output::note(format_args!(
            "{} has no [translate] table: nothing is glossed (see docs/translation.md)",
            cfg.path.display()
        ));
        return Ok(ExitCode::SUCCESS);
    };
    let since = args
        .since
        .as_deref()
        .map(|s| parse_since(s, Utc::now(), cfg.zone()))
        .transpose()
        .map_err(UsageError)?;
    let mut store = ctx.open_store(Some(&cfg))?;
    let rt = crate::poll::runtime()?;
    let r = rt.block_on(crate::translate::run(&plan, &mut store, since))?;
    if args.format == DocFormat::Json {
        output::write_json(&r)?;
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "glossed {}, {} refused; {} sent to {}{}",
        output::count(r.glossed, "text", "texts"),
        r.refused,
        output::count(r.chars, "character", "characters"),
        plan.kind().as_str(),
        r.problem
            .as_deref()
            .map(|p| format!("; stopped: {}", output::term(p)))
            .unwrap_or_default()
    );
    Ok(ExitCode::SUCCESS)
}

/// The line `poll` adds about glossing, when it did or tried anything.
pub(super) fn note(r: &RunReport) {
    if r.glossed + r.refused > 0 || r.problem.is_some() {
        output::note(format_args!(
            "glosses: {} stored, {} refused{}",
            r.glossed,
            r.refused,
            r.problem
                .as_deref()
                .map(|p| format!("; stopped: {}", output::term(p)))
                .unwrap_or_default()
        ));
    }
}
