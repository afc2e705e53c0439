//! The term syntax of a watch, compiled to what the automaton searches for.
//!
//! - A term is matched after normalization (see `normalize`): case-insensitively, with
//!   hyphens and spaces alike, traditional and simplified Chinese alike.
//! - Latin-script ends of a term must fall on word boundaries ("chip" does not match
//!   "chips" or "microchip"); Chinese and Japanese ends match anywhere.
//! - A trailing `*` lifts the boundary at the end: `chipmaker*` matches "chipmakers".
//! - A term written in capitals only (2 to 6 letters or digits, like `AI`, `EUV`, `LLM`) is an
//!   acronym and matches with its case exactly, as does any term listed in `case_sensitive`.
//! - `near` rules are written `A NEAR/n B`: both terms within n words (or Chinese
//!   characters) of each other, in either order.

use super::normalize::normalize;

/// One term, ready for the automaton.
#[derive(Debug, Clone)]
pub struct Term {
    /// As written in the config, `*` included.
    pub written: String,
    /// Normalized, case-folded: what the automaton searches for.
    pub needle: String,
    /// Normalized with case kept, when the term is case-sensitive.
    pub cased: Option<String>,
    pub word_start: bool,
    pub word_end: bool,
    /// Written with a trailing `*`: a match runs on to the end of its word.
    pub wildcard: bool,
}

/// A proximity rule.
#[derive(Debug, Clone)]
pub struct Near {
    pub written: String,
    pub left: Term,
    pub right: Term,
    pub distance: usize,
}

impl Term {
    pub fn parse(written: &str, case_sensitive: &[String]) -> Result<Term, String> {
        let trimmed = written.trim();
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
            needle,
        })
    }
}

impl Near {
    pub fn parse(written: &str, case_sensitive: &[String]) -> Result<Near, String> {
        let bad =
            || format!("near rule {written:?}: write it as \"A NEAR/n B\", e.g. \"export NEAR/3 ban*\"");
        let at = written.find(" NEAR/").ok_or_else(bad)?;
        let rest = &written[at + " NEAR/".len()..];
        let digits = rest.chars().take_while(char::is_ascii_digit).count();
        let distance: usize = rest[..digits].parse().map_err(|_| bad())?;
        let right = rest[digits..].trim();
        let left = written[..at].trim();
        if left.is_empty() || right.is_empty() || distance == 0 {
            return Err(bad());
        }
        Ok(Near {
            written: written.trim().to_string(),
            left: Term::parse(left, case_sensitive)?,
            right: Term::parse(right, case_sensitive)?,
            distance,
        })
    }
}

/// A char that continues a Latin-script word. Chinese and Japanese characters do not, so a
/// Latin term stands alone next to them ("AI企业").
pub fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() && !is_cjk(c)
}

pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F | 0xAC00..=0xD7AF | 0xFF66..=0xFF9F)
}

/// How many words (runs of Latin letters and digits) and CJK characters start before
/// byte `pos` of normalized text.
pub fn tokens_before(text: &str, pos: usize) -> usize {
    let mut n = 0;
    let mut in_word = false;
    for c in text[..pos.min(text.len())].chars() {
        if is_cjk(c) {
            n += 1;
            in_word = false;
        } else if is_word_char(c) {
            if !in_word {
                n += 1;
            }
            in_word = true;
        } else {
            in_word = false;
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn term_forms() {
        let t = Term::parse("Rare-Earth", &[]).unwrap();
        assert_eq!(
            (t.needle.as_str(), t.word_start, t.word_end, t.cased.is_some()),
            ("rare earth", true, true, false)
        );
        let t = Term::parse("chipmaker*", &[]).unwrap();
        assert!(!t.word_end);
        let t = Term::parse("AI", &[]).unwrap();
        assert_eq!(t.cased.as_deref(), Some("AI"));
        let t = Term::parse("NdFeB", &["NdFeB".into()]).unwrap();
        assert_eq!(t.cased.as_deref(), Some("NdFeB"));
        assert!(Term::parse("Chips", &[]).unwrap().cased.is_none());
        let t = Term::parse("稀土", &[]).unwrap();
        assert!(!t.word_start && !t.word_end);
        assert!(Term::parse(" - ", &[]).is_err());
    }

    #[test]
    fn near_rules() {
        let n = Near::parse("export* NEAR/3 ban*", &[]).unwrap();
        assert_eq!(
            (n.left.needle.as_str(), n.right.needle.as_str(), n.distance),
            ("export", "ban", 3)
        );
        for bad in [
            "export ban",
            "export NEAR/x ban",
            "NEAR/3 ban",
            "export NEAR/0 ban",
        ] {
            assert!(Near::parse(bad, &[]).is_err(), "{bad}");
        }
    }

    #[test]
    fn token_counting() {
        assert_eq!(tokens_before("export ban on x", 7), 1);
        assert_eq!(tokens_before("中国稀土", 6), 2);
    }
}
