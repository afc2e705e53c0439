//! The numbered cases of issue 25 ("read every item that feedparser reads"), one test each,
//! named after the case.

use super::*;

const BASE: &str = "https://example.test/feed";

fn read(doc: &str) -> Parsed {
    parse_feed(doc.as_bytes(), Some("application/xml"), BASE).unwrap()
}

#[test]
fn case_1_atom_03_rss_090_and_rss_10_without_links_give_their_items() {
    let atom03 = r#"<?xml version="1.0"?><feed version="0.3" xmlns="http://purl.org/atom/ns#">
        <title>old</title><entry><title>First</title><link rel="alternate" type="text/html" href="http://a.test/1"/>
        <id>tag:a,1</id><issued>2004-01-02T03:04:05Z</issued><modified>2004-01-03T03:04:05Z</modified>
        <content type="text/html" mode="escaped">&lt;p&gt;body&lt;/p&gt;</content></entry>
        <entry><title>Second</title><id>tag:a,2</id><modified>2004-01-04T00:00:00Z</modified></entry></feed>"#;
    let p = read(atom03);
    assert_eq!(p.items.len(), 2);
    assert_eq!(p.items[0].title, "First");
    assert_eq!(p.items[0].link.as_deref(), Some("http://a.test/1"));
    assert_eq!(p.items[0].summary, "<p>body</p>");
    assert_eq!(
        p.items[0].published.unwrap().to_rfc3339(),
        "2004-01-02T03:04:05+00:00"
    );
    assert_eq!(
        p.items[1].published.unwrap().to_rfc3339(),
        "2004-01-04T00:00:00+00:00"
    );

    let rss090 = r#"<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://my.netscape.com/rdf/simple/0.9/">
        <channel><title>Mozilla</title><link>http://m.test/</link></channel>
        <item><title>One</title><link>http://m.test/1</link></item><item><title>Two</title><link>http://m.test/2</link></item></rdf:RDF>"#;
    let p = read(rss090);
    assert_eq!(
        p.items.iter().map(|i| i.title.as_str()).collect::<Vec<_>>(),
        ["One", "Two"]
    );

    let rss10 = r#"<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">
        <channel rdf:about="http://r.test/"><title>t</title></channel>
        <item rdf:about="http://r.test/a"><title>No link</title></item></rdf:RDF>"#;
    let p = read(rss10);
    assert_eq!(p.items.len(), 1);
    assert_eq!(p.items[0].link.as_deref(), Some("http://r.test/a"));
}

#[test]
fn case_4_a_root_after_long_whitespace_is_still_a_feed() {
    let doc = format!(
        "<?xml version=\"1.0\"?>{}<rss version=\"2.0\"><channel><item><title>late</title></item></channel></rss>",
        "\n".repeat(760)
    );
    assert_eq!(read(&doc).items[0].title, "late");
    let doc = format!(
        "{}<!-- note -->{}<html><body>x</body></html>",
        " ".repeat(600),
        "\n".repeat(600)
    );
    assert!(
        matches!(parse_feed(doc.as_bytes(), None, BASE), Err(SourceError::NotAFeed(r)) if r.contains("HTML"))
    );
}

#[test]
fn case_7_an_atom_field_of_an_odd_type_is_skipped_not_the_feed() {
    let doc = r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>
        <entry><id>1</id><title type="image/png">iVBORw0KGgo=</title><link href="http://a.test/1"/>
        <content type="application/octet-stream">AAAA</content><summary type="html">kept</summary></entry>
        <entry><id>2</id><title>Second</title><content type="text"/></entry></feed>"#;
    let p = read(doc);
    assert_eq!(p.items.len(), 2);
    // Not base64 of text: kept as written, as feedparser keeps it.
    assert_eq!(p.items[0].title, "iVBORw0KGgo=");
    assert_eq!(p.items[0].link.as_deref(), Some("http://a.test/1"));
    assert_eq!(p.items[1].title, "Second");
}

