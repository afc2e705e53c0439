//! Text out of HTML, with positions: shared by the source layer (titles), matching (which
//! must map every match back to the original field) and storage (plain text for search).

/// A piece of the text of an HTML fragment.
#[derive(Debug, Clone, Copy)]
pub enum Piece<'a> {
    /// A stretch of text copied as it stands, and its offset in the fragment.
    Run(&'a str, usize),
    /// A char that markup (a tag reads as a space) or an entity produced, and the offset
    /// of that markup or entity.
    Char(char, usize),
}

/// Walks `html` as text. Tags, comments and the bodies of `<script>` and `<style>` become one
/// space; entities are decoded; a `<` that starts no tag is text ("a < b"). `emit` is called
/// with each text char and the byte offset in `html` of what produced it (for a decoded
/// entity, its `&`).
pub fn walk_html(html: &str, mut emit: impl FnMut(char, usize)) {
    walk_html_pieces(html, |p| match p {
        Piece::Run(run, from) => {
            for (off, c) in run.char_indices() {
                emit(c, from + off);
            }
        }
        Piece::Char(c, at) => emit(c, at),
    });
}

/// [`walk_html`] for callers that handle plain runs faster than char by char.
pub fn walk_html_pieces(html: &str, mut piece: impl FnMut(Piece<'_>)) {
    let bytes = html.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let Some(rel) = memchr::memchr2(b'<', b'&', &bytes[i..]) else {
            piece(Piece::Run(&html[i..], i));
            break;
        };
        let at = i + rel;
        if at > i {
            piece(Piece::Run(&html[i..at], i));
        }
        if bytes[at] == b'<' {
            match tag_end(html, at) {
                Some(end) => {
                    piece(Piece::Char(' ', at));
                    i = end;
                }
                None => {
                    piece(Piece::Char('<', at));
                    i = at + 1;
                }
            }
        } else {
            match entity(html, at) {
                Some((decoded, end)) => {
                    for c in decoded.chars() {
                        piece(Piece::Char(c, at));
                    }
                    i = end;
                }
                None => {
                    piece(Piece::Char('&', at));
                    i = at + 1;
                }
            }
        }
    }
}

/// Where the markup starting with `<` at `at` ends, or `None` when that `<` is text.
fn tag_end(html: &str, at: usize) -> Option<usize> {
    let rest = &html[at..];
    let next = rest.as_bytes().get(1).copied()?;
    if rest.starts_with("<!--") {
        return Some(rest.find("-->").map_or(html.len(), |e| at + e + 3));
    }
    if !(next.is_ascii_alphabetic() || next == b'/' || next == b'!' || next == b'?') {
        return None;
    }
    let close = at + memchr::memchr(b'>', rest.as_bytes())? + 1;
    // The bodies of script and style are never content.
    for name in ["script", "style"] {
        if rest
            .as_bytes()
            .get(1..=name.len())
            .is_some_and(|b| b.eq_ignore_ascii_case(name.as_bytes()))
        {
            let end_tag = format!("</{name}");
            return Some(find_ascii_ci(&html[close..], &end_tag).map_or(html.len(), |e| {
                let after = close + e;
                html[after..].find('>').map_or(html.len(), |g| after + g + 1)
            }));
        }
    }
    Some(close)
}

/// Finds an ASCII needle in `hay` ignoring ASCII case, without allocating.
fn find_ascii_ci(hay: &str, needle: &str) -> Option<usize> {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    h.windows(n.len()).position(|w| w.eq_ignore_ascii_case(n))
}

/// Decodes the entity starting with `&` at `at`: its text and where it ends.
fn entity(html: &str, at: usize) -> Option<(String, usize)> {
    let rest = &html[at..];
    let semi = rest.as_bytes().iter().take(12).position(|&b| b == b';')?;
    let candidate = &rest[..=semi];
    let decoded = html_escape::decode_html_entities(candidate);
    (decoded != candidate).then(|| (decoded.into_owned(), at + semi + 1))
}

/// The bytes a whitespace char can start with: ASCII whitespace, and the lead bytes of U+0085,
/// U+00A0, U+1680, U+2000–U+205F and U+3000.
static MAY_START_WHITESPACE: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = matches!(
            i as u8,
            b' ' | b'\t' | b'\n' | b'\r' | 0x0B | 0x0C | 0xC2 | 0xE1 | 0xE2 | 0xE3
        );
        i += 1;
    }
    t
};

/// Strips HTML tags and decodes entities, folding runs of whitespace to one space: the words
/// of the text (what lies between whitespace, a tag counting as a space) joined by one space.
/// The same as [`plain_text_mapped`]'s text, without the map (this runs for every item).
pub fn plain_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    // Whitespace seen since the last word, after some text.
    let mut space = false;
    let push_word = |out: &mut String, space: &mut bool, word: &str| {
        if !word.is_empty() {
            if std::mem::take(space) {
                out.push(' ');
            }
            out.push_str(word);
        }
    };
    walk_html_pieces(html, |p| match p {
        Piece::Run(run, _) => {
            // Split at whitespace by bytes: ASCII whitespace is one byte, and every other
            // whitespace char starts with one of four lead bytes, so only those chars are
            // decoded (a run of Chinese has none).
            let bytes = run.as_bytes();
            let (mut word, mut i) = (0, 0);
            while i < bytes.len() {
                if !MAY_START_WHITESPACE[bytes[i] as usize] {
                    i += 1;
                    continue;
                }
                // One space inside a word's run, before a byte that starts no whitespace,
                // stays as it is: the words go in one piece.
                if bytes[i] == b' '
                    && i > word
                    && bytes
                        .get(i + 1)
                        .is_some_and(|&b| !MAY_START_WHITESPACE[b as usize])
                {
                    i += 2;
                    continue;
                }
                // An ASCII byte the table passes is whitespace; a lead byte may start a
                // whitespace char or another one.
                let width = if bytes[i].is_ascii() {
                    1
                } else {
                    run[i..]
                        .chars()
                        .next()
                        .filter(|c| c.is_whitespace())
                        .map_or(0, char::len_utf8)
                };
                if width == 0 {
                    i += 1;
                    continue;
                }
                push_word(&mut out, &mut space, &run[word..i]);
                space |= !out.is_empty();
                i += width;
                word = i;
            }
            push_word(&mut out, &mut space, &run[word..]);
        }
        Piece::Char(c, _) if c.is_whitespace() => space |= !out.is_empty(),
        Piece::Char(c, _) => {
            if std::mem::take(&mut space) {
                out.push(' ');
            }
            out.push(c);
        }
    });
    out
}

