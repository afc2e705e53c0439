//! The two helpers of feed-rs that `rss2.rs` reads authors and links with, copied so that the
//! one-pass reader gives what feed-rs gives without reaching into its internals.
//!
//! Copied from feed-rs 3.0.0, `src/parser/util/mod.rs` (`parse_person_name_email` with
//! sigwatch's fix for a non-ASCII character beside the address, patch
//! `vendor/feed-rs/patches/0001-author-name-beside-non-ascii.patch`, and `parse_uri`).
//! MIT License, Copyright (c) 2019 feed-rs developers; see `vendor/feed-rs/LICENSE-MIT`.
//! Keep them in step with the vendored crate: `tests.rs` checks that both readers agree.

use std::sync::LazyLock;

use regex::Regex;
use url::Url;

static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(<\[\()?(mailto:)?([A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,})(>]\))?\b")
        .expect("the pattern is valid")
});

/// The name of a person written as feeds write authors (`name <a@b.cn>`, `a@b.cn (name)`,
/// `name`), as feed-rs's `Person::parse` gives it.
pub(super) fn person_name(raw: &str) -> Option<String> {
    let Some(captures) = EMAIL.captures(raw) else {
        // No address: the text is the name.
        return Some(raw.trim().to_string());
    };
    let span = captures.get(0)?;
    // The longer of what comes before and after the address is the name, without the one
    // delimiter character next to the address, whatever its length in bytes.
    let name = if span.start() > raw.len() - span.end() {
        let mut before = raw[..span.start()].chars();
        before.next_back();
        before.as_str()
    } else if span.end() < raw.len() {
        let mut after = raw[span.end()..].chars();
        after.next();
        after.as_str()
    } else {
        ""
    };
    let name = name.trim();
    (!name.is_empty()).then(|| name.to_string())
}

/// A URI, resolved against `base` when it is relative; `None` when it cannot be read.
pub(super) fn parse_uri(uri: &str, base: Option<&Url>) -> Option<Url> {
    match Url::parse(uri) {
        Ok(uri) => Some(uri),
        Err(url::ParseError::RelativeUrlWithoutBase) => base.and_then(|b| b.join(uri).ok()),
        Err(_) => None,
    }
}
