//! Watch terms: compiles the configured watchlists into one matcher and finds hits in items.
//!
//! Pure and synchronous: no I/O. The rest of sigwatch sees only [`WatchSpec`] (the config of one
//! watch, with its [`RuleSpec`]s and [`Scope`]), [`Matcher`] (compiled from all watches) and
//! [`Hit`] (one match), so the matching rules can change behind this interface. The term syntax is described in `terms`; the item-level
//! rules over concepts (`all`, `any`, `not`, `near`, `scope`) in `rules`; normalization,
//! applied alike to terms and text, in `normalize`; regional vocabulary in `vocab`; the
//! automaton's walk over a text in `search`.

mod eval;
mod matcher;
mod normalize;
mod rules;
mod search;
mod snippet;
mod t2s;
mod terms;
mod vocab;

pub mod entities;

use std::collections::BTreeMap;

use serde::Deserialize;

pub use crate::text::plain_text;
pub use entities::{Entities, entity_similarity};
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
    /// Proximity rules, `"A NEAR/n B"`: both within n words of each other; a side is a term
    /// or an `@concept`.
    #[serde(default)]
    pub near: Vec<String>,
    /// A rule over the whole item: every one of these (terms or `@concept`s) is present.
    #[serde(default)]
    pub all: Vec<String>,
    /// With `all`: at least one of these is present too. Alone: any of them makes a hit.
    #[serde(default)]
    pub any: Vec<String>,
    /// An item with any of these (terms or `@concept`s) raises no hit of this watch.
    #[serde(default)]
    pub not: Vec<String>,
    /// Where the terms and rules of this table look: the title only, or any field (default).
    #[serde(default)]
    pub scope: Scope,
    /// More rules, each with its own `all`, `any`, `near`, `not` and `scope`.
    #[serde(default)]
    pub rule: Vec<RuleSpec>,
    /// A term group referred to as `@NAME` by other watches; it raises no hits of its own.
    #[serde(default)]
    pub concept: bool,
    /// With `concept`: the group names one strategic entity (an element, a product), under
    /// one id (the table's name) whatever the language; items without document numbers join
    /// a story by the entities they name (see `entities`).
    #[serde(default)]
    pub entity: bool,
    /// With `concept`: the group names a kind of action (imposing controls, lifting them, a
    /// price move), which tells apart different events about one entity.
    #[serde(default)]
    pub action: bool,
    /// `"immediate"`: hits are mailed as an alert within one poll cycle, not only in the digest.
    #[serde(default)]
    pub alert: Option<Alert>,
    /// With `alert`: only items of sources of these roles are alerted (e.g. `["official"]`,
    /// so that a notice alerts and the reactions to it wait for the digest). Empty: every role.
    #[serde(default)]
    pub alert_roles: Vec<crate::item::SourceRole>,
    /// The channels (`[[notify]]` names, or `email`) this watch's alerts and digests go to;
    /// absent: every channel that takes all watches or lists this one.
    #[serde(default)]
    pub notify: Option<Vec<String>>,
    /// With `alert`: rules of the watch language an item must also meet to alert (any one of
    /// them), e.g. new controls or list additions; the watch's other hits (reactions,
    /// commentary) wait for the digest. Empty: every hit alerts. `[[watch.NAME.alert_rule]]`.
    #[serde(default)]
    pub alert_rule: Vec<RuleSpec>,
    /// Priority weight of this watch's hits (default 1); see `[signals]`.
    #[serde(default)]
    pub weight: Option<f64>,
}

/// One `[[watch.NAME.rule]]`: fires when all of `all`, one of `any` (if given) and every
/// `near` rule hold within `scope`, and nothing of `not` is there.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    #[serde(default)]
    pub all: Vec<String>,
    #[serde(default)]
    pub any: Vec<String>,
    #[serde(default)]
    pub near: Vec<String>,
    #[serde(default)]
    pub not: Vec<String>,
    /// Default: the watch's `scope`.
    #[serde(default)]
    pub scope: Option<Scope>,
}

/// Which fields of an item a rule looks at.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Title and summary.
    #[default]
    Any,
    Title,
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
    /// `token` is the bad term, rule or name as written, so the config can point at its line.
    #[error("watch.{watch}: {message}")]
    Invalid {
        watch: String,
        token: Option<String>,
        message: String,
    },
}

impl WatchError {
    /// The watch and the bad token (if one is to blame) the error is about.
    pub fn location(&self) -> (&str, Option<&str>) {
        match self {
            WatchError::Invalid { watch, token, .. } => (watch, token.as_deref()),
        }
    }
}

/// A stable fingerprint of a watch's definition, recorded with each hit it finds.
pub fn spec_version(spec: &WatchSpec) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    // Tables written before rules existed keep their fingerprint: the new keys count only
    // when set.
    let mut lists: Vec<(&[u8], &Vec<String>)> = vec![
        (b"t", &spec.terms),
        (b"x", &spec.exclude),
        (b"c", &spec.case_sensitive),
        (b"n", &spec.near),
        (b"a", &spec.all),
        (b"y", &spec.any),
        (b"o", &spec.not),
    ];
    for r in &spec.rule {
        lists.extend([
            (&b"ra"[..], &r.all),
            (b"ry", &r.any),
            (b"rn", &r.near),
            (b"ro", &r.not),
        ]);
        if r.scope == Some(Scope::Title) {
            h.update(b"rs");
        }
    }
    for (tag, list) in lists {
        for t in list {
            h.update(tag);
            h.update(t.as_bytes());
            h.update([0]);
        }
    }
    if spec.scope == Scope::Title {
        h.update(b"s");
    }
    h.finalize()[..6].iter().map(|b| format!("{b:02x}")).collect()
}

/// What the watch made of a watch's `alert_rule`s is called: `NAME` + this.
const ALERT_RULE: &str = " alert_rule";

/// The watches with each watch's `alert_rule`s as a watch of its own, named after it (see
/// [`alert_rule_watch`]), which fires where one of those rules does. The other watches stay
/// as they are, so that the rules' `@concepts` mean what they mean elsewhere. `None` when no
/// watch has an alert rule.
pub fn with_alert_rules(watches: &Watches) -> Option<Watches> {
    let mut out = watches.clone();
    for (name, w) in watches.iter().filter(|(_, w)| !w.alert_rule.is_empty()) {
        out.insert(
            alert_rule_watch(name),
            WatchSpec {
                rule: w.alert_rule.clone(),
                scope: w.scope,
                ..Default::default()
            },
        );
    }
    (out.len() > watches.len()).then_some(out)
}

/// The name of the watch made of watch `name`'s alert rules.
pub fn alert_rule_watch(name: &str) -> String {
    format!("{name}{ALERT_RULE}")
}

/// The watch whose alert rules the watch `name` was made of, if it was.
pub fn alert_rule_owner(name: &str) -> Option<&str> {
    name.strip_suffix(ALERT_RULE)
}

/// A Han character in its simplified form (traditional folded the way matching folds it).
pub fn fold_han(c: char) -> char {
    t2s::simplified(c)
}

/// All watches by name, as the config holds them.
pub type Watches = BTreeMap<String, WatchSpec>;

#[cfg(test)]
mod tests;
