//! Copies: MinHash signatures over shingles estimate the Jaccard similarity of two items'
//! title and text; LSH bands find the candidates without comparing every pair.

use xxhash_rust::xxh3::xxh3_64;

/// Number of MinHash values in a signature.
pub const SIG_LEN: usize = 128;
/// LSH bands: `BANDS × ROWS = SIG_LEN`. With 32 bands of 4 rows, a pair at similarity 0.6
/// shares a band with probability 1 − (1 − 0.6⁴)³² ≈ 0.99, at 0.5 ≈ 0.87, at 0.3 ≈ 0.23.
pub const BANDS: usize = 32;
const ROWS: usize = SIG_LEN / BANDS;

/// Words too common in news English to tell stories apart.
fn is_stopword(word: &str) -> bool {
    matches!(
        word,
        "a" | "an"
            | "and"
            | "are"
            | "as"
            | "at"
            | "be"
            | "by"
            | "for"
            | "from"
            | "has"
            | "have"
            | "had"
            | "in"
            | "is"
            | "it"
            | "its"
            | "of"
            | "on"
            | "or"
            | "said"
            | "says"
            | "that"
            | "the"
            | "this"
            | "to"
            | "was"
            | "were"
            | "which"
            | "will"
            | "with"
    )
}

/// The tokens of a text for shingling: lower-cased Latin words (letters and digits) other than
/// stopwords, and each CJK character on its own, with traditional forms folded the way matching
/// folds them. They are written one after another into one string, each followed by U+001F,
/// so that a run of tokens is one slice of it: the shingle of those tokens, joined by U+001F.
#[derive(Default)]
struct Tokens {
    text: String,
    /// Where each token starts and ends in `text`.
    spans: Vec<(u32, u32)>,
    /// How many tokens are CJK characters.
    cjk: usize,
    /// Where the word being read starts, if one is.
    word: Option<usize>,
}

impl Tokens {
    fn read(&mut self, text: &str) {
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            // ASCII by bytes: a run of letters and digits is copied and lower-cased in one
            // piece (it may go on a word begun or continued by other letters).
            if bytes[i].is_ascii() {
                if bytes[i].is_ascii_alphanumeric() {
                    let start = i;
                    while bytes.get(i).is_some_and(u8::is_ascii_alphanumeric) {
                        i += 1;
                    }
                    self.word.get_or_insert(self.text.len());
                    let at = self.text.len();
                    self.text.push_str(&text[start..i]);
                    self.text[at..].make_ascii_lowercase();
                } else {
                    self.end_word();
                    i += 1;
                }
                continue;
            }
            // `i` is on a char boundary: ASCII bytes never occur inside a char.
            let Some(c) = text[i..].chars().next() else {
                break;
            };
            i += c.len_utf8();
            if is_cjk(c) {
                self.end_word();
                let at = self.text.len();
                self.text.push(crate::watch::fold_han(c));
                self.end_token(at);
                self.cjk += 1;
            } else if c.is_alphanumeric() {
                self.word.get_or_insert(self.text.len());
                if c.is_ascii() {
                    self.text.push(c.to_ascii_lowercase());
                } else {
                    self.text.extend(c.to_lowercase());
                }
            } else {
                self.end_word();
            }
        }
        self.end_word();
    }

    fn end_word(&mut self) {
        if let Some(at) = self.word.take() {
            if is_stopword(&self.text[at..]) {
                self.text.truncate(at);
            } else {
                self.end_token(at);
            }
        }
    }

    fn end_token(&mut self, at: usize) {
        // A text of 4 GiB is far past any feed's limit; its tokens past that are not read.
        if let (Ok(start), Ok(end)) = (u32::try_from(at), u32::try_from(self.text.len())) {
            self.spans.push((start, end));
        }
        self.text.push('\u{1f}');
    }
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xAC00..=0xD7AF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

/// The shingle hashes of a title and text, sorted and without repeats. Chinese and Japanese
/// text (mostly CJK characters) is read as runs of three characters, since one character says
/// little; other text as its set of words, since copies of a wire story reorder and reword
/// phrases but keep the words.
fn shingles(title: &str, text: &str) -> Vec<u64> {
    let mut t = Tokens {
        text: String::with_capacity(title.len() + text.len() + 64),
        ..Default::default()
    };
    t.read(title);
    t.read(text);
    let n = t.spans.len();
    if n == 0 {
        return Vec::new();
    }
    let k = if t.cjk * 2 > n { 3.min(n) } else { 1 };
    let mut out: Vec<u64> = t
        .spans
        .windows(k)
        .map(|w| xxh3_64(&t.text.as_bytes()[w[0].0 as usize..w[k - 1].1 as usize]))
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// The MinHash signature of an item's title and text; `None` when it has no words.
pub fn signature(title: &str, text: &str) -> Option<Vec<u32>> {
    let sh = shingles(title, text);
    if sh.is_empty() {
        return None;
    }
    Some(min_hashes(&sh).to_vec())
}

/// For each function of the family, its least value over the shingle hashes `sh`.
fn min_hashes(sh: &[u64]) -> [u32; SIG_LEN] {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2, as just checked.
        return unsafe { min_hashes_avx2(sh) };
    }
    min_hashes_portable(sh)
}

