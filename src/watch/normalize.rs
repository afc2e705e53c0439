//! Normalization, applied the same way to terms and to text, with a map back to the original.
//!
//! In order: HTML tags dropped and entities decoded; Unicode NFKC (full-width `ＡＩ` is `AI`);
//! Unicode lower-casing (unless asked not to); whitespace, hyphens, dashes and underscores
//! folded to one space, so "rare earth" finds "rare-earth" and "rare\nearth"; dots inside
//! single-letter abbreviations dropped (`A.I.` reads as `AI.`); traditional Chinese folded to
//! simplified (`半導體` reads as `半导体`), char for char, when case is folded too.
//!
//! This runs over every byte of every item, so it is written for speed: ASCII goes through a
//! lookup table, Chinese and Japanese characters skip NFKC and case folding (they have
//! neither), and the map back to the original is kept as sparse anchors rather than an entry
//! per byte.

use unicode_normalization::UnicodeNormalization;

use super::t2s::{simplified, simplifier};
use crate::text::{Piece, walk_html_pieces};

/// Normalized text with a map back to the original.
#[derive(Debug, Clone, Default)]
pub struct Normalized {
    pub text: String,
    /// `(normalized offset, original offset)` where copying stopped being one to one; between
    /// anchors, offsets advance together.
    anchors: Vec<(u32, u32)>,
}

impl Normalized {
    /// The original byte offset that normalized byte `pos` came from (floored to a char of
    /// the original).
    fn original_at(&self, original: &str, pos: usize) -> usize {
        let i = self.anchors.partition_point(|a| a.0 as usize <= pos);
        let (n, o) = if i == 0 { (0, 0) } else { self.anchors[i - 1] };
        original.floor_char_boundary((o as usize + (pos - n as usize)).min(original.len()))
    }

    /// The first normalized byte that came from original byte `orig` or later.
    pub fn normalized_at(&self, orig: usize) -> usize {
        // Anchors are ordered in both offsets; find the last one at or before `orig`.
        let i = self.anchors.partition_point(|a| a.1 as usize <= orig);
        let (n, o) = if i == 0 { (0, 0) } else { self.anchors[i - 1] };
        let next = self.anchors.get(i).map_or(self.text.len(), |a| a.0 as usize);
        let pos = (n as usize + (orig.saturating_sub(o as usize))).min(next);
        self.text.ceil_char_boundary(pos)
    }

