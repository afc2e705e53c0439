//! HTML list pages: a page of links to notices (the way most ministries publish) read with
//! CSS selectors into items. The page's charset comes from the HTTP header, then its meta tag.

use chrono_tz::Tz;
use scraper::{ElementRef, Html, Selector};

use super::SourceError;
use super::dates::parse_date;
use super::decode::decode;
use super::links::Links;
use super::parse::Parsed;
use crate::item::Item;
use crate::link_template::LinkTemplate;
use crate::selector::Pick;

/// The selectors of one html source, as the config writes them.
#[derive(Debug, Clone, Default)]
pub struct HtmlSpec<'a> {
    pub item: &'a str,
    pub title: &'a str,
    pub link: Option<&'a str>,
    pub date: Option<&'a str>,
    pub date_format: Option<&'a str>,
    pub summary: Option<&'a str>,
    pub timezone: Option<Tz>,
    /// The dotted path of a string in a JSON answer that holds the HTML (`data.html`);
    /// without it the answer is the page.
    pub html_path: Option<&'a str>,
    /// Builds each item's link from its `link` value (`link_pattern` and `link_template`).
    pub link_template: Option<&'a LinkTemplate>,
}

/// Reads a list page into items. An `item` or `title` selector that matches nothing is an
/// error for the source (a page redesign must not look like a quiet day); optional selectors
/// that match nothing are warnings.
pub fn parse_html(
    bytes: &[u8],
    content_type: Option<&str>,
    base_url: &str,
    spec: &HtmlSpec<'_>,
) -> Result<Parsed, SourceError> {
    let decoded = decode(bytes, content_type);
    let fragment;
    let text: &str = match spec.html_path {
        None => &decoded.text,
        Some(path) => {
            fragment = html_in_json(&decoded.text, path)?;
            &fragment
        }
    };
    if nesting_depth(text) > MAX_DEPTH {
        return Err(SourceError::Parse(format!(
            "the page nests elements deeper than {MAX_DEPTH}; refused"
        )));
    }
    let doc = Html::parse_document(text);
    let bad = |e: String| SourceError::Selector(e);
    let item = Pick::new(spec.item, None).map_err(bad)?;
    let title = Pick::new(spec.title, None).map_err(bad)?;
    let link = Pick::new(spec.link.unwrap_or("a"), Some("href")).map_err(bad)?;
    let date = spec.date.map(|d| Pick::new(d, None)).transpose().map_err(bad)?;
    let summary = spec
        .summary
        .map(|d| Pick::new(d, None))
        .transpose()
        .map_err(bad)?;
    let mut links = Links::new(base_url, spec.link_template);
    let blocks: Vec<ElementRef<'_>> = doc.select(&item.selector).collect();
    if blocks.is_empty() {
        return Err(SourceError::Selector(format!(
            "item selector {:?} matched nothing on the page",
            item.written
        )));
    }
    let mut found = [0usize; 4];
    let mut items = Vec::new();
    for b in &blocks {
        let t = title.get(*b);
        let l = link.get(*b);
        let d = date.as_ref().and_then(|p| p.get(*b));
        let s = summary.as_ref().and_then(|p| p.get(*b));
        for (n, hit) in found
            .iter_mut()
            .zip([t.is_some(), l.is_some(), d.is_some(), s.is_some()])
        {
            *n += hit as usize;
        }
        let Some(t) = t else { continue };
        items.push(Item {
            guid: None,
            link: l.and_then(|l| links.link(&l)),
            title: t,
            summary: s.unwrap_or_default(),
            published: d.and_then(|d| parse_date(&d, spec.date_format, spec.timezone)),
            authors: vec![],
        });
    }
    if found[0] == 0 {
        return Err(SourceError::Selector(format!(
            "title selector {:?} matched nothing in {} items",
            title.written,
            blocks.len()
        )));
    }
    let mut warnings = Vec::new();
    let optional = [
        ("link", Some(&link)),
        ("date", date.as_ref()),
        ("summary", summary.as_ref()),
    ];
    for ((key, pick), n) in optional.iter().zip(&found[1..]) {
        if let Some(p) = pick
            && *n == 0
        {
            warnings.push(format!(
                "{key} selector {:?} matched nothing in {} items",
                p.written,
                blocks.len()
            ));
        }
    }
    warnings.extend(links.warnings());
    if let Some(d) = &date {
        let dated = items.iter().filter(|i| i.published.is_some()).count();
        if found[2] > 0 && dated == 0 {
            warnings.push(format!(
                "date selector {:?} found text, but no date could be read from it",
                d.written
            ));
        }
    }
    Ok(Parsed {
        title: doc
            .select(&Selector::parse("title").map_err(|e| bad(e.to_string()))?)
            .next()
            .map(|t| t.text().collect::<String>().trim().to_string()),
        items,
        warnings,
    })
}

