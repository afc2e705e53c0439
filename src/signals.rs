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

use serde::Deserialize;
use xxhash_rust::xxh3::xxh3_64;

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
    #[serde(deserialize_with = "crate::config::de_duration")]
    pub withdraw_window: std::time::Duration,
    /// Items of different sources with at least this estimated similarity (0–1) are folded
    /// into one story.
    pub fold_threshold: f64,
    /// A new item is compared with items first seen within this window.
    #[serde(deserialize_with = "crate::config::de_duration")]
    pub fold_window: std::time::Duration,
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
            withdraw_window: std::time::Duration::from_secs(14 * 86_400),
            fold_threshold: DEFAULT_FOLD_THRESHOLD,
            fold_window: std::time::Duration::from_secs(3 * 86_400),
        }
    }
}

/// Chosen on the 42 labelled pairs of `tests/data/story-pairs.jsonl` (22 copies of one story,
/// 20 different stories on the same topics; the `signals` integration test prints precision
/// and recall at each threshold). At 0.6 precision is 1.0 and recall 0.91; the closest
/// different-story pair (two MOFCOM notices written from one template) scores 0.57. Folding
/// two different stories would hide one, so the threshold errs towards precision.
pub const DEFAULT_FOLD_THRESHOLD: f64 = 0.6;

/// The base score of one hit: see the module's formula.
pub fn base_score(
    cfg: &SignalsConfig,
    watch_weight: f64,
    source_weight: f64,
    in_title: bool,
    watches: usize,
) -> f64 {
    let field = if in_title { cfg.title } else { cfg.summary };
    let extra = cfg.per_extra_watch * watches.saturating_sub(1) as f64;
    round2(watch_weight * source_weight * (field + extra))
}

/// Hits of one item, scored, as the store takes them.
pub fn scored(
    matcher: &crate::watch::Matcher,
    cfg: &SignalsConfig,
    source_weight: f64,
    hits: Vec<crate::watch::Hit>,
) -> Vec<crate::store::NewHit> {
    let watches: std::collections::HashSet<&str> = hits.iter().map(|h| h.watch.as_str()).collect();
    let n = watches.len();
    hits.into_iter()
        .map(|hit| crate::store::NewHit {
            watch_version: matcher.version(&hit.watch).unwrap_or_default().to_string(),
            score: base_score(
                cfg,
                matcher.weight(&hit.watch),
                source_weight,
                hit.field == crate::watch::Field::Title,
                n,
            ),
            hit,
        })
        .collect()
}

/// The score of a stored hit as read: its base plus the bonus of its item's status.
pub fn status_bonus(cfg: &SignalsConfig, status: Option<&str>) -> f64 {
    match status {
        Some("edited") => cfg.edited,
        Some("withdrawn") => cfg.withdrawn,
        _ => 0.0,
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Query parameters that only track visits or campaigns; a URL differing only in these is
/// the same URL.
fn is_tracking(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    k.starts_with("utm_")
        || matches!(
            k.as_str(),
            "fbclid"
                | "gclid"
                | "dclid"
                | "msclkid"
                | "mc_cid"
                | "mc_eid"
                | "spm"
                | "from"
                | "share_token"
                | "ref"
                | "src"
        )
}

/// `url` without tracking parameters; a URL without any, or anything that is not a URL, comes
/// back as it is.
pub fn strip_tracking(url: &str) -> String {
    let Ok(mut u) = url::Url::parse(url.trim()) else {
        return url.to_string();
    };
    if !u.query_pairs().any(|(k, _)| is_tracking(&k)) {
        return url.to_string();
    }
    let kept: Vec<(String, String)> = u
        .query_pairs()
        .filter(|(k, _)| !is_tracking(k))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if kept.is_empty() {
        u.set_query(None);
    } else {
        u.query_pairs_mut().clear().extend_pairs(kept);
    }
    u.to_string()
}

/// Whitespace folded, and URLs in the text without tracking parameters.
fn canonical_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        if word.starts_with("http://") || word.starts_with("https://") {
            out.push_str(&strip_tracking(word));
        } else {
            out.push_str(word);
        }
    }
    out
}

/// The fingerprint of one revision: hashes of its title and of its text, as "TITLE:TEXT" in
/// hex, so a change of either can be told apart.
pub fn fingerprint(title: &str, text: &str) -> String {
    format!(
        "{:016x}:{:016x}",
        xxh3_64(canonical_text(title).as_bytes()),
        xxh3_64(canonical_text(text).as_bytes())
    )
}

/// What changed between two fingerprints: "title", "text", "title and text", or `None`.
pub fn changed(old: &str, new: &str, compare_text: bool) -> Option<&'static str> {
    let (ot, ox) = old.split_once(':').unwrap_or((old, ""));
    let (nt, nx) = new.split_once(':').unwrap_or((new, ""));
    match (ot != nt, compare_text && ox != nx) {
        (true, true) => Some("title and text"),
        (true, false) => Some("title"),
        (false, true) => Some("text"),
        (false, false) => None,
    }
}

