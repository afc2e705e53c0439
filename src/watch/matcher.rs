//! The matcher: one Aho-Corasick automaton over every term, exclude and proximity part of
//! every watch, so the cost grows with the length of the text, not the number of terms.

use std::collections::HashMap;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

use super::normalize::{Normalized, normalize};
use super::snippet::Plain;
use super::terms::{Near, Term, is_word_char, tokens_before};
use super::{Field, Hit, WatchError, Watches, spec_version};

/// What one pattern of the automaton stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Term,
    Exclude,
    /// A side (0 or 1) of a proximity rule.
    Near {
        rule: usize,
        side: u8,
    },
}

#[derive(Debug, Clone)]
struct Pattern {
    watch: usize,
    role: Role,
    term: Term,
}

#[derive(Debug, Clone)]
struct NearRule {
    watch: usize,
    written: String,
    distance: usize,
}

/// All watches compiled into one automaton; cheap to share between threads.
#[derive(Debug, Clone)]
pub struct Matcher {
    names: Vec<String>,
    versions: Vec<String>,
    weights: Vec<f64>,
    patterns: Vec<Pattern>,
    near: Vec<NearRule>,
    ac: Option<AhoCorasick>,
}

/// A match of one pattern in normalized text: `[s, e)` and the pattern's index.
#[derive(Debug, Clone, Copy)]
struct Found {
    s: usize,
    e: usize,
    p: usize,
}

impl Matcher {
    pub fn new(watches: &Watches) -> Result<Self, WatchError> {
        let mut m = Matcher {
            names: Vec::new(),
            versions: Vec::new(),
            weights: Vec::new(),
            patterns: Vec::new(),
            near: Vec::new(),
            ac: None,
        };
        for (wi, (name, spec)) in watches.iter().enumerate() {
            let invalid = |message: String| WatchError::Invalid {
                watch: name.clone(),
                message,
            };
            if spec.terms.is_empty() && spec.near.is_empty() {
                return Err(invalid("list at least one term (or near rule)".into()));
            }
            m.names.push(name.clone());
            m.versions.push(spec_version(spec));
            m.weights.push(spec.weight.unwrap_or(1.0));
            let cs = &spec.case_sensitive;
            for t in &spec.terms {
                m.patterns.push(Pattern {
                    watch: wi,
                    role: Role::Term,
                    term: Term::parse(t, cs).map_err(invalid)?,
                });
            }
            for t in &spec.exclude {
                m.patterns.push(Pattern {
                    watch: wi,
                    role: Role::Exclude,
                    term: Term::parse(t, cs).map_err(invalid)?,
                });
            }
            for rule in &spec.near {
                let n = Near::parse(rule, cs).map_err(invalid)?;
                let idx = m.near.len();
                m.near.push(NearRule {
                    watch: wi,
                    written: n.written,
                    distance: n.distance,
                });
                m.patterns.push(Pattern {
                    watch: wi,
                    role: Role::Near { rule: idx, side: 0 },
                    term: n.left,
                });
                m.patterns.push(Pattern {
                    watch: wi,
                    role: Role::Near { rule: idx, side: 1 },
                    term: n.right,
                });
            }
        }
        if !m.patterns.is_empty() {
            let ac = AhoCorasick::builder()
                .match_kind(MatchKind::Standard)
                .kind(Some(AhoCorasickKind::DFA))
                .build(m.patterns.iter().map(|p| p.term.needle.as_str()))
                .or_else(|_| {
                    // A very large term list can exceed the DFA's size limit; the
                    // contiguous NFA is slower but has no such limit.
                    AhoCorasick::builder()
                        .match_kind(MatchKind::Standard)
                        .build(m.patterns.iter().map(|p| p.term.needle.as_str()))
                })
                .map_err(|e| WatchError::Invalid {
                    watch: "*".into(),
                    message: e.to_string(),
                })?;
            m.ac = Some(ac);
        }
        Ok(m)
    }

    /// The version fingerprint of a watch, as recorded with its hits.
    pub fn version(&self, watch: &str) -> Option<&str> {
        self.names
            .iter()
            .position(|n| n == watch)
            .map(|i| self.versions[i].as_str())
    }

    /// A watch's priority weight (`weight`, default 1).
    pub fn weight(&self, watch: &str) -> f64 {
        self.names
            .iter()
            .position(|n| n == watch)
            .map_or(1.0, |i| self.weights[i])
    }

    /// Every hit in an item's title and summary (either may hold HTML), ordered by field,
    /// then position, then watch.
    pub fn find(&self, title: &str, summary: &str) -> Vec<Hit> {
        let mut hits = self.find_in(Field::Title, title);
        hits.extend(self.find_in(Field::Summary, summary));
        hits
    }

