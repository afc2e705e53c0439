//! Normalization, applied the same way to terms and to text, with a map back to the original.
//!
//! In order: HTML tags dropped and entities decoded; Unicode NFKC (full-width `ＡＩ` is `AI`);
//! Unicode lower-casing (unless asked not to); whitespace, hyphens, dashes and underscores
//! folded to one space, so "rare earth" finds "rare-earth" and "rare\nearth"; dots inside
//! single-letter abbreviations dropped (`A.I.` reads as `AI.`); traditional Chinese folded to
//! simplified (`半導體` reads as `半导体`), char for char.

use unicode_normalization::UnicodeNormalization;

use crate::text::walk_html;

/// Normalized text and, for each of its bytes, the byte offset in the original of the
/// character that produced it.
#[derive(Debug, Clone, Default)]
pub struct Normalized {
    pub text: String,
    pub map: Vec<u32>,
}

impl Normalized {
    /// The byte range in the original that the normalized range `[s, e)` came from.
    pub fn original_range(&self, original: &str, s: usize, e: usize) -> (usize, usize) {
        let os = self.map.get(s).map_or(original.len(), |&o| o as usize);
        let last = self
            .map
            .get(e.saturating_sub(1))
            .map_or(original.len(), |&o| o as usize);
        (os, end_of_unit(original, last).max(os))
    }
}

/// Where the original unit (a char, or a whole `&…;` entity) starting at `at` ends.
fn end_of_unit(original: &str, at: usize) -> usize {
    let rest = original.get(at..).unwrap_or("");
    if rest.starts_with('&')
        && let Some(semi) = rest.as_bytes().iter().take(12).position(|&b| b == b';')
    {
        return at + semi + 1;
    }
    at + rest.chars().next().map_or(0, char::len_utf8)
}

/// Normalizes `original` (which may hold HTML). With `fold_case` false the case is kept,
/// which is how case-sensitive terms are checked.
pub fn normalize(original: &str, fold_case: bool) -> Normalized {
    let mut out = Normalized {
        text: String::with_capacity(original.len()),
        map: Vec::with_capacity(original.len()),
    };
    let mut pending_space = false;
    let mut ascii = true;
    walk_html(original, |c, at| {
        if c.is_ascii() {
            push(
                &mut out,
                &mut pending_space,
                if fold_case { c.to_ascii_lowercase() } else { c },
                at,
            );
            return;
        }
        ascii = false;
        for k in std::iter::once(c).nfkc() {
            if fold_case {
                for l in k.to_lowercase() {
                    push(&mut out, &mut pending_space, l, at);
                }
            } else {
                push(&mut out, &mut pending_space, k, at);
            }
        }
    });
    drop_abbreviation_dots(&mut out);
    if !ascii {
        to_simplified(&mut out);
    }
    out
}

fn push(out: &mut Normalized, pending_space: &mut bool, c: char, at: usize) {
    if is_separator(c) {
        *pending_space = !out.text.is_empty();
        return;
    }
    if *pending_space {
        out.text.push(' ');
        out.map.push(at as u32);
        *pending_space = false;
    }
    let before = out.text.len();
    out.text.push(c);
    out.map
        .extend(std::iter::repeat_n(at as u32, out.text.len() - before));
}

/// Whitespace and the marks that join words: treated as one space.
fn is_separator(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '-' | '_' | '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{00AD}' | '\u{30FB}'
        )
}

/// Drops the dots of single-letter abbreviations ("a.i." → "ai.", "u.s." → "us."), so that a
/// term "AI" finds "A.I.". A dot goes when a lone ASCII letter stands before it and a letter
/// that ends its word or is followed by another dot stands after it.
fn drop_abbreviation_dots(n: &mut Normalized) {
    let b = n.text.as_bytes();
    let alnum = |i: usize| b.get(i).is_some_and(|c| c.is_ascii_alphanumeric());
    let letter = |i: usize| b.get(i).is_some_and(|c| c.is_ascii_alphabetic());
    let drop = |i: usize| {
        b[i] == b'.'
            && i >= 1
            && letter(i - 1)
            && (i < 2 || !alnum(i - 2) || b[i - 2] == b'.')
            && letter(i + 1)
            && (b.get(i + 2) == Some(&b'.') || !alnum(i + 2))
    };
    if !(0..b.len()).any(drop) {
        return;
    }
    let keep: Vec<bool> = (0..b.len()).map(|i| !drop(i)).collect();
    let mut text = Vec::with_capacity(b.len());
    let mut map = Vec::with_capacity(b.len());
    for (i, k) in keep.iter().enumerate() {
        if *k {
            text.push(b[i]);
            map.push(n.map[i]);
        }
    }
    // Only ASCII dots were removed, so the bytes are still valid UTF-8.
    n.text = String::from_utf8(text).unwrap_or_default();
    n.map = map;
}

/// Folds traditional Chinese characters to simplified ones. The conversion is char for
/// char between three-byte characters, so byte offsets (and the map) stay valid; should a
/// conversion ever change the length, the text is left as it was.
fn to_simplified(n: &mut Normalized) {
    let converted = fast2s::convert(&n.text);
    if converted.len() == n.text.len() {
        n.text = converted;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(s: &str) -> String {
        normalize(s, true).text
    }

    #[test]
    fn folds_width_case_separators_and_script() {
        assert_eq!(norm("ＡＩ企業"), "ai企业");
        assert_eq!(norm("Rare-Earth\n\tMagnets"), "rare earth magnets");
        assert_eq!(norm("rare&nbsp;earth"), "rare earth");
        assert_eq!(norm("<i>Rare-earth</i> refinery"), "rare earth refinery");
        assert_eq!(norm("半導體 晶片"), "半导体 晶片");
        assert_eq!(
            norm("Generative A.I. rules, U.S.-China"),
            "generative ai. rules, us. china"
        );
        assert_eq!(norm("www.example.com 3.5 e.g"), "www.example.com 3.5 eg");
        assert_eq!(normalize("ＡＩ", false).text, "AI");
    }

    #[test]
    fn maps_ranges_back_to_the_original() {
        let orig = "<b>Rare&nbsp;earth</b> news";
        let n = normalize(orig, true);
        let s = n.text.find("rare earth").unwrap();
        let (os, oe) = n.original_range(orig, s, s + "rare earth".len());
        assert_eq!(&orig[os..oe], "Rare&nbsp;earth");
        let orig = "中国半導體";
        let n = normalize(orig, true);
        let s = n.text.find("半导体").unwrap();
        let (os, oe) = n.original_range(orig, s, s + "半导体".len());
        assert_eq!(&orig[os..oe], "半導體");
    }
}
