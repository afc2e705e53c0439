//! The item: one entry from one source, with a stable identity, and the URL cleaning
//! (tracking parameters out) that identity and change detection share; and the role of the
//! source publishing it, which the config sets and watches' alert rules and stories read.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

/// One entry of one source as the source layer produced it.
///
/// `summary` may hold HTML; the watch layer strips it before matching.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Item {
    /// RSS `<guid>`, Atom `<id>`, JSON Feed `id`; `None` when the feed gave none.
    pub guid: Option<String>,
    /// The item's link, resolved to an absolute URL where the source allowed it.
    pub link: Option<String>,
    pub title: String,
    /// The longer of the item's summary/description and content.
    pub summary: String,
    pub published: Option<DateTime<Utc>>,
    pub authors: Vec<String>,
}

impl Item {
    /// The identity of the item within its source: never random, so that the same
    /// document parsed twice maps to the same key.
    ///
    /// Preference: guid, else link (without tracking parameters), else a hash of title and
    /// date.
    pub fn uid(&self) -> String {
        if let Some(g) = self.guid.as_deref().map(str::trim).filter(|g| !g.is_empty()) {
            return ["guid:", g].concat();
        }
        if let Some(l) = self.link.as_deref().map(str::trim).filter(|l| !l.is_empty()) {
            // The same page with other tracking parameters (utm_*, spm, …) is the same item.
            return ["link:", &strip_tracking(l)].concat();
        }
        let mut h = Sha256::new();
        h.update(self.title.trim().as_bytes());
        h.update([0u8]);
        if let Some(p) = self.published {
            h.update(p.to_rfc3339().as_bytes());
        }
        let digest = h.finalize();
        let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
        format!("hash:{hex}")
    }
}

/// Query parameters that only track visits or campaigns; a URL differing only in these is
/// the same URL.
fn is_tracking(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    k.starts_with("utm_")
        || matches!(
            k.as_str(),
            "fbclid"
                | "gclid"
                | "dclid"
                | "msclkid"
                | "mc_cid"
                | "mc_eid"
                | "spm"
                | "from"
                | "share_token"
                | "ref"
                | "src"
        )
}

/// `url` without tracking parameters; a URL without any, or anything that is not a URL, comes
/// back as it is.
pub fn strip_tracking(url: &str) -> String {
    // Without a query there is nothing to strip, and no need to parse.
    if !url.contains('?') {
        return url.to_string();
    }
    let Ok(mut u) = url::Url::parse(url.trim()) else {
        return url.to_string();
    };
    if !u.query_pairs().any(|(k, _)| is_tracking(&k)) {
        return url.to_string();
    }
    let kept: Vec<(String, String)> = u
        .query_pairs()
        .filter(|(k, _)| !is_tracking(k))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if kept.is_empty() {
        u.set_query(None);
    } else {
        u.query_pairs_mut().clear().extend_pairs(kept);
    }
    u.to_string()
}

/// Who publishes a source: an event's story is led by its official item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceRole {
    /// A government body of any country: ministries, regulators, the Federal Register.
    Official,
    /// Media owned or directed by a state (Xinhua, CGTN, People's Daily).
    StateMedia,
    /// Other news media.
    #[default]
    Media,
    /// Anything else: industry sites, think tanks, blogs.
    Other,
}

impl SourceRole {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceRole::Official => "official",
            SourceRole::StateMedia => "state-media",
            SourceRole::Media => "media",
            SourceRole::Other => "other",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracking_parameters_are_stripped_and_non_urls_kept() {
        assert_eq!(
            strip_tracking("http://a.cn/x?spm=1.2&from=timeline"),
            "http://a.cn/x"
        );
        assert_eq!(strip_tracking("not a url"), "not a url");
    }

    #[test]
    fn uid_prefers_guid_then_link_then_hash() {
        let mut it = Item {
            guid: Some(" g1 ".into()),
            link: Some("http://x/1".into()),
            title: "t".into(),
            ..Default::default()
        };
        assert_eq!(it.uid(), "guid:g1");
        it.guid = Some("  ".into());
        assert_eq!(it.uid(), "link:http://x/1");
        it.link = Some("http://x/1?id=2&utm_source=rss&spm=a.b".into());
        assert_eq!(
            it.uid(),
            "link:http://x/1?id=2",
            "tracking parameters are not identity"
        );
        it.link = Some("HTTP://X/1?id=2".into());
        assert_eq!(
            it.uid(),
            "link:HTTP://X/1?id=2",
            "a link without them is kept as written"
        );
        it.link = None;
        let a = it.uid();
        assert!(a.starts_with("hash:"));
        assert_eq!(a, it.clone().uid());
        it.title = "other".into();
        assert_ne!(a, it.uid());
    }
}