    /// The byte range in the original that the normalized range `[s, e)` came from.
    pub fn original_range(&self, original: &str, s: usize, e: usize) -> (usize, usize) {
        let os = self.original_at(original, s);
        let last = self.original_at(original, e.saturating_sub(1).max(s));
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

/// What the table says of an ASCII byte.
const SEP: u8 = 0xFF;

/// ASCII bytes normalized: lower-cased, or `SEP` for those that fold to a space.
const fn ascii_table(fold: bool, joiners: bool) -> [u8; 128] {
    let mut t = [0u8; 128];
    let mut i = 0;
    while i < 128 {
        let b = i as u8;
        t[i] = if b.is_ascii_whitespace() || b == 0x0B || (joiners && (b == b'-' || b == b'_')) {
            SEP
        } else if fold {
            b.to_ascii_lowercase()
        } else {
            b
        };
        i += 1;
    }
    t
}
const FOLDED: [u8; 128] = ascii_table(true, true);
const CASED: [u8; 128] = ascii_table(false, true);
const DISPLAY: [u8; 128] = ascii_table(false, false);

/// Per byte value: whether it is ASCII that the table keeps (a byte of a word copied as it
/// is). Indexed by any byte, so the word loop needs no range check of its own.
const fn word_bytes(table: &[u8; 128]) -> [bool; 256] {
    let mut w = [false; 256];
    let mut i = 0;
    while i < 128 {
        w[i] = table[i] != SEP;
        i += 1;
    }
    w
}
const FOLDED_WORD: [bool; 256] = word_bytes(&FOLDED);
const CASED_WORD: [bool; 256] = word_bytes(&CASED);
const DISPLAY_WORD: [bool; 256] = word_bytes(&DISPLAY);

/// Whether eight bytes that follow a word byte go on with the words: ASCII, none of them a
/// separator other than a space, and each space followed by a word byte within the eight.
/// `joiners`: hyphens and underscores separate too. Each byte is tested in place in one
/// `u64` (SWAR): ASCII bytes plus at most 0x7F never carry into their neighbour.
#[inline]
fn plain_words(chunk: &[u8], joiners: bool) -> bool {
    const LO: u64 = u64::from_ne_bytes([0x01; 8]);
    const HI: u64 = LO * 0x80;
    let Ok(eight) = <[u8; 8]>::try_from(chunk) else {
        return false;
    };
    let x = u64::from_le_bytes(eight);
    if x & HI != 0 {
        return false;
    }
    // The high bit of each byte that equals `b`.
    let eq = |b: u8| !((x ^ (LO * b as u64)).wrapping_add(LO * 0x7F)) & HI;
    // Tab, line feed, vertical tab, form feed, carriage return: 0x09 to 0x0D.
    let controls = (x.wrapping_add(LO * (0x80 - 0x09)) & !x.wrapping_add(LO * (0x80 - 0x0E))) & HI;
    let spaces = eq(b' ');
    let mut stops = controls | (spaces & (spaces >> 8)) | (spaces & (0x80 << 56));
    if joiners {
        stops |= eq(b'-') | eq(b'_');
    }
    stops == 0
}

/// [`plain_words`] over sixteen bytes at once, with SSE2, which every x86_64 processor has:
/// the same tests, a third of the instructions.
#[cfg(target_arch = "x86_64")]
#[inline]
fn plain_words16(chunk: &[u8; 16], joiners: bool) -> bool {
    use std::arch::x86_64::*;
    // SAFETY: SSE2 is part of the x86_64 baseline; the one load reads the sixteen bytes of
    // `chunk`, unaligned.
    unsafe {
        let v = _mm_loadu_si128(chunk.as_ptr().cast());
        let byte = |b: u8| _mm_set1_epi8(b as i8);
        // Tab to carriage return, 0x09 to 0x0D; compared as signed bytes, non-ASCII bytes are
        // negative and refused by the high bits anyway.
        let controls = _mm_and_si128(_mm_cmpgt_epi8(v, byte(0x08)), _mm_cmplt_epi8(v, byte(0x0E)));
        let mut stops = _mm_movemask_epi8(controls) | _mm_movemask_epi8(v);
        if joiners {
            let j = _mm_or_si128(_mm_cmpeq_epi8(v, byte(b'-')), _mm_cmpeq_epi8(v, byte(b'_')));
            stops |= _mm_movemask_epi8(j);
        }
        let spaces = _mm_movemask_epi8(_mm_cmpeq_epi8(v, byte(b' ')));
        stops |= (spaces & (spaces >> 1)) | (spaces & 0x8000);
        stops == 0
    }
}

#[cfg(not(target_arch = "x86_64"))]
#[inline]
fn plain_words16(chunk: &[u8; 16], joiners: bool) -> bool {
    // Refuses a space that ends the first half, which only sends the caller to smaller steps.
    plain_words(&chunk[..8], joiners) && plain_words(&chunk[8..], joiners)
}

/// What a normalization is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Matching: everything in the module header.
    Fold,
    /// Checking case-sensitive terms: as `Fold`, case kept.
    Cased,
    /// Showing: tags and entities resolved, whitespace collapsed, nothing else changed.
    Display,
}

struct Builder {
    out: String,
    anchors: Vec<(u32, u32)>,
    pending_space: Option<usize>,
    table: &'static [u8; 128],
    word: &'static [bool; 256],
    mode: Mode,
}

impl Builder {
    fn new(mode: Mode, capacity: usize) -> Self {
        let (table, word) = match mode {
            Mode::Fold => (&FOLDED, &FOLDED_WORD),
            Mode::Cased => (&CASED, &CASED_WORD),
            Mode::Display => (&DISPLAY, &DISPLAY_WORD),
        };
        Self {
            out: String::with_capacity(capacity),
            anchors: Vec::new(),
            pending_space: None,
            table,
            word,
            mode,
        }
    }

    fn finish(self) -> Normalized {
        Normalized {
            text: self.out,
            anchors: self.anchors,
        }
    }

