//! Watch terms: compiles the configured watchlists into one matcher and finds hits in items.
//!
//! Pure and synchronous: no I/O. The rest of sigwatch sees only [`WatchSpec`] (the config of one
//! watch), [`Matcher`] (compiled from all watches) and [`Hit`] (one match), so the matching rules
//! can change behind this interface.

mod matcher;

use std::collections::BTreeMap;

use serde::Deserialize;

pub use crate::text::plain_text;
pub use matcher::Matcher;

/// One `[watch.NAME]` table of the config.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WatchSpec {
    /// Terms that make a hit.
    pub terms: Vec<String>,
    /// Terms that, when present in the same field, veto every hit of this watch there.
    #[serde(default)]
    pub exclude: Vec<String>,
}

/// Which field of an item a hit was found in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    Title,
    Summary,
}

impl Field {
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Title => "title",
            Field::Summary => "summary",
        }
    }
}

/// One match of one term of one watch in one field of an item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub watch: String,
    /// The term as written in the config.
    pub term: String,
    pub field: Field,
    /// Start and end of the match, in characters of the original field text.
    pub start: usize,
    pub end: usize,
    /// About 200 characters of plain text around the match.
    pub snippet: String,
    /// Byte range of the match inside `snippet`, so renderers can mark it.
    pub snippet_match: (usize, usize),
}

#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    #[error("watch.{watch}: {message}")]
    Invalid { watch: String, message: String },
}

/// A stable fingerprint of a watch's definition, recorded with each hit it finds.
pub fn spec_version(spec: &WatchSpec) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for t in &spec.terms {
        h.update(b"t");
        h.update(t.as_bytes());
        h.update([0]);
    }
    for t in &spec.exclude {
        h.update(b"x");
        h.update(t.as_bytes());
        h.update([0]);
    }
    h.finalize()[..6].iter().map(|b| format!("{b:02x}")).collect()
}

/// All watches by name, as the config holds them.
pub type Watches = BTreeMap<String, WatchSpec>;
