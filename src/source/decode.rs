//! Charset decoding of raw bytes: BOM, then the HTTP header's charset, then the XML
//! declaration (or an HTML meta tag), else UTF-8.
//!
//! Feeds from Chinese publishers are often GBK or GB18030, sometimes with a header or
//! declaration that says otherwise. When the chosen encoding is UTF-8 but the bytes are not
//! valid UTF-8, a statistical detector (chardetng, Firefox's) picks the encoding instead; when
//! a legacy encoding is declared over bytes that are valid UTF-8 with non-ASCII in them, they
//! are read as UTF-8. Either way a warning says so.

use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE};

/// Text decoded from a body, with the encoding that was used.
#[derive(Debug, Clone)]
pub struct Decoded<'a> {
    /// Borrowed from the bytes when they were UTF-8 already.
    pub text: std::borrow::Cow<'a, str>,
    /// The WHATWG name of the encoding used (e.g. "GBK", "UTF-8").
    pub encoding: &'static str,
    /// True when some bytes were not valid in that encoding and were replaced.
    pub had_errors: bool,
    /// How the encoding was chosen, when that is worth a warning.
    pub note: Option<String>,
}

/// How much of the start of a document is searched for a declaration.
const SNIFF: usize = 2048;

/// Decodes `bytes` to text; `content_type` is the HTTP Content-Type header, if any.
pub fn decode<'a>(bytes: &'a [u8], content_type: Option<&str>) -> Decoded<'a> {
    if let Some(d) = decode_utf32_bom(bytes) {
        return d;
    }
    if let Some((enc, bom)) = Encoding::for_bom(bytes) {
        return with(enc, &bytes[bom..], None);
    }
    let declared = content_type
        .and_then(charset_param)
        .and_then(|l| Encoding::for_label(l.as_bytes()))
        .or_else(|| utf16_without_bom(bytes))
        .or_else(|| xml_declared(bytes))
        .or_else(|| html_meta(bytes));
    let enc = declared.unwrap_or(UTF_8);
    if enc != UTF_8 && enc.is_ascii_compatible() && proves_utf8(bytes, enc) {
        let note = format!(
            "declared {}, but the bytes are UTF-8; decoded as UTF-8",
            enc.name()
        );
        return with(UTF_8, bytes, Some(note));
    }
    if enc.is_single_byte()
        && enc.is_ascii_compatible()
        && let Some(text) = mixed(bytes, enc)
    {
        return Decoded {
            text: text.into(),
            encoding: enc.name(),
            had_errors: false,
            note: Some(format!(
                "declared {}, but parts are UTF-8; each part decoded as its bytes prove",
                enc.name()
            )),
        };
    }
    // A declared UTF-16 or UTF-32 that the bytes contradict is no better than none.
    let d = with(enc, bytes, None);
    if !d.had_errors || enc != UTF_8 || cut_in_a_character(bytes) {
        return d;
    }
    let mut det = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    det.feed(bytes, true);
    let guess = det.guess(None, chardetng::Utf8Detection::Allow);
    if guess == UTF_8 {
        return d;
    }
    let said = match declared {
        Some(_) => "declared UTF-8",
        None => "no declared charset",
    };
    let guessed = with(guess, bytes, None);
    let note = format!("{said}, but the bytes are not UTF-8; decoded as {}", guess.name());
    Decoded {
        note: Some(note),
        ..guessed
    }
}

/// Whether bytes declared as the legacy `enc` are UTF-8 beyond doubt: valid UTF-8 with
/// non-ASCII in them. Text in a single-byte encoding (Latin-1, windows-1251…) forms a valid
/// multi-byte sequence only from a letter such as `Ã` followed by a control or symbol, which
/// real text does not write; text in a double-byte one (GBK, Big5, Shift_JIS) does by chance
/// about one character in ten, so it takes eight such characters in a row to tell.
fn proves_utf8(bytes: &[u8], enc: &'static Encoding) -> bool {
    let non_ascii = bytes.iter().filter(|b| !b.is_ascii()).count();
    let enough = if enc.is_single_byte() { 1 } else { 16 };
    non_ascii >= enough && std::str::from_utf8(bytes).is_ok()
}

