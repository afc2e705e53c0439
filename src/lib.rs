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
pub mod schedule;
pub mod signals;
pub mod source;
pub mod store;
pub mod text;
pub mod trends;
pub mod units;
pub mod watch;
