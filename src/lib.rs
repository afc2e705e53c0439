//! sigwatch watches the feeds and pages of state media and ministries for policy signals.
//!
//! Data moves one way: `config` → `source` (fetch, decode, parse) → `watch` (normalize, match)
//! → `store` (SQLite). `poll` ties one poll of one source, and one cycle over many, together.
//! `cli` holds the command implementations; `main.rs` only parses arguments and calls it.

pub mod cli;
pub mod config;
pub mod daemon;
pub mod digest;
pub mod fuzzing;
pub mod item;
pub mod opml;
pub mod poll;
pub mod rematch;
pub mod sanitize;
pub mod schedule;
pub mod signals;
pub mod source;
pub mod store;
pub mod text;
pub mod trends;
pub mod units;
pub mod watch;

/// Helpers for the tests of several modules.
#[cfg(test)]
pub(crate) mod testing {
    /// `count` texts made of `pieces`, picked by a fixed xorshift from `seed`: the `n`-th text
    /// is `n % max_pieces` pieces long. For tests that compare a fast path with the code it
    /// replaced on input of every mix.
    pub(crate) fn mixes<'a>(
        pieces: &'a [&'a str],
        seed: u64,
        count: usize,
        max_pieces: usize,
    ) -> impl Iterator<Item = String> + 'a {
        let mut state = seed;
        (0..count).map(move |n| {
            (0..n % max_pieces)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    pieces[(state % pieces.len() as u64) as usize]
                })
                .collect()
        })
    }
}
