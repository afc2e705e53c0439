//! The matcher: one Aho-Corasick automaton over every term of every watch (hit, exclude and
//! rule terms alike, each with its regional forms), so the cost grows with the length of the
//! text, not the number of terms; the rules are then evaluated over what it found.

use super::eval::{FieldText, Found, evaluate};
use super::normalize::{Normalized, normalize};
use super::rules::{Compiled, compile};
use super::search::{Matches, Needles, Raw};
use super::snippet::Plain;
use super::terms::{is_word_char, version_len};
use super::{Entities, Field, Hit, WatchError, Watches};

/// Up to this many raw matches, a thread keeps their room for its next search.
const MATCHES_KEPT: usize = 1 << 14;

thread_local! {
    /// The automaton's raw matches and those that stand, kept between the fields a thread
    /// searches.
    static SCRATCH: std::cell::RefCell<(Matches, Vec<Found>)> = std::cell::RefCell::default();
}

/// All watches compiled into one automaton; cheap to share between threads.
#[derive(Debug, Clone)]
pub struct Matcher {
    c: Compiled,
    /// The term each pattern of the automaton belongs to.
    pattern_term: Vec<u32>,
    ac: Option<Needles>,
}

impl Matcher {
    pub fn new(watches: &Watches) -> Result<Self, WatchError> {
        let c = compile(watches)?;
        let mut pattern_term = Vec::new();
        let mut needles: Vec<&str> = Vec::new();
        for (t, entry) in c.terms.iter().enumerate() {
            for n in &entry.term.needles {
                needles.push(n);
                pattern_term.push(t as u32);
            }
        }
        let ac = if needles.is_empty() {
            None
        } else {
            Some(Needles::new(&needles)?)
        };
        Ok(Matcher { c, pattern_term, ac })
    }

    /// Checks watches as [`Matcher::new`] does, without building the automaton: what a
    /// config can get wrong is in the rules, and the build, which takes longer than loading
    /// the rest of a config, fails only on needle sets far past any watch list's size.
    pub fn check(watches: &Watches) -> Result<(), WatchError> {
        compile(watches).map(|_| ())
    }

    /// The matcher evaluating every watch in every item, as it did before items woke only
    /// the watches of the terms they hold: what the tests compare with.
    #[cfg(test)]
    pub(super) fn waking_every_watch(mut self) -> Self {
        self.c.unbound = vec![true; self.c.watches.len()];
        self
    }

    fn index(&self, watch: &str) -> Option<usize> {
        self.c.watches.iter().position(|w| w.name == watch)
    }

    /// The version fingerprint of a watch, as recorded with its hits.
    pub fn version(&self, watch: &str) -> Option<&std::sync::Arc<str>> {
        self.index(watch).map(|i| &self.c.watches[i].version)
    }

    /// A watch's priority weight (`weight`, default 1).
    pub fn weight(&self, watch: &str) -> f64 {
        self.index(watch).map_or(1.0, |i| self.c.watches[i].weight)
    }

    /// Every hit in an item's title and summary (either may hold HTML), ordered by field,
    /// then position, then watch.
    pub fn find(&self, title: &str, summary: &str) -> Vec<Hit> {
        self.find_fields([(Field::Title, title), (Field::Summary, summary)], false)
            .0
    }

    /// [`Matcher::find`], and when there are hits, the entity and action concepts the item
    /// names (in the same pass over its text).
    pub fn find_with_entities(&self, title: &str, summary: &str) -> (Vec<Hit>, Entities) {
        self.find_fields([(Field::Title, title), (Field::Summary, summary)], false)
    }

    /// The entity and action concepts (`entity = true`, `action = true`) an item's title
    /// and summary name, hits or not.
    pub fn entities(&self, title: &str, summary: &str) -> Entities {
        self.find_fields([(Field::Title, title), (Field::Summary, summary)], true)
            .1
    }

    /// The hits in one field, taken as the whole item.
    pub fn find_in(&self, field: Field, original: &str) -> Vec<Hit> {
        self.find_fields([(field, original)], false).0
    }

