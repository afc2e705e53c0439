//! The item: one entry from one source, with a stable identity.

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
            return ["link:", &crate::signals::strip_tracking(l)].concat();
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

#[cfg(test)]
mod tests {
    use super::*;

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
