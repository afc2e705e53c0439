//! `[[source]]`: what a source is, who publishes it, and how it is asked for and read.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use serde::Deserialize;

/// What a source serves, and so how it is parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    /// RSS 0.9x/1.0/2.0, Atom or JSON Feed, detected from the content.
    #[default]
    Feed,
    /// A list page read with CSS selectors (`item`, `title`, `link`, `date`, `summary`).
    Html,
    /// A JSON API read with dotted paths (`items`, `title`, `link`, `id`, `date`, `summary`).
    Json,
}

pub use crate::item::SourceRole;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceConfig {
    /// Unique, short name used on the command line and in digests.
    pub name: String,
    /// The feed or page; may be left out when `rsshub` names a route instead.
    #[serde(default)]
    pub url: String,
    /// A route of the RSSHub instance at `[rsshub] base`, e.g. "/gov/mofcom/article/xwfb";
    /// the source is then that route's feed.
    #[serde(default)]
    pub rsshub: Option<String>,
    #[serde(default)]
    pub kind: SourceKind,
    /// Who publishes it: `official`, `state-media`, `media` (the default) or `other`.
    #[serde(default)]
    pub role: SourceRole,
    /// Main language of the source (e.g. "zh", "en"). Without `timezone`, dates written
    /// without a zone are read in the language's zone: zh Asia/Shanghai, ja Asia/Tokyo.
    #[serde(default)]
    pub lang: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// A disabled source stays in the config but is never polled.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Cron expression overriding `[poll] schedule` for this source.
    #[serde(default)]
    pub schedule: Option<String>,
    /// Let this source (and its redirects) reach private and loopback addresses. Sources
    /// whose URL is on loopback (RSSHub beside sigwatch) may anyway.
    #[serde(default)]
    pub allow_local: bool,
    /// IANA time zone (e.g. "Asia/Shanghai") for dates written without one; an offset
    /// written in a date always wins.
    #[serde(default)]
    pub timezone: Option<String>,
    /// For `kind = "html"`: CSS selectors, each applied within one `item`. `title`, `link`,
    /// `date` and `summary` take the element's text, or an attribute when written
    /// `selector@attr` (`link` defaults to the `href` of its element).
    #[serde(default)]
    pub item: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub link: Option<String>,
    #[serde(default)]
    pub date: Option<String>,
    /// A chrono format for the `date` text (e.g. "%Y年%m月%d日"); without it common forms are
    /// recognised.
    #[serde(default)]
    pub date_format: Option<String>,
    #[serde(default)]
    pub summary: Option<String>,
    /// For `kind = "json"`: the dotted path of the item array (e.g. "results"); empty when
    /// the document is the array. `title`, `link`, `date`, `summary` and `id` are then
    /// dotted paths within one item.
    #[serde(default)]
    pub items: Option<String>,
    #[serde(default)]
    pub id: Option<String>,
    /// Fetch each new item's page and match its text too (for list pages and feeds that
    /// carry headlines only).
    #[serde(default)]
    pub follow: bool,
    /// At most this many item pages are fetched per poll of the source.
    #[serde(default = "default_follow_limit")]
    pub follow_limit: usize,
    /// With `follow`: the CSS selector of the article on an item's page (e.g. "#zoom");
    /// without it the page's whole body is taken.
    #[serde(default)]
    pub content: Option<String>,
    /// Priority weight of this source's hits (default 1); see `[signals]`.
    #[serde(default)]
    pub weight: Option<f64>,
    /// How the source is asked for: `"GET"` (the default) or `"POST"`.
    #[serde(default)]
    pub method: Method,
    /// With `method = "POST"`: a form body such as "pageNo=1&pageSize=20", sent as
    /// `application/x-www-form-urlencoded` unless `headers` names another Content-Type.
    #[serde(default)]
    pub body: Option<String>,
    /// With `method = "POST"`: a JSON body, written as a TOML table.
    #[serde(default)]
    pub json: Option<toml::Value>,
    /// Request headers the site wants (`Referer`, `Accept`, `X-Requested-With`, …); names
    /// are case-insensitive.
    #[serde(default)]
    pub headers: Headers,
    /// A file whose content is sent as the `Cookie` header, read at each fetch and never
    /// logged. A relative name is looked up in `$CREDENTIALS_DIRECTORY`, else beside the
    /// config file (resolved at load).
    #[serde(default)]
    pub cookie_file: Option<PathBuf>,
    /// The User-Agent for this source instead of `[fetch] user_agent`.
    #[serde(default)]
    pub user_agent: Option<String>,
    /// A charset label (e.g. "gbk") that overrides what the server and the page say.
    #[serde(default)]
    pub encoding: Option<String>,
    /// For `kind = "html"`: the dotted path of a string in a JSON answer that holds the
    /// HTML to read (e.g. "data.html", as the jpaas sites of MOFCOM and MIIT answer).
    #[serde(default)]
    pub html_path: Option<String>,
    /// Relative links resolve against this URL instead of the source's own.
    #[serde(default)]
    pub base: Option<String>,
    /// For `kind = "json"`: the fields (`title`, `summary`) whose values are markup, read
    /// as their text.
    #[serde(default)]
    pub html: Vec<String>,
    /// With `link_template`: a regular expression applied to each item's `link` value (an
    /// `href` such as `javascript:fn_view('12345')`, or `a@onclick`, `a@data-id`, a JSON id),
    /// whose capture groups fill the template.
    #[serde(default)]
    pub link_pattern: Option<String>,
    /// The item's URL with `{1}`, `{2}`, … for the pattern's groups (`{0}` the whole match);
    /// its scheme and host are written out, and each part is percent-encoded into the path or
    /// query ([`crate::link_template`]).
    #[serde(default)]
    pub link_template: Option<String>,
}

