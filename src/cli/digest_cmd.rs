//! `sigwatch digest` and `sigwatch test-email`.

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::Utc;

use super::Ctx;
use super::output::{self, Format};
use crate::digest;

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("shown").args(["status", "preview"])))]
pub struct DigestArgs {
    /// Print the digest that would be sent, without sending it or marking anything
    #[arg(long)]
    pub preview: bool,
    /// With --preview: write the message as an .eml file instead of printing it
    #[arg(long, value_name = "FILE", requires = "preview")]
    pub out: Option<PathBuf>,
    /// List queued, sent and failed messages
    #[arg(long, conflicts_with = "preview")]
    pub status: bool,
    /// Output format: of --status a table, json, jsonl or csv; of --preview its text (the
    /// default) or eml, the whole MIME message
    #[arg(long, value_enum, default_value_t = DigestFormat::Table, requires = "shown")]
    pub format: DigestFormat,
}

/// `digest --format`: --status's formats, and the message itself for --preview.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DigestFormat {
    /// Aligned columns (--status) or the text part (--preview)
    Table,
    Json,
    Jsonl,
    Csv,
    /// The MIME message as it would be mailed (--preview)
    Eml,
}

impl DigestFormat {
    /// The format of --status (eml is not one: a table then).
    fn rows(self) -> Format {
        match self {
            DigestFormat::Json => Format::Json,
            DigestFormat::Jsonl => Format::Jsonl,
            DigestFormat::Csv => Format::Csv,
            DigestFormat::Table | DigestFormat::Eml => Format::Table,
        }
    }
}

pub fn run(ctx: &Ctx, args: &DigestArgs) -> anyhow::Result<ExitCode> {
    let cfg = ctx.config()?;
    // --status and --preview only read, so an operator in the service's group may run them.
    if args.status || args.preview {
        let store = ctx.open_store_read(Some(&cfg))?;
        return if args.status {
            status(&store, args.format.rows(), cfg.zone())
        } else {
            preview(&cfg, &store, args)
        };
    }
    let mut store = ctx.open_store(Some(&cfg))?;
    deliver(&cfg, &mut store)
}

fn status(store: &crate::store::Store, format: Format, zone: chrono_tz::Tz) -> anyhow::Result<ExitCode> {
    let rows = digest::status(store)?;
    if output::write_rows(format, &rows)? {
        return Ok(ExitCode::SUCCESS);
    }
    let mut t = output::table(&[
        "id",
        "created",
        "status",
        "tries",
        "hits",
        "subject",
        "last error",
    ]);
    for q in &rows {
        t.add_row(output::term_row([
            q.id.to_string(),
            output::short_time(Some(q.created), zone),
            q.status.clone(),
            q.attempts.to_string(),
            q.hits.to_string(),
            q.subject.clone(),
            q.last_error.clone().unwrap_or_default(),
        ]));
    }
    println!("{t}");
    Ok(ExitCode::SUCCESS)
}

fn preview(
    cfg: &crate::config::Config,
    store: &crate::store::Store,
    args: &DigestArgs,
) -> anyhow::Result<ExitCode> {
    let now = Utc::now();
    let Some(c) = digest::compose(cfg, store, now)? else {
        println!("nothing to send: no new hits (set [digest] send_empty to send anyway)");
        return Ok(ExitCode::SUCCESS);
    };
    match &args.out {
        Some(path) => {
            crate::private::write(path, &c.digest.message, crate::private::Share::Owner)
                .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
            println!(
                "wrote {} ({}, not sent, nothing marked)",
                path.display(),
                output::count(c.hit_ids.len() as u64, "hit", "hits")
            );
        }
        None if args.format == DigestFormat::Eml => print!("{}", String::from_utf8_lossy(&c.digest.message)),
        // The text part as a reader sees it, not quoted-printable MIME; neutralized, since
        // feed text reaches the terminal.
        None => print!("{}", output::term(&digest::text(&c.content))),
    }
    Ok(ExitCode::SUCCESS)
}

fn deliver(cfg: &crate::config::Config, store: &mut crate::store::Store) -> anyhow::Result<ExitCode> {
    let now = Utc::now();
    match digest::queue(cfg, store, now)? {
        Some(id) => println!("queued digest {id}"),
        None => println!("no new hits: nothing queued"),
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let report = rt.block_on(digest::deliver(cfg, store, now, true))?;
    let target = if cfg.smtp.is_some() {
        "over SMTP".to_string()
    } else {
        format!(
            "to {}",
            cfg.digest
                .outbox_dir
                .as_deref()
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        )
    };
    println!(
        "delivered {} {target}; {} to retry; {} failed (see `sigwatch digest --status`)",
        report.sent, report.retrying, report.failed
    );
    Ok(if report.failed > 0 || report.retrying > 0 {
        ExitCode::from(super::exit::FAILURE)
    } else {
        ExitCode::SUCCESS
    })
}

pub fn test_email(ctx: &Ctx) -> anyhow::Result<ExitCode> {
    let cfg = ctx.config()?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(digest::send_test(&cfg))?;
    println!(
        "test message accepted by {} for {}",
        cfg.smtp.as_ref().map_or("", |s| s.host.as_str()),
        cfg.digest.to.join(", ")
    );
    Ok(ExitCode::SUCCESS)
}
