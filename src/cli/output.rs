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

/// Writes a value as pretty JSON to stdout.
pub fn write_json<S: serde::Serialize + ?Sized>(v: &S) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, v)?;
    std::io::Write::write_all(&mut out, b"\n")?;
    Ok(())
}
