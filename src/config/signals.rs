//! `[signals]`: how hits are ranked, when an item counts as withdrawn, and when copies of
//! one story are folded. The maths that uses these settings is in `crate::signals`.

use std::time::Duration;

use serde::Deserialize;

use crate::units::de_duration;

/// `[signals]`: tuning of priority, change detection and folding.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SignalsConfig {
    /// Base of a hit in the title.
    pub title: f64,
    /// Base of a hit in the summary or text.
    pub summary: f64,
    /// Added to the base for each other watch with hits in the same item.
    pub per_extra_watch: f64,
    /// Added to the score of hits on an item edited since first seen.
    pub edited: f64,
    /// Added to the score of hits on an item withdrawn from its list.
    pub withdrawn: f64,
    /// The digest marks this many highest-scoring items.
    pub top: usize,
    /// An item first seen within this window that leaves its list while items listed after
    /// it stay is recorded as withdrawn.
    #[serde(deserialize_with = "de_duration")]
    pub withdraw_window: Duration,
    /// Items of different sources with at least this estimated similarity (0–1) are folded
    /// into one story.
    pub fold_threshold: f64,
    /// A new item is compared with items first seen within this window.
    #[serde(deserialize_with = "de_duration")]
    pub fold_window: Duration,
    /// An item without a document number joins a story of this window whose items share a
    /// watch and an entity with it when their entities and actions are at least this alike
    /// (`watch::entity_similarity`, 0–1).
    pub entity_threshold: f64,
    #[serde(deserialize_with = "de_duration")]
    pub entity_window: Duration,
}

impl Default for SignalsConfig {
    fn default() -> Self {
        Self {
            title: 1.0,
            summary: 0.5,
            per_extra_watch: 0.5,
            edited: 0.5,
            withdrawn: 1.0,
            top: 3,
            withdraw_window: Duration::from_secs(14 * 86_400),
            fold_threshold: DEFAULT_FOLD_THRESHOLD,
            fold_window: Duration::from_secs(3 * 86_400),
            entity_threshold: DEFAULT_ENTITY_THRESHOLD,
            entity_window: Duration::from_secs(72 * 3_600),
        }
    }
}

/// Chosen on the labelled pairs of `tests/data/story-pairs.jsonl` (copies of one story, and
/// different stories on the same topics; the `signals` integration test prints precision and
/// recall at each threshold): the threshold that folds no different stories, with the
/// closest different-story pair (two MOFCOM notices written from one template) just below
/// it. Folding two different stories would hide one, so the threshold errs towards precision.
pub const DEFAULT_FOLD_THRESHOLD: f64 = 0.6;

/// Chosen on the cross-language pairs without numbers of `tests/data/story-pairs.jsonl`
/// (reports of one event in two languages, and pairs naming one entity in different events;
/// the `signals` integration test prints precision and recall at each threshold): every
/// entity of the smaller item named by the other and the same actions. A missing or an extra
/// action (a price move reported with the controls) is another story.
pub const DEFAULT_ENTITY_THRESHOLD: f64 = 0.75;
