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
        // Damaged with no complete item to keep.
        b"<rss version=\"2.0\"><channel><item></wrong>",
    ] {
        let r = parse_feed(body, None, BASE);
        assert!(
            matches!(r, Err(SourceError::Parse(_)) | Err(SourceError::NotAFeed(_))),
            "{:?}: {r:?}",
            String::from_utf8_lossy(body)
        );
    }
}

/// Calls `f` with each file of the shared corpus and its bytes; false (saying so) when the
/// corpus is absent.
fn each_corpus_file(mut f: impl FnMut(&std::path::Path, &[u8])) -> bool {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if !root.is_dir() {
        eprintln!("skipped: {} is absent", root.display());
        return false;
    }
    let mut stack = vec![root];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                f(&path, &std::fs::read(&path).unwrap());
            }
        }
    }
    true
}

/// Every file of the shared corpus through the parser: no panic, each classified.
#[test]
#[ignore = "needs ../shared/corpus; `cargo test -- --ignored` runs it, saying so when the corpus is absent"]
fn corpus_never_panics() {
    let (mut ok, mut not_feed, mut broken) = (0, 0, 0);
    let read = each_corpus_file(|_, bytes| match parse_feed(bytes, None, BASE) {
        Ok(_) => ok += 1,
        Err(SourceError::NotAFeed(_)) => not_feed += 1,
        Err(_) => broken += 1,
    });
    if !read {
        return;
    }
    eprintln!("corpus: {ok} parsed, {not_feed} not a feed, {broken} unparsable");
    assert!(ok > 1000, "most of the corpus parses: {ok}");
}

#[test]
#[ignore = "needs ../shared/corpus; `cargo test -- --ignored` runs it, saying so when the corpus is absent"]
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