/// The HTTP method of a source's request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
pub enum Method {
    #[default]
    #[serde(rename = "GET", alias = "get")]
    Get,
    #[serde(rename = "POST", alias = "post")]
    Post,
}

/// A source's `headers`, in the order written. `Debug` hides the values of credentials
/// (`Cookie`, `Authorization`), so that a config printed in a log or an error carries none.
#[derive(Clone, Default, Deserialize)]
#[serde(transparent)]
pub struct Headers(pub BTreeMap<String, String>);

/// Header names whose values are secrets: never shown, and never sent to another origin
/// than the source's own.
pub const CREDENTIAL_HEADERS: &[&str] = &["cookie", "authorization", "proxy-authorization"];

/// Headers sigwatch sets itself: a source may not, since they frame the request.
const OWN_HEADERS: &[&str] = &[
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "te",
    "upgrade",
    "if-none-match",
    "if-modified-since",
];

impl fmt::Debug for Headers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.0.iter().map(|(k, v)| {
                let secret = CREDENTIAL_HEADERS.iter().any(|c| k.eq_ignore_ascii_case(c));
                (k, if secret { "(hidden)" } else { v.as_str() })
            }))
            .finish()
    }
}

impl Headers {
    /// The value of header `name`, matched case-insensitively.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

impl SourceConfig {
    /// Whether the source is asked for with anything but a plain GET.
    pub fn has_request_options(&self) -> bool {
        self.method != Method::Get
            || !self.headers.0.is_empty()
            || self.cookie_file.is_some()
            || self.user_agent.is_some()
    }