    /// The hits in one field.
    pub fn find_in(&self, field: Field, original: &str) -> Vec<Hit> {
        let Some(ac) = &self.ac else { return Vec::new() };
        let norm = normalize(original, true);
        let found: Vec<Found> = ac
            .find_overlapping_iter(&norm.text)
            .map(|m| Found {
                s: m.start(),
                e: m.end(),
                p: m.pattern().as_usize(),
            })
            .filter(|f| self.accept(f, &norm, original))
            .map(|f| self.extend_wildcard(f, &norm.text))
            .collect();
        if found.is_empty() {
            return Vec::new();
        }
        // (watch, written term, start, end) in normalized bytes.
        let mut raw: Vec<(usize, &str, usize, usize)> = Vec::new();
        for f in found.iter().filter(|f| self.patterns[f.p].role == Role::Term) {
            let p = &self.patterns[f.p];
            if !self.vetoed(&found, p.watch, f.s, f.e) {
                raw.push((p.watch, &p.term.written, f.s, f.e));
            }
        }
        self.find_near(&found, &norm.text, &mut raw);
        // One hit per watch and place: the longest term found there.
        raw.sort_by(|a, b| (a.2, a.0, b.3).cmp(&(b.2, b.0, a.3)));
        raw.dedup_by(|b, a| a.0 == b.0 && a.2 == b.2);
        let plain = Plain::new(original);
        let mut char_index = CharIndex::new(original);
        raw.into_iter()
            .map(|(w, term, s, e)| {
                let (os, oe) = norm.original_range(original, s, e);
                let (snippet, snippet_match) = plain.snippet(os, oe);
                Hit {
                    watch: self.names[w].clone(),
                    term: term.to_string(),
                    field,
                    start: char_index.at(os),
                    end: char_index.at(oe),
                    snippet,
                    snippet_match,
                }
            })
            .collect()
    }

    /// Whether a raw automaton match stands: word boundaries and case where the term asks.
    fn accept(&self, f: &Found, norm: &Normalized, original: &str) -> bool {
        let t = &self.patterns[f.p].term;
        let text = &norm.text;
        if t.word_start && text[..f.s].chars().next_back().is_some_and(is_word_char) {
            return false;
        }
        if t.word_end && text[f.e..].chars().next().is_some_and(is_word_char) {
            return false;
        }
        match &t.cased {
            Some(cased) => {
                let (os, oe) = norm.original_range(original, f.s, f.e);
                normalize(&original[os..oe], false).text == *cased
            }
            None => true,
        }
    }

    /// A `*` term's match runs on to the end of its word ("chipmaker*" covers "chipmakers").
    fn extend_wildcard(&self, mut f: Found, text: &str) -> Found {
        if self.patterns[f.p].term.wildcard {
            f.e += text[f.e..]
                .chars()
                .take_while(|&c| is_word_char(c))
                .map(char::len_utf8)
                .sum::<usize>();
        }
        f
    }

    fn vetoed(&self, found: &[Found], watch: usize, s: usize, e: usize) -> bool {
        found.iter().any(|x| {
            let p = &self.patterns[x.p];
            p.role == Role::Exclude && p.watch == watch && x.s < e && s < x.e
        })
    }

    /// Adds a hit for each proximity rule whose two sides stand close enough.
    fn find_near<'a>(&'a self, found: &[Found], text: &str, raw: &mut Vec<(usize, &'a str, usize, usize)>) {
        if self.near.is_empty() {
            return;
        }
        let mut sides: HashMap<usize, [Vec<(usize, usize)>; 2]> = HashMap::new();
        for f in found {
            if let Role::Near { rule, side } = self.patterns[f.p].role {
                sides.entry(rule).or_default()[side as usize].push((f.s, f.e));
            }
        }
        for (rule, [left, right]) in sides {
            let r = &self.near[rule];
            let pair = left
                .iter()
                .flat_map(|l| right.iter().map(move |rt| (*l, *rt)))
                .find(|(l, rt)| {
                    let (a, b) = (tokens_before(text, l.0), tokens_before(text, rt.0));
                    a != b && a.abs_diff(b) <= r.distance
                });
            if let Some((l, rt)) = pair {
                let (s, e) = (l.0.min(rt.0), l.1.max(rt.1));
                if !self.vetoed(found, r.watch, s, e) {
                    raw.push((r.watch, &r.written, s, e));
                }
            }
        }
    }
}

/// Byte offsets to char offsets, walking forward once for hits in order.
struct CharIndex<'a> {
    text: &'a str,
    byte: usize,
    chars: usize,
}

impl<'a> CharIndex<'a> {
    fn new(text: &'a str) -> Self {
        CharIndex {
            text,
            byte: 0,
            chars: 0,
        }
    }

    fn at(&mut self, byte: usize) -> usize {
        let byte = byte.min(self.text.len());
        if byte < self.byte {
            self.byte = 0;
            self.chars = 0;
        }
        self.chars += self.text.get(self.byte..byte).map_or(0, |s| s.chars().count());
        self.byte = byte;
        self.chars
    }
}
