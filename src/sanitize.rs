//! Untrusted text on its way in and on its way out.
//!
//! Feed and page text is written by strangers. Three layers keep it from driving a terminal,
//! a mail client or a reader's eye:
//! - [`item`]: every item passes it before it is matched and stored, whatever produced it
//!   (feed, HTML list, JSON API, a followed page; `poll` calls it where an item is readied for
//!   the store, `rematch` on stored rows). Terminal escape sequences (CSI, OSC, DCS and the
//!   other control strings, in their 7-bit `ESC` and 8-bit C1 forms) are removed whole, and
//!   every other control character but tab, LF and CR is dropped.
//! - [`for_terminal`]: what is printed for people shows any control character left (in rows
//!   stored before the first layer existed, in a server's error message) as a visible `\x1b`,
//!   and drops the invisible characters below.
//! - [`without_invisible`]: bidi overrides and isolates and zero-width characters, which make
//!   a title read otherwise than it is written, are dropped from titles in subjects, mail and
//!   the terminal.

use std::borrow::Cow;

use crate::item::Item;

/// Cleans every text an item carries (see the module's first layer).
pub fn item(it: &mut Item) {
    clean(&mut it.title);
    clean(&mut it.summary);
    it.guid.iter_mut().chain(it.link.iter_mut()).for_each(clean);
    it.authors.iter_mut().for_each(clean);
}

/// Removes terminal escape sequences and control characters other than tab, LF and CR from
/// `s`, in place. Leaves `s` untouched, after one scan of its bytes, when it has none.
pub fn clean(s: &mut String) {
    if may_have_controls(s.as_bytes()) {
        *s = without_controls(s);
    }
}

/// [`clean`] for a borrowed string.
pub fn cleaned(s: &str) -> Cow<'_, str> {
    if may_have_controls(s.as_bytes()) {
        Cow::Owned(without_controls(s))
    } else {
        Cow::Borrowed(s)
    }
}

/// A text with a marked range (a snippet and its match) as a message shows it: [`cleaned`]
/// and [`without_invisible`], each part on its own, and the range moved to where the mark is
/// in the result.
pub fn shown_marked(s: &str, (a, b): (usize, usize)) -> (String, (usize, usize)) {
    let show = |s: &str| without_invisible(&cleaned(s)).into_owned();
    if !may_have_controls(s.as_bytes()) && !s.contains(is_invisible) {
        return (s.to_string(), (a, b));
    }
    match (s.get(..a), s.get(a..b), s.get(b..)) {
        (Some(pre), Some(m), Some(post)) => {
            let (pre, m, post) = (show(pre), show(m), show(post));
            let range = (pre.len(), pre.len() + m.len());
            ([pre, m, post].concat(), range)
        }
        _ => (show(s), (0, 0)),
    }
}

/// Whether `bytes` may hold a control character other than tab, LF and CR. Control
/// characters are U+0000–U+001F, U+007F and U+0080–U+009F (in UTF-8, 0xC2 then 0x80–0x9F);
/// this scan of the bytes rules them out for nearly every string, 32 bytes at a time without
/// a branch per byte (so that it vectorizes). Every item's every field passes it on the poll
/// path, so this is the price of the sanitizer on clean text.
fn may_have_controls(bytes: &[u8]) -> bool {
    let suspect = |b: u8| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')) | (b == 0x7F) | (b == 0xC2);
    let mut chunks = bytes.chunks_exact(32);
    for chunk in &mut chunks {
        if chunk.iter().fold(false, |any, &b| any | suspect(b)) {
            return true;
        }
    }
    chunks.remainder().iter().any(|&b| suspect(b))
}

/// `s` without escape sequences and without control characters but tab, LF and CR.
fn without_controls(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    // Set once a control string was found unterminated: none after it can end either, and
    // looking again for each would make a page of string openers quadratic.
    let mut unterminated = false;
    let mut rest = s;
    while let Some(at) = rest.find(|c: char| c.is_control() && !matches!(c, '\t' | '\n' | '\r')) {
        out.push_str(&rest[..at]);
        let c = rest[at..].chars().next().unwrap_or_default();
        let after = &rest[at + c.len_utf8()..];
        rest = match c {
            '\u{1b}' => skip_escape(after, &mut unterminated),
            // C1 CSI.
            '\u{9b}' => skip_csi(after),
            // C1 DCS, SOS, OSC, PM and APC: control strings.
            '\u{90}' | '\u{98}' | '\u{9d}' | '\u{9e}' | '\u{9f}' => skip_string(after, &mut unterminated),
            _ => after,
        };
    }
    out.push_str(rest);
    out
}