thread_local! {
    /// How many documents this thread's parses read with the RSS 2.0 reader of `rss2.rs`.
    pub(super) static FAST_READS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Parses `bytes` with both readers; panics unless they agree. Returns whether the one-pass
/// reader read it (rather than giving way to feed-rs).
fn both_readers(bytes: &[u8], content_type: Option<&str>, base: &str, what: &str) -> bool {
    let before = FAST_READS.with(|n| n.get());
    let fast = parse_feed_with(bytes, content_type, base, None, Reader::Fast);
    let read_fast = FAST_READS.with(|n| n.get()) > before;
    let slow = parse_feed_with(bytes, content_type, base, None, Reader::FeedRs);
    match (&fast, &slow) {
        (Ok(a), Ok(b)) => {
            assert_eq!(a.title, b.title, "{what}: channel title");
            assert_eq!(a.warnings, b.warnings, "{what}: warnings");
            assert_eq!(a.items.len(), b.items.len(), "{what}: number of items");
            for (i, (x, y)) in a.items.iter().zip(&b.items).enumerate() {
                assert_eq!(x, y, "{what}: item {i}");
            }
        }
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{what}: error"),
        _ => panic!("{what}: the readers disagree: {fast:?} against {slow:?}"),
    }
    read_fast
}

/// Every file of the shared corpus: wherever the one-pass RSS
/// reader reads a document, it reads what feed-rs reads.
#[test]
#[ignore = "needs ../shared/corpus; `cargo test -- --ignored` runs it, saying so when the corpus is absent"]
fn rss_reader_agrees_with_feed_rs_on_the_corpus() {
    let (mut files, mut fast) = (0, 0);
    let read = each_corpus_file(|path, bytes| {
        files += 1;
        fast += both_readers(bytes, None, BASE, &path.display().to_string()) as usize;
    });
    if !read {
        return;
    }
    eprintln!("corpus: {files} files, {fast} read by the RSS 2.0 reader, all as feed-rs reads them");
    assert!(fast > 300, "the RSS reader reads much of the corpus: {fast}");
}

/// The rules the RSS reader copies from feed-rs, one document each, and where it gives way.
#[test]
fn rss_reader_agrees_with_feed_rs_on_the_edge_cases() {
    let item = |body: &str| {
        format!(
            r#"<?xml version="1.0"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:wfw="http://wellformedweb.org/CommentAPI/" xmlns:x="urn:other" xmlns:media="http://search.yahoo.com/mrss/" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"><channel><title> T </title><item>{body}</item></channel></rss>"#
        )
    };
    let read = [
        // Entities, character references, CDATA and comments inside text.
        "<title>a &amp; b &#x4e2d;&#25991; &unknown; <![CDATA[<c>]]><!-- x --> d</title>",
        "<description>&lt;p&gt;escaped&lt;/p&gt;</description><content:encoded>x</content:encoded>",
        // The longer of description and content; an empty content is none.
        "<description>short</description><content:encoded><![CDATA[<p>a longer body</p>]]></content:encoded>",
        "<description>short</description><content:encoded></content:encoded>",
        // The last of repeated fields wins; an empty one clears a date.
        "<title>one</title><title>two</title><pubDate>Mon, 23 Nov 2026 08:00:00 +0800</pubDate>",
        "<pubDate>Mon, 23 Nov 2026 08:00:00 +0800</pubDate><pubDate/>",
        "<pubDate>2026-11-23 08:00</pubDate><dc:date>2026-11-24T08:00:00Z</dc:date>",
        "<atom:updated>2026-11-24T08:00:00Z</atom:updated>",
        "<updated>not a date</updated><pubDate>garbage</pubDate>",
        // Identity: guids trimmed, empty ones none.
        "<guid isPermaLink=\"false\">  g-1  </guid><guid/>",
        "<guid>   </guid><link> /rel/path?a=1&amp;utm_source=x </link>",
        // Links: relative, odd, and comments links before the item's link.
        "<comments>http://x.test/c</comments><link>http://x.test/a</link>",
        "<comments>http://x.test/a</comments><link>http://x.test/a</link>",
        "<wfw:commentRss>/feed/c</wfw:commentRss><link>/a</link>",
        "<link>http://[bad</link><link>ok</link>",
        "<link></link><link>javascript:alert(1)</link>",
        // Authors, with addresses and in Chinese.
        "<author>editor@x.test (Li Ming)</author><dc:creator>编辑：liming@example.cn</dc:creator><author>  </author>",
        // Unknown elements and namespaces are skipped, nested or not.
        "<category domain=\"x\">c</category><enclosure url=\"/a.mp3\" type=\"audio/mpeg\"/><x:title>not this</x:title><source><title>nor this</title></source>",
        // An undeclared prefix is RSS's.
        "<foo:title>prefixed</foo:title>",
        // Whitespace and empties.
        "",
        "<title>\n\t</title><description>  </description>",
    ];
    for (i, body) in read.iter().enumerate() {
        let xml = item(body);
        assert!(
            both_readers(xml.as_bytes(), None, BASE, &format!("case {i}: {body}")),
            "case {i} is read by the RSS reader: {body}"
        );
    }
    let given_way = [
        // Markup inside a text field: feed-rs keeps the text before it.
        item("<description>before <b>bold</b> after</description>"),
        item("<title>a<br/>b</title>"),
        // A namespace declared below the root.
        item("<dc:creator xmlns:dc=\"http://purl.org/dc/elements/1.1/\">a</dc:creator>"),
        // xml:base, media and iTunes elements.
        item("<link xml:base=\"http://other.test/\">a</link>"),
        item("<media:content url=\"x\"/>"),
        item("<itunes:duration>1</itunes:duration>"),
        // Other roots and versions, and broken XML.
        r#"<rss version="0.91"><channel><item><title>t</title></item></channel></rss>"#.to_string(),
        r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title></feed>"#.to_string(),
        r#"<rss version="2.0"><nochannel/></rss>"#.to_string(),
        // feed-rs reads this as JSON: a `{` comes first.
        r#"{ "a": "b", <rss version="2.0"><channel><item><title>t</title></item></channel></rss>"#
            .to_string(),
    ];
    for (i, xml) in given_way.iter().enumerate() {
        assert!(
            !both_readers(xml.as_bytes(), None, BASE, &format!("given way {i}: {xml}")),
            "case {i} goes to feed-rs: {xml}"
        );
    }
    // Broken XML: given way on, then recovered (see `recover.rs`), and read the same.
    for xml in [
        r#"<rss version="2.0"><channel><item><title>t</item></channel></rss>"#,
        r#"<rss version="2.0"><channel><item><title>t</title></item><item><title>t</title>"#,
    ] {
        both_readers(xml.as_bytes(), None, BASE, xml);
    }
    // A root without a version is repaired to RSS 2.0 first (with a warning).
    let unversioned = r#"<rss><channel><item><title>t</title></item></channel></rss>"#;
    assert!(both_readers(unversioned.as_bytes(), None, BASE, "unversioned"));
    // A channel that closes, then more: neither reader reads on.
    let trailing = r#"<rss version="2.0"><channel><title>c</title><item><title>a</title></item></channel><item><title>b</title></item>junk<x></rss>"#;
    assert!(both_readers(trailing.as_bytes(), None, BASE, "trailing"));
    // The bench farm's shape, a Chinese feed in GB18030 declared in the header only, and a feed
    // with a default namespace on its root.
    let farm = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel>
<title>Farm feed 1</title><link>http://127.0.0.1:1/site/1/</link><description>Generated</description><lastBuildDate>Sat, 28 Nov 2026 06:00:00 GMT</lastBuildDate>
<item><title>China tightens rare earth export controls</title><link>http://127.0.0.1:1/site/1/0.html</link><guid isPermaLink="false">farm-1-0</guid><pubDate>Sat, 28 Nov 2026 05:59:00 +0000</pubDate><description>&lt;p&gt;word word.&lt;/p&gt;</description></item>
</channel></rss>"#;
    assert!(both_readers(
        farm.as_bytes(),
        Some("application/rss+xml"),
        BASE,
        "farm"
    ));
    let (gb, _, _) = encoding_rs::GB18030.encode("<rss version=\"2.0\"><channel><title>时政</title><item><title>稀土出口管制</title></item></channel></rss>");
    assert!(both_readers(
        &gb,
        Some("application/rss+xml; charset=gb18030"),
        BASE,
        "gb18030"
    ));
    let default_ns = r#"<rss version="2.0" xmlns="http://backend.userland.com/rss2"><channel><title>c</title><item><title>a</title></item></channel></rss>"#;
    both_readers(default_ns.as_bytes(), None, BASE, "default namespace");
}

/// feed-rs (the vendored copy) honours only a declaration that starts the document: quick-xml
/// panics when asked to switch encodings past the document's first bytes, which a later
/// declaration once made it do (see vendor/feed-rs/PATCHED.md).
#[test]
fn feed_rs_ignores_a_late_xml_declaration() {
    let doc = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel><title>{}</title>\
         <?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><item><title>稀土</title></item></channel></rss>",
        "t".repeat(200)
    );
    let feed = feed_rs::parser::parse(doc.as_bytes()).expect("the feed parses");
    assert_eq!(feed.entries.len(), 1);
    assert_eq!(
        feed.entries[0].title.as_ref().map(|t| t.content.as_str()),
        Some("稀土")
    );
}

