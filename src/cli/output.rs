//! Output formats, and the small manners every command shares: plurals, and notes on stderr
//! that `-q` silences.
//!
//! Each command offers the formats it honours fully, and clap refuses the others: a listing
//! (a table for people) offers [`Format`]; a command that prints one document or a summary
//! offers [`DocFormat`].

use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, Utc};
use comfy_table::{ContentArrangement, Table, presets};

/// How a listing is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// Aligned columns for people
    #[default]
    Table,
    /// One JSON document
    Json,
    /// One JSON object per line
    Jsonl,
    /// Comma-separated values with a header row
    Csv,
}

/// How one document (an item, a summary) is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum DocFormat {
    /// Text for people
    #[default]
    Text,
    /// One JSON document
    Json,
}

static QUIET: AtomicBool = AtomicBool::new(false);

/// Silences [`note`] (`-q`).
pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

pub fn quiet() -> bool {
    QUIET.load(Ordering::Relaxed)
}

/// A remark for people on stderr (a count, a hint), which `-q` silences; what a command was
/// asked for goes to stdout, and errors are printed whatever `-q` says.
pub fn note(msg: impl std::fmt::Display) {
    if !quiet() {
        eprintln!("{msg}");
    }
}

/// `n` and the noun, singular for one: "1 source", "2 sources".
pub fn count(n: impl Into<u64>, one: &str, many: &str) -> String {
    let n = n.into();
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A table that fits the terminal when there is one.
pub fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_preset(presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(header.iter().map(|h| h.to_uppercase()));
    t
}

/// A time as a reader wants it in a table: minutes, UTC.
pub fn short_time(t: Option<DateTime<Utc>>) -> String {
    t.map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|| "-".into())
}

/// A time for machines: RFC 3339.
pub fn iso_time(t: Option<DateTime<Utc>>) -> Option<String> {
    t.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

/// Writes rows as CSV to stdout: a header row of every field any row has, in the order the
/// rows name them, then one line per row. A list becomes its items joined by spaces and a
/// nested record its JSON, so no row stops the output half-way.
pub fn write_csv<S: serde::Serialize>(rows: &[S]) -> anyhow::Result<()> {
    let mut records = Vec::with_capacity(rows.len());
    let mut header: Vec<String> = Vec::new();
    for r in rows {
        let serde_json::Value::Object(map) = serde_json::to_value(r)? else {
            anyhow::bail!("a CSV row must be a record");
        };
        for k in map.keys() {
            if !header.contains(k) {
                header.push(k.clone());
            }
        }
        records.push(map);
    }
    let mut w = csv::Writer::from_writer(std::io::stdout().lock());
    if !header.is_empty() {
        w.write_record(&header)?;
    }
    for map in &records {
        w.write_record(header.iter().map(|k| csv_cell(map.get(k))))?;
    }
    w.flush()?;
    Ok(())
}

/// One CSV cell. Text that a spreadsheet would take for a formula (it starts with `=`, `+`,
/// `-`, `@`, a tab or a carriage return: feed titles are written by strangers) gets a leading
/// `'`, as OWASP advises; numbers stay numbers.
fn csv_cell(v: Option<&serde_json::Value>) -> String {
    use serde_json::Value;
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => neutralize(s),
        Some(Value::Array(a)) => neutralize(
            &a.iter()
                .map(|x| match x {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect::<Vec<_>>()
                .join(" "),
        ),
        Some(Value::Object(_)) => neutralize(&v.map(|v| v.to_string()).unwrap_or_default()),
        Some(other) => other.to_string(),
    }
}

fn neutralize(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

/// Writes rows as JSON lines to stdout.
pub fn write_jsonl<S: serde::Serialize>(rows: &[S]) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for r in rows {
        serde_json::to_writer(&mut out, r)?;
        std::io::Write::write_all(&mut out, b"\n")?;
    }
    std::io::Write::flush(&mut out)?;
    Ok(())
}

/// Writes rows in a machine format; `false` for [`Format::Table`], which each command prints
/// its own way.
pub fn write_rows<S: serde::Serialize>(format: Format, rows: &[S]) -> anyhow::Result<bool> {
    match format {
        Format::Json => write_json(rows)?,
        Format::Jsonl => write_jsonl(rows)?,
        Format::Csv => write_csv(rows)?,
        Format::Table => return Ok(false),
    }
    Ok(true)
}

/// Whether stdout is a terminal, where colour and highlighting help.
pub fn color() -> bool {
    std::env::var_os("NO_COLOR").is_none() && std::io::IsTerminal::is_terminal(&std::io::stdout())
}

/// Wraps each case-insensitive occurrence of `needle` in `text` in bold (on a terminal) or
/// leaves the text as it is.
pub fn highlight(text: &str, needle: &str, on: bool) -> String {
    if !on || needle.is_empty() {
        return text.to_string();
    }
    let lower = text.to_lowercase();
    let n = needle.to_lowercase();
    // Lower-casing can change byte lengths outside ASCII; highlight only when it did not.
    if lower.len() != text.len() {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut last = 0;
    for (i, _) in lower.match_indices(&n) {
        if i < last || !text.is_char_boundary(i) || !text.is_char_boundary(i + n.len()) {
            continue;
        }
        out.push_str(&text[last..i]);
        out.push_str("\x1b[1;33m");
        out.push_str(&text[i..i + n.len()]);
        out.push_str("\x1b[0m");
        last = i + n.len();
    }
    out.push_str(&text[last..]);
    out
}

/// Writes a value as pretty JSON to stdout.
pub fn write_json<S: serde::Serialize + ?Sized>(v: &S) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, v)?;
    std::io::Write::write_all(&mut out, b"\n")?;
    Ok(())
}