#[test]
fn case_8_fallbacks_feeds_rely_on() {
    // dc:title and dc:description when RSS's own are missing; a permalink guid as the link.
    let doc = r#"<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>t</title>
        <item><dc:title>DC title</dc:title><dc:description>DC text</dc:description><guid>https://a.test/p/1</guid></item>
        <item><title>Own</title><dc:title>not this</dc:title><guid isPermaLink="false">123</guid></item>
        </channel></rss>"#;
    for reader in [Reader::Fast, Reader::FeedRs] {
        let p = parse_feed_with(doc.as_bytes(), None, BASE, None, reader).unwrap();
        assert_eq!(p.items[0].title, "DC title");
        assert_eq!(p.items[0].summary, "DC text");
        assert_eq!(p.items[0].link.as_deref(), Some("https://a.test/p/1"));
        assert_eq!(p.items[1].title, "Own");
        assert_eq!(p.items[1].link, None);
    }
    // YouTube's Atom: the text is in media:group/media:description.
    let yt = r#"<feed xmlns="http://www.w3.org/2005/Atom" xmlns:media="http://search.yahoo.com/mrss/">
        <entry><id>yt:video:1</id><title>Video</title><link rel="alternate" href="https://y.test/w?v=1"/>
        <media:group><media:title>Video</media:title><media:content url="https://y.test/v/1" type="application/x-shockwave-flash" width="640" height="390"/><media:description>What the video says</media:description></media:group>
        </entry></feed>"#;
    assert_eq!(read(yt).items[0].summary, "What the video says");
    // iTunes: itunes:summary.
    let pod = r#"<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"><channel><title>p</title>
        <item><title>Episode</title><link>http://p.test/1</link><itunes:summary>Show notes</itunes:summary></item></channel></rss>"#;
    assert_eq!(read(pod).items[0].summary, "Show notes");
}

#[test]
fn case_10_no_items_read_from_a_document_holding_items_is_not_ok() {
    // Items in a namespace no reader knows: none is read, and that is said.
    let doc = r#"<rss version="2.0"><channel><title>t</title><x:item xmlns:x="urn:x"><title>a</title></x:item></channel></rss>"#;
    match parse_feed(doc.as_bytes(), None, BASE) {
        Err(SourceError::Parse(r)) => assert!(r.contains("<item>"), "{r}"),
        other => panic!("{other:?}"),
    }
    // A feed that truly has no items is fine.
    let empty = r#"<rss version="2.0"><channel><title>quiet</title></channel></rss>"#;
    assert!(read(empty).items.is_empty());
}

#[test]
fn case_6_unescaped_markup_inside_a_field_keeps_its_text() {
    let rss = r#"<rss version="2.0"><channel><title>t</title>
        <item><title><b>Item</b> Title</title><link>http://a.test/1</link>
        <description>Lead <p>first</p> <p>second</p></description></item></channel></rss>"#;
    let p = read(rss);
    assert_eq!(p.items[0].title, "Item Title");
    assert!(p.items[0].summary.contains("second"), "{}", p.items[0].summary);
    let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>
        <entry><id>1</id><title>Example <b>test</b></title><link href="http://a.test/1"/></entry></feed>"#;
    assert_eq!(read(atom).items[0].title, "Example test");
    let rdf = r#"<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">
        <item rdf:about="http://r.test/a"><title><i>Item</i> Title</title></item></rdf:RDF>"#;
    assert_eq!(read(rdf).items[0].title, "Item Title");
}