    /// Notes where the next output byte comes from, anchoring when the offsets part ways.
    #[inline]
    fn at(&mut self, orig: usize) {
        let n = self.out.len();
        let expected = self
            .anchors
            .last()
            .map_or(n, |&(an, ao)| ao as usize + (n - an as usize));
        if expected != orig {
            self.anchors.push((n as u32, orig as u32));
        }
    }

    #[inline]
    fn space_before(&mut self) {
        if let Some(ws) = self.pending_space.take() {
            self.at(ws);
            self.out.push(' ');
        }
    }

    #[inline]
    fn separator(&mut self, orig: usize) {
        if !self.out.is_empty() && self.pending_space.is_none() {
            self.pending_space = Some(orig);
        }
    }

    fn run(&mut self, run: &str, from: usize) {
        let bytes = run.as_bytes();
        let word = self.word;
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if word[b as usize] {
                // ASCII words with single spaces between them are copied in one go and folded
                // in place: such a space stays one space at the same place (a separator of
                // its own would too, by way of `separator` and `space_before`).
                let joiners = self.mode != Mode::Display;
                let mut j = i + 1;
                loop {
                    // Sixteen or eight bytes at a time while they are plainly words and single
                    // spaces; the byte steps below settle the rest, starting again after a
                    // word byte.
                    while let Some(chunk) = bytes[j..].first_chunk::<16>()
                        && plain_words16(chunk, joiners)
                    {
                        j += 16;
                    }
                    while let Some(chunk) = bytes.get(j..j + 8)
                        && plain_words(chunk, joiners)
                    {
                        j += 8;
                    }
                    match bytes.get(j) {
                        Some(&b) if word[b as usize] => j += 1,
                        Some(&b' ') if bytes.get(j + 1).is_some_and(|&n| word[n as usize]) => j += 2,
                        _ => break,
                    }
                }
                self.space_before();
                self.at(from + i);
                let start = self.out.len();
                self.out.push_str(&run[i..j]);
                if self.mode == Mode::Fold {
                    self.out[start..].make_ascii_lowercase();
                }
                i = j;
                continue;
            }
            if b < 0x80 {
                // ASCII that no word takes folds to a space.
                self.separator(from + i);
                i += 1;
                continue;
            }
            // A multi-byte char: `i` is on a char boundary because ASCII bytes never occur
            // inside one. A stretch of Chinese or kana is copied char for char with one
            // anchor check, since each char keeps its length (and has no case, no NFKC
            // form and no whitespace, in every mode).
            let c = run[i..].chars().next().unwrap_or('\u{FFFD}');
            if is_plain_cjk(c) {
                self.space_before();
                self.at(from + i);
                // Copied in one piece; a stretch with a traditional form again char by char,
                // folded (each fold keeps the char's length, so offsets hold).
                let (start, out_start) = (i, self.out.len());
                let fold = self.mode == Mode::Fold;
                let simplify = simplifier();
                let mut traditional = false;
                // Every such char is three bytes long (U+3041 to U+9FFF): read in threes.
                while let Some(&[b0, b1, b2]) = bytes.get(i..i + 3) {
                    let code = ((b0 as u32 & 0x0F) << 12) | ((b1 as u32 & 0x3F) << 6) | (b2 as u32 & 0x3F);
                    // Lead bytes E5 to E9 start U+5000 to U+9FFF, ideographs all; E3 and E4
                    // start kana and ideographs among other signs.
                    let plain = match b0 {
                        0xE5..=0xE9 => true,
                        0xE3 | 0xE4 => char::from_u32(code).is_some_and(is_plain_cjk),
                        _ => false,
                    };
                    if !plain {
                        break;
                    }
                    traditional |= fold && simplify.folds(code);
                    i += 3;
                }
                if traditional {
                    self.out.extend(run[start..i].chars().map(|c| simplify.fold(c)));
                } else {
                    self.out.push_str(&run[start..i]);
                }
                debug_assert_eq!(self.out.len() - out_start, i - start);
                continue;
            }
            self.char(c, from + i);
            i += c.len_utf8();
        }
    }

