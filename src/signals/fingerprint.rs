//! Changes: an item's fingerprint hashes its title and its text with whitespace folded and
//! tracking parameters taken out of any URL, so neither counts as an edit.

use xxhash_rust::xxh3::xxh3_64;

use crate::item::strip_tracking;

/// Whitespace folded, and URLs in the text without tracking parameters.
fn canonical_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        if word.starts_with("http://") || word.starts_with("https://") {
            out.push_str(&strip_tracking(word));
        } else {
            out.push_str(word);
        }
    }
    out
}

/// The fingerprint of one revision: hashes of its title and of its text, as "TITLE:TEXT" in
/// hex, so a change of either can be told apart.
pub fn fingerprint(title: &str, text: &str) -> String {
    let mut out = String::with_capacity(33);
    push_hex(&mut out, canonical_hash(title));
    out.push(':');
    push_hex(&mut out, canonical_hash(text));
    out
}

/// Appends `v` as 16 lower-case hex digits: `format!("{v:016x}")` without the formatting
/// machinery, which showed in a cold poll's profile (every stored item has a fingerprint).
fn push_hex(out: &mut String, v: u64) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    out.extend(
        (0..16)
            .rev()
            .map(|nibble| DIGITS[(v >> (nibble * 4)) as usize & 0xF] as char),
    );
}

/// The hash of [`canonical_text`]`(text)`. Most texts are canonical already (plain text has its
/// whitespace folded), and those are hashed as they are, without a copy.
fn canonical_hash(text: &str) -> u64 {
    if is_canonical(text) {
        xxh3_64(text.as_bytes())
    } else {
        xxh3_64(canonical_text(text).as_bytes())
    }
}

/// Whether `canonical_text(text)` is `text`: no whitespace but single ASCII spaces between
/// words, and no URL. A few vectorized scans for what would make it differ, rather than one
/// pass byte by byte.
fn is_canonical(text: &str) -> bool {
    use memchr::{memchr2, memchr3, memmem::Finder};
    // Built once: building a searcher costs more than running it over a short text.
    static FINDERS: std::sync::LazyLock<[Finder<'static>; 3]> =
        std::sync::LazyLock::new(|| ["  ", "http", "\u{3000}"].map(|needle| Finder::new(needle.as_bytes())));
    let b = text.as_bytes();
    if b.first() == Some(&b' ')
        || b.last() == Some(&b' ')
        || memchr3(b'\t', b'\n', b'\r', b).is_some()
        || memchr2(0x0B, 0x0C, b).is_some()
        || FINDERS.iter().any(|f| f.find(b).is_some())
    {
        return false;
    }
    // The other whitespace chars (U+0085, U+00A0, U+1680, U+2000–U+205F) start with one of
    // these bytes, which also start many other chars (quotes and dashes, say).
    let mut from = 0;
    while let Some(i) = memchr3(0xC2, 0xE1, 0xE2, &b[from..]) {
        let at = from + i;
        if text[at..].chars().next().is_some_and(char::is_whitespace) {
            return false;
        }
        from = at + 1;
    }
    true
}

/// What changed between two fingerprints: "title", "text", "title and text", or `None`.
pub fn changed(old: &str, new: &str, compare_text: bool) -> Option<&'static str> {
    let (ot, ox) = old.split_once(':').unwrap_or((old, ""));
    let (nt, nx) = new.split_once(':').unwrap_or((new, ""));
    match (ot != nt, compare_text && ox != nx) {
        (true, true) => Some("title and text"),
        (true, false) => Some("title"),
        (false, true) => Some("text"),
        (false, false) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signals::similarity::splitmix;

    #[test]
    fn fingerprints_are_written_as_format_writes_them() {
        let mut v: u64 = 0x9E37_79B9_7F4A_7C15;
        for x in [0, 1, 0xF, 0x10, u64::MAX, 1 << 63]
            .into_iter()
            .chain((0..1000).map(|_| {
                v = v
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                v >> (v % 64)
            }))
        {
            let mut hex = String::new();
            push_hex(&mut hex, x);
            assert_eq!(hex, format!("{x:016x}"));
        }
        for (title, text) in [
            ("", ""),
            ("稀土", "Export  controls\n"),
            ("a", "http://x.cn/?utm_source=1"),
        ] {
            assert_eq!(
                fingerprint(title, text),
                format!("{:016x}:{:016x}", canonical_hash(title), canonical_hash(text))
            );
        }
    }

    #[test]
    fn the_canonical_hash_is_the_hash_of_the_canonical_text() {
        let pieces = [
            "a",
            "Export",
            "稀土",
            "。",
            " ",
            "  ",
            "\t",
            "\n",
            "\r\n",
            "\u{a0}",
            "\u{3000}",
            "\u{2009}",
            "\u{85}",
            "\u{1680}",
            "\u{202f}",
            "’",
            "—",
            "ー",
            "http://x.cn/a?id=1&utm_source=rss",
            "https://y.cn/",
            "http",
            "\u{1c}",
            "\u{0}",
        ];
        let mut seed = 7u64;
        let mut canonical = 0;
        for _ in 0..5_000 {
            seed = splitmix(seed);
            let mut text = String::new();
            for _ in 0..seed % 30 {
                seed = splitmix(seed);
                text.push_str(pieces[(seed % pieces.len() as u64) as usize]);
            }
            assert_eq!(
                canonical_hash(&text),
                xxh3_64(canonical_text(&text).as_bytes()),
                "{text:?}"
            );
            canonical += is_canonical(&text) as usize;
        }
        assert!(canonical > 100, "the quick path is taken: {canonical}");
        assert!(is_canonical("商务部 公告 2026年第1号"));
        assert!(!is_canonical("商务部\u{3000}公告"));
    }

    #[test]
    fn whitespace_and_tracking_parameters_are_not_edits() {
        let a = fingerprint(
            "China  restricts exports",
            "See https://x.cn/a?id=3&utm_source=rss now.",
        );
        let b = fingerprint(
            "China restricts exports",
            "See  https://x.cn/a?utm_medium=feed&id=3 now.\n",
        );
        assert_eq!(a, b);
        let c = fingerprint("China restricts exports", "See https://x.cn/a?id=4 now.");
        assert_eq!(changed(&a, &c, true), Some("text"));
        assert_eq!(changed(&a, &c, false), None, "text not compared");
        let d = fingerprint("China restricts gallium exports", "See https://x.cn/a?id=4 now.");
        assert_eq!(changed(&a, &d, true), Some("title and text"));
    }
}