/// What follows the escape sequence whose `ESC` came just before `s` (ECMA-48 and ISO 2022
/// forms); `s` itself when the `ESC` starts none.
fn skip_escape<'a>(s: &'a str, unterminated: &mut bool) -> &'a str {
    let mut chars = s.chars();
    match chars.next() {
        Some('[') => skip_csi(chars.as_str()),
        Some(']' | 'P' | 'X' | '^' | '_') => skip_string(chars.as_str(), unterminated),
        // Intermediate bytes, then a final byte (character set designations and the like).
        Some(' '..='/') => {
            let rest = chars.as_str().trim_start_matches(|c| matches!(c, ' '..='/'));
            rest.strip_prefix(|c| matches!(c, '0'..='~')).unwrap_or(rest)
        }
        // A two-character sequence (ESC 7, ESC c, ESC M, ...).
        Some('0'..='~') => chars.as_str(),
        _ => s,
    }
}

/// What follows a control sequence's parameter, intermediate and final bytes.
fn skip_csi(s: &str) -> &str {
    let rest = s.trim_start_matches(|c| matches!(c, '0'..='?'));
    let rest = rest.trim_start_matches(|c| matches!(c, ' '..='/'));
    rest.strip_prefix(|c| matches!(c, '@'..='~')).unwrap_or(rest)
}

/// What follows a control string (OSC, DCS, ...) ended by BEL, `ESC \` or ST; `s` itself
/// when it never ends (then only its opener is dropped, and its text kept as text).
fn skip_string<'a>(s: &'a str, unterminated: &mut bool) -> &'a str {
    if *unterminated {
        return s;
    }
    for (i, c) in s.char_indices() {
        match c {
            '\u{7}' | '\u{9c}' => return &s[i + c.len_utf8()..],
            '\u{1b}' if s[i + 1..].starts_with('\\') => return &s[i + 2..],
            _ => {}
        }
    }
    *unterminated = true;
    s
}

/// Whether `c` is a bidi override or isolate (U+202A–U+202E, U+2066–U+2069) or a
/// zero-width character: they change how a text reads without showing themselves.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200b}'..='\u{200d}' | '\u{2060}' | '\u{feff}' | '\u{180e}'
    )
}

/// `s` without bidi overrides, isolates and zero-width characters.
pub fn without_invisible(s: &str) -> Cow<'_, str> {
    if s.contains(is_invisible) {
        Cow::Owned(s.chars().filter(|&c| !is_invisible(c)).collect())
    } else {
        Cow::Borrowed(s)
    }
}

