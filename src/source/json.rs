//! JSON APIs: an array of items somewhere in a JSON document (the Federal Register's
//! documents API, the State Council's policy list), read with dotted paths.

use chrono_tz::Tz;
use serde_json::Value;

use super::SourceError;
use super::dates::parse_date;
use super::decode::decode;
use super::links::Links;
use super::parse::Parsed;
use crate::item::Item;
use crate::link_template::LinkTemplate;

/// The paths of one json source, as the config writes them: `results`, `data.list`,
/// `agencies.0.name`. An empty `items` path means the document itself is the array.
#[derive(Debug, Clone, Default)]
pub struct JsonSpec<'a> {
    pub items: &'a str,
    pub title: &'a str,
    pub link: Option<&'a str>,
    pub id: Option<&'a str>,
    pub date: Option<&'a str>,
    pub date_format: Option<&'a str>,
    pub summary: Option<&'a str>,
    pub timezone: Option<Tz>,
    /// The fields (`title`, `summary`) whose values are markup, read as their text.
    pub html: &'a [String],
    /// Builds each item's link from its `link` value (`link_pattern` and `link_template`).
    pub link_template: Option<&'a LinkTemplate>,
}

/// The value at a dotted path (array elements by index).
pub(super) fn at<'v>(v: &'v Value, path: &str) -> Option<&'v Value> {
    path.split('.')
        .filter(|p| !p.is_empty())
        .try_fold(v, |v, key| match v {
            Value::Object(m) => m.get(key),
            Value::Array(a) => key.parse::<usize>().ok().and_then(|i| a.get(i)),
            _ => None,
        })
}

/// A scalar as text; arrays give their first element (lists of links are common).
fn text(v: &Value) -> Option<String> {
    let s = match v {
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) => n.to_string(),
        Value::Array(a) => return a.first().and_then(text),
        _ => return None,
    };
    (!s.is_empty()).then_some(s)
}

/// Reads a JSON document into items. An `items` path that finds no array, or a `title`
/// path that finds nothing in any item, is an error for the source.
pub fn parse_json(
    bytes: &[u8],
    content_type: Option<&str>,
    base_url: &str,
    spec: &JsonSpec<'_>,
) -> Result<Parsed, SourceError> {
    let decoded = decode(bytes, content_type);
    let doc: Value = serde_json::from_str(decoded.text.trim_start_matches('\u{feff}'))
        .map_err(|e| SourceError::NotAFeed(format!("not JSON: {e}")))?;
    let Some(Value::Array(list)) = at(&doc, spec.items) else {
        return Err(SourceError::Selector(format!(
            "items path {:?} found no array",
            spec.items
        )));
    };
    let mut links = Links::new(base_url, spec.link_template);
    let get = |v: &Value, p: Option<&str>| p.and_then(|p| at(v, p)).and_then(text);
    let markup = |field: &str| spec.html.iter().any(|f| f == field);
    let (title_markup, summary_markup) = (markup("title"), markup("summary"));
    let items: Vec<Item> = list
        .iter()
        .filter_map(|v| {
            let title = get(v, Some(spec.title))?;
            let title = if title_markup {
                Some(markup_text(&title)).filter(|t| !t.is_empty())?
            } else {
                title
            };
            let summary = get(v, spec.summary).unwrap_or_default();
            let summary = if summary_markup {
                markup_text(&summary)
            } else {
                summary
            };
            let link = get(v, spec.link).and_then(|l| links.link(&l));
            Some(Item {
                guid: get(v, spec.id),
                link,
                title,
                summary,
                published: get(v, spec.date).and_then(|d| parse_date(&d, spec.date_format, spec.timezone)),
                authors: vec![],
            })
        })
        .collect();
    if items.is_empty() && !list.is_empty() {
        return Err(SourceError::Selector(format!(
            "title path {:?} found nothing in {} items",
            spec.title,
            list.len()
        )));
    }
    Ok(Parsed {
        title: None,
        items,
        warnings: links.warnings(),
    })
}

