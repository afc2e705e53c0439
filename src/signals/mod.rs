//! Signals beyond keywords: what makes a hit worth reading first, whether an item changed
//! since it was stored, and whether two items are copies of one story.
//!
//! Pure functions; the store applies them (revisions, withdrawals, folding) and the poll layer
//! computes what they need (scores, fingerprints, signatures) while it matches.
//!
//! - **Priority**: `score = watch.weight × source.weight × (field + per_extra_watch × (w − 1))`,
//!   where `field` is `[signals] title` or `summary` and `w` the number of distinct watches
//!   with hits in the item; an edited or withdrawn item adds `[signals] edited` or `withdrawn`
//!   when hits are read.
//! - **Changes**: an item's fingerprint hashes its title and its text with whitespace folded
//!   and tracking parameters taken out of any URL, so neither counts as an edit.
//! - **Copies**: MinHash over shingles (the set of words of Latin text, runs of three characters
//!   of Chinese) estimates the Jaccard similarity of two items' title and text; LSH bands find the
//!   candidates without comparing every pair.
//!
//! One file per job: `score.rs`, `fingerprint.rs` and `similarity.rs`; their functions are
//! re-exported here.

mod fingerprint;
mod score;
mod similarity;

pub use fingerprint::{changed, fingerprint};
pub use score::{base_score, scores, status_bonus};
pub use similarity::{BANDS, SIG_LEN, bands, sig_from_blob, sig_to_blob, signature, similarity};
