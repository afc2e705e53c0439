//! sigwatch watches the feeds and pages of state media and ministries for policy signals.
//!
//! Data moves one way, and imports have no cycle: no module imports one that imports it,
//! directly or through others. The flow:
//!
//! ```text
//! config ──► source ──► watch ──► store ──► digest ──► notify
//!   (poll ties source, watch and store together for one source and one cycle;
//!    schedule says when, daemon runs it, cli drives it all)
//! ```
//!
//! # Leaves (import nothing from the crate)
//!
//! - [`units`]: human-written durations and sizes ("30s", "10MiB"), and their deserializers.
//! - [`selector`]: CSS selectors as the config writes them (`a.title@href`).
//! - [`link_template`]: links built from a pattern and a template whose origin the config
//!   fixes, for lists whose links are script calls.
//! - [`item`]: the [`item::Item`] every source produces, its stable identity, and tracking
//!   parameters taken out of URLs.
//! - [`text`]: text out of HTML, with positions.
//! - [`diff`]: word-by-word differences between two revisions of a text, pure.
//! - [`schedule`]: cron, next-run times, backoff and health; takes a clock.
//! - [`trends`]: daily hit series and spikes, pure.
//! - [`notice`]: document numbers, issuers, effective dates and attachments read out of an
//!   official notice's text, pure.
//! - [`private`]: creating the database, backups and outbox with a fixed mode, whatever the
//!   umask.
//!
//! # The flow
//!
//! - [`config`]: the typed TOML config with located errors; `[[source]]`, `[smtp]`,
//!   `[digest]`, `[[notify]]` and `[signals]` in files of their own. It checks `[[watch]]`
//!   tables with `watch`'s types and selectors with `selector`, so `watch` never imports it.
//! - [`sanitize`]: the one cleaning every text passes on its way into the store (escape
//!   sequences and control characters out), and escaping for terminals on the way out.
//! - [`source`]: fetch (with hard limits, asking as each site wants: method, body, headers),
//!   decode, parse feeds, html list pages (also inside JSON answers) and JSON APIs into items.
//! - [`watch`]: normalize text and match the compiled watchlists; pure.
//! - [`signals`]: the maths beyond keywords: scores, change fingerprints, MinHash similarity.
//! - [`store`]: the only module that speaks SQL: items, hits, revisions, stories, outbox.
//! - [`poll`]: one poll of one source and one cycle over many: fetch, parse and match as
//!   tasks, store the results, plan the next polls.
//! - [`rematch`]: re-runs the current watchlists over stored items.
//! - [`translate`]: glosses of Chinese and Japanese items with hits, from the translation
//!   service `[translate]` names, after the poll that stored them and never on its way.
//! - [`digest`]: picks unsent hits, renders them, queues and mails them.
//! - [`notify`]: the same for the channels besides mail (webhooks, Slack, Teams, Matrix,
//!   ntfy): per-channel routing, outbox and delivery.
//!
//! # On top
//!
//! - [`daemon`]: runs polls and digests on their schedules until told to stop.
//! - [`opml`]: OPML import and export of sources.
//! - [`web`]: `sigwatch serve`: the read-only web view, Atom feeds, health check and metrics.
//! - [`cli`]: the command implementations; `main.rs` only parses arguments and calls them.
//! - [`fuzzing`]: the path every fetched body takes, as one function for the fuzz target.

pub mod cli;
pub mod config;
pub mod daemon;
pub mod diff;
pub mod digest;
pub mod fuzzing;
pub mod item;
pub mod link_template;
pub mod notice;
pub mod notify;
pub mod opml;
pub mod poll;
pub mod private;
pub mod rematch;
pub mod sanitize;
pub mod schedule;
pub mod selector;
pub mod signals;
pub mod source;
pub mod store;
pub mod text;
pub mod translate;
pub mod trends;
pub mod units;
pub mod watch;
pub mod web;

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
