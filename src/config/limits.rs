//! The range of every duration, size and count in the config.
//!
//! A value out of range passes the type check and fails later, quietly: `timeout = "0s"` makes
//! every fetch fail, `max_body = "99999999PiB"` removes the cap on a body. [`LIMITS`] gives
//! each key its range; `check` refuses a config with a value outside it, naming the file, the
//! line and the key. docs/configuration-limits.md lists the same table for people (a test keeps
//! the two alike).

use std::time::Duration;

use super::{Config, ConfigError, line_col};

/// What a key holds, and its least and greatest allowed value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Range {
    /// Seconds (values are compared in milliseconds: "500ms" is below "1s").
    Duration(u64, u64),
    /// Bytes.
    Size(u64, u64),
    Count(u64, u64),
}

const MIN: u64 = 60;
const HOUR: u64 = 3600;
const DAY: u64 = 86_400;
const KIB: u64 = 1024;
const MIB: u64 = 1024 * 1024;

/// Every bounded key, as written in the file (`source.` keys apply to each `[[source]]`).
pub const LIMITS: &[(&str, Range)] = &[
    // Zero would fail every fetch; beyond ten minutes one slow host holds a slot of the cycle.
    ("fetch.timeout", Range::Duration(1, 10 * MIN)),
    ("fetch.connect_timeout", Range::Duration(1, 2 * MIN)),
    // The daemon holds up to `concurrency` bodies at once, and the shipped unit caps its
    // memory at 256M.
    ("fetch.max_body", Range::Size(KIB, 64 * MIB)),
    ("fetch.concurrency", Range::Count(1, 256)),
    ("fetch.max_redirects", Range::Count(0, 20)),
    ("poll.spread", Range::Duration(0, DAY)),
    ("poll.backoff_cap", Range::Duration(MIN, 30 * DAY)),
    ("poll.fail_after", Range::Duration(MIN, 365 * DAY)),
    ("poll.stale_after", Range::Duration(HOUR, 3650 * DAY)),
    ("poll.per_host", Range::Count(1, 256)),
    ("source.follow_limit", Range::Count(0, 1000)),
    ("digest.max_per_watch", Range::Count(1, 10_000)),
    ("digest.retry_for", Range::Duration(0, 30 * DAY)),
    ("digest.send_timeout", Range::Duration(1, HOUR)),
    ("signals.top", Range::Count(0, 100)),
    ("signals.withdraw_window", Range::Duration(0, 365 * DAY)),
    ("signals.fold_window", Range::Duration(0, 365 * DAY)),
    // One run of glossing, requests included: `sigwatch poll` waits for it at its end.
    ("translate.timeout", Range::Duration(1, 10 * MIN)),
    ("translate.max_chars_per_day", Range::Count(0, 100_000_000)),
];

impl Range {
    /// The least and greatest value, durations in milliseconds.
    fn bounds(self) -> (u64, u64) {
        match self {
            Range::Duration(a, b) => (a * 1000, b * 1000),
            Range::Size(a, b) | Range::Count(a, b) => (a, b),
        }
    }

    /// A value of this kind (durations in milliseconds) as the config would write it ("10m",
    /// "64MiB", "20").
    pub fn show(self, v: u64) -> String {
        match self {
            Range::Duration(..) => show_duration(v),
            Range::Size(..) => show_size(v),
            Range::Count(..) => v.to_string(),
        }
    }
}

fn show_duration(ms: u64) -> String {
    if !ms.is_multiple_of(1000) {
        return format!("{ms}ms");
    }
    let secs = ms / 1000;
    for (unit, n) in [("d", DAY), ("h", HOUR), ("m", MIN)] {
        if secs >= n && secs.is_multiple_of(n) {
            return format!("{}{unit}", secs / n);
        }
    }
    format!("{secs}s")
}

fn show_size(bytes: u64) -> String {
    for (unit, n) in [
        ("PiB", MIB * MIB * KIB),
        ("TiB", MIB * MIB),
        ("GiB", MIB * KIB),
        ("MiB", MIB),
        ("KiB", KIB),
    ] {
        if bytes >= n && bytes.is_multiple_of(n) {
            return format!("{}{unit}", bytes / n);
        }
    }
    format!("{bytes} bytes")
}

/// The value of every bounded key in `cfg`: (key, index of the `[[source]]`, value).
fn values(cfg: &Config) -> Vec<(&'static str, Option<usize>, u64)> {
    let secs = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
    let n = |v: usize| v as u64;
    let mut out = vec![
        ("fetch.timeout", None, secs(cfg.fetch.timeout)),
        ("fetch.connect_timeout", None, secs(cfg.fetch.connect_timeout)),
        ("fetch.max_body", None, cfg.fetch.max_body),
        ("fetch.concurrency", None, n(cfg.fetch.concurrency)),
        ("fetch.max_redirects", None, n(cfg.fetch.max_redirects)),
        ("poll.spread", None, secs(cfg.poll.spread)),
        ("poll.backoff_cap", None, secs(cfg.poll.backoff_cap)),
        ("poll.fail_after", None, secs(cfg.poll.fail_after)),
        ("poll.stale_after", None, secs(cfg.poll.stale_after)),
        ("poll.per_host", None, n(cfg.poll.per_host)),
        ("digest.max_per_watch", None, n(cfg.digest.max_per_watch)),
        ("digest.retry_for", None, secs(cfg.digest.retry_for)),
        ("digest.send_timeout", None, secs(cfg.digest.send_timeout)),
        ("signals.top", None, n(cfg.signals.top)),
        ("signals.withdraw_window", None, secs(cfg.signals.withdraw_window)),
        ("signals.fold_window", None, secs(cfg.signals.fold_window)),
    ];
    if let Some(t) = &cfg.translate {
        out.push(("translate.timeout", None, secs(t.timeout)));
        out.push(("translate.max_chars_per_day", None, t.max_chars_per_day));
    }
    for (i, s) in cfg.sources.iter().enumerate() {
        out.push(("source.follow_limit", Some(i), n(s.follow_limit)));
    }
    out
}

