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

/// Writes rows as CSV to stdout: the one CSV writer of every command (see [`write_csv_to`]).
pub fn write_csv<S: serde::Serialize>(rows: &[S]) -> anyhow::Result<()> {
    write_csv_to(std::io::stdout().lock(), rows)
}

/// [`write_csv`] to any writer: a header row of every field any row has, in the order the
/// rows name them, then one line per row, every cell neutralized by [`csv_cell`]. A list
/// becomes its items joined by spaces and a nested record its JSON, so no row stops the
/// output half-way.
pub fn write_csv_to<S: serde::Serialize>(out: impl std::io::Write, rows: &[S]) -> anyhow::Result<()> {
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
    let mut w = csv::Writer::from_writer(out);
    if !header.is_empty() {
        w.write_record(&header)?;
    }
    for map in &records {
        w.write_record(header.iter().map(|k| csv_value(map.get(k))))?;
    }
    w.flush()?;
    Ok(())
}

/// A CSV cell as a spreadsheet can open it safely (OWASP's rule against formula injection):
/// a cell starting with `=`, `+`, `-`, `@`, tab or CR gets a leading `'`, so Excel and
/// LibreOffice read it as text instead of running it as a formula. A cell that is a plain
/// negative number (`-3`, `-0.5`) stays a number: no spreadsheet reads it as anything else.
pub fn csv_cell(cell: &str) -> std::borrow::Cow<'_, str> {
    let negative_number = |s: &str| {
        s.strip_prefix('-').is_some_and(|n| {
            let (int, frac) = n.split_once('.').unwrap_or((n, "0"));
            !int.is_empty()
                && !frac.is_empty()
                && int.bytes().all(|b| b.is_ascii_digit())
                && frac.bytes().all(|b| b.is_ascii_digit())
        })
    };
    match cell.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') if !negative_number(cell) => {
            format!("'{cell}").into()
        }
        _ => cell.into(),
    }
}

/// `s` as it may be printed for people (see [`crate::sanitize::for_terminal`]).
pub fn term(s: &str) -> std::borrow::Cow<'_, str> {
    crate::sanitize::for_terminal(s)
}

/// A table row of untrusted cells, each made safe for the terminal.
pub fn term_row<I: IntoIterator<Item = String>>(cells: I) -> Vec<String> {
    cells.into_iter().map(|c| term(&c).into_owned()).collect()
}

/// One CSV cell from a JSON value: text through [`csv_cell`]; numbers and booleans as they are.
fn csv_value(v: Option<&serde_json::Value>) -> String {
    use serde_json::Value;
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => csv_cell(s).into_owned(),
        Some(Value::Array(a)) => csv_cell(
            &a.iter()
                .map(|x| match x {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect::<Vec<_>>()
                .join(" "),
        )
        .into_owned(),
        Some(other @ Value::Object(_)) => csv_cell(&other.to_string()).into_owned(),
        Some(other) => other.to_string(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_that_a_spreadsheet_would_run_are_neutralized() {
        for (cell, want) in [
            ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
            ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
            ("-", "'-"),
            ("-1.", "'-1."),
            ("-3", "-3"),
            ("-0.5", "-0.5"),
            ("稀土 = rare earth", "稀土 = rare earth"),
            ("", ""),
        ] {
            assert_eq!(csv_cell(cell), want, "{cell:?}");
        }
    }

    #[test]
    fn every_cell_of_written_csv_is_neutralized_and_quoting_kept() {
        #[derive(serde::Serialize)]
        struct Row<'a> {
            title: &'a str,
            score: f64,
            link: Option<&'a str>,
        }
        let rows = [
            Row {
                title: "=cmd|' /C calc'!A0, \"quoted\"",
                score: -1.5,
                link: None,
            },
            Row {
                title: "plain",
                score: 2.0,
                link: Some("@x"),
            },
        ];
        let mut out = Vec::new();
        write_csv_to(&mut out, &rows).unwrap();
        let out = String::from_utf8(out).unwrap();
        assert_eq!(
            out,
            "title,score,link\n\"'=cmd|' /C calc'!A0, \"\"quoted\"\"\",-1.5,\nplain,2.0,'@x\n"
        );
    }
}