/// [`min_hashes`] built for AVX2, which takes four functions at a time where the baseline
/// x86-64 build takes two: this loop is most of a signature's cost.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn min_hashes_avx2(sh: &[u64]) -> [u32; SIG_LEN] {
    min_hashes_portable(sh)
}

#[inline(always)]
fn min_hashes_portable(sh: &[u64]) -> [u32; SIG_LEN] {
    let (a, b) = &HASH_FAMILY;
    let mut sig = [u32::MAX; SIG_LEN];
    // Shingle by shingle, so that the inner loop over the 128 functions vectorizes.
    for &x in sh {
        for ((slot, a), b) in sig.iter_mut().zip(a).zip(b) {
            let h = (a.wrapping_mul(x).wrapping_add(*b) >> 32) as u32;
            *slot = (*slot).min(h);
        }
    }
    sig
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

pub(super) const fn splitmix(mut x: u64) -> u64 {
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

/// The LSH band keys of a signature, one per band (band index mixed in). A signature of
/// another length than `SIG_LEN` gets keys for the bands it fills, and 0 for the rest.
pub fn bands(sig: &[u32]) -> [u32; BANDS] {
    let mut out = [0; BANDS];
    for (i, (key, rows)) in out.iter_mut().zip(sig.chunks(ROWS)).enumerate() {
        let mut bytes = [0u8; 4 * ROWS + 1];
        bytes[0] = i as u8;
        for (at, r) in rows.iter().enumerate() {
            bytes[1 + 4 * at..5 + 4 * at].copy_from_slice(&r.to_le_bytes());
        }
        // The low half of the hash: the index keys bands by 32 bits.
        *key = xxh3_64(&bytes) as u32;
    }
    out
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
    use crate::config::DEFAULT_FOLD_THRESHOLD;

    const STOPWORDS: &[&str] = &[
        "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "have", "had", "in", "is",
        "it", "its", "of", "on", "or", "said", "says", "that", "the", "this", "to", "was", "were", "which",
        "will", "with",
    ];

    /// The tokens as first written: a string each.
    fn tokens_as_first_written(text: &str) -> (Vec<String>, usize) {
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

    /// The signature as first written (one allocation per token and per shingle, one pass per
    /// function): stored signatures were made this way, so the faster code must give the same
    /// values.
    fn signature_as_first_written(title: &str, text: &str) -> Option<Vec<u32>> {
        let (t, cjk) = tokens_as_first_written(&format!("{title}\n{text}"));
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
            ("The rare", "earths of the ÉCOLE İstanbul ǅungla ß 2026年"),
            (
                "稀土 export controls on 镓 and 锗",
                "ひらがな カタカナ 한국어 𠀀𠀁 a1b2 x—y",
            ),
        ] {
            assert_eq!(
                signature(title, text),
                signature_as_first_written(title, text),
                "{title}"
            );
        }
        // Generated texts: words, stopwords, CJK (simplified and traditional), kana, hangul,
        // letters whose lower case is longer, digits, punctuation and spaces, in any mix.
        let pieces = [
            "the", "The", "this", "export", "CONTROLS", "rare", "earth", "of", "İ", "ß", "Σ", "é", "42",
            "稀", "土", "國", "務", "院", "か", "ナ", "한", "𠀀", " ", "  ", "\n", ",", "—", "-", "\u{1f}",
            "\u{0}",
        ];
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..3_000 {
            let mut make = |n: u64| {
                seed = splitmix(seed);
                let mut s = String::new();
                for _ in 0..seed % n {
                    seed = splitmix(seed);
                    s.push_str(pieces[(seed % pieces.len() as u64) as usize]);
                }
                s
            };
            let title = make(7);
            let text = make(40);
            assert_eq!(
                signature(&title, &text),
                signature_as_first_written(&title, &text),
                "{title:?} {text:?}"
            );
        }
    }

    #[test]
    fn min_hashes_are_the_same_on_every_path() {
        let mut seed = 11u64;
        for n in [0, 1, 2, 3, 7, 64, 301] {
            let sh: Vec<u64> = (0..n)
                .map(|_| {
                    seed = splitmix(seed);
                    seed
                })
                .collect();
            let (a, b) = &HASH_FAMILY;
            let expected: Vec<u32> = a
                .iter()
                .zip(b)
                .map(|(a, b)| {
                    sh.iter()
                        .map(|x| (a.wrapping_mul(*x).wrapping_add(*b) >> 32) as u32)
                        .min()
                        .unwrap_or(u32::MAX)
                })
                .collect();
            assert_eq!(min_hashes(&sh).to_vec(), expected, "{n}");
            assert_eq!(min_hashes_portable(&sh).to_vec(), expected, "{n}");
        }
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
}
