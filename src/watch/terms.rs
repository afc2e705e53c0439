//! The term syntax of a watch, compiled to what the automaton searches for.
//!
//! - A term is matched after normalization (see `normalize`): case-insensitively, with
//!   hyphens and spaces alike, traditional and simplified Chinese alike.
//! - Latin-script ends of a term must fall on word boundaries ("chip" does not match
//!   "chips" or "microchip"); Chinese and Japanese ends match anywhere.
//! - A trailing `*` lifts the boundary at the end: `chipmaker*` matches "chipmakers".
//! - A term written in capitals only (2 to 6 letters or digits, like `AI`, `EUV`, `LLM`) is an
//!   acronym and matches with its case exactly, as does any term listed in `case_sensitive`.
//!   An acronym ending in a letter also matches when a version follows it: digits and at
//!   most two letters (`HBM` finds HBM3 and HBM3E, `DDR` finds DDR5, `GB` finds GB200).
//! - A Chinese term also finds the Taiwan, Hong Kong and Japanese phrases for it (see `vocab`).
//! - `near` rules are written `A NEAR/n B`: both sides within n words (or Chinese
//!   characters) of each other, in either order. A side is a term or an `@concept`.
//! - A term is at most [`MAX_TERM_CHARS`] characters long.

use super::normalize::normalize;

/// The longest term allowed, in characters. Real terms are words and short phrases; the
/// limit keeps a mistaken paste (or a hostile config) from building a huge automaton.
pub const MAX_TERM_CHARS: usize = 1_000;

/// One term, ready for the automaton.
#[derive(Debug, Clone)]
pub struct Term {
    /// As written in the config, `*` included.
    pub written: String,
    /// Normalized, case-folded: what the automaton searches for; the first is the term
    /// itself, the others its regional forms.
    pub needles: Vec<String>,
    /// Normalized with case kept, when the term is case-sensitive.
    pub cased: Option<String>,
    pub word_start: bool,
    pub word_end: bool,
    /// Written with a trailing `*`: a match runs on to the end of its word.
    pub wildcard: bool,
    /// An acronym that also matches followed by a version (`HBM` in "HBM3E").
    pub versioned: bool,
}

/// A proximity rule, its sides as written (a term or an `@concept`).
#[derive(Debug, Clone)]
pub struct Near<'a> {
    pub left: &'a str,
    pub right: &'a str,
    pub distance: usize,
}

impl Term {
    pub fn parse(written: &str, case_sensitive: &[String]) -> Result<Term, String> {
        let trimmed = written.trim();
        let chars = trimmed.chars().count();
        if chars > MAX_TERM_CHARS {
            let start: String = trimmed.chars().take(24).collect();
            return Err(format!(
                "term \"{start}…\" is {chars} characters long; a term may have at most {MAX_TERM_CHARS}"
            ));
        }
        let (body, wildcard) = match trimmed.strip_suffix('*') {
            Some(b) => (b.trim_end(), true),
            None => (trimmed, false),
        };
        let needle = normalize(body, true).text;
        let (Some(first), Some(last)) = (needle.chars().next(), needle.chars().last()) else {
            return Err(format!("term {written:?} is empty after normalization"));
        };
        let acronym = (2..=6).contains(&body.len())
            && body.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
            && body.chars().any(|c| c.is_ascii_uppercase());
        let listed = case_sensitive
            .iter()
            .any(|t| t.trim() == trimmed || t.trim() == body);
        Ok(Term {
            written: trimmed.to_string(),
            cased: (acronym || listed).then(|| normalize(body, false).text),
            word_start: is_word_char(first),
            word_end: is_word_char(last) && !wildcard,
            wildcard,
            versioned: acronym && !wildcard && last.is_ascii_alphabetic(),
            needles: super::vocab::variants(&needle),
        })
    }
}