    fn char(&mut self, c: char, orig: usize) {
        if c.is_ascii() {
            let t = self.table[c as usize];
            if t == SEP {
                self.separator(orig);
            } else {
                self.space_before();
                self.at(orig);
                self.out.push(t as char);
            }
            return;
        }
        if self.mode == Mode::Display || is_plain_cjk(c) {
            if c.is_whitespace() {
                self.separator(orig);
                return;
            }
            self.space_before();
            self.at(orig);
            self.out
                .push(if self.mode == Mode::Fold { simplified(c) } else { c });
            return;
        }
        for k in std::iter::once(c).nfkc() {
            if k.is_ascii() || is_plain_cjk(k) {
                self.char(k, orig);
                continue;
            }
            if is_separator(k) {
                self.separator(orig);
                continue;
            }
            self.space_before();
            self.at(orig);
            if self.mode == Mode::Fold {
                self.out.extend(k.to_lowercase());
            } else {
                self.out.push(k);
            }
        }
    }
}

/// Chinese ideographs and kana, which NFKC and case folding leave as they are.
fn is_plain_cjk(c: char) -> bool {
    matches!(c as u32, 0x3041..=0x3096 | 0x30A1..=0x30FA | 0x3400..=0x4DBF | 0x4E00..=0x9FFF)
}

/// Whitespace and the marks that join words: treated as one space.
fn is_separator(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '-' | '_' | '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{00AD}' | '\u{30FB}'
        )
}

/// Normalizes `original` (which may hold HTML). With `fold_case` false the case is kept,
/// which is how case-sensitive terms are checked.
pub fn normalize(original: &str, fold_case: bool) -> Normalized {
    let n = build(original, if fold_case { Mode::Fold } else { Mode::Cased });
    drop_abbreviation_dots(n, original)
}

/// The plain text of `original` for people to read: tags dropped, entities decoded,
/// whitespace collapsed; mapped back like [`normalize`]'s.
pub fn display(original: &str) -> Normalized {
    build(original, Mode::Display)
}

fn build(original: &str, mode: Mode) -> Normalized {
    let mut b = Builder::new(mode, original.len());
    walk_html_pieces(original, |p| match p {
        Piece::Run(run, from) => b.run(run, from),
        Piece::Char(c, at) => b.char(c, at),
    });
    b.finish()
}

