//! The automaton's walk over normalized text: every place a needle ends, overlapping.
//!
//! A DFA walk takes one table read per byte, and each read waits for the one before it: the
//! walk is bound by that latency, not by the work. A long text is therefore walked as two
//! halves at once, in step, so that the processor has two independent reads in flight. The
//! second half starts from the start state one needle's length before the middle (every
//! match ending past the middle starts there or later) and reports only what ends past the
//! middle; the first reports what ends up to it. The matches come out as one walk would
//! give them: ordered by end, then as the automaton lists them.

use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::{Anchored, MatchKind, dfa, nfa::contiguous};

use super::WatchError;

/// Up to this many bytes of needles the automaton is a DFA, the fastest to search; beyond,
/// a DFA's table (states times byte classes) grows past what a service should hold, and the
/// contiguous NFA, slower but about as small as the needles, takes over.
const DFA_MAX_NEEDLE_BYTES: usize = 32 * 1024;

/// A text shorter than this many times the longest needle is walked in one stream: the
/// second stream's lead-in would cost more than the overlap saves.
const SPLIT_FACTOR: usize = 4;

/// A raw match: the needle's index, and its byte range in the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Raw {
    pub needle: usize,
    pub s: usize,
    pub e: usize,
}

/// The matches of one text, and room kept for the next: a poll searches thousands of
/// fields, and the buffers grow to the largest once.
#[derive(Debug, Default)]
pub struct Matches {
    pub all: Vec<Raw>,
    /// The second stream's matches, until the first stream's are all in.
    second: Vec<Raw>,
}

/// The needles of every watch, compiled.
#[derive(Debug, Clone)]
pub enum Needles {
    Dfa(dfa::DFA),
    Nfa(contiguous::NFA),
}

impl Needles {
    pub fn new(needles: &[&str]) -> Result<Self, WatchError> {
        let invalid = |e: aho_corasick::BuildError| WatchError::Invalid {
            watch: "*".into(),
            token: None,
            message: e.to_string(),
        };
        let bytes: usize = needles.iter().map(|n| n.len()).sum();
        // No prefilter: with hundreds of needles none would skip much, and the walk below
        // uses none (with one, the start state is special, and every return to it would leave
        // the hot loop).
        Ok(if bytes <= DFA_MAX_NEEDLE_BYTES {
            Needles::Dfa(
                dfa::Builder::new()
                    .match_kind(MatchKind::Standard)
                    .prefilter(false)
                    .start_kind(aho_corasick::StartKind::Unanchored)
                    .build(needles)
                    .map_err(invalid)?,
            )
        } else {
            Needles::Nfa(
                contiguous::NFA::builder()
                    .match_kind(MatchKind::Standard)
                    .prefilter(false)
                    .build(needles)
                    .map_err(invalid)?,
            )
        })
    }

    /// Every match in `hay`, overlapping, in the order of their ends, in `out.all`.
    pub fn find_all(&self, hay: &[u8], out: &mut Matches) {
        out.all.clear();
        out.second.clear();
        match self {
            Needles::Dfa(a) => find_all(a, hay, out),
            Needles::Nfa(a) => find_all(a, hay, out),
        }
    }
}

fn find_all<A: Automaton>(aut: &A, hay: &[u8], Matches { all: out, second }: &mut Matches) {
    // An unanchored start always exists: the automata are built with one.
    let Ok(start) = aut.start_state(Anchored::No) else {
        return;
    };
    let n = hay.len();
    let max = aut.max_pattern_len().max(1);
    if n < SPLIT_FACTOR * max {
        walk(aut, start, hay, 0, out);
        return;
    }
    let mid = n / 2;
    // The second stream starts where the earliest match ending past `mid` can start.
    let lead = mid + 1 - max;
    let (x, y) = (&hay[..mid], &hay[lead..lead + mid]);
    let (mut a, mut b) = (start, start);
    let mut i = 0;
    while i < mid {
        // The hot loop makes no call, so that its states and places stay in registers.
        while i < mid {
            a = aut.next_state(Anchored::No, a, x[i]);
            b = aut.next_state(Anchored::No, b, y[i]);
            if aut.is_special(a) | aut.is_special(b) {
                break;
            }
            i += 1;
        }
        if i == mid {
            break;
        }
        if aut.is_special(a) {
            report(aut, a, i + 1, out);
        }
        // Before the middle, the second stream only finds what the first reports.
        if aut.is_special(b) && lead + i >= mid {
            report(aut, b, lead + i + 1, second);
        }
        i += 1;
    }
    walk(aut, b, &hay[lead + mid..], lead + mid, second);
    out.append(second);
}