/// Number of MinHash values in a signature.
pub const SIG_LEN: usize = 128;
/// LSH bands: `BANDS × ROWS = SIG_LEN`. With 32 bands of 4 rows, a pair at similarity 0.6
/// shares a band with probability 1 − (1 − 0.6⁴)³² ≈ 0.99, at 0.5 ≈ 0.87, at 0.3 ≈ 0.23.
pub const BANDS: usize = 32;
const ROWS: usize = SIG_LEN / BANDS;

/// Words too common in news English to tell stories apart.
const STOPWORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "have", "had", "in", "is", "it",
    "its", "of", "on", "or", "said", "says", "that", "the", "this", "to", "was", "were", "which", "will",
    "with",
];

/// Tokens for shingling: lower-cased Latin words (letters and digits) other than stopwords, and
/// each CJK character on its own, with traditional forms folded the way matching folds them.
/// Also returns how many tokens are CJK characters.
fn tokens(text: &str) -> (Vec<String>, usize) {
    let mut out = Vec::new();
    let mut cjk = 0;
    let mut word = String::new();
    let end_word = |word: &mut String, out: &mut Vec<String>| {
        if !word.is_empty() {
            let w = std::mem::take(word);
            if !STOPWORDS.contains(&w.as_str()) {
                out.push(w);
            }
        }
    };
    for c in text.chars() {
        if is_cjk(c) {
            end_word(&mut word, &mut out);
            out.push(crate::watch::fold_han(c).to_string());
            cjk += 1;
        } else if c.is_alphanumeric() {
            word.extend(c.to_lowercase());
        } else {
            end_word(&mut word, &mut out);
        }
    }
    end_word(&mut word, &mut out);
    (out, cjk)
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xAC00..=0xD7AF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

/// The shingle hashes of a text. Chinese and Japanese text (mostly CJK characters) is read as
/// runs of three characters, since one character says little; other text as its set of
/// words, since copies of a wire story reorder and reword phrases but keep the words.
fn shingles(text: &str) -> Vec<u64> {
    let (t, cjk) = tokens(text);
    if t.is_empty() {
        return Vec::new();
    }
    let k = if cjk * 2 > t.len() { 3.min(t.len()) } else { 1 };
    // Each shingle is its tokens joined by U+001F, hashed; built in one reused buffer.
    let mut joined = String::new();
    let mut out: Vec<u64> = t
        .windows(k)
        .map(|w| {
            joined.clear();
            for (i, token) in w.iter().enumerate() {
                if i > 0 {
                    joined.push('\u{1f}');
                }
                joined.push_str(token);
            }
            xxh3_64(joined.as_bytes())
        })
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// The MinHash signature of an item's title and text; `None` when it has no words.
pub fn signature(title: &str, text: &str) -> Option<Vec<u32>> {
    let sh = shingles(&format!("{title}\n{text}"));
    if sh.is_empty() {
        return None;
    }
    let (a, b) = &HASH_FAMILY;
    let mut sig = [u32::MAX; SIG_LEN];
    // Shingle by shingle, so that the inner loop over the 128 functions vectorizes.
    for &x in &sh {
        for ((slot, a), b) in sig.iter_mut().zip(a).zip(b) {
            let h = (a.wrapping_mul(x).wrapping_add(*b) >> 32) as u32;
            *slot = (*slot).min(h);
        }
    }
    Some(sig.to_vec())
}

/// A fixed family of hash functions: h_i(x) = high 32 bits of (a_i·x + b_i), with a_i odd.
static HASH_FAMILY: ([u64; SIG_LEN], [u64; SIG_LEN]) = {
    let (mut a, mut b) = ([0; SIG_LEN], [0; SIG_LEN]);
    let mut i = 0;
    while i < SIG_LEN {
        a[i] = splitmix(2 * i as u64) | 1;
        b[i] = splitmix(2 * i as u64 + 1);
        i += 1;
    }
    (a, b)
};

const fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// The estimated Jaccard similarity of two signatures: the share of equal positions.
pub fn similarity<T: PartialEq>(a: &[T], b: &[T]) -> f64 {
    if a.len() != b.len() || a.is_empty() {
        return 0.0;
    }
    a.iter().zip(b).filter(|(x, y)| x == y).count() as f64 / a.len() as f64
}

/// The LSH band keys of a signature, one per band (band index mixed in).
pub fn bands(sig: &[u32]) -> Vec<i64> {
    sig.chunks(ROWS)
        .enumerate()
        .map(|(i, rows)| {
            let mut bytes = [0u8; 4 * ROWS + 1];
            bytes[0] = i as u8;
            for (at, r) in rows.iter().enumerate() {
                bytes[1 + 4 * at..5 + 4 * at].copy_from_slice(&r.to_le_bytes());
            }
            xxh3_64(&bytes) as i64
        })
        .collect()
}

/// A signature as stored: little-endian u32s.
pub fn sig_to_blob(sig: &[u32]) -> Vec<u8> {
    sig.iter().flat_map(|v| v.to_le_bytes()).collect()
}

pub fn sig_from_blob(blob: &[u8]) -> Vec<u32> {
    blob.chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The signature as first written (one allocation per shingle, one pass per function):
    /// stored signatures were made this way, so the faster code must give the same values.
    fn signature_as_first_written(title: &str, text: &str) -> Option<Vec<u32>> {
        let (t, cjk) = tokens(&format!("{title}\n{text}"));
        if t.is_empty() {
            return None;
        }
        let k = if cjk * 2 > t.len() { 3.min(t.len()) } else { 1 };
        let mut sh: Vec<u64> = t
            .windows(k)
            .map(|w| xxh3_64(w.join("\u{1f}").as_bytes()))
            .collect();
        sh.sort_unstable();
        sh.dedup();
        let mut sig = vec![u32::MAX; SIG_LEN];
        for (i, slot) in sig.iter_mut().enumerate() {
            let a = splitmix(2 * i as u64) | 1;
            let b = splitmix(2 * i as u64 + 1);
            for &x in &sh {
                let h = (a.wrapping_mul(x).wrapping_add(b) >> 32) as u32;
                if h < *slot {
                    *slot = h;
                }
            }
        }
        Some(sig)
    }

    #[test]
    fn signatures_are_what_they_were() {
        for (title, text) in [
            (
                "China tightens rare earth export controls",
                "The ministry said on Friday that licences are required.",
            ),
            (
                "商务部 海关总署公告 对镓、锗相关物项实施出口管制",
                "为维护国家安全和利益，经国务院批准，决定实施出口管制。",
            ),
            ("半導體", "台積電"),
            ("AI", ""),
            ("", "   "),
        ] {
            assert_eq!(
                signature(title, text),
                signature_as_first_written(title, text),
                "{title}"
            );
        }
    }

    #[test]
    fn whitespace_and_tracking_parameters_are_not_edits() {
        let a = fingerprint(
            "China  restricts exports",
            "See https://x.cn/a?id=3&utm_source=rss now.",
        );
        let b = fingerprint(
            "China restricts exports",
            "See  https://x.cn/a?utm_medium=feed&id=3 now.\n",
        );
        assert_eq!(a, b);
        let c = fingerprint("China restricts exports", "See https://x.cn/a?id=4 now.");
        assert_eq!(changed(&a, &c, true), Some("text"));
        assert_eq!(changed(&a, &c, false), None, "text not compared");
        let d = fingerprint("China restricts gallium exports", "See https://x.cn/a?id=4 now.");
        assert_eq!(changed(&a, &d, true), Some("title and text"));
        assert_eq!(
            strip_tracking("http://a.cn/x?spm=1.2&from=timeline"),
            "http://a.cn/x"
        );
        assert_eq!(strip_tracking("not a url"), "not a url");
    }

    #[test]
    fn near_copies_are_similar_and_other_stories_are_not() {
        let a = signature(
            "China announces export controls on gallium and germanium",
            "China's Ministry of Commerce said on Monday it will impose export controls on gallium and germanium related items from August 1 to safeguard national security.",
        )
        .unwrap();
        let b = signature(
            "China to impose export controls on gallium, germanium",
            "The Ministry of Commerce said on Monday that China will impose export controls on gallium and germanium related items from August 1 to safeguard national security and interests.",
        )
        .unwrap();
        let c = signature(
            "China to curb graphite exports from December",
            "China will require export permits for some graphite products from December 1, the commerce ministry said on Friday, citing national security.",
        )
        .unwrap();
        assert!(
            similarity(&a, &b) >= DEFAULT_FOLD_THRESHOLD,
            "{}",
            similarity(&a, &b)
        );
        assert!(similarity(&a, &c) < 0.35, "{}", similarity(&a, &c));
        assert_eq!(similarity(&a, &a), 1.0);
        assert_eq!(sig_from_blob(&sig_to_blob(&a)), a);
        assert_eq!(bands(&a).len(), BANDS);
        assert!(signature("", "  ").is_none());
    }

    #[test]
    fn chinese_is_shingled_by_character_and_traditional_folds() {
        let s = signature("商务部宣布对稀土实施出口管制", "").unwrap();
        let t = signature("商務部宣布對稀土實施出口管制", "").unwrap();
        assert_eq!(similarity(&s, &t), 1.0);
    }

    #[test]
    fn score_follows_the_written_rule() {
        let c = SignalsConfig::default();
        assert_eq!(base_score(&c, 1.0, 1.0, true, 1), 1.0);
        assert_eq!(base_score(&c, 1.0, 1.0, false, 1), 0.5);
        assert_eq!(base_score(&c, 2.0, 1.5, true, 3), 6.0);
        assert_eq!(status_bonus(&c, Some("withdrawn")), 1.0);
        assert_eq!(status_bonus(&c, None), 0.0);
    }
}
