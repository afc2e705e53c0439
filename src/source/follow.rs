//! Following items to their pages: a list page (or a feed of headlines) often gives only a
//! title, while the signal is in the notice's text. For sources with `follow = true`, each new
//! item's link is fetched (up to `follow_limit` a poll) and the page's text, or the part a
//! `content` selector picks, becomes the item's text for matching. A link is the feed's
//! word: it is fetched with the reach the source grants its content (public addresses,
//! unless `allow_local`), never with one worked out from the link.

use std::collections::HashSet;

use scraper::{Html, Selector};

use super::decode::decode;
use super::{Fetched, Fetcher, Reach, SourceError};
use crate::config::SourceConfig;
use crate::item::Item;

/// The HTML of an item page's article: the first element `content` selects, else the
/// `<body>`, else the whole page. An explicit selector that matches nothing is an error, so a
/// redesigned page is noticed.
pub fn article_html(
    bytes: &[u8],
    content_type: Option<&str>,
    content: Option<&str>,
) -> Result<String, SourceError> {
    let decoded = decode(bytes, content_type);
    let doc = Html::parse_document(&decoded.text);
    let pick = |css: &str| {
        Selector::parse(css).map_err(|e| SourceError::Selector(format!("bad CSS selector {css:?}: {e}")))
    };
    if let Some(css) = content {
        let sel = pick(css)?;
        return doc.select(&sel).next().map(|el| el.inner_html()).ok_or_else(|| {
            SourceError::Selector(format!("content selector {css:?} matched nothing on the page"))
        });
    }
    let body = pick("body")?;
    Ok(doc
        .select(&body)
        .next()
        .map_or_else(|| decoded.text.into_owned(), |el| el.inner_html()))
}

/// Fetches the pages of the items not in `known` (by identity), at most the source's
/// `follow_limit`, one after another, and puts each page's article in place of the item's
/// summary when it is longer. Returns warnings: pages that failed (the item keeps what the
/// list gave) and items left unfollowed by the limit.
pub async fn follow_new(
    fetcher: &Fetcher,
    source: &SourceConfig,
    items: &mut [Item],
    known: &HashSet<String>,
) -> Vec<String> {
    let mut warnings = Vec::new();
    let mut followed = 0usize;
    let mut over = 0usize;
    for item in items.iter_mut() {
        let Some(link) = item.link.clone() else { continue };
        if known.contains(&item.uid()) {
            continue;
        }
        if followed >= source.follow_limit {
            over += 1;
            continue;
        }
        followed += 1;
        match page_article(fetcher, source, &link).await {
            Ok(html) if html.len() > item.summary.len() => item.summary = html,
            Ok(_) => {}
            Err(e) => warnings.push(format!(
                "could not follow {link} [{}]: {e}; its list entry alone is matched",
                e.class()
            )),
        }
    }
    if over > 0 {
        warnings.push(format!(
            "{over} new items were not followed (follow_limit = {}); their list entries alone are matched",
            source.follow_limit
        ));
    }
    warnings
}

async fn page_article(fetcher: &Fetcher, source: &SourceConfig, link: &str) -> Result<String, SourceError> {
    match fetcher
        .fetch(link, &Default::default(), Reach::of_source(source).for_content())
        .await?
    {
        Fetched::Body {
            bytes, content_type, ..
        } => article_html(&bytes, content_type.as_deref(), source.content.as_deref()),
        Fetched::NotModified { .. } => Err(SourceError::Http(
            "the server answered 304 to a request without validators".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn article_is_the_selected_element_or_the_body() {
        let page = "<html><head><title>x</title></head><body><div id=nav>menu</div>\
                    <div id=zoom><p>关于对稀土实施出口管制的公告</p></div></body></html>";
        let zoom = article_html(page.as_bytes(), None, Some("#zoom")).unwrap();
        assert!(zoom.contains("稀土") && !zoom.contains("menu"), "{zoom}");
        let body = article_html(page.as_bytes(), None, None).unwrap();
        assert!(body.contains("menu") && body.contains("稀土") && !body.contains("<title>"));
        let err = article_html(page.as_bytes(), None, Some(".article")).unwrap_err();
        assert!(err.to_string().contains(".article"), "{err}");
    }

    #[test]
    fn article_of_a_gbk_page_is_decoded() {
        let (bytes, _, _) =
            encoding_rs::GBK.encode("<html><head><meta charset=gbk></head><body>出口管制</body></html>");
        let html = article_html(&bytes, Some("text/html"), None).unwrap();
        assert!(html.contains("出口管制"), "{html}");
    }
}
