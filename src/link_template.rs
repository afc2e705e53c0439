//! Links built from a template, for list pages whose links are script calls
//! (`javascript:article.view('171830')`) and APIs that give an id instead of a URL. The
//! source's `link_pattern` (a regular expression) captures parts of the picked value, and its
//! `link_template` puts them into a URL: `https://www.motir.go.kr/kor/article/ATCL3f49a5a8c/{1}/view`.
//!
//! Content never decides where sigwatch connects: the template's scheme, host and port are
//! the config's, fixed before the first placeholder; each captured part is percent-encoded
//! (everything but letters, digits and `-._~`) so that it stays inside one path segment or one
//! query value, and parts that are empty, too long, or a dot segment (`.`, `..`) are refused.
//! The URL built is checked once more against the template's origin.
//!
//! Depends on nothing else in the crate, so `config` can check a template without importing
//! `source`.

use regex::{Regex, RegexBuilder};

/// Longest captured part put into a URL: ids and slugs are short, and a long one means the
/// pattern caught more than it should.
pub const MAX_PART: usize = 256;

/// A compiled `link_pattern` and `link_template` pair.
#[derive(Debug, Clone)]
pub struct LinkTemplate {
    pattern: Regex,
    pieces: Vec<Piece>,
    origin: url::Origin,
}

#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Text(String),
    Group(usize),
}

/// Why a value matched the pattern but gave no link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused(pub String);

impl LinkTemplate {
    /// Compiles a pattern and checks the template against it. The error is the message for
    /// the config's reader.
    pub fn new(pattern: &str, template: &str) -> Result<LinkTemplate, String> {
        let pattern = RegexBuilder::new(pattern)
            .size_limit(1 << 20)
            .build()
            .map_err(|e| format!("link_pattern is not a regular expression: {e}"))?;
        let pieces = pieces(template)?;
        let groups = pattern.captures_len() - 1;
        let mut first = None;
        for p in &pieces {
            if let Piece::Group(n) = p {
                if *n > groups {
                    return Err(format!(
                        "link_template uses {{{n}}}, but link_pattern has {groups} capture group{}",
                        if groups == 1 { "" } else { "s" }
                    ));
                }
                first.get_or_insert(*n);
            }
        }
        if first.is_none() {
            return Err("link_template has no placeholder such as {1}".into());
        }
        // The origin must be written out before the first placeholder, and end there: a
        // placeholder may fill a path segment or a query value, never the host.
        let prefix: String = pieces
            .iter()
            .map_while(|p| match p {
                Piece::Text(t) => Some(t.as_str()),
                Piece::Group(_) => None,
            })
            .collect();
        let fixed = url::Url::parse(&prefix)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
            .ok_or_else(|| {
                format!(
                    "link_template must begin with an http or https URL and its host before the first placeholder, not {prefix:?}"
                )
            })?;
        let after_scheme = prefix.split_once("://").map_or("", |(_, rest)| rest);
        if !after_scheme.contains(['/', '?', '#']) {
            return Err(format!(
                "link_template: a placeholder may not be part of the host; end the host with \"/\" before it ({prefix:?})"
            ));
        }
        if !fixed.username().is_empty() || fixed.password().is_some() {
            return Err("link_template may not carry a user name or password".into());
        }
        let tpl = LinkTemplate {
            pattern,
            pieces,
            origin: fixed.origin(),
        };
        // A template whose text after the origin is broken fails here rather than at a poll.
        tpl.build(&vec!["x"; groups + 1])
            .map_err(|Refused(e)| format!("link_template: {e}"))?;
        Ok(tpl)
    }

    /// The link for `value`: `Ok(None)` when the pattern does not match it, an error when it
    /// matches but a captured part is refused.
    pub fn apply(&self, value: &str) -> Result<Option<String>, Refused> {
        let Some(c) = self.pattern.captures(value) else {
            return Ok(None);
        };
        let parts: Vec<&str> = (0..c.len())
            .map(|i| c.get(i).map_or("", |m| m.as_str()))
            .collect();
        self.build(&parts).map(Some)
    }

    fn build(&self, parts: &[&str]) -> Result<String, Refused> {
        let mut out = String::new();
        for p in &self.pieces {
            match p {
                Piece::Text(t) => out.push_str(t),
                Piece::Group(n) => {
                    let part = parts.get(*n).copied().unwrap_or_default();
                    if part.is_empty() || part.len() > MAX_PART || part == "." || part == ".." {
                        return Err(Refused(format!(
                            "captured part {{{n}}} {:?} is empty, longer than {MAX_PART} bytes or a dot segment",
                            shorten(part)
                        )));
                    }
                    encode_into(part, &mut out);
                }
            }
        }
        let u =
            url::Url::parse(&out).map_err(|e| Refused(format!("{:?} is not a URL: {e}", shorten(&out))))?;
        if u.origin() != self.origin {
            return Err(Refused(format!("{:?} left the template's origin", shorten(&out))));
        }
        Ok(u.to_string())
    }
}

