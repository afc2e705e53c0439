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
        let mut start = t[lo..ps]
            .rfind(is_sentence_end)
            .map_or(lo, |i| lo + i + char_len(t, lo + i));
        let mut end = t[pe..hi]
            .find(is_sentence_end)
            .map_or(hi, |i| pe + i + char_len(t, pe + i));
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
        if start > 0 && !t[..start].trim_end().ends_with(is_sentence_end) {
            out.push('…');
        }
        let offset = out.len();
        out.push_str(t[start..end].trim_end());
        if end < t.len() && !t[..end].trim_end().ends_with(is_sentence_end) {
            out.push('…');
        }
        let m = (ps - start + offset, (pe - start + offset).min(out.len()));
        (out, m)
    }
}

fn is_sentence_end(c: char) -> bool {
    matches!(c, '.' | '!' | '?' | '。' | '！' | '？' | '；' | '\n')
}

fn char_len(t: &str, i: usize) -> usize {
    t[i..].chars().next().map_or(1, char::len_utf8)
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
    fn long_sentences_are_cut_around_the_match() {
        let long = format!("{} chip {}", "word ".repeat(100), "more ".repeat(100));
        let s = snip(&long, "chip");
        assert!(s.starts_with('…') && s.ends_with('…'), "{s}");
        assert!(s.chars().count() < 230, "{}", s.chars().count());
        assert!(s.contains("[chip]"));
    }
}
