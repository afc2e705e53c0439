//! `sigwatch digest`, `sigwatch test-email` and `sigwatch test-notify`.

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

/// Every channel's queue, newest first within each: mail's, then the others'.
fn status(store: &crate::store::Store, format: Format, zone: chrono_tz::Tz) -> anyhow::Result<ExitCode> {
    let mail = digest::status(store)?;
    let other = crate::notify::status(store)?;
    if format != Format::Table {
        // Mail's rows as they always were, with the channel named; then the others'.
        let mut rows: Vec<serde_json::Value> = Vec::with_capacity(mail.len() + other.len());
        for q in &mail {
            let mut v = serde_json::to_value(q)?;
            if let Some(o) = v.as_object_mut() {
                o.insert("channel".into(), crate::config::EMAIL.into());
            }
            rows.push(v);
        }
        for d in &other {
            rows.push(serde_json::to_value(d)?);
        }
        if format == Format::Csv {
            // CSV wants one set of columns: the ones every channel has.
            let flat: Vec<StatusCsv> = mail
                .iter()
                .map(|q| StatusCsv {
                    channel: crate::config::EMAIL,
                    id: q.id,
                    created: q.created.to_rfc3339(),
                    status: &q.status,
                    attempts: q.attempts,
                    hits: q.hits,
                    subject: &q.subject,
                    last_error: q.last_error.as_deref(),
                })
                .chain(other.iter().map(|d| StatusCsv {
                    channel: &d.channel,
                    id: d.id,
                    created: d.created.to_rfc3339(),
                    status: &d.status,
                    attempts: d.attempts,
                    hits: d.hits,
                    subject: &d.summary,
                    last_error: d.last_error.as_deref(),
                }))
                .collect();
            output::write_rows(format, &flat)?;
        } else {
            output::write_rows(format, &rows)?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let mut t = output::table(&[
        "channel",
        "id",
        "created",
        "status",
        "tries",
        "hits",
        "subject",
        "last error",
    ]);
    let rows = mail
        .iter()
        .map(|q| {
            (
                crate::config::EMAIL,
                q.id,
                q.created,
                &q.status,
                q.attempts,
                q.hits,
                &q.subject,
                &q.last_error,
            )
        })
        .chain(other.iter().map(|d| {
            (
                d.channel.as_str(),
                d.id,
                d.created,
                &d.status,
                d.attempts,
                d.hits,
                &d.summary,
                &d.last_error,
            )
        }));
    for (channel, id, created, status, attempts, hits, subject, error) in rows {
        t.add_row(output::term_row([
            channel.to_string(),
            id.to_string(),
            output::short_time(Some(created), zone),
            status.clone(),
            attempts.to_string(),
            hits.to_string(),
            subject.clone(),
            error.clone().unwrap_or_default(),
        ]));
    }
    println!("{t}");
    Ok(ExitCode::SUCCESS)
}

#[derive(serde::Serialize)]
struct StatusCsv<'a> {
    channel: &'a str,
    id: i64,
    created: String,
    status: &'a str,
    attempts: u32,
    hits: u64,
    subject: &'a str,
    last_error: Option<&'a str>,
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
    let mut stuck = report.failed + report.retrying;
    if cfg.chat_channels().next().is_some() {
        // The other channels' digests, and whatever of their queues is due.
        crate::notify::register(cfg, store)?;
        let queued = crate::notify::queue_digests(cfg, store, now)?;
        let r = rt.block_on(crate::notify::deliver(cfg, store, Utc::now()))?;
        println!(
            "channels: queued {}; delivered {}; {} to retry; {} failed",
            queued.len(),
            r.sent,
            r.retrying,
            r.failed
        );
        stuck += r.failed + r.retrying;
    }
    Ok(if stuck > 0 {
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

pub fn test_notify(ctx: &Ctx, name: &str) -> anyhow::Result<ExitCode> {
    let cfg = ctx.config()?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    // The server's answer is shown as one line without control characters.
    match rt.block_on(crate::notify::send_test(&cfg, name))? {
        crate::notify::Outcome::Sent { status, answer } => {
            println!("test message accepted by {name}: HTTP {status}");
            if !answer.is_empty() {
                println!("{}", output::term(&answer));
            }
            Ok(ExitCode::SUCCESS)
        }
        crate::notify::Outcome::Retry { error, .. } | crate::notify::Outcome::Failed(error) => {
            println!("test message not accepted by {name}: {}", output::term(&error));
            Ok(ExitCode::from(super::exit::FAILURE))
        }
    }
}
