//! Snippets: the sentence around a match (or about 200 characters of it), in plain text, with
//! the match's place in it.

use super::normalize::{Normalized, display};

/// How far a snippet reaches on each side of the match when the sentence is long.
const SIDE: usize = 100;

/// Plain text of one field with its map to the original, made once per field that has hits.
pub struct Plain {
    norm: Normalized,
}

impl Plain {
    pub fn new(original: &str) -> Self {
        Plain {
            norm: display(original),
        }
    }

    /// The snippet for the original byte range `[os, oe)` and the match's byte range in it.
    pub fn snippet(&self, os: usize, oe: usize) -> (String, (usize, usize)) {
        let t = &self.norm.text;
        let ps = self.norm.normalized_at(os);
        let pe = self.norm.normalized_at(oe).max(ps);
        // The sentence: back to the end of the previous one, on to the end of this one,
        // looking no further than a few windows away so that long texts cost little.
        let lo = floor(t, ps.saturating_sub(SIDE * 8));
        let hi = floor(t, (pe + SIDE * 8).min(t.len()));
        // A scan of the byte slice each way, not a filtered range of offsets: the slice's
        // scan runs without a bounds check per byte, and only the bytes that may end a
        // sentence are decoded.
        let b = t.as_bytes();
        let mut start = lo;
        let mut at = ps;
        while let Some(i) = b[lo..at].iter().rposition(|&x| MAY_END[x as usize]) {
            if let Some(e) = sentence_end_at(t, lo + i) {
                start = e;
                break;
            }
            at = lo + i;
        }
        let mut end = hi;
        let mut at = pe;
        while let Some(i) = b[at..hi].iter().position(|&x| MAY_END[x as usize]) {
            if let Some(e) = sentence_end_at(t, at + i) {
                end = e;
                break;
            }
            at += i + 1;
        }
        // A sentence longer than the window is cut to about SIDE characters each side.
        if t[start..ps].chars().count() > SIDE {
            start = t[..ps]
                .char_indices()
                .rev()
                .nth(SIDE - 1)
                .map_or(start, |(i, _)| i);
        }
        if t[pe..end].chars().count() > SIDE {
            end = t[pe..].char_indices().nth(SIDE).map_or(end, |(i, _)| pe + i);
        }
        let lead = t[start..ps].trim_start();
        let start = ps - lead.len();
        let mut out = String::new();
        if start > 0 && !ends_with_sentence(&t[..start]) {
            out.push('…');
        }
        let offset = out.len();
        out.push_str(t[start..end].trim_end());
        if end < t.len() && !ends_with_sentence(&t[..end]) {
            out.push('…');
        }
        let m = (ps - start + offset, (pe - start + offset).min(out.len()));
        (out, m)
    }
}

/// Words that end in a full stop without ending a sentence: "U.S.", "No. 61", "Jan. 5".
const ABBREVIATIONS: &[&str] = &[
    "no", "nos", "mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr", "inc", "ltd", "co", "corp", "dept",
    "gov", "gen", "sen", "rep", "vs", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct",
    "nov", "dec", "art", "sec", "para", "fig", "vol", "approx", "est",
];

/// The bytes that start a char that may end a sentence (see [`ends_sentence`]): `!`, `?`,
/// `.`, a line feed, and the lead bytes of `。` (U+3002) and of `！`, `？`, `；` (U+FFxx).
const MAY_END: [bool; 256] = {
    let mut t = [false; 256];
    t[b'!' as usize] = true;
    t[b'?' as usize] = true;
    t[b'.' as usize] = true;
    t[b'\n' as usize] = true;
    t[0xE3] = true;
    t[0xEF] = true;
    t
};

/// Where the sentence ends when the char at byte `i` of `t` ends it: just after that char.
/// `None` when it does not. Called only where [`MAY_END`] holds: most bytes are let through
/// by the table alone, without decoding a char; the bytes it takes are ASCII or lead bytes,
/// so each starts a char.
fn sentence_end_at(t: &str, i: usize) -> Option<usize> {
    let c = t.get(i..)?.chars().next()?;
    ends_sentence(t, i, c).then(|| i + c.len_utf8())
}

/// Whether the character `c` at byte `i` of `t` ends a sentence. A full stop does only when
/// it is followed by a space (or the end) and the word before it is not an abbreviation, an
/// initial or a dotted acronym, and the next word does not start in lower case.
fn ends_sentence(t: &str, i: usize, c: char) -> bool {
    match c {
        '!' | '?' | '。' | '！' | '？' | '；' | '\n' => true,
        '.' => {
            let after = &t[i + 1..];
            if after.chars().next().is_some_and(|n| !n.is_whitespace()) {
                return false; // 3.5, example.com, U.S
            }
            if after.trim_start().chars().next().is_some_and(char::is_lowercase) {
                return false;
            }
            let word = t[..i]
                .rsplit(|c: char| c.is_whitespace() || matches!(c, '(' | '"' | '\'' | '“' | '‘'))
                .next()
                .unwrap_or("");
            let single_letter = word.chars().count() == 1 && word.chars().all(char::is_alphabetic);
            let dotted = word.contains('.') && word.chars().any(char::is_alphabetic);
            !(single_letter || dotted || ABBREVIATIONS.iter().any(|a| word.eq_ignore_ascii_case(a)))
        }
        _ => false,
    }
}

/// Whether `t` ends (trailing spaces aside) with the end of a sentence.
fn ends_with_sentence(t: &str) -> bool {
    let t = t.trim_end();
    t.char_indices()
        .next_back()
        .is_some_and(|(i, c)| ends_sentence(t, i, c))
}

fn floor(t: &str, mut i: usize) -> usize {
    while !t.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snip(orig: &str, needle: &str) -> String {
        let p = Plain::new(orig);
        let os = orig.find(needle).unwrap();
        let (s, (a, b)) = p.snippet(os, os + needle.len());
        format!("{}[{}]{}", &s[..a], &s[a..b], &s[b..])
    }

    #[test]
    fn takes_the_sentence() {
        assert_eq!(
            snip(
                "Markets rose. China curbs <b>rare earth</b> exports today! Weather was fine.",
                "rare earth"
            ),
            "China curbs [rare earth] exports today!"
        );
        assert_eq!(
            snip("商务部公告。对稀土实施出口管制。其他", "稀土"),
            "对[稀土]实施出口管制。"
        );
    }

    #[test]
    fn abbreviations_and_numbers_do_not_end_a_sentence() {
        assert_eq!(
            snip(
                "Markets rose. The U.S. Commerce Dept. issued rule No. 61 on gallium exports on Jan. 5 with 3.5 tonnes. Next.",
                "gallium"
            ),
            "The U.S. Commerce Dept. issued rule No. 61 on [gallium] exports on Jan. 5 with 3.5 tonnes."
        );
        assert_eq!(
            snip(
                "Said J. Smith of Acme Inc. in Washington: gallium curbs matter. Other.",
                "gallium"
            ),
            "Said J. Smith of Acme Inc. in Washington: [gallium] curbs matter."
        );
    }

    #[test]
    fn long_sentences_are_cut_around_the_match() {
        let long = format!("{} chip {}", "word ".repeat(100), "more ".repeat(100));
        let s = snip(&long, "chip");
        assert!(s.starts_with('…') && s.ends_with('…'), "{s}");
        assert!(s.chars().count() < 230, "{}", s.chars().count());
        assert!(s.contains("[chip]"));
    }
}