/// The text of a piece of markup, entities decoded and whitespace folded. Text nodes are
/// joined as they are: APIs mark search terms inline (`<em>出口</em>管制`), and a space put
/// between them would split the word.
pub(super) fn markup_text(html: &str) -> String {
    let frag = scraper::Html::parse_fragment(html);
    let joined: String = frag.root_element().text().collect();
    joined.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const FEDREG: &str = r#"{"count":2,"results":[
      {"title":"Additions to the Entity List","document_number":"2026-21001","html_url":"https://www.federalregister.gov/d/2026-21001",
       "publication_date":"2026-11-24","abstract":"BIS adds 12 entities to the Entity List.","agencies":[{"name":"Industry and Security Bureau"}]},
      {"title":"Export Administration Regulations: Advanced Computing","document_number":"2026-21002","html_url":"/d/2026-21002",
       "publication_date":"2026-11-23","abstract":null}]}"#;

    fn spec() -> JsonSpec<'static> {
        JsonSpec {
            items: "results",
            title: "title",
            link: Some("html_url"),
            id: Some("document_number"),
            date: Some("publication_date"),
            summary: Some("abstract"),
            ..Default::default()
        }
    }

    #[test]
    fn reads_the_federal_register_documents_api() {
        let p = parse_json(
            FEDREG.as_bytes(),
            Some("application/json"),
            "https://www.federalregister.gov/api/v1/documents.json",
            &spec(),
        )
        .unwrap();
        assert_eq!(p.items.len(), 2);
        let a = &p.items[0];
        assert_eq!(a.title, "Additions to the Entity List");
        assert_eq!(a.uid(), "guid:2026-21001");
        assert_eq!(a.published.unwrap().to_rfc3339(), "2026-11-24T00:00:00+00:00");
        assert_eq!(a.summary, "BIS adds 12 entities to the Entity List.");
        assert_eq!(
            p.items[1].link.as_deref(),
            Some("https://www.federalregister.gov/d/2026-21002")
        );
        assert_eq!(
            at(
                &serde_json::from_str::<Value>(FEDREG).unwrap(),
                "results.0.agencies.0.name"
            )
            .and_then(text)
            .as_deref(),
            Some("Industry and Security Bureau")
        );
    }

    #[test]
    fn markup_fields_are_read_as_text_without_splitting_words() {
        assert_eq!(
            markup_text("<em>出口</em>管制 &amp; <b>rare</b>\n earths"),
            "出口管制 & rare earths"
        );
        assert_eq!(markup_text("<p></p>"), "");
        let doc = r#"{"list":[{"topic":"关于<font color=red>美光</font>公司的公告","s":"<p>a</p>"},{"topic":"<br>"}]}"#;
        let html = vec!["title".to_string()];
        let s = JsonSpec {
            items: "list",
            title: "topic",
            summary: Some("s"),
            html: &html,
            ..Default::default()
        };
        let p = parse_json(doc.as_bytes(), None, "http://x/", &s).unwrap();
        // An item whose title is only markup has no title, and is skipped.
        assert_eq!(p.items.len(), 1);
        assert_eq!(p.items[0].title, "关于美光公司的公告");
        // Fields not named in `html` are left as they are.
        assert_eq!(p.items[0].summary, "<p>a</p>");
    }

    #[test]
    fn wrong_paths_and_non_json_are_named() {
        let mut s = spec();
        s.items = "data.list";
        assert!(
            parse_json(FEDREG.as_bytes(), None, "http://x/", &s)
                .unwrap_err()
                .to_string()
                .contains("data.list")
        );
        let mut s = spec();
        s.title = "name";
        assert!(
            parse_json(FEDREG.as_bytes(), None, "http://x/", &s)
                .unwrap_err()
                .to_string()
                .contains("title path")
        );
        assert!(matches!(
            parse_json(b"<html>", None, "http://x/", &spec()),
            Err(SourceError::NotAFeed(_))
        ));
        let top = r#"[{"t":"A"}]"#;
        let s = JsonSpec {
            items: "",
            title: "t",
            ..Default::default()
        };
        assert_eq!(
            parse_json(top.as_bytes(), None, "http://x/", &s)
                .unwrap()
                .items
                .len(),
            1
        );
    }

    #[test]
    fn an_api_that_gives_ids_gets_links_from_a_template() {
        let doc = r#"{"rows":[{"t":"A","id":171830},{"t":"B","id":"x/../y"},{"t":"C","url":"javascript:void(0)"}]}"#;
        let tpl = LinkTemplate::new(
            r"^(.+)$",
            "https://www.motir.go.kr/kor/article/ATCL3f49a5a8c/{1}/view",
        )
        .unwrap();
        let mut s = JsonSpec {
            items: "rows",
            title: "t",
            link: Some("id"),
            link_template: Some(&tpl),
            ..Default::default()
        };
        let p = parse_json(doc.as_bytes(), None, "http://x/", &s).unwrap();
        let links: Vec<Option<&str>> = p.items.iter().map(|i| i.link.as_deref()).collect();
        assert_eq!(
            links,
            [
                Some("https://www.motir.go.kr/kor/article/ATCL3f49a5a8c/171830/view"),
                Some("https://www.motir.go.kr/kor/article/ATCL3f49a5a8c/x%2F..%2Fy/view"),
                None
            ]
        );
        // A script call that is no template's is no link either.
        s.link = Some("url");
        s.link_template = None;
        let p = parse_json(doc.as_bytes(), None, "http://x/", &s).unwrap();
        assert_eq!(p.items[2].link, None);
    }
}