/// Refuses the first value outside its range, at the line of its key.
pub(super) fn check(cfg: &Config, text: &str) -> Result<(), ConfigError> {
    for (key, index, v) in values(cfg) {
        let Some(&(_, range)) = LIMITS.iter().find(|(k, _)| *k == key) else {
            continue;
        };
        let (lo, hi) = range.bounds();
        if (lo..=hi).contains(&v) {
            continue;
        }
        let (line, col) = locate(text, key, index)
            .map(|at| line_col(text, at))
            .unwrap_or((1, 1));
        let whose = index
            .and_then(|i| cfg.sources.get(i))
            .map(|s| format!(" of source {:?}", s.name))
            .unwrap_or_default();
        return Err(ConfigError::At {
            path: cfg.path.clone(),
            line,
            col,
            message: format!(
                "{key}: {}{whose} is out of range; give {} to {} (see docs/configuration-limits.md)",
                range.show(v),
                range.show(lo),
                range.show(hi)
            ),
        });
    }
    Ok(())
}

/// The byte offset of `key` (dotted, e.g. "fetch.timeout") in the TOML `text`; for `source.`
/// keys, in the `index`-th `[[source]]`. None when the key is not written (a default).
fn locate(text: &str, key: &str, index: Option<usize>) -> Option<usize> {
    use toml::de::{DeTable, DeValue};
    let root = DeTable::parse(text).ok()?.into_inner();
    let (table, leaf) = key.split_once('.')?;
    let mut node = &root;
    let (_, v) = node.iter().find(|(k, _)| k.get_ref() == table)?;
    node = match (v.get_ref(), index) {
        (DeValue::Table(t), None) => t,
        (DeValue::Array(a), Some(i)) => match a.get(i)?.get_ref() {
            DeValue::Table(t) => t,
            _ => return None,
        },
        _ => return None,
    };
    let (k, _) = node.iter().find(|(k, _)| k.get_ref() == leaf)?;
    Some(k.span().start)
}

/// The rows of the docs' table: (key, least, greatest), as written there.
#[cfg(test)]
pub(super) fn documented(doc: &str) -> Vec<(String, String, String)> {
    doc.lines()
        .filter_map(|l| {
            let cells: Vec<&str> = l.trim().trim_matches('|').split('|').map(str::trim).collect();
            let key = cells.first()?.strip_prefix('`')?.strip_suffix('`')?;
            Some((
                key.to_string(),
                cells.get(1)?.to_string(),
                cells.get(2)?.to_string(),
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn parse(t: &str) -> Result<Config, ConfigError> {
        Config::parse(t, Path::new("/etc/sw/test.toml"))
    }

    #[test]
    fn out_of_range_values_are_refused_at_file_line_and_key() {
        for (text, line, key) in [
            ("[fetch]\ntimeout = \"0s\"\n", 2, "fetch.timeout"),
            (
                "[fetch]\nconcurrency = 8\nmax_body = \"99999999PiB\"\n",
                3,
                "fetch.max_body",
            ),
            ("[fetch]\nmax_body = 10\n", 2, "fetch.max_body"),
            ("[poll]\nstale_after = \"100y\"\n", 2, "poll.stale_after"),
            ("[digest]\nsend_timeout = \"500ms\"\n", 2, "digest.send_timeout"),
            ("fetch.timeout = \"1h\"\n", 1, "fetch.timeout"),
            (
                "[fetch]\ntimeout = \"30s\"\nconnect_timeout = \"3h\"\n",
                3,
                "fetch.connect_timeout",
            ),
            (
                "[[source]]\nname = \"a\"\nurl = \"http://x/\"\n[[source]]\nname = \"b\"\nurl = \"http://y/\"\nfollow_limit = 5000\n",
                7,
                "source.follow_limit",
            ),
        ] {
            let e = parse(text).unwrap_err().to_string();
            assert!(
                e.starts_with(&format!("/etc/sw/test.toml:{line}:"))
                    && e.contains(key)
                    && e.contains("out of range"),
                "{text:?}: {e}"
            );
        }
        let e = parse("[fetch]\ntimeout = \"0s\"\n").unwrap_err().to_string();
        assert!(e.contains("give 1s to 10m"), "{e}");
    }

    #[test]
    fn defaults_and_the_edges_are_in_range() {
        parse("").unwrap();
        parse("[fetch]\ntimeout = \"1s\"\nmax_body = \"64MiB\"\n[poll]\nspread = \"0s\"\n").unwrap();
        for (key, range) in LIMITS {
            let (lo, hi) = range.bounds();
            assert!(lo <= hi, "{key}");
            let v = values(&parse("").unwrap());
            let (_, _, default) = v
                .iter()
                .find(|(k, _, _)| k == key)
                .copied()
                .unwrap_or((key, None, lo));
            assert!((lo..=hi).contains(&default), "default of {key} out of its range");
        }
    }

    #[test]
    fn every_limit_is_documented_as_enforced() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/configuration-limits.md");
        let doc = std::fs::read_to_string(path).expect("docs/configuration-limits.md");
        let rows = documented(&doc);
        for (key, range) in LIMITS {
            let (lo, hi) = range.bounds();
            let want = (key.to_string(), range.show(lo), range.show(hi));
            assert!(
                rows.contains(&want),
                "docs/configuration-limits.md lacks the row {want:?}"
            );
        }
        assert_eq!(
            rows.len(),
            LIMITS.len(),
            "the doc lists a key the code does not bound"
        );
    }
}