#[test]
fn case_7_base64_text_of_atom_03_and_atom_10_is_decoded() {
    let doc = r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>
        <entry><id>1</id><title type="application/octet-stream">PHA+RW50cnkgVGl0bGU8L3A+</title></entry>
        <entry><id>2</id><title type="application/x-custom">test</title></entry>
        <entry><id>3</id><title type="">evil</title></entry></feed>"#;
    let titles: Vec<String> = read(doc).items.into_iter().map(|i| i.title).collect();
    assert_eq!(titles, ["Entry Title", "test", "evil"]);
    let old = r#"<feed version="0.3" xmlns="http://purl.org/atom/ns#"><title>t</title>
        <entry><id>1</id><title mode="base64">RW50cnkgVGl0bGU=</title></entry></feed>"#;
    assert_eq!(read(old).items[0].title, "Entry Title");
}

#[test]
fn case_5_damaged_feeds_keep_every_complete_item_with_a_warning() {
    let items = (1..=5)
        .map(|k| format!("<item><title>News {k}</title><link>http://a.cn/{k}</link></item>"))
        .collect::<String>();
    // One unclosed tag in a title.
    let doc = format!(
        "<rss version=\"2.0\"><channel><title>t</title><item><title>‹草根网<草根网></title><link>http://a.cn/0</link></item>{items}</channel></rss>"
    );
    let p = read(&doc);
    assert_eq!(p.items.len(), 6);
    assert_eq!(p.items[0].title, "‹草根网<草根网>");
    assert!(
        p.warnings.iter().any(|w| w.contains("damaged XML")),
        "{:?}",
        p.warnings
    );
    // A truncated document, inside a CDATA section.
    let doc = format!("<rss version=\"2.0\"><channel><title>t</title>{items}<item><title><![CDATA[half");
    let p = read(&doc);
    assert_eq!(p.items.len(), 5);
    assert!(
        p.warnings.iter().any(|w| w.contains("cut short")),
        "{:?}",
        p.warnings
    );
    // Nothing complete: still an error.
    let doc = "<rss version=\"2.0\"><channel><title>t</title><item><title>half";
    assert!(matches!(
        parse_feed(doc.as_bytes(), None, BASE),
        Err(SourceError::Parse(_))
    ));
}

#[test]
fn case_8_atom_entries_fall_back_on_dublin_core() {
    let doc = r#"<feed xmlns="http://purl.org/atom/ns#" version="0.3" xmlns:dc="http://purl.org/dc/elements/1.1/">
        <entry><dc:title>DC title</dc:title><dc:description>DC text</dc:description>
        <dc:date>Sat, 1 Jan 2000 12:00:00 GMT</dc:date></entry></feed>"#;
    let p = read(doc);
    assert_eq!(p.items[0].title, "DC title");
    assert_eq!(p.items[0].summary, "DC text");
    assert_eq!(
        p.items[0].published.unwrap().to_rfc3339(),
        "2000-01-01T12:00:00+00:00"
    );
}

#[test]
fn case_7_a_skipped_field_is_a_warning_naming_its_type() {
    let doc = r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>
        <entry><id>1</id><title>One</title><content type="application/octet-stream">AAAAAAAAAAAA</content>
        <summary type="html">kept</summary></entry>
        <entry><id>2</id><title>Two</title><content type="not a type">lost text</content></entry>
        <entry><id>3</id><title type="html">Three</title><content type="text"/></entry></feed>"#;
    let p = read(doc);
    assert_eq!(p.items.len(), 3);
    // The binary content is not read as the item's text; the summary stands.
    assert_eq!(p.items[0].summary, "kept");
    let w = p.warnings.join(" | ");
    assert!(w.contains("skipped 2 field(s)"), "{w}");
    assert!(
        w.contains("application/octet-stream") && w.contains("not a type"),
        "{w}"
    );
    // Readable fields and empty ones are no news.
    let plain = read(
        r#"<feed xmlns="http://www.w3.org/2005/Atom"><title type="text">t</title>
        <entry><id>1</id><title type="xhtml">One</title><content type="text"/><summary type="text/plain">s</summary></entry></feed>"#,
    );
    assert!(plain.warnings.is_empty(), "{:?}", plain.warnings);
}
