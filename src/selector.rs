//! CSS selectors as the config writes them (`a.title@href`): parsing and checking, for the
//! config's validation and for html sources. Depends on nothing else in the crate, so `config`
//! can check a selector without importing `source`.

use scraper::{ElementRef, Selector};

/// A selector with an optional `@attr`: the attribute's value instead of the element's text.
pub struct Pick {
    /// The selector as the config writes it, for messages.
    pub written: String,
    pub selector: Selector,
    pub attr: Option<String>,
}

impl Pick {
    pub fn new(written: &str, default_attr: Option<&str>) -> Result<Pick, String> {
        let (sel, attr) = split_attr(written);
        let selector = Selector::parse(sel).map_err(|e| format!("bad CSS selector {sel:?}: {e}"))?;
        Ok(Pick {
            written: written.to_string(),
            selector,
            attr: attr.or(default_attr).map(String::from),
        })
    }

    /// The first match inside `el`: its attribute, or its text with whitespace folded.
    pub fn get(&self, el: ElementRef<'_>) -> Option<String> {
        let found = el.select(&self.selector).next()?;
        let v = match &self.attr {
            Some(a) => found.value().attr(a)?.to_string(),
            None => found.text().collect::<Vec<_>>().join(" "),
        };
        let v = v.split_whitespace().collect::<Vec<_>>().join(" ");
        (!v.is_empty()).then_some(v)
    }
}

/// Splits `a.title@href` into the selector and the attribute.
fn split_attr(written: &str) -> (&str, Option<&str>) {
    match written.rsplit_once('@') {
        Some((sel, attr))
            if !attr.is_empty()
                && attr
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') =>
        {
            (sel.trim(), Some(attr))
        }
        _ => (written.trim(), None),
    }
}

/// Checks that a configured selector parses, for config validation.
pub fn check(written: &str) -> Result<(), String> {
    Pick::new(written, None).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_selector_is_checked_with_its_attribute() {
        assert!(check("li[").is_err());
        assert!(check("a@title").is_ok());
    }
}