/// Splits a template into text and `{N}` placeholders. A brace that opens no placeholder is
/// an error rather than text, so a mistyped `{id}` is caught at load.
fn pieces(template: &str) -> Result<Vec<Piece>, String> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find(['{', '}']) {
        if rest[open..].starts_with('}') {
            return Err(format!(
                "link_template has a \"}}\" that closes nothing: {template:?}"
            ));
        }
        if open > 0 {
            out.push(Piece::Text(rest[..open].to_string()));
        }
        let close = rest[open..]
            .find('}')
            .ok_or_else(|| format!("link_template has a \"{{\" that is not closed: {template:?}"))?;
        let inner = &rest[open + 1..open + close];
        let n = inner
            .parse::<usize>()
            .ok()
            .filter(|_| inner.len() <= 2 && inner.bytes().all(|b| b.is_ascii_digit()))
            .ok_or_else(|| {
                format!("link_template: {{{inner}}} is not a placeholder; write {{0}} for the whole match, {{1}} for the first group, …")
            })?;
        out.push(Piece::Group(n));
        rest = &rest[open + close + 1..];
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest.to_string()));
    }
    Ok(out)
}

/// Percent-encodes everything but RFC 3986's unreserved characters, so that a captured part
/// can end no segment, start no query and escape nothing.
fn encode_into(part: &str, out: &mut String) {
    for b in part.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
}

/// At most 80 characters of untrusted text for a message.
fn shorten(s: &str) -> String {
    s.chars().take(80).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn motir() -> LinkTemplate {
        LinkTemplate::new(
            r"article\.view\('([^']*)'\)",
            "https://www.motir.go.kr/kor/article/ATCL3f49a5a8c/{1}/view",
        )
        .unwrap()
    }

    #[test]
    fn a_script_call_becomes_the_page_url() {
        let t = motir();
        assert_eq!(
            t.apply("javascript:article.view('171830');").unwrap().as_deref(),
            Some("https://www.motir.go.kr/kor/article/ATCL3f49a5a8c/171830/view")
        );
        assert_eq!(t.apply("/kor/article/other").unwrap(), None);
        // Query values too, and the whole match as {0}.
        let t = LinkTemplate::new(
            r"fn_view\((\d+),\s*'(\w+)'\)",
            "https://x.test/view.do?seq={1}&board={2}#{0}",
        )
        .unwrap();
        assert_eq!(
            t.apply("fn_view(12, 'press')").unwrap().as_deref(),
            Some("https://x.test/view.do?seq=12&board=press#fn_view%2812%2C%20%27press%27%29")
        );
    }

    #[test]
    fn content_cannot_move_the_link_off_the_templates_origin() {
        let t = motir();
        for hostile in [
            "article.view('../../../../evil')",
            "article.view('x/../../admin')",
            "article.view('@evil.test')",
            "article.view('?next=https://evil.test/')",
            "article.view('%2e%2e')",
            "article.view('#frag')",
            "article.view('a\\b')",
        ] {
            let got = t.apply(hostile).unwrap().unwrap();
            assert!(
                got.starts_with("https://www.motir.go.kr/kor/article/ATCL3f49a5a8c/")
                    && got.ends_with("/view"),
                "{hostile} gave {got}"
            );
            let u = url::Url::parse(&got).unwrap();
            assert_eq!(u.path_segments().unwrap().count(), 5, "{got}");
            assert_eq!(u.query(), None, "{got}");
        }
        for refused in ["article.view('')", "article.view('..')", "article.view('.')"] {
            assert!(t.apply(refused).is_err(), "{refused}");
        }
        let long = format!("article.view('{}')", "9".repeat(MAX_PART + 1));
        assert!(t.apply(&long).is_err());
    }

    #[test]
    fn templates_that_let_content_reach_the_host_are_refused_at_load() {
        let p = r"view\('(\w+)'\)";
        for (template, why) in [
            ("https://{1}/view", "host"),
            ("https://www.{1}.go.kr/view", "host"),
            ("https://x.test{1}", "part of the host"),
            ("{1}", "begin with an http"),
            ("javascript:{1}", "begin with an http"),
            ("ftp://x.test/{1}", "begin with an http"),
            ("https://user:pw@x.test/{1}", "user name"),
            ("https://x.test/view", "no placeholder"),
            ("https://x.test/{2}", "1 capture group"),
            ("https://x.test/{id}", "not a placeholder"),
            ("https://x.test/{1", "not closed"),
            ("https://x.test/}{1}", "closes nothing"),
        ] {
            let e = LinkTemplate::new(p, template).unwrap_err();
            assert!(e.contains(why), "{template}: {e}");
        }
        assert!(
            LinkTemplate::new("(", "https://x.test/{0}")
                .unwrap_err()
                .contains("link_pattern")
        );
        // A port and a query placeholder are fine.
        assert!(LinkTemplate::new(p, "http://127.0.0.1:8080/a?id={1}").is_ok());
    }
}