/// The HTML a JSON answer holds at the dotted `path`: the jpaas sites (MOFCOM, MIIT, SAMR)
/// load their lists as `{"data": {"html": "<div>…</div>"}}`.
fn html_in_json(text: &str, path: &str) -> Result<String, SourceError> {
    let doc: serde_json::Value = serde_json::from_str(text.trim_start_matches('\u{feff}')).map_err(|e| {
        SourceError::NotAFeed(format!(
            "html_path {path:?} is set, but the answer is not JSON: {e}"
        ))
    })?;
    match super::json::at(&doc, path) {
        Some(serde_json::Value::String(html)) => Ok(html.clone()),
        Some(_) => Err(SourceError::Selector(format!(
            "html_path {path:?} found no string"
        ))),
        None => Err(SourceError::Selector(format!("html_path {path:?} found nothing"))),
    }
}

/// Deeper nesting than any real page has. The HTML tree builder checks the stack of open
/// elements for each block start tag, so a page of 100,000 nested `<div>`s would take
/// minutes (quadratic time); such a page is refused before it is parsed.
const MAX_DEPTH: usize = 2048;

/// An upper estimate of how deep `html` nests elements: start tags minus end tags, not
/// counting void elements, elements whose end tag may be left out (`<p>`, `<li>`, …, which the
/// parser closes itself), comments, and the text of scripts and styles. (`<div/>` opens a
/// `div` in HTML, so it counts.)
fn nesting_depth(html: &str) -> usize {
    const NOT_NESTING: &[&str] = &[
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr",
        "param", "keygen", "frame", "basefont", "bgsound", "p", "li", "dt", "dd", "tr", "td", "th", "option",
        "optgroup", "rb", "rt", "rp", "rtc", "thead", "tbody", "tfoot", "colgroup", "caption", "html",
        "head", "body",
    ];
    let b = html.as_bytes();
    let (mut depth, mut max, mut i) = (0usize, 0usize, 0usize);
    while let Some(rel) = memchr::memchr(b'<', &b[i..]) {
        i += rel + 1;
        if b[i..].starts_with(b"!--") {
            i += memchr::memmem::find(&b[i..], b"-->").map_or(b.len() - i, |e| e + 3);
            continue;
        }
        let close = b.get(i) == Some(&b'/');
        let start = i + close as usize;
        let len = b[start..]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric())
            .count();
        if len == 0 || !b[start].is_ascii_alphabetic() {
            continue;
        }
        let name = html[start..start + len].to_ascii_lowercase();
        let end = memchr::memchr(b'>', &b[start..]).map_or(b.len(), |e| start + e);
        if close {
            depth = depth.saturating_sub(!NOT_NESTING.contains(&name.as_str()) as usize);
        } else if !NOT_NESTING.contains(&name.as_str()) {
            if matches!(name.as_str(), "script" | "style" | "textarea" | "title") {
                // Raw text up to the end tag: tags inside it are not elements.
                i = end;
                while let Some(at) = memchr::memmem::find(&b[i..], b"</") {
                    i += at + 2;
                    if b[i..]
                        .get(..len)
                        .is_some_and(|n| n.eq_ignore_ascii_case(name.as_bytes()))
                    {
                        break;
                    }
                }
                continue;
            }
            depth += 1;
            max = max.max(depth);
        }
        i = end.min(b.len());
    }
    max
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = r#"<html><head><meta charset="gbk"><title>商务部 新闻发布</title></head><body>
        <ul class="txtList_01">
          <li><a href="/article/xwfb/202611/20261103.shtml" title="商务部公告2026年第61号 关于稀土物项出口管制">商务部公告2026年第61号</a><span>[2026-11-23 10:30:00]</span></li>
          <li><a href="./202611/2.shtml" title="商务部新闻发言人答记者问">答记者问</a><span>[2026-11-22]</span></li>
          <li class="listline"></li>
        </ul></body></html>"#;

    fn spec() -> HtmlSpec<'static> {
        HtmlSpec {
            item: ".txtList_01 li",
            title: "a@title",
            link: Some("a"),
            date: Some("span"),
            timezone: Some(chrono_tz::Asia::Shanghai),
            ..Default::default()
        }
    }

    #[test]
    fn reads_a_gbk_ministry_list_page() {
        let (bytes, _, _) = encoding_rs::GBK.encode(PAGE);
        let p = parse_html(
            &bytes,
            Some("text/html"),
            "http://www.mofcom.gov.cn/article/xwfb/",
            &spec(),
        )
        .unwrap();
        assert_eq!(p.items.len(), 2);
        let a = &p.items[0];
        assert_eq!(a.title, "商务部公告2026年第61号 关于稀土物项出口管制");
        assert_eq!(
            a.link.as_deref(),
            Some("http://www.mofcom.gov.cn/article/xwfb/202611/20261103.shtml")
        );
        assert_eq!(a.published.unwrap().to_rfc3339(), "2026-11-23T02:30:00+00:00");
        assert_eq!(
            p.items[1].link.as_deref(),
            Some("http://www.mofcom.gov.cn/article/xwfb/202611/2.shtml")
        );
        assert_eq!(
            a.uid(),
            "link:http://www.mofcom.gov.cn/article/xwfb/202611/20261103.shtml"
        );
        assert_eq!(p.title.as_deref(), Some("商务部 新闻发布"));
    }

    #[test]
    fn deep_nesting_is_refused_before_parsing_and_ordinary_pages_are_not() {
        let n = 100_000;
        let page = format!(
            "<html><body>{}<li><a href=/x>t</a></li></body></html>",
            "<div>".repeat(n)
        );
        let err = parse_html(page.as_bytes(), Some("text/html"), "http://x.test/", &spec()).unwrap_err();
        assert!(err.to_string().contains("deeper than 2048"), "{err}");
        // Unclosed <li> and <p>, void elements and markup inside scripts and comments do not
        // count; `<div/>` opens a div in HTML, so it does.
        let body = "<li><p>x<br><img src=a><div/></div>".repeat(5000);
        let script = format!(
            "<script>{}</SCRIPT><!-- {} -->",
            "<div>".repeat(5000),
            "<div>".repeat(5000)
        );
        let html = format!("<html><body><ul>{body}</ul>{script}<div><div></div></div></body></html>");
        assert_eq!(nesting_depth(&html), 2);
        assert_eq!(nesting_depth("<div><span><b>x</b></span></div><div></div>"), 3);
        assert_eq!(nesting_depth(&"<div/>".repeat(3000)), 3000);
    }

    #[test]
    fn selectors_that_match_nothing_are_named() {
        let mut s = spec();
        s.item = ".list li";
        let e = parse_html(PAGE.as_bytes(), None, "http://x/", &s)
            .unwrap_err()
            .to_string();
        assert!(e.contains(".list li") && e.contains("matched nothing"), "{e}");
        let mut s = spec();
        s.title = "h3";
        assert!(
            parse_html(PAGE.as_bytes(), None, "http://x/", &s)
                .unwrap_err()
                .to_string()
                .contains("title selector")
        );
        let mut s = spec();
        s.date = Some("time");
        let p = parse_html(PAGE.as_bytes(), None, "http://x/", &s).unwrap();
        assert!(
            p.warnings.iter().any(|w| w.contains("date selector")),
            "{:?}",
            p.warnings
        );
    }
}