/// One stream from state `sid` over `hay`, which starts at byte `at` of the text.
fn walk<A: Automaton>(aut: &A, mut sid: StateID, hay: &[u8], at: usize, out: &mut Vec<Raw>) {
    let mut i = 0;
    while i < hay.len() {
        while i < hay.len() {
            sid = aut.next_state(Anchored::No, sid, hay[i]);
            if aut.is_special(sid) {
                break;
            }
            i += 1;
        }
        if i == hay.len() {
            break;
        }
        report(aut, sid, at + i + 1, out);
        i += 1;
    }
}

/// The matches of a special state reached with the byte before `end` (none for the start
/// or a dead state, which are special only in searches not made here).
#[inline]
fn report<A: Automaton>(aut: &A, sid: StateID, end: usize, out: &mut Vec<Raw>) {
    if !aut.is_match(sid) {
        return;
    }
    for k in 0..aut.match_len(sid) {
        let pid = aut.match_pattern(sid, k);
        out.push(Raw {
            needle: pid.as_usize(),
            s: end - aut.pattern_len(pid),
            e: end,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the crate's own overlapping search finds, as `Raw`s.
    fn reference(needles: &[&str], hay: &str) -> Vec<Raw> {
        let ac = aho_corasick::AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .build(needles)
            .unwrap();
        ac.find_overlapping_iter(hay)
            .map(|m| Raw {
                needle: m.pattern().as_usize(),
                s: m.start(),
                e: m.end(),
            })
            .collect()
    }

    fn walk(needles: &[&str], hay: &str) -> Vec<Raw> {
        let mut out = Matches::default();
        Needles::new(needles).unwrap().find_all(hay.as_bytes(), &mut out);
        out.all
    }

    #[test]
    fn two_streams_find_what_one_walk_finds() {
        let needles = ["rare earth", "earth", "ear", "稀土", "土", "gallium export", "a"];
        // Matches placed across the middle of texts of every length around the split.
        for n in 0..200 {
            let filler: String = "x rare earth 稀土 y gallium export z "
                .chars()
                .cycle()
                .take(n)
                .collect();
            for shift in 0..4 {
                let hay = format!("{}{filler}", "q".repeat(shift));
                assert_eq!(walk(&needles, &hay), reference(&needles, &hay), "{hay:?}");
            }
        }
    }

    #[test]
    fn dense_overlaps_in_random_texts_come_out_alike() {
        // A small alphabet packs texts with overlapping matches on both sides of the split.
        let needles = ["ab", "aba", "b", "abab", "baab", "aaaa", "bbbbbbb"];
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        for len in (0..400).step_by(7) {
            let hay: String = (0..len)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    if seed.is_multiple_of(3) { 'b' } else { 'a' }
                })
                .collect();
            assert_eq!(walk(&needles, &hay), reference(&needles, &hay), "{hay}");
        }
    }

    #[test]
    fn a_match_straddling_the_middle_is_found_once() {
        let needles = ["abcdefgh"];
        let len = 8 * SPLIT_FACTOR + 5;
        for at in 0..=len - 8 {
            let mut hay = "-".repeat(len);
            hay.replace_range(at..at + 8, "abcdefgh");
            let found = walk(&needles, &hay);
            assert_eq!(
                found,
                vec![Raw {
                    needle: 0,
                    s: at,
                    e: at + 8
                }],
                "at {at}"
            );
        }
    }

    #[test]
    fn the_nfa_walks_alike() {
        let many: Vec<String> = (0..3000)
            .map(|i| format!("term{i} zq{}", i * 7919 % 1000))
            .collect();
        let needles: Vec<&str> = many.iter().map(String::as_str).collect();
        let set = Needles::new(&needles).unwrap();
        assert!(matches!(set, Needles::Nfa(_)));
        let hay = format!(
            "{} {} and {} {}",
            "w ".repeat(60),
            many[12],
            many[1],
            "v ".repeat(60)
        );
        let mut out = Matches::default();
        set.find_all(hay.as_bytes(), &mut out);
        assert_eq!(out.all, reference(&needles, &hay));
        assert_eq!(out.all.len(), 2);
    }
}
