use super::*;

const BASE: &str = "https://example.gov.cn/news/";

#[test]
fn rss2_items_with_guids_links_and_dates() {
    let xml = r#"<?xml version="1.0"?><rss version="2.0"><channel><title>MOFCOM</title>
        <item><guid>g-1</guid><title>稀土 export controls</title><link>/art/1.html</link>
        <description>&lt;p&gt;Short&lt;/p&gt;</description><pubDate>Mon, 23 Nov 2026 08:00:00 +0800</pubDate></item>
        <item><title>No guid here</title><link>https://example.gov.cn/art/2.html</link></item>
        </channel></rss>"#;
    let p = parse_feed(xml.as_bytes(), Some("application/rss+xml"), BASE).unwrap();
    assert_eq!(p.title.as_deref(), Some("MOFCOM"));
    assert_eq!(p.items.len(), 2);
    let a = &p.items[0];
    assert_eq!(a.guid.as_deref(), Some("g-1"));
    assert_eq!(a.link.as_deref(), Some("https://example.gov.cn/art/1.html"));
    assert_eq!(a.summary, "<p>Short</p>");
    assert_eq!(a.published.unwrap().to_rfc3339(), "2026-11-23T00:00:00+00:00");
    let b = &p.items[1];
    assert_eq!(b.guid, None, "no made-up ids");
    assert_eq!(b.uid(), "link:https://example.gov.cn/art/2.html");
}

#[test]
fn atom_and_json_feed() {
    let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>METI</title><id>urn:x</id>
        <entry><id>urn:e1</id><title type="html">&lt;b&gt;半導体&lt;/b&gt; strategy</title>
        <link rel="alternate" href="https://meti.go.jp/a"/><updated>2026-11-20T01:00:00Z</updated>
        <content type="html">Long content about semiconductors and more</content><summary>short</summary></entry></feed>"#;
    let p = parse_feed(atom.as_bytes(), None, BASE).unwrap();
    assert_eq!(p.items[0].title, "半導体 strategy");
    assert_eq!(p.items[0].summary, "Long content about semiconductors and more");
    assert!(p.items[0].published.is_some());
    let json = r#"{"version":"https://jsonfeed.org/version/1.1","title":"J","items":[{"id":"1","url":"https://x.test/1","title":"AI rules","content_text":"text"}]}"#;
    let p = parse_feed(json.as_bytes(), Some("application/feed+json"), BASE).unwrap();
    assert_eq!(p.items[0].title, "AI rules");
    assert_eq!(p.items[0].link.as_deref(), Some("https://x.test/1"));
}

#[test]
fn gbk_declared_in_the_prolog_only() {
    let doc = r#"<?xml version="1.0" encoding="gb2312"?><rss version="2.0"><channel><title>人民网</title><item><title>稀土管理条例</title><link>http://p.test/1</link></item></channel></rss>"#;
    let (bytes, _, _) = encoding_rs::GBK.encode(doc);
    let p = parse_feed(&bytes, Some("text/xml"), BASE).unwrap();
    assert_eq!(p.items[0].title, "稀土管理条例");
}

#[test]
fn non_feeds_are_classified() {
    let cases: [(&[u8], &str); 5] = [
        (b"", "empty"),
        (b"   \n", "empty"),
        (b"<!DOCTYPE html><html><body>hi</body></html>", "HTML"),
        (b"<?xml version=\"1.0\"?><note><to>x</to></note>", "root element"),
        (b"Service Unavailable", "neither XML nor JSON"),
    ];
    for (body, want) in cases {
        match parse_feed(body, None, BASE) {
            Err(SourceError::NotAFeed(r)) => assert!(r.contains(want), "{r} lacks {want}"),
            other => panic!("{:?}: {other:?}", String::from_utf8_lossy(body)),
        }
    }
}

#[test]
fn broken_feeds_are_parse_errors() {
    for body in [
        &b"<rss version=\"2.0\"><channel><title>x</title><item><title>cut"[..],
        b"{\"version\": 3, \"items\": [",
        b"<rss version=\"2.0\"><channel><item></wrong></channel></rss>",
    ] {
        let r = parse_feed(body, None, BASE);
        assert!(
            matches!(r, Err(SourceError::Parse(_)) | Err(SourceError::NotAFeed(_))),
            "{:?}: {r:?}",
            String::from_utf8_lossy(body)
        );
    }
}