    /// Checks the request and reading options; the error is the text to find the place by
    /// in the file, and the message.
    pub(super) fn check_request(&self) -> Result<(), (String, String)> {
        let name = &self.name;
        let fail = |needle: &str, message: String| Err((needle.to_string(), message));
        if self.body.is_some() && self.json.is_some() {
            return fail(
                "json",
                format!("source.json: source {name:?} has both body and json; give one"),
            );
        }
        if self.method == Method::Get {
            for (key, set) in [("body", self.body.is_some()), ("json", self.json.is_some())] {
                if set {
                    return fail(
                        key,
                        format!("source.{key}: source {name:?} sends a body, which needs method = \"POST\""),
                    );
                }
            }
        }
        let mut seen = std::collections::HashSet::new();
        for (k, v) in &self.headers.0 {
            let lower = k.to_ascii_lowercase();
            if !seen.insert(lower.clone()) {
                return fail(
                    k,
                    format!("source.headers: source {name:?} names header {k:?} twice"),
                );
            }
            if reqwest::header::HeaderName::from_bytes(k.as_bytes()).is_err() {
                return fail(
                    k,
                    format!("source.headers: {k:?} of source {name:?} is not a header name"),
                );
            }
            if OWN_HEADERS.contains(&lower.as_str()) {
                return fail(
                    k,
                    format!("source.headers: source {name:?} may not set {k:?}; sigwatch sets it itself"),
                );
            }
            if reqwest::header::HeaderValue::from_str(v).is_err() {
                let shown = if CREDENTIAL_HEADERS.contains(&lower.as_str()) {
                    "(hidden)"
                } else {
                    v
                };
                return fail(
                    k,
                    format!(
                        "source.headers: the value of {k:?} of source {name:?} is not a header value (line breaks or control characters): {shown:?}"
                    ),
                );
            }
        }
        if self.cookie_file.is_some() && self.headers.get("cookie").is_some() {
            return fail(
                "cookie_file",
                format!(
                    "source.cookie_file: source {name:?} has both cookie_file and a Cookie header; give one"
                ),
            );
        }
        if let Some(ua) = &self.user_agent
            && reqwest::header::HeaderValue::from_str(ua).is_err()
        {
            return fail(
                "user_agent",
                format!("source.user_agent: of source {name:?} is not a header value"),
            );
        }
        if let Some(label) = &self.encoding
            && encoding_rs::Encoding::for_label(label.trim().as_bytes()).is_none()
        {
            return fail(
                label,
                format!(
                    "source.encoding: {label:?} of source {name:?} is not a known charset (e.g. \"gbk\", \"utf-8\")"
                ),
            );
        }
        if let Some(base) = &self.base {
            match url::Url::parse(base) {
                Ok(u) if matches!(u.scheme(), "http" | "https") => {}
                _ => {
                    return fail(
                        base,
                        format!("source.base: {base:?} of source {name:?} is not an http or https URL"),
                    );
                }
            }
        }
        if self.html_path.is_some() && self.kind != SourceKind::Html {
            return fail(
                "html_path",
                format!(
                    "source.html_path: source {name:?} is not kind = \"html\"; html_path names the HTML inside a JSON answer"
                ),
            );
        }
        match (&self.link_pattern, &self.link_template) {
            (None, None) => {}
            (Some(_), None) | (None, Some(_)) => {
                let (has, lacks) = if self.link_pattern.is_some() {
                    ("link_pattern", "link_template")
                } else {
                    ("link_template", "link_pattern")
                };
                return fail(
                    has,
                    format!("source.{has}: source {name:?} has {has} but no {lacks}; give both"),
                );
            }
            (Some(pattern), Some(template)) => {
                if self.kind == SourceKind::Feed {
                    return fail(
                        "link_template",
                        format!(
                            "source.link_template: source {name:?} is a feed; link templates are for kind = \"html\" and \"json\""
                        ),
                    );
                }
                if let Err(e) = crate::link_template::LinkTemplate::new(pattern, template) {
                    let key = if e.starts_with("link_pattern") {
                        "link_pattern"
                    } else {
                        "link_template"
                    };
                    return fail(key, format!("source.{key}: source {name:?}: {e}"));
                }
            }
        }
        for f in &self.html {
            if self.kind != SourceKind::Json {
                return fail(
                    "html",
                    format!("source.html: source {name:?} is not kind = \"json\""),
                );
            }
            if !matches!(f.as_str(), "title" | "summary") {
                return fail(
                    f,
                    format!(
                        "source.html: {f:?} of source {name:?} is not a field that can hold markup (\"title\", \"summary\")"
                    ),
                );
            }
        }
        Ok(())
    }
}

fn default_follow_limit() -> usize {
    10
}

fn yes() -> bool {
    true
}

impl fmt::Display for SourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SourceKind::Feed => "feed",
            SourceKind::Html => "html",
            SourceKind::Json => "json",
        })
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::config::Config;

    fn err(extra: &str) -> String {
        let text = format!("[[source]]\nname = \"m\"\nurl = \"https://www.mofcom.gov.cn/x\"\n{extra}");
        Config::parse(&text, Path::new("/etc/sw/t.toml"))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    }

    #[test]
    fn request_options_are_checked_and_located() {
        assert_eq!(
            err("method = \"POST\"\nbody = \"a=1\"\nheaders = { Referer = \"https://x/\" }\n"),
            ""
        );
        let e = err("body = \"a=1\"\n");
        assert!(e.contains(":4:") && e.contains("method = \"POST\""), "{e}");
        let e = err("method = \"POST\"\nbody = \"a=1\"\njson = { a = 1 }\n");
        assert!(e.contains("both body and json"), "{e}");
        let e = err("headers = { Host = \"evil\" }\n");
        assert!(e.contains(":4:") && e.contains("sets it itself"), "{e}");
        let e = err("headers = { \"Bad Name\" = \"v\" }\n");
        assert!(e.contains("not a header name"), "{e}");
        let e = err("headers = { Referer = \"a\", referer = \"b\" }\n");
        assert!(e.contains("twice"), "{e}");
        let e = err("encoding = \"klingon\"\n");
        assert!(e.contains("source.encoding") && e.contains(":4:"), "{e}");
        let e = err("html_path = \"data.html\"\n");
        assert!(e.contains("source.html_path"), "{e}");
        let e = err("method = \"PUT\"\n");
        assert!(e.contains(":4:") && e.contains("method"), "{e}");
    }

    #[test]
    fn link_templates_are_checked_and_located() {
        let ok =
            "kind = \"html\"\nitem = \"tr\"\ntitle = \"a\"\nlink_pattern = \"view\\\\('(\\\\d+)'\\\\)\"\n";
        assert_eq!(
            err(&format!("{ok}link_template = \"https://x.test/v/{{1}}\"\n")),
            ""
        );
        let e = err(&format!("{ok}link_template = \"https://{{1}}/v\"\n"));
        assert!(
            e.contains(":8:") && e.contains("source.link_template") && e.contains("host"),
            "{e}"
        );
        let e = err(ok);
        assert!(e.contains(":7:") && e.contains("give both"), "{e}");
        let e = err(
            "kind = \"html\"\nitem = \"tr\"\ntitle = \"a\"\nlink_pattern = \"(\"\nlink_template = \"https://x.test/{0}\"\n",
        );
        assert!(e.contains(":7:") && e.contains("source.link_pattern"), "{e}");
        let e = err("link_pattern = \"(.*)\"\nlink_template = \"https://x.test/{1}\"\n");
        assert!(e.contains("is a feed"), "{e}");
    }

    #[test]
    fn a_cookie_in_a_header_is_never_shown() {
        let e = err("headers = { Cookie = \"sid=SECRET\\u0007\" }\n");
        assert!(e.contains("not a header value") && !e.contains("SECRET"), "{e}");
        let text =
            "[[source]]\nname = \"m\"\nurl = \"https://x.test/\"\nheaders = { Cookie = \"sid=SECRET\" }\n";
        let c = Config::parse(text, Path::new("/t.toml")).unwrap();
        let shown = format!("{:?}", c.sources[0]);
        assert!(!shown.contains("SECRET") && shown.contains("Cookie"), "{shown}");
    }
}