/// `s` as it may be printed to a terminal: control characters other than LF and tab shown as
/// `\x1b` (they would move the cursor, retitle the window or recolour the screen), and the
/// invisible characters of [`is_invisible`] dropped.
pub fn for_terminal(s: &str) -> Cow<'_, str> {
    let shown = |c: char| !(is_invisible(c) || c.is_control() && c != '\n' && c != '\t');
    if s.chars().all(shown) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if shown(c) {
            out.push(c);
        } else if c.is_control() {
            out.push_str(&format!("\\x{:02x}", c as u32));
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The characters of a terminal escape sequence that would survive as something a
    /// terminal acts on.
    fn has_control(s: &str) -> bool {
        s.chars()
            .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    }

    #[test]
    fn the_scan_for_control_characters_misses_none() {
        let pieces = [
            "a", "稀土", "é", "\u{a0}", "\u{85}", "\u{9f}", "\u{7f}", "\t", "\n", "\r", "\u{0}", "\u{1b}",
            " ",
        ];
        for s in crate::testing::mixes(&pieces, 3, 3_000, 190) {
            assert!(!has_control(&s) || may_have_controls(s.as_bytes()), "{s:?}");
            // The scan as first written, a byte at a time.
            let first = s
                .bytes()
                .any(|b| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')) || b == 0x7F || b == 0xC2);
            assert_eq!(may_have_controls(s.as_bytes()), first, "{s:?}");
        }
    }

    #[test]
    fn escape_sequences_go_whole_and_other_controls_alone() {
        let cases = [
            // SGR colours, a clear screen, a cursor move.
            ("a\u{1b}[31mred\u{1b}[0m b", "ared b"),
            ("\u{1b}[2J\u{1b}[Htop", "top"),
            // OSC window title, ended by BEL and by ESC \.
            ("x\u{1b}]0;pwned\u{7}y", "xy"),
            ("x\u{1b}]8;;http://evil/\u{1b}\\link\u{1b}]8;;\u{1b}\\y", "xlinky"),
            // C1 CSI and C1 OSC ended by ST.
            ("p\u{9b}31mq", "pq"),
            ("p\u{9d}2;t\u{9c}q", "pq"),
            // Character set designation, two-character sequences.
            ("\u{1b}(Bplain\u{1b}c\u{1b}7", "plain"),
            // An OSC never ended loses its opener only.
            ("x\u{1b}]0;rest of it", "x0;rest of it"),
            // Lone controls.
            ("a\u{0}b\u{8}c\u{7f}d\u{85}e", "abcde"),
            ("tab\tnew\nline\r", "tab\tnew\nline\r"),
            ("稀土\u{1b}", "稀土"),
        ];
        for (dirty, want) in cases {
            let mut s = dirty.to_string();
            clean(&mut s);
            assert_eq!(s, want, "{dirty:?}");
            assert_eq!(cleaned(dirty), want);
        }
    }

    #[test]
    fn clean_leaves_no_control_is_idempotent_and_keeps_clean_text() {
        let pieces = [
            "a", "稀土", "\u{1b}", "[", "]", "31", ";", "m", "\u{7}", "\\", "\u{9b}", "\u{9c}", "\u{9d}",
            "P", " ", "\n", "\u{0}", "(", "é",
        ];
        for s in crate::testing::mixes(&pieces, 11, 5_000, 14) {
            let once = cleaned(&s).into_owned();
            assert!(!has_control(&once), "{s:?} -> {once:?}");
            assert_eq!(cleaned(&once), once, "{s:?}");
            if !has_control(&s) {
                assert_eq!(once, s);
            }
        }
    }

    #[test]
    fn a_page_of_unterminated_strings_is_cleaned_in_linear_time() {
        let page = "\u{1b}]x".repeat(200_000);
        let t = std::time::Instant::now();
        let s = cleaned(&page);
        assert_eq!(s.len(), 200_000);
        // Quadratic, this would take minutes; the bound only catches that.
        assert!(t.elapsed() < std::time::Duration::from_secs(20));
    }

    #[test]
    fn a_marked_snippet_keeps_its_mark() {
        let (s, (a, b)) = shown_marked("x\u{1b}[1mA\u{1b}[0mrare\u{200b} earth\u{7}!", (10, 23));
        assert_eq!(s, "xArare earth!");
        assert_eq!(&s[a..b], "rare earth");
        assert_eq!(shown_marked("plain", (1, 3)), ("plain".to_string(), (1, 3)));
    }

    #[test]
    fn items_are_cleaned_in_every_field() {
        let mut it = Item {
            guid: Some("g\u{0}1".into()),
            link: Some("http://x/\u{1b}[0m".into()),
            title: "a\u{1b}]0;t\u{7}b".into(),
            summary: "x\ty\nz\u{9b}2J".into(),
            authors: vec!["\u{1b}[31mme".into()],
            published: None,
        };
        item(&mut it);
        assert_eq!(it.guid.as_deref(), Some("g1"));
        assert_eq!(it.link.as_deref(), Some("http://x/"));
        assert_eq!(it.title, "ab");
        assert_eq!(it.summary, "x\ty\nz");
        assert_eq!(it.authors, ["me"]);
    }

    #[test]
    fn invisible_characters_are_dropped_and_controls_shown() {
        assert_eq!(
            without_invisible("a\u{202e}gnp.exe\u{202c}b\u{200b}c"),
            "agnp.exebc"
        );
        assert_eq!(without_invisible("\u{2066}x\u{2069}\u{feff}"), "x");
        assert!(matches!(without_invisible("稀土 plain"), Cow::Borrowed(_)));
        assert_eq!(
            for_terminal("a\u{1b}[2Jb\u{9b}c\rd\u{202e}e\n\tf"),
            "a\\x1b[2Jb\\x9bc\\x0dde\n\tf"
        );
        assert!(matches!(for_terminal("稀土\n plain"), Cow::Borrowed(_)));
    }
}