/// Every file of the shared corpus through the parser: no panic, each classified.
#[test]
fn corpus_never_panics() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if !root.is_dir() {
        eprintln!("skipped: {} is absent", root.display());
        return;
    }
    let (mut ok, mut not_feed, mut broken) = (0, 0, 0);
    let mut stack = vec![root];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let bytes = std::fs::read(&path).unwrap();
            match parse_feed(&bytes, None, BASE) {
                Ok(_) => ok += 1,
                Err(SourceError::NotAFeed(_)) => not_feed += 1,
                Err(_) => broken += 1,
            }
        }
    }
    eprintln!("corpus: {ok} parsed, {not_feed} not a feed, {broken} unparsable");
    assert!(ok > 1000, "most of the corpus parses: {ok}");
}

#[test]
fn derived_chinese_encodings_all_decode() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/derived");
    if !dir.is_dir() {
        eprintln!("skipped: {} is absent", dir.display());
        return;
    }
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap().flatten() {
        let bytes = std::fs::read(entry.path()).unwrap();
        let p = parse_feed(&bytes, None, "http://www.people.com.cn/rss/politics.xml")
            .unwrap_or_else(|e| panic!("{}: {e}", entry.path().display()));
        let titles: Vec<&str> = p.items.iter().map(|i| i.title.as_str()).collect();
        assert_eq!(
            p.title.as_deref(),
            Some("时政频道"),
            "{}: {titles:?}",
            entry.path().display()
        );
        assert!(!p.items.is_empty());
        n += 1;
    }
    assert_eq!(n, 6);
}

#[test]
fn authors_written_the_chinese_way_keep_the_feed() {
    // feed-rs 3.0.0 panicked on these (one byte sliced off a full-width colon or bracket);
    // the patched copy in vendor/feed-rs keeps every item.
    let xml = r#"<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>部网站</title>
        <managingEditor>编辑：liming@mofcom.gov.cn</managingEditor>
        <item><title>稀土 一</title><link>http://p.test/1</link><author>李明（liming@mofcom.gov.cn）</author></item>
        <item><title>稀土 二</title><link>http://p.test/2</link><dc:creator>liming@mofcom.gov.cn（李明）</dc:creator></item>
        </channel></rss>"#;
    let p = parse_feed(xml.as_bytes(), None, BASE).unwrap();
    assert_eq!(p.items.len(), 2);
    let json = r#"{"version":"https://jsonfeed.org/version/1.1","title":"J","authors":[{"name":"编辑：a@b.cn"}],
        "items":[{"id":"1","url":"https://x.test/1","title":"AI rules","authors":[{"name":"作者：a@b.cn"}]}]}"#;
    let p = parse_feed(json.as_bytes(), None, BASE).unwrap();
    assert_eq!(p.items.len(), 1);
}

#[test]
fn a_second_xml_declaration_is_dropped_with_a_warning() {
    let xml = "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel><title>t</title>\
               <?xml version='1.0' encoding='iso-8859-1'?><item><title>稀土</title><link>http://p.test/1</link></item>\
               </channel></rss>";
    let p = parse_feed(xml.as_bytes(), None, BASE).unwrap();
    assert_eq!(p.items.len(), 1);
    assert!(
        p.warnings.iter().any(|w| w.contains("XML declaration")),
        "{:?}",
        p.warnings
    );
}

#[test]
fn dates_as_feeds_write_them_read_the_same_on_the_fast_and_the_lenient_path() {
    // The first three are read at once; the others need the lenient fixes.
    let cases = [
        ("Mon, 23 Nov 2026 08:00:00 +0800", "2026-11-23T00:00:00+00:00"),
        ("2026-11-23T08:00:00+08:00", "2026-11-23T00:00:00+00:00"),
        ("Mon, 23 Nov 2026 00:00:00 GMT", "2026-11-23T00:00:00+00:00"),
        // A weekday that disagrees with the date, a long month, a zone written UTC, no colon
        // in a 3339 offset, a date alone.
        ("Wed, 23 Nov 2026 08:00:00 +0800", "2026-11-23T00:00:00+00:00"),
        (
            "Mon, 23 November 2026 08:00:00 +0800",
            "2026-11-23T00:00:00+00:00",
        ),
        ("Mon, 23 Nov 2026 00:00:00 UTC", "2026-11-23T00:00:00+00:00"),
        ("2026-11-23T08:00:00+0800", "2026-11-23T00:00:00+00:00"),
        ("2026-11-23", "2026-11-23T00:00:00+00:00"),
    ];
    for (written, read) in cases {
        let xml = format!(
            r#"<rss version="2.0"><channel><title>t</title><item><guid>g</guid><title>x</title><pubDate>{written}</pubDate></item></channel></rss>"#
        );
        let p = parse_feed(xml.as_bytes(), None, BASE).unwrap();
        let got = p.items[0].published.map(|d| d.to_rfc3339());
        assert_eq!(got.as_deref(), Some(read), "{written}");
    }
}
