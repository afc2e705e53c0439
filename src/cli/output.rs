//! Output formats shared by the listing commands.

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

/// Writes rows as CSV to stdout.
pub fn write_csv<S: serde::Serialize>(rows: &[S]) -> anyhow::Result<()> {
    let mut w = csv::Writer::from_writer(std::io::stdout().lock());
    for r in rows {
        w.serialize(r)?;
    }
    w.flush()?;
    Ok(())
}

/// `s` as it may be printed for people (see [`crate::sanitize::for_terminal`]).
pub fn term(s: &str) -> std::borrow::Cow<'_, str> {
    crate::sanitize::for_terminal(s)
}

/// A table row of untrusted cells, each made safe for the terminal.
pub fn term_row<I: IntoIterator<Item = String>>(cells: I) -> Vec<String> {
    cells.into_iter().map(|c| term(&c).into_owned()).collect()
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
/// Give it text already made safe by [`term`]: the escape sequences it adds must be the only
/// ones printed.
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
