//! The matcher: one Aho-Corasick automaton over every term and exclude of every watch.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use super::{Field, Hit, WatchError, Watches, plain_text, spec_version};

/// What one pattern of the automaton stands for.
#[derive(Debug, Clone)]
struct Pattern {
    watch: usize,
    term: String,
    exclude: bool,
    /// Latin-script edges must fall on word boundaries.
    word_start: bool,
    word_end: bool,
}

/// All watches compiled into one automaton; cheap to share between threads.
#[derive(Debug, Clone)]
pub struct Matcher {
    names: Vec<String>,
    versions: Vec<String>,
    patterns: Vec<Pattern>,
    ac: Option<AhoCorasick>,
}

impl Matcher {
    pub fn new(watches: &Watches) -> Result<Self, WatchError> {
        let mut names = Vec::new();
        let mut versions = Vec::new();
        let mut patterns = Vec::new();
        let mut needles = Vec::new();
        for (wi, (name, spec)) in watches.iter().enumerate() {
            names.push(name.clone());
            versions.push(spec_version(spec));
            if spec.terms.is_empty() {
                return Err(WatchError::Invalid {
                    watch: name.clone(),
                    message: "terms: must list at least one term".into(),
                });
            }
            let all = spec
                .terms
                .iter()
                .map(|t| (t, false))
                .chain(spec.exclude.iter().map(|t| (t, true)));
            for (term, exclude) in all {
                let needle = fold(term.trim());
                if needle.is_empty() {
                    return Err(WatchError::Invalid {
                        watch: name.clone(),
                        message: format!("empty term {term:?}"),
                    });
                }
                let first = needle.chars().next().unwrap_or(' ');
                let last = needle.chars().last().unwrap_or(' ');
                patterns.push(Pattern {
                    watch: wi,
                    term: term.clone(),
                    exclude,
                    word_start: is_word_char(first) && !is_cjk(first),
                    word_end: is_word_char(last) && !is_cjk(last),
                });
                needles.push(needle);
            }
        }
        let ac = if needles.is_empty() {
            None
        } else {
            Some(
                AhoCorasickBuilder::new()
                    .match_kind(MatchKind::Standard)
                    .build(&needles)
                    .map_err(|e| WatchError::Invalid {
                        watch: "*".into(),
                        message: e.to_string(),
                    })?,
            )
        };
        Ok(Self {
            names,
            versions,
            patterns,
            ac,
        })
    }

    /// The version fingerprint of a watch, as recorded with its hits.
    pub fn version(&self, watch: &str) -> Option<&str> {
        self.names
            .iter()
            .position(|n| n == watch)
            .map(|i| self.versions[i].as_str())
    }

    /// Finds every hit in an item's title and summary (either may hold HTML).
    pub fn find(&self, title: &str, summary: &str) -> Vec<Hit> {
        let mut hits = Vec::new();
        self.find_field(Field::Title, &plain_text(title), &mut hits);
        self.find_field(Field::Summary, &plain_text(summary), &mut hits);
        hits
    }

    fn find_field(&self, field: Field, text: &str, hits: &mut Vec<Hit>) {
        let Some(ac) = &self.ac else { return };
        let folded = Folded::new(text);
        let mut found = Vec::new();
        for m in ac.find_overlapping_iter(&folded.text) {
            let p = &self.patterns[m.pattern().as_usize()];
            if p.word_start
                && folded.text[..m.start()]
                    .chars()
                    .next_back()
                    .is_some_and(is_word_char)
            {
                continue;
            }
            if p.word_end && folded.text[m.end()..].chars().next().is_some_and(is_word_char) {
                continue;
            }
            found.push((m.start(), m.end(), p));
        }
        for &(s, e, p) in found.iter().filter(|(_, _, p)| !p.exclude) {
            let vetoed = found
                .iter()
                .any(|&(xs, xe, x)| x.exclude && x.watch == p.watch && xs < e && s < xe);
            if vetoed {
                continue;
            }
            let (os, oe) = (folded.orig_byte(s), folded.orig_byte(e));
            let (snippet, snippet_match) = snippet(text, os, oe);
            hits.push(Hit {
                watch: self.names[p.watch].clone(),
                term: p.term.clone(),
                field,
                start: text[..os].chars().count(),
                end: text[..oe].chars().count(),
                snippet,
                snippet_match,
            });
        }
    }
}