    /// The hits, and the entities named: when there are hits, or with `always`. The fields
    /// are an array, not a `Vec`: one allocation less an item.
    fn find_fields<const N: usize>(&self, input: [(Field, &str); N], always: bool) -> (Vec<Hit>, Entities) {
        let Some(ac) = &self.ac else {
            return Default::default();
        };
        let fields: [FieldText<'_>; N] = SCRATCH.with_borrow_mut(|(matches, accepted)| {
            let fields = input.map(|(field, original)| {
                let norm = normalize(original, true);
                ac.find_all(norm.text.as_bytes(), matches);
                accepted.clear();
                accepted.extend(matches.all.iter().filter_map(|&Raw { needle, s, e }| {
                    let t = self.pattern_term[needle] as usize;
                    self.accept(s, e, t, &norm, original)
                }));
                // One allocation of the right size, none when nothing stands.
                FieldText::new(field, original, norm, accepted.to_vec())
            });
            // A hostile text can make millions of matches: their room is not kept.
            if matches.all.capacity() > MATCHES_KEPT {
                *matches = Matches::default();
                *accepted = Vec::new();
            }
            fields
        });
        let can_hit = |f: &FieldText<'_>| f.found.iter().any(|x| self.c.trigger[x.t]);
        if !always && !fields.iter().any(can_hit) {
            return Default::default();
        }
        let occ = evaluate(&self.c, &fields);
        let mut entities = Entities::default();
        for (w, list) in occ.iter().enumerate() {
            let watch = &self.c.watches[w];
            if list.is_empty() {
                continue;
            }
            if watch.entity {
                entities.things.push(watch.name.clone());
            } else if watch.action {
                entities.actions.push(watch.name.clone());
            }
        }
        // Watches are compiled in the order of their names: the lists are sorted.
        // (field slot, start, watch, end, term) in normalized bytes; one hit per watch and
        // place: the longest term found there.
        let mut raw: Vec<(usize, usize, usize, usize, &str)> = Vec::new();
        for (w, list) in occ.iter().enumerate() {
            if self.c.watches[w].concept {
                continue;
            }
            raw.extend(list.iter().map(|o| (o.f, o.s, w, o.e, o.term.as_ref())));
        }
        raw.sort_by(|a, b| (a.0, a.1, a.2, b.3).cmp(&(b.0, b.1, b.2, a.3)));
        raw.dedup_by(|b, a| (a.0, a.1, a.2) == (b.0, b.1, b.2));
        let mut hits = Vec::with_capacity(raw.len());
        for (fi, ft) in fields.iter().enumerate() {
            let mine = raw.iter().filter(|r| r.0 == fi);
            let mut mine = mine.peekable();
            if mine.peek().is_none() {
                continue;
            }
            let plain = Plain::new(ft.original);
            let mut char_index = CharIndex::new(ft.original);
            for &(_, s, w, e, term) in mine {
                let (os, oe) = ft.norm.original_range(ft.original, s, e);
                let (snippet, snippet_match) = plain.snippet(os, oe);
                hits.push(Hit {
                    watch: self.c.watches[w].name.clone(),
                    term: term.to_string(),
                    field: ft.field,
                    start: char_index.at(os),
                    end: char_index.at(oe),
                    snippet,
                    snippet_match,
                });
            }
        }
        if hits.is_empty() && !always {
            entities = Entities::default();
        }
        (hits, entities)
    }

    /// Whether a raw automaton match of term `t` stands (word boundaries and case where the
    /// term asks), and how far it reaches (a `*` term to the end of its word, an acronym over
    /// the version after it).
    fn accept(&self, s: usize, e: usize, t: usize, norm: &Normalized, original: &str) -> Option<Found> {
        let term = &self.c.terms[t].term;
        let text = &norm.text;
        if term.word_start && text[..s].chars().next_back().is_some_and(is_word_char) {
            return None;
        }
        let mut end = e;
        if term.word_end && text[e..].chars().next().is_some_and(is_word_char) {
            end += version_len(&text[e..]).filter(|_| term.versioned)?;
        }
        if let Some(cased) = &term.cased {
            let (os, oe) = norm.original_range(original, s, e);
            let o = &original[os..oe];
            // Letters and digits alone normalize to themselves: compared without a copy.
            let same = if o.bytes().all(|b| b.is_ascii_alphanumeric()) {
                o == cased
            } else {
                normalize(o, false).text == *cased
            };
            if !same {
                return None;
            }
        }
        if term.wildcard {
            end += text[e..]
                .chars()
                .take_while(|&c| is_word_char(c))
                .map(char::len_utf8)
                .sum::<usize>();
        }
        Some(Found { s, e: end, t })
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
