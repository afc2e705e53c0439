//! What an item is about, in a form no language changes: the `entity = true` concepts it names
//! (镝, dysprosium and ジスプロシウム are all the concept `dysprosium`) and the `action = true`
//! concepts (imposing controls, lifting them, a price move). Items without document numbers
//! join one story by these (see `store::stories`); [`entity_similarity`] scores a pair.

use serde::{Deserialize, Serialize};

/// The entity and action concepts an item names, each list sorted and without repeats.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entities {
    /// Strategic entities: elements, products, technologies.
    #[serde(rename = "e", default)]
    pub things: Vec<String>,
    /// Kinds of action.
    #[serde(rename = "a", default)]
    pub actions: Vec<String>,
}

/// Stored forms longer than this are not read back (a config of thousands of concepts aside,
/// a stored value is a few dozen bytes).
const MAX_STORED: usize = 64 * 1024;

impl Entities {
    pub fn is_empty(&self) -> bool {
        self.things.is_empty()
    }

    /// As stored in the database (JSON).
    pub fn encode(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The stored form read back; anything unreadable is no entities.
    pub fn decode(s: &str) -> Self {
        if s.len() > MAX_STORED {
            return Self::default();
        }
        let mut e: Self = serde_json::from_str(s).unwrap_or_default();
        e.things.sort();
        e.things.dedup();
        e.actions.sort();
        e.actions.dedup();
        e
    }

    /// Whether the two name at least one entity in common.
    pub fn share_entity(&self, other: &Self) -> bool {
        self.things.iter().any(|t| other.things.binary_search(t).is_ok())
    }
}

/// How alike two items are in what they name, 0 to 1: the share of the smaller item's
/// entities the other names too (a notice listing seven elements and a report naming two of
/// them are about one thing), times the Jaccard similarity of their actions (both naming none
/// counts as agreeing). Entities alone would join "antimony controls" and "antimony ban
/// lifted"; the actions (imposing against easing) keep them apart.
pub fn entity_similarity(a: &Entities, b: &Entities) -> f64 {
    let smaller = a.things.len().min(b.things.len());
    if smaller == 0 {
        return 0.0;
    }
    let shared = a
        .things
        .iter()
        .filter(|t| b.things.binary_search(t).is_ok())
        .count();
    let overlap = shared as f64 / smaller as f64;
    overlap * jaccard(&a.actions, &b.actions)
}

/// Jaccard similarity of two sorted lists; 1 when both are empty.
fn jaccard(a: &[String], b: &[String]) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    let shared = a.iter().filter(|t| b.binary_search(t).is_ok()).count();
    shared as f64 / (a.len() + b.len() - shared) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(things: &[&str], actions: &[&str]) -> Entities {
        let v = |l: &[&str]| l.iter().map(|s| s.to_string()).collect();
        Entities {
            things: v(things),
            actions: v(actions),
        }
    }

    #[test]
    fn a_report_naming_some_of_a_notices_entities_with_its_action_is_alike() {
        let notice = e(&["dysprosium", "samarium", "terbium"], &["export", "imposing"]);
        let report = e(&["dysprosium", "terbium"], &["export", "imposing"]);
        assert_eq!(entity_similarity(&notice, &report), 1.0);
        let lifted = e(&["antimony"], &["easing", "export"]);
        let controls = e(&["antimony"], &["export", "imposing"]);
        assert!(entity_similarity(&lifted, &controls) < 0.5);
        assert_eq!(
            entity_similarity(&e(&["gallium"], &[]), &e(&["antimony"], &[])),
            0.0
        );
        assert_eq!(entity_similarity(&e(&[], &[]), &e(&[], &[])), 0.0);
    }

    #[test]
    fn the_stored_form_reads_back_and_garbage_is_nothing() {
        let x = e(&["dysprosium", "terbium"], &["imposing"]);
        assert_eq!(Entities::decode(&x.encode()), x);
        assert_eq!(Entities::decode("{not json"), Entities::default());
        assert_eq!(Entities::decode(&"[".repeat(100_000)), Entities::default());
    }
}