/// Lower-cased text with a map from its byte offsets back to the original's.
struct Folded {
    text: String,
    /// For each byte of `text`, the byte offset in the original of the char it came from;
    /// one extra entry for the end.
    back: Vec<usize>,
}

impl Folded {
    fn new(orig: &str) -> Self {
        let mut text = String::with_capacity(orig.len());
        let mut back = Vec::with_capacity(orig.len() + 1);
        for (i, c) in orig.char_indices() {
            for l in c.to_lowercase() {
                let before = text.len();
                text.push(l);
                back.extend(std::iter::repeat_n(i, text.len() - before));
            }
        }
        back.push(orig.len());
        Self { text, back }
    }

    fn orig_byte(&self, folded: usize) -> usize {
        self.back[folded]
    }
}

fn fold(s: &str) -> String {
    s.chars().flat_map(char::to_lowercase).collect()
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

pub(super) fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F | 0xAC00..=0xD7AF)
}

/// About 200 characters around `[s, e)` of `text`, and the match's byte range inside it.
fn snippet(text: &str, s: usize, e: usize) -> (String, (usize, usize)) {
    const SIDE: usize = 100;
    let start = text[..s]
        .char_indices()
        .rev()
        .take(SIDE)
        .last()
        .map_or(s, |(i, _)| i);
    let end = text[e..]
        .char_indices()
        .nth(SIDE)
        .map_or(text.len(), |(i, _)| e + i);
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    let offset = out.len() - start;
    out.push_str(&text[start..end]);
    if end < text.len() {
        out.push('…');
    }
    (out, (s + offset, e + offset))
}

#[cfg(test)]
mod tests {
    use super::super::WatchSpec;
    use super::*;

    fn m(watches: &[(&str, &[&str], &[&str])]) -> Matcher {
        let w: Watches = watches
            .iter()
            .map(|(n, t, x)| {
                (
                    n.to_string(),
                    WatchSpec {
                        terms: t.iter().map(|s| s.to_string()).collect(),
                        exclude: x.iter().map(|s| s.to_string()).collect(),
                    },
                )
            })
            .collect();
        Matcher::new(&w).unwrap()
    }

    #[test]
    fn latin_whole_word_cjk_substring_exclude_veto() {
        let mm = m(&[
            ("semis", &["chip", "芯片"], &["blue-chip"]),
            ("re", &["rare earth", "稀土"], &[]),
        ]);
        assert!(mm.find("Chips act", "").is_empty(), "chip is a whole word");
        let h = mm.find("New CHIP plant", "中国稀土出口与芯片");
        let terms: Vec<_> = h
            .iter()
            .map(|h| (h.watch.as_str(), h.term.as_str(), h.field))
            .collect();
        assert_eq!(
            terms,
            vec![
                ("semis", "chip", Field::Title),
                ("re", "稀土", Field::Summary),
                ("semis", "芯片", Field::Summary)
            ]
        );
        assert_eq!((h[0].start, h[0].end), (4, 8));
        assert_eq!((h[1].start, h[1].end), (2, 4));
        assert!(mm.find("Blue-chip stocks rally", "").is_empty());
        let h = mm.find("<b>Rare earth</b> &amp; more", "");
        assert_eq!(h.len(), 1);
        assert_eq!(
            &h[0].snippet[h[0].snippet_match.0..h[0].snippet_match.1],
            "Rare earth"
        );
    }
}