/// [`plain_text`], with the byte offset in `html` that produced each byte of the result
/// (one entry per byte, plus one for the end).
pub fn plain_text_mapped(html: &str) -> (String, Vec<u32>) {
    let mut out = String::with_capacity(html.len());
    let mut map = Vec::with_capacity(html.len() + 1);
    // Where the pending run of whitespace began, if one is pending.
    let mut space: Option<usize> = None;
    walk_html(html, |c, at| {
        if c.is_whitespace() {
            if !out.is_empty() && space.is_none() {
                space = Some(at);
            }
            return;
        }
        if let Some(ws) = space.take() {
            out.push(' ');
            map.push(ws as u32);
        }
        let before = out.len();
        out.push(c);
        map.extend(std::iter::repeat_n(at as u32, out.len() - before));
    });
    map.push(html.len() as u32);
    (out, map)
}

/// Whether `hay` contains `needle`, each character's case folded to one character as
/// SQLite's trigram tokenizer folds it (`Ä` and `ä` alike; a character whose lower case is
/// longer than one character is kept as it is).
pub fn contains_folded(hay: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return true;
    }
    if hay.is_ascii() && needle.is_ascii() {
        let (h, n) = (hay.to_ascii_lowercase(), needle.to_ascii_lowercase());
        return memchr::memmem::find(h.as_bytes(), n.as_bytes()).is_some();
    }
    let fold = |s: &str| -> String {
        s.chars()
            .map(|c| {
                let mut lower = c.to_lowercase();
                match (lower.next(), lower.next()) {
                    (Some(l), None) => l,
                    _ => c,
                }
            })
            .collect()
    };
    memchr::memmem::find(fold(hay).as_bytes(), fold(needle).as_bytes()).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `plain_text` is `plain_text_mapped`'s text, on fragments made of the pieces that matter
    /// (whitespace of several kinds, tags, entities, stray `<` and `&`, CJK) in many orders.
    #[test]
    fn plain_text_is_the_mapped_text() {
        let pieces = [
            " ",
            "\n\t",
            "\u{a0}",
            "\u{3000}",
            "a",
            "稀土",
            "<p>",
            "</b>",
            "<br/>",
            "&nbsp;",
            "&amp;",
            "&#31232;",
            "& ",
            "<",
            "<!-- c -->",
            "<script>x</script>",
            "word",
            "&bogus;",
            "\r\n",
            "\u{85}",
            "\u{1680}",
            "\u{2009}",
            "\u{202f}",
            "\u{b}\u{c}",
            "’",
            "é",
            "。",
        ];
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        for _ in 0..5000 {
            let mut html = String::new();
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let mut x = seed;
            for _ in 0..(seed % 12) {
                html.push_str(pieces[(x % pieces.len() as u64) as usize]);
                x /= pieces.len() as u64;
            }
            assert_eq!(plain_text(&html), plain_text_mapped(&html).0, "{html:?}");
        }
    }

    #[test]
    fn strips_tags_and_decodes() {
        assert_eq!(
            plain_text("<p>Rare&nbsp;earth <b>magnets</b></p><script>x()</script>&#31232;&#22303;"),
            "Rare earth magnets 稀土"
        );
        assert_eq!(plain_text("a < b"), "a < b");
        assert_eq!(plain_text("  a \n\n b "), "a b");
        assert_eq!(plain_text("R&D &amp; AT&T"), "R&D & AT&T");
        assert_eq!(plain_text("x<!-- hidden -->y<STYLE>p{}</Style>z"), "x y z");
        assert_eq!(plain_text("<scrip"), "<scrip");
        assert_eq!(plain_text("<script>never closed"), "");
    }

    #[test]
    fn maps_back_to_the_original() {
        let html = "<b>AI</b> &amp; 芯片";
        let (text, map) = plain_text_mapped(html);
        assert_eq!(text, "AI & 芯片");
        assert_eq!(map.len(), text.len() + 1);
        let a = text.find('A').unwrap();
        assert_eq!(&html[map[a] as usize..map[a] as usize + 2], "AI");
        let amp = text.find('&').unwrap();
        assert_eq!(&html[map[amp] as usize..], "&amp; 芯片");
        let chip = text.find('芯').unwrap();
        assert_eq!(&html[map[chip] as usize..], "芯片");
    }

    #[test]
    fn contains_with_case_folded() {
        assert!(contains_folded(
            "China Restricts RARE earth exports",
            "rare Earth"
        ));
        assert!(contains_folded("商务部：稀土出口管制", "稀土出口"));
        assert!(contains_folded(
            "Экспорт РЕДКОЗЕМЕЛЬНЫХ металлов",
            "редкоземельных"
        ));
        assert!(contains_folded("ÄRGER über Zölle", "ärger ÜBER"));
        assert!(!contains_folded("rare earthquake", "rare earths"));
        assert!(!contains_folded("稀土", "稀土出口"));
        assert!(contains_folded("anything", ""));
    }
}
