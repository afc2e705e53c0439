//! Watch terms: compiles the configured watchlists into one matcher and finds hits in items.
//!
//! Pure and synchronous: no I/O. The rest of sigwatch sees only [`WatchSpec`] (the config of one
//! watch), [`Matcher`] (compiled from all watches) and [`Hit`] (one match), so the matching rules
//! can change behind this interface. The term syntax is described in `terms`; normalization,
//! applied alike to terms and text, in `normalize`.

mod matcher;
mod normalize;
mod snippet;
mod t2s;
mod terms;

use std::collections::BTreeMap;

use serde::Deserialize;

pub use crate::text::plain_text;
pub use matcher::Matcher;

/// One `[watch.NAME]` table of the config.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WatchSpec {
    /// Terms that make a hit.
    #[serde(default)]
    pub terms: Vec<String>,
    /// Terms that veto a hit of this watch that they overlap ("blue-chip" over "chip").
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Terms matched with their case exactly as written (all-capital acronyms such as `AI`
    /// are so anyway).
    #[serde(default)]
    pub case_sensitive: Vec<String>,
    /// Proximity rules, `"A NEAR/n B"`: both within n words of each other.
    #[serde(default)]
    pub near: Vec<String>,
    /// `"immediate"`: hits are mailed as an alert within one poll cycle, not only in the digest.
    #[serde(default)]
    pub alert: Option<Alert>,
    /// Priority weight of this watch's hits (default 1); see `[signals]`.
    #[serde(default)]
    pub weight: Option<f64>,
}

/// How a watch's hits are mailed beyond the digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Alert {
    Immediate,
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

/// One match of one term (or proximity rule) of one watch in one field of an item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub watch: String,
    /// The term (or rule) as written in the config.
    pub term: String,
    pub field: Field,
    /// Start and end of the match, in characters of the original field text.
    pub start: usize,
    pub end: usize,
    /// The sentence around the match (or about 200 characters of it), as plain text.
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
    for (tag, list) in [
        (b"t", &spec.terms),
        (b"x", &spec.exclude),
        (b"c", &spec.case_sensitive),
        (b"n", &spec.near),
    ] {
        for t in list {
            h.update(tag);
            h.update(t.as_bytes());
            h.update([0]);
        }
    }
    h.finalize()[..6].iter().map(|b| format!("{b:02x}")).collect()
}

/// A Han character in its simplified form (traditional folded the way matching folds it).
pub fn fold_han(c: char) -> char {
    t2s::simplified(c)
}

/// All watches by name, as the config holds them.
pub type Watches = BTreeMap<String, WatchSpec>;

#[cfg(test)]
mod tests;