/// A document in a single-byte encoding with UTF-8 pasted into it (a feed assembled from
/// two sources): its valid multi-byte UTF-8 sequences read as UTF-8, every other byte in
/// `enc`. `None` when it holds no such sequence.
fn mixed(bytes: &[u8], enc: &'static Encoding) -> Option<String> {
    let mut out = String::with_capacity(bytes.len());
    let (mut rest, mut proven) = (bytes, false);
    loop {
        match std::str::from_utf8(rest) {
            Ok(s) => {
                proven |= !s.is_ascii();
                out.push_str(s);
                break;
            }
            Err(e) => {
                let (valid, after) = rest.split_at(e.valid_up_to());
                // Valid by the check just made.
                let valid = std::str::from_utf8(valid).unwrap_or_default();
                proven |= !valid.is_ascii();
                out.push_str(valid);
                let bad = e.error_len().unwrap_or(after.len()).max(1);
                out.push_str(&enc.decode_without_bom_handling(&after[..bad]).0);
                rest = &after[bad..];
            }
        }
    }
    proven.then_some(out)
}

/// Whether `bytes` are UTF-8 but for their end, cut inside a character (a truncated
/// download): no reason to guess another encoding.
fn cut_in_a_character(bytes: &[u8]) -> bool {
    std::str::from_utf8(bytes).is_err_and(|e| e.error_len().is_none())
}

fn with<'a>(enc: &'static Encoding, bytes: &'a [u8], note: Option<String>) -> Decoded<'a> {
    let (text, had_errors) = enc.decode_without_bom_handling(bytes);
    Decoded {
        text,
        encoding: enc.name(),
        had_errors,
        note,
    }
}

/// The `charset` parameter of a Content-Type value, unquoted.
fn charset_param(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| v.trim().trim_matches(['"', '\'']).to_string())
    })
}

/// `encoding="…"` in an XML declaration at the start of an ASCII-compatible document.
fn xml_declared(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = &bytes[..bytes.len().min(SNIFF)];
    let start = find(head, b"<?xml")?;
    let end = start + find(&head[start..], b"?>")?;
    let decl = &head[start..end];
    let at = find(decl, b"encoding")? + b"encoding".len();
    let rest = trim_start(&decl[at..]);
    let rest = trim_start(rest.strip_prefix(b"=")?);
    let quote = *rest.first()?;
    if quote != b'"' && quote != b'\'' {
        return None;
    }
    let value = &rest[1..];
    let label = &value[..value.iter().position(|&b| b == quote)?];
    // A document that declares UTF-16 but reached here has no BOM and is ASCII-compatible,
    // so the declaration is wrong; UTF-8 decoding with detection does better.
    Encoding::for_label(label).filter(|e| *e != UTF_16LE && *e != UTF_16BE)
}

/// `<meta charset="…">` or `<meta http-equiv="Content-Type" content="…; charset=…">`.
fn html_meta(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(SNIFF * 2)]).to_ascii_lowercase();
    let mut rest = head.as_str();
    while let Some(i) = rest.find("<meta") {
        let tag = &rest[i..];
        let tag = &tag[..tag.find('>').unwrap_or(tag.len())];
        if let Some(c) = tag.find("charset") {
            let v = tag[c + "charset".len()..]
                .trim_start()
                .strip_prefix('=')
                .unwrap_or("")
                .trim_start();
            let v = v.trim_start_matches(['"', '\'']);
            let end = v.find(|c: char| c == '"' || c == '\'' || c == ';' || c == '/' || c.is_whitespace());
            if let Some(e) = Encoding::for_label(&v.as_bytes()[..end.unwrap_or(v.len())]) {
                return Some(e);
            }
        }
        rest = &rest[i + 5..];
    }
    None
}

/// UTF-16 without a BOM, recognised by `<` followed or preceded by a zero byte.
fn utf16_without_bom(bytes: &[u8]) -> Option<&'static Encoding> {
    match bytes {
        [b'<', 0, b'?', 0, ..] => Some(UTF_16LE),
        [0, b'<', 0, b'?', ..] => Some(UTF_16BE),
        _ => None,
    }
}

