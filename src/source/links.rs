//! An item's link from the value its html or json source picked: through the source's link
//! template when its pattern matches ([`crate::link_template`]), else made absolute against
//! the page. A value that ends up as no http or https URL (`javascript:…`, `mailto:…`) gives
//! the item no link, since it could never be fetched or followed.

use super::parse::resolve;
use crate::link_template::{LinkTemplate, Refused};

/// Reads the links of one document and counts what the template did, for warnings.
pub(super) struct Links<'a> {
    base: Option<url::Url>,
    template: Option<&'a LinkTemplate>,
    values: usize,
    matched: usize,
    refused: usize,
    first_refusal: Option<String>,
}

impl<'a> Links<'a> {
    pub(super) fn new(base_url: &str, template: Option<&'a LinkTemplate>) -> Links<'a> {
        Links {
            base: url::Url::parse(base_url).ok(),
            template,
            values: 0,
            matched: 0,
            refused: 0,
            first_refusal: None,
        }
    }

    /// The link for the value `raw` picked by the source's `link`.
    pub(super) fn link(&mut self, raw: &str) -> Option<String> {
        self.values += 1;
        if let Some(t) = self.template {
            match t.apply(raw.trim()) {
                Ok(Some(url)) => {
                    self.matched += 1;
                    return Some(url);
                }
                Ok(None) => {}
                Err(Refused(why)) => {
                    self.matched += 1;
                    self.refused += 1;
                    self.first_refusal.get_or_insert(why);
                    return None;
                }
            }
        }
        let link = resolve(raw, self.base.as_ref());
        url::Url::parse(&link)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .map(|_| link)
    }

    /// What `sources test` should say: a pattern that matched no value (the site changed its
    /// script call), or matched values whose parts were refused.
    pub(super) fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.template.is_some() && self.values > 0 && self.matched == 0 {
            out.push(format!(
                "link_pattern matched none of {} link values",
                self.values
            ));
        }
        if let Some(why) = &self.first_refusal {
            out.push(format!(
                "link_pattern matched {} link values whose link was refused: {why}",
                self.refused
            ));
        }
        out
    }
}