/// Drops the dots of single-letter abbreviations ("a.i." → "ai.", "u.s." → "us."), so that a
/// term "AI" finds "A.I.". A dot goes when a lone ASCII letter stands before it and a letter
/// that ends its word or is followed by another dot stands after it.
fn drop_abbreviation_dots(mut n: Normalized, original: &str) -> Normalized {
    let b = n.text.as_bytes();
    let alnum = |i: usize| b.get(i).is_some_and(|c| c.is_ascii_alphanumeric());
    let letter = |i: usize| b.get(i).is_some_and(|c| c.is_ascii_alphabetic());
    let drop = |i: usize| {
        i >= 1
            && letter(i - 1)
            && (i < 2 || !alnum(i - 2) || b[i - 2] == b'.')
            && letter(i + 1)
            && (b.get(i + 2) == Some(&b'.') || !alnum(i + 2))
    };
    let dots: Vec<usize> = memchr::memchr_iter(b'.', b).filter(|&i| drop(i)).collect();
    if dots.is_empty() {
        return n;
    }
    // Rare: rebuild the text without those dots, anchoring after each.
    let mut text = String::with_capacity(b.len());
    let mut anchors = Vec::with_capacity(n.anchors.len() + dots.len());
    let mut last = 0;
    // Anchors are ordered, and so are the segments: one cursor walks them all once, so a
    // text of many dots costs no more than it is long.
    let mut next_anchor = 0;
    for &d in dots.iter().chain(std::iter::once(&b.len())) {
        if d > last {
            let seg_start = text.len();
            anchors.push((seg_start as u32, n.original_at(original, last) as u32));
            // Anchors inside the segment carry over, shifted by what was dropped before it.
            while let Some(&(an, ao)) = n.anchors.get(next_anchor)
                && (an as usize) < d
            {
                if an as usize > last {
                    anchors.push(((an as usize - last + seg_start) as u32, ao));
                }
                next_anchor += 1;
            }
            text.push_str(&n.text[last..d]);
        }
        last = d + 1;
    }
    n.text = text;
    n.anchors = anchors;
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_chunks_are_tested_alike_eight_and_sixteen_at_a_time() {
        // Every byte ASCII, no control that folds to a space, no joiner when joiners
        // separate, and each space followed by something other than a space in the chunk.
        fn plain(c: &[u8], joiners: bool) -> bool {
            c.iter().enumerate().all(|(k, &b)| {
                b < 0x80
                    && !(0x09..=0x0D).contains(&b)
                    && !(joiners && (b == b'-' || b == b'_'))
                    && (b != b' ' || c.get(k + 1).is_some_and(|&n| n != b' '))
            })
        }
        let alphabet = [
            b'a', b'Z', b'.', b' ', b' ', b'-', b'_', b'\t', 0x0B, 0x0D, 0x08, 0x0E, 0x7F, 0x80, 0xE5,
        ];
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        let mut seen = [0usize; 2];
        for _ in 0..20_000 {
            let mut chunk = [0u8; 16];
            for b in &mut chunk {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                // Mostly letters, so that plain chunks come up too.
                *b = if seed.is_multiple_of(4) {
                    alphabet[(seed >> 8) as usize % alphabet.len()]
                } else {
                    b'a'
                };
            }
            for joiners in [true, false] {
                let want = plain(&chunk, joiners);
                seen[want as usize] += 1;
                assert_eq!(plain_words16(&chunk, joiners), want, "{chunk:?} {joiners}");
                assert_eq!(
                    plain_words(&chunk[..8], joiners),
                    plain(&chunk[..8], joiners),
                    "{chunk:?}"
                );
            }
        }
        assert!(seen[0] > 1000 && seen[1] > 1000, "{seen:?}");
    }

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
        assert_eq!(norm("ÉCOLE Straße İ"), "école straße i̇");
        assert_eq!(normalize("ＡＩ", false).text, "AI");
    }

    /// [`build`] as it would be taking every char on its own (`Builder::char`), as the
    /// first version did.
    fn build_char_by_char(original: &str, mode: Mode) -> Normalized {
        let mut b = Builder::new(mode, 0);
        walk_html_pieces(original, |p| match p {
            Piece::Run(run, from) => {
                for (i, c) in run.char_indices() {
                    b.char(c, from + i);
                }
            }
            Piece::Char(c, at) => b.char(c, at),
        });
        b.finish()
    }

    #[test]
    fn runs_give_what_char_by_char_gives() {
        let pieces = [
            "Rare",
            "earth",
            "AI",
            "a",
            " ",
            "  ",
            "\n",
            "\t",
            "-",
            "_",
            ".",
            ",",
            "稀土",
            "半導體",
            "。",
            "ＡＩ",
            "é",
            "Straße",
            "<b>",
            "</p>",
            "&amp;",
            "&nbsp;",
            "\u{3000}",
            "\u{a0}",
            "ﬁ",
            "x1",
        ];
        for text in crate::testing::mixes(&pieces, 0x2545_F491_4F6C_DD1D, 5000, 23) {
            for mode in [Mode::Fold, Mode::Cased, Mode::Display] {
                let (fast, slow) = (build(&text, mode), build_char_by_char(&text, mode));
                assert_eq!(fast.text, slow.text, "{text:?} {mode:?}");
                assert_eq!(fast.anchors, slow.anchors, "{text:?} {mode:?}");
            }
        }
    }

    #[test]
    fn maps_ranges_back_to_the_original() {
        let cases = [
            ("<b>Rare&nbsp;earth</b> news", "rare earth", "Rare&nbsp;earth"),
            ("中国半導體", "半导体", "半導體"),
            ("xx ＡＩ企業", "ai", "ＡＩ"),
            ("Generative A.I. rules", "ai", "A.I"),
            ("Generative A.I. rules", "rules", "rules"),
            ("a  -  b   rare   earth", "rare earth", "rare   earth"),
            ("ﬁne chips", "chips", "chips"),
        ];
        for (orig, needle, want) in cases {
            let n = normalize(orig, true);
            let s = n
                .text
                .find(needle)
                .unwrap_or_else(|| panic!("{needle} in {}", n.text));
            let (os, oe) = n.original_range(orig, s, s + needle.len());
            assert_eq!(&orig[os..oe], want, "{orig}");
        }
    }
}