/// UTF-32, which encoding_rs does not decode (the WHATWG standard dropped it), by its BOM
/// or by the zero bytes around the first `<`.
fn decode_utf32_bom(bytes: &[u8]) -> Option<Decoded<'static>> {
    let (big, skip) = match bytes {
        [0, 0, 0xFE, 0xFF, ..] => (true, 4),
        [0xFF, 0xFE, 0, 0, ..] => (false, 4),
        [0, 0, 0, b'<', ..] => (true, 0),
        [b'<', 0, 0, 0, ..] => (false, 0),
        _ => return None,
    };
    let mut text = String::with_capacity(bytes.len() / 4);
    let mut had_errors = false;
    for c in bytes[skip..].chunks(4) {
        let arr: [u8; 4] = match c.try_into() {
            Ok(a) => a,
            Err(_) => {
                had_errors = true;
                break;
            }
        };
        let n = if big {
            u32::from_be_bytes(arr)
        } else {
            u32::from_le_bytes(arr)
        };
        text.push(char::from_u32(n).unwrap_or_else(|| {
            had_errors = true;
            char::REPLACEMENT_CHARACTER
        }));
    }
    Some(Decoded {
        text: text.into(),
        encoding: if big { "UTF-32BE" } else { "UTF-32LE" },
        had_errors,
        note: None,
    })
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn trim_start(b: &[u8]) -> &[u8] {
    let n = b.iter().take_while(|c| c.is_ascii_whitespace()).count();
    &b[n..]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xml(decl: &str, body: &str) -> String {
        format!(
            "<?xml version=\"1.0\"{decl}?><rss version=\"2.0\"><channel><title>{body}</title></channel></rss>"
        )
    }

    #[test]
    fn header_charset_decodes_gbk_without_a_declaration() {
        let doc = xml("", "商务部稀土公告");
        let (bytes, _, _) = encoding_rs::GBK.encode(&doc);
        let d = decode(&bytes, Some("application/rss+xml; charset=GBK"));
        assert_eq!(d.encoding, "GBK");
        assert!(d.text.contains("商务部稀土公告") && !d.had_errors);
    }

    #[test]
    fn declarations_for_common_legacy_encodings() {
        let cases: [(&str, &'static Encoding, &str); 6] = [
            ("gb2312", encoding_rs::GBK, "稀土出口管制"),
            ("GB18030", encoding_rs::GB18030, "稀土出口管制"),
            ("gbk", encoding_rs::GBK, "半导体"),
            ("big5", encoding_rs::BIG5, "半導體出口"),
            ("windows-1251", encoding_rs::WINDOWS_1251, "Экспортный контроль"),
            (
                "ISO-8859-1",
                encoding_rs::WINDOWS_1252,
                "Exportkontrolle für Güter",
            ),
        ];
        for (label, enc, text) in cases {
            let doc = xml(&format!(" encoding=\"{label}\""), text);
            let (bytes, _, _) = enc.encode(&doc);
            let d = decode(&bytes, Some("text/xml"));
            assert!(d.text.contains(text), "{label}: {}", d.text);
            assert!(!d.had_errors, "{label}");
        }
    }

    #[test]
    fn bom_beats_header_and_header_beats_declaration() {
        let mut bytes = vec![0xEF, 0xBB, 0xBF];
        bytes.extend_from_slice(xml(" encoding=\"gbk\"", "芯片").as_bytes());
        assert!(
            decode(&bytes, Some("text/xml; charset=windows-1251"))
                .text
                .contains("芯片")
        );
        let doc = xml(" encoding=\"windows-1251\"", "芯片");
        let (gbk, _, _) = encoding_rs::GBK.encode(&doc);
        assert!(
            decode(&gbk, Some("text/xml; charset=\"gbk\""))
                .text
                .contains("芯片")
        );
    }

    #[test]
    fn gbk_bytes_that_claim_utf8_are_detected_with_a_note() {
        let doc = xml(" encoding=\"utf-8\"", "国务院关于进一步加强稀土行业管理的通知");
        let (bytes, _, _) = encoding_rs::GBK.encode(&doc);
        let d = decode(&bytes, None);
        assert!(d.text.contains("稀土行业管理"), "{}", d.text);
        assert!(d.note.is_some());
    }

    #[test]
    fn utf16_and_utf32() {
        let s = xml("", "人工智能");
        let mut le = vec![0xFF, 0xFE];
        le.extend(s.encode_utf16().flat_map(u16::to_le_bytes));
        assert!(decode(&le, None).text.contains("人工智能"));
        let be: Vec<u8> = s.encode_utf16().flat_map(u16::to_be_bytes).collect();
        assert!(decode(&be, None).text.contains("人工智能"));
        let mut u32be = vec![0, 0, 0xFE, 0xFF];
        u32be.extend(s.chars().flat_map(|c| (c as u32).to_be_bytes()));
        assert!(decode(&u32be, None).text.contains("人工智能"));
    }

    #[test]
    fn html_meta_charset() {
        let page = "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=gb2312\"></head><body>光伏</body></html>";
        let (bytes, _, _) = encoding_rs::GBK.encode(page);
        assert!(decode(&bytes, Some("text/html")).text.contains("光伏"));
        let page = "<html><head><meta charset='gbk'/></head><body>光伏</body></html>";
        let (bytes, _, _) = encoding_rs::GBK.encode(page);
        assert!(decode(&bytes, None).text.contains("光伏"));
    }

    #[test]
    fn garbage_never_panics() {
        for b in [
            &b""[..],
            b"\xff",
            b"<?xml encoding=",
            b"<?xml encoding=\"",
            b"\0\0\0<\0\0",
            b"<meta charset=",
        ] {
            let _ = decode(b, Some("text/xml; charset"));
        }
    }

    #[test]
    fn case_9_a_lying_charset_is_overruled_by_bytes_that_prove_utf8() {
        // A Latin-1 label over UTF-8, as feedkit's Ampersand.xml.
        let doc = xml(" encoding=\"ISO-8859-1\"", "Brøndby til fans");
        let d = decode(doc.as_bytes(), None);
        assert_eq!(d.encoding, "UTF-8");
        assert!(d.text.contains("Brøndby"), "{}", d.text);
        assert!(
            d.note.as_deref().is_some_and(|n| n.contains("windows-1252")),
            "{:?}",
            d.note
        );
        // UTF-8 served as GBK.
        let doc = xml("", "商务部公告：稀土出口管制");
        let d = decode(doc.as_bytes(), Some("text/xml; charset=gbk"));
        assert_eq!((d.encoding, d.text.contains("商务部")), ("UTF-8", true));
        // True Latin-1 and true GBK stay as declared, without a note.
        let gbk_doc = xml(" encoding=\"gbk\"", "芯片");
        let (gbk, _, _) = encoding_rs::GBK.encode(&gbk_doc);
        let d = decode(&gbk, None);
        assert_eq!((d.encoding, d.note.is_none()), ("GBK", true));
        let latin_doc = xml(" encoding=\"ISO-8859-1\"", "Brøndby");
        let (latin, _, _) = encoding_rs::WINDOWS_1252.encode(&latin_doc);
        let d = decode(&latin, None);
        assert_eq!((d.encoding, d.text.contains("Brøndby")), ("windows-1252", true));
    }

    #[test]
    fn case_9_latin1_with_utf8_pasted_in_reads_both() {
        let mut bytes = xml(" encoding=\"ISO-8859-1\"", "Brøndby").into_bytes();
        bytes.extend_from_slice(b"<!-- K\xf8benhavn -->");
        let d = decode(&bytes, None);
        assert!(
            d.text.contains("Brøndby") && d.text.contains("København"),
            "{}",
            d.text
        );
        assert!(d.note.is_some());
    }

    #[test]
    fn case_5_utf8_cut_inside_a_character_stays_utf8() {
        let doc = xml("", "商务部公告稀土出口管制");
        let cut = &doc.as_bytes()[..doc.find("公").unwrap() + 2];
        let d = decode(cut, None);
        assert_eq!(d.encoding, "UTF-8");
        assert!(d.text.contains("商务部"), "{}", d.text);
    }
}