impl<'a> Near<'a> {
    pub fn parse(written: &'a str) -> Result<Near<'a>, String> {
        let bad = || {
            format!(
                "near rule {written:?}: write it as \"A NEAR/n B\", e.g. \"export* NEAR/3 ban*\" or \"@export-action NEAR/6 @strategic-goods\""
            )
        };
        let at = written.find(" NEAR/").ok_or_else(bad)?;
        let rest = &written[at + " NEAR/".len()..];
        let digits = rest.chars().take_while(char::is_ascii_digit).count();
        let distance: usize = rest[..digits].parse().map_err(|_| bad())?;
        let right = rest[digits..].trim();
        let left = written[..at].trim();
        if left.is_empty() || right.is_empty() || distance == 0 || right.contains(" NEAR/") {
            return Err(bad());
        }
        Ok(Near {
            left,
            right,
            distance,
        })
    }
}

/// How long the version after an acronym at the start of `rest` is (in bytes): ASCII digits,
/// then at most two ASCII letters, ending a word. `None` when no version stands there.
pub fn version_len(rest: &str) -> Option<usize> {
    let b = rest.as_bytes();
    let digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 {
        return None;
    }
    let letters = b[digits..]
        .iter()
        .take(3)
        .take_while(|c| c.is_ascii_alphabetic())
        .count();
    if letters > 2 {
        return None;
    }
    let len = digits + letters;
    (!rest[len..].chars().next().is_some_and(is_word_char)).then_some(len)
}

/// A char that continues a Latin-script word. Chinese and Japanese characters do not, so a
/// Latin term stands alone next to them ("AI企业").
pub fn is_word_char(c: char) -> bool {
    // The range test first: Unicode's letter tables are slow for CJK, which is never a word char.
    if c.is_ascii() {
        c.is_ascii_alphanumeric()
    } else {
        !is_cjk(c) && c.is_alphanumeric()
    }
}

pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F | 0xAC00..=0xD7AF | 0xFF66..=0xFF9F)
}

/// Where each word (run of Latin letters and digits) and each CJK character of normalized
/// text starts, in bytes: the n-th entry is where token n starts.
pub fn token_starts(text: &str) -> Vec<usize> {
    let mut starts = Vec::new();
    let mut in_word = false;
    for (i, c) in text.char_indices() {
        // ASCII first: most of most texts, and never CJK.
        if c.is_ascii() {
            let word = c.is_ascii_alphanumeric();
            if word && !in_word {
                starts.push(i);
            }
            in_word = word;
        } else if is_cjk(c) {
            starts.push(i);
            in_word = false;
        } else if is_word_char(c) {
            if !in_word {
                starts.push(i);
            }
            in_word = true;
        } else {
            in_word = false;
        }
    }
    starts
}

/// How many tokens start before byte `pos`, given [`token_starts`].
pub fn tokens_before(starts: &[usize], pos: usize) -> usize {
    starts.partition_point(|&s| s < pos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn term_forms() {
        let t = Term::parse("Rare-Earth", &[]).unwrap();
        assert_eq!(
            (t.needles[0].as_str(), t.word_start, t.word_end, t.cased.is_some()),
            ("rare earth", true, true, false)
        );
        let t = Term::parse("chipmaker*", &[]).unwrap();
        assert!(!t.word_end);
        let t = Term::parse("AI", &[]).unwrap();
        assert_eq!(t.cased.as_deref(), Some("AI"));
        assert!(t.versioned);
        let t = Term::parse("NdFeB", &["NdFeB".into()]).unwrap();
        assert_eq!(t.cased.as_deref(), Some("NdFeB"));
        assert!(!t.versioned);
        assert!(Term::parse("Chips", &[]).unwrap().cased.is_none());
        let t = Term::parse("稀土", &[]).unwrap();
        assert!(!t.word_start && !t.word_end);
        assert!(Term::parse(" - ", &[]).is_err());
    }

    /// Issue 24 item 10: a long term compiled in time quadratic in its length; now terms are
    /// capped, and one at the cap compiles.
    #[test]
    fn terms_are_capped_and_a_long_one_compiles() {
        let at_cap: String = "a.b.稀土 ".repeat(MAX_TERM_CHARS / 8);
        assert!(Term::parse(&at_cap, &[]).is_ok());
        let over = "x".repeat(MAX_TERM_CHARS + 1);
        let e = Term::parse(&over, &[]).unwrap_err();
        assert!(e.contains("1001 characters") && e.contains("at most 1000"), "{e}");
    }

    #[test]
    fn versions_after_acronyms() {
        for (rest, want) in [
            ("3", Some(1)),
            ("3E", Some(2)),
            ("3e chips", Some(2)),
            ("200", Some(3)),
            ("5X", Some(2)),
            ("", None),
            ("E", None),
            ("3abc", None),
            ("3e5", None),
        ] {
            assert_eq!(version_len(rest), want, "{rest}");
        }
    }

    #[test]
    fn near_rules() {
        let n = Near::parse("export* NEAR/3 ban*").unwrap();
        assert_eq!((n.left, n.right, n.distance), ("export*", "ban*", 3));
        let n = Near::parse("@export-action NEAR/6 @strategic-goods").unwrap();
        assert_eq!((n.left, n.right), ("@export-action", "@strategic-goods"));
        for bad in [
            "export ban",
            "export NEAR/x ban",
            "NEAR/3 ban",
            "export NEAR/0 ban",
            "a NEAR/2 b NEAR/2 c",
        ] {
            assert!(Near::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn token_counting() {
        let t = "export ban on x";
        assert_eq!(tokens_before(&token_starts(t), 7), 1);
        let t = "中国稀土";
        assert_eq!(tokens_before(&token_starts(t), 6), 2);
    }
}