#[test]
fn a_declaration_is_rewritten_only_when_it_names_another_encoding() {
    use std::borrow::Cow;
    let body = "<rss version=\"2.0\"><channel/></rss>";
    for kept in [
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>",
        "<?xml version='1.0' encoding='UTF-8' standalone='yes'?>",
        "<?xml version=\"1.0\" encoding = \"Utf-8\"?>",
        "<?xml version=\"1.0\"?>",
    ] {
        let doc = format!("{kept}{body}");
        assert!(matches!(super::declare_utf8(&doc), Cow::Borrowed(_)), "{kept}");
    }
    let utf8 = format!("<?xml version=\"1.0\" encoding=\"utf-8\"?>{body}");
    for replaced in [
        "<?xml version=\"1.0\" encoding=\"gb2312\"?>",
        "<?xml version=\"1.0\" encoding=\"utf-88\"?>",
        "<?xml version=\"1.0\" encoding=\"utf-8'?>",
        "<?xml version=\"1.0\" encoding=utf-8?>",
        "<?xml version=\"1.0\" encoding=\"utf\"?>",
        "<?xml version=\"1.0\" encoding=\"稀土稀土\"?>",
        "<?xml version=\"1.0\" encoding\"utf-8\"?>",
    ] {
        let doc = format!("{replaced}{body}");
        assert_eq!(super::declare_utf8(&doc), utf8, "{replaced}");
    }
}
