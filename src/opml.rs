//! OPML 2.0 subscription lists in and out: `sources import` turns a feed reader's export into
//! `[[source]]` tables appended to the config file; `sources export` writes the config's feeds
//! as OPML for other readers.
//!
//! An OPML file is someone else's document, so nothing of it reaches the config unescaped:
//! values are written as TOML strings, the file's name goes into a comment with every control
//! and line-breaking character escaped, and a feed on this machine or a private network (a
//! literal address the fetch guard calls non-public, `localhost`, or a name that only a local
//! resolver answers) is refused unless the import is told `--allow-local`.

use std::collections::HashSet;

use crate::config::{Config, SourceConfig, SourceKind};

#[derive(Debug, thiserror::Error)]
pub enum OpmlError {
    #[error("not an OPML document: {0}")]
    Parse(String),
    #[error("cannot write OPML: {0}")]
    Write(String),
}

/// One feed found in an OPML file, ready to become a `[[source]]` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imported {
    pub name: String,
    pub url: String,
    pub lang: Option<String>,
    pub tags: Vec<String>,
    /// The URL is not public and the import allowed it: the source gets `allow_local = true`.
    pub allow_local: bool,
}

/// What an import found, feed by feed.
#[derive(Debug, Default)]
pub struct Import {
    /// Feeds not yet in the config, with names unique within it.
    pub added: Vec<Imported>,
    /// URLs the config already polls.
    pub present: Vec<String>,
    /// Outlines with a feed URL that is not http(s), or not public without `allow_local`,
    /// and why.
    pub refused: Vec<(String, String)>,
}

/// Reads an OPML document and sorts its feeds into new ones and ones `cfg` already has
/// (by URL). Folder outlines and `category` become tags. Feeds whose URL is not public are
/// refused unless `allow_local`.
pub fn import(text: &str, cfg: &Config, allow_local: bool) -> Result<Import, OpmlError> {
    let doc = opml::OPML::from_str(text).map_err(|e| OpmlError::Parse(e.to_string()))?;
    let mut found = Vec::new();
    walk(&doc.body.outlines, &mut Vec::new(), &mut found);
    let mut urls: HashSet<String> = cfg.sources.iter().map(|s| s.url.trim().to_string()).collect();
    let mut names: HashSet<String> = cfg.sources.iter().map(|s| s.name.clone()).collect();
    let mut out = Import::default();
    for (o, folders) in found {
        let raw = o.xml_url.as_deref().unwrap_or_default().trim().to_string();
        // The parsed form is what is written: the parser drops tabs and line breaks that the
        // attribute may carry.
        let (url, local) = match url::Url::parse(&raw) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => (u.as_str().to_string(), !is_public_url(&u)),
            Ok(u) => {
                out.refused
                    .push((raw.clone(), format!("scheme {:?} is not http(s)", u.scheme())));
                continue;
            }
            Err(e) => {
                out.refused.push((raw.clone(), e.to_string()));
                continue;
            }
        };
        if urls.contains(&raw) || !urls.insert(url.clone()) {
            out.present.push(url);
            continue;
        }
        if local && !allow_local {
            out.refused.push((
                url,
                "not a public address (this machine or a private network); pass --allow-local to import it"
                    .into(),
            ));
            continue;
        }
        let label = [o.title.as_deref(), Some(o.text.as_str())]
            .into_iter()
            .flatten()
            .find(|t| !t.trim().is_empty())
            .unwrap_or_default();
        let name = unique(slug(label, &url), &mut names);
        let mut tags: Vec<String> = folders.iter().map(|f| tag(f)).collect();
        for c in o.category.as_deref().unwrap_or_default().split(',') {
            for part in c.split('/') {
                tags.push(tag(part));
            }
        }
        tags.retain(|t| !t.is_empty());
        let mut seen = HashSet::new();
        tags.retain(|t| seen.insert(t.clone()));
        out.added.push(Imported {
            name,
            url,
            lang: o
                .language
                .as_deref()
                .map(|l| l.chars().filter(|c| !c.is_control()).collect::<String>())
                .filter(|l| !l.trim().is_empty()),
            tags,
            allow_local: local,
        });
    }
    Ok(out)
}

/// Collects outlines that carry a feed URL, each with the folder names above it.
fn walk<'a>(
    outlines: &'a [opml::Outline],
    folders: &mut Vec<String>,
    out: &mut Vec<(&'a opml::Outline, Vec<String>)>,
) {
    for o in outlines {
        if o.xml_url.is_some() {
            out.push((o, folders.clone()));
        }
        if !o.outlines.is_empty() {
            folders.push(o.title.clone().unwrap_or_else(|| o.text.clone()));
            walk(&o.outlines, folders, out);
            folders.pop();
        }
    }
}

/// A short command-line name from a feed's title: lower case, words joined by `-`; the URL's
/// host when the title gives nothing.
fn slug(title: &str, url: &str) -> String {
    let mut s = String::new();
    for c in title.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            s.push(c);
        } else if !s.is_empty() && !s.ends_with('-') {
            s.push('-');
        }
        if s.chars().count() >= 40 {
            break;
        }
    }
    let s = s.trim_matches('-').to_string();
    if !s.is_empty() {
        return s;
    }
    url::Url::parse(url)
        .ok()
        .and_then(|u| {
            u.host_str()
                .map(|h| h.trim_start_matches("www.").replace('.', "-"))
        })
        .unwrap_or_else(|| "feed".into())
}

fn tag(folder: &str) -> String {
    folder
        .split_whitespace()
        .collect::<Vec<_>>()
        .join("-")
        .to_lowercase()
        .chars()
        .filter(|c| !c.is_control())
        .collect()
}

/// Whether a feed URL is on the public internet, judged without DNS: literal addresses as the
/// fetch guard judges them, and names by form (see [`is_local_name`]). A public-looking name
/// that resolves to a private address is still refused by the guard at fetch time.
fn is_public_url(u: &url::Url) -> bool {
    match u.host() {
        Some(url::Host::Ipv4(ip)) => crate::source::is_public(ip.into()),
        Some(url::Host::Ipv6(ip)) => crate::source::is_public(ip.into()),
        Some(url::Host::Domain(d)) => !is_local_name(d),
        None => false,
    }
}

/// Names that only this machine or a private network's resolver answers: `localhost` and
/// its subdomains, single-label names (`intranet`, a container's name), and the special-use
/// and customary private suffixes (RFC 6761, RFC 6762, RFC 8375, ICANN's `.internal`).
fn is_local_name(name: &str) -> bool {
    const LOCAL_SUFFIXES: &[&str] = &[
        "localhost",
        "local",
        "internal",
        "home.arpa",
        "lan",
        "localdomain",
        "intranet",
        "corp",
        "home",
        "private",
    ];
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    !name.contains('.')
        || LOCAL_SUFFIXES.iter().any(|s| {
            name.strip_suffix(s)
                .is_some_and(|rest| rest.is_empty() || rest.ends_with('.'))
        })
}

/// `s` for a TOML comment: a comment ends at a line break, so control characters (line
/// breaks among them) and the Unicode line and paragraph separators are written as escapes.
fn comment_text(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

fn unique(base: String, names: &mut HashSet<String>) -> String {
    let mut name = base.clone();
    let mut n = 2;
    while !names.insert(name.clone()) {
        name = format!("{base}-{n}");
        n += 1;
    }
    name
}

/// The `[[source]]` tables for imported feeds, as TOML text to append to a config file.
pub fn to_toml(feeds: &[Imported], origin: &str) -> String {
    let q = |s: &str| toml::Value::String(s.to_string()).to_string();
    let mut out = format!(
        "\n# Imported from {} by `sigwatch sources import`.\n",
        comment_text(origin)
    );
    for f in feeds {
        out += &format!("\n[[source]]\nname = {}\nurl = {}\n", q(&f.name), q(&f.url));
        if let Some(l) = &f.lang {
            out += &format!("lang = {}\n", q(l));
        }
        if !f.tags.is_empty() {
            let tags: Vec<String> = f.tags.iter().map(|t| q(t)).collect();
            out += &format!("tags = [{}]\n", tags.join(", "));
        }
        if f.allow_local {
            out += "allow_local = true\n";
        }
    }
    out
}

/// The config's feed sources (plain feeds and RSSHub routes) as an OPML 2.0 document. html
/// and json sources, and feeds asked for with a POST, headers or a cookie, are not feeds other
/// readers could poll; they are counted in the second value and left out.
pub fn export(cfg: &Config, now: chrono::DateTime<chrono::Utc>) -> Result<(String, usize), OpmlError> {
    let mut doc = opml::OPML {
        head: Some(opml::Head {
            title: Some("sigwatch sources".into()),
            date_created: Some(now.to_rfc2822()),
            docs: Some("https://opml.org/spec2.opml".into()),
            ..Default::default()
        }),
        ..Default::default()
    };
    // A feed reader asks with a plain GET: a feed that needs a POST, headers or a cookie
    // would not answer it, so it is left out like the html and json sources.
    let (feeds, other): (Vec<&SourceConfig>, Vec<&SourceConfig>) = cfg
        .sources
        .iter()
        .partition(|s| s.kind == SourceKind::Feed && !s.has_request_options());
    for s in feeds {
        doc.body.outlines.push(opml::Outline {
            text: s.name.clone(),
            title: Some(s.name.clone()),
            r#type: Some("rss".into()),
            xml_url: Some(s.url.clone()),
            language: s.lang.clone(),
            category: (!s.tags.is_empty()).then(|| s.tags.join(",")),
            ..Default::default()
        });
    }
    let xml = doc.to_string().map_err(|e| OpmlError::Write(e.to_string()))?;
    Ok((
        format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{xml}\n"),
        other.len(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn cfg(text: &str) -> Config {
        Config::parse(text, Path::new("/tmp/sigwatch.toml")).unwrap()
    }

    const READER_EXPORT: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0"><head><title>My feeds</title></head><body>
  <outline text="China state media">
    <outline text="CGTN China" title="CGTN China" type="rss" xmlUrl="https://www.cgtn.com/subscribe/rss/section/china.xml" language="en"/>
    <outline text="新华网 时政" type="rss" xmlUrl="http://www.xinhuanet.com/politics/news_politics.xml" category="/cn/politics"/>
  </outline>
  <outline text="Already here" type="rss" xmlUrl="https://example.org/feed"/>
  <outline text="CGTN China" type="rss" xmlUrl="https://www.cgtn.com/subscribe/rss/section/business.xml"/>
  <outline text="A podcast" type="rss" xmlUrl="ftp://example.org/x.xml"/>
  <outline text="Just a link" type="link" url="https://example.org/"/>
</body></opml>"#;

    #[test]
    fn import_names_tags_and_skips_what_is_present() {
        let c = cfg("[[source]]\nname = \"ex\"\nurl = \"https://example.org/feed\"\n");
        let got = import(READER_EXPORT, &c, false).unwrap();
        let names: Vec<&str> = got.added.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["cgtn-china", "新华网-时政", "cgtn-china-2"]);
        assert_eq!(got.added[0].tags, ["china-state-media"]);
        assert_eq!(got.added[0].lang.as_deref(), Some("en"));
        assert_eq!(got.added[1].tags, ["china-state-media", "cn", "politics"]);
        assert_eq!(got.present, ["https://example.org/feed"]);
        assert_eq!(got.refused.len(), 1);
        // The TOML appended to a config parses, with every feed in it.
        let text = format!(
            "[[source]]\nname = \"ex\"\nurl = \"https://example.org/feed\"\n{}",
            to_toml(&got.added, "feeds.opml")
        );
        let after = cfg(&text);
        assert_eq!(after.sources.len(), 4);
        assert_eq!(after.sources[2].name, "新华网-时政");
    }

    #[test]
    fn export_then_import_gives_the_same_feeds() {
        let c = cfg(
            "[[source]]\nname = \"a\"\nurl = \"https://a.example/rss\"\nlang = \"zh\"\ntags = [\"cn\", \"state-media\"]\n\
             [[source]]\nname = \"page\"\nkind = \"html\"\nurl = \"https://b.example/list\"\nitem = \"li\"\ntitle = \"a\"\n\
             [[source]]\nname = \"posted\"\nurl = \"https://c.example/rss\"\nmethod = \"POST\"\nbody = \"a=1\"\n",
        );
        let (xml, skipped) = export(&c, chrono::Utc::now()).unwrap();
        assert_eq!(skipped, 2);
        assert!(!xml.contains("c.example"), "{xml}");
        assert!(
            xml.starts_with("<?xml") && xml.contains("version=\"2.0\""),
            "{xml}"
        );
        let back = import(&xml, &cfg(""), false).unwrap();
        assert_eq!(
            back.added,
            [Imported {
                name: "a".into(),
                url: "https://a.example/rss".into(),
                lang: Some("zh".into()),
                tags: vec!["cn".into(), "state-media".into()],
                allow_local: false,
            }]
        );
    }

    #[test]
    fn local_feeds_are_refused_unless_allowed() {
        let doc = |url: &str| {
            format!("<opml version=\"2.0\"><body><outline text=\"x\" xmlUrl=\"{url}\"/></body></opml>")
        };
        for url in [
            "http://127.0.0.1:1200/feed",
            "http://[::1]/feed",
            "http://10.0.0.5/rss",
            "http://192.168.1.1/rss",
            "http://169.254.169.254/latest/meta-data/",
            "http://0x7f000001/feed",
            "http://localhost:1200/feed",
            "http://LOCALHOST./feed",
            "http://rss.localhost/feed",
            "http://intranet/feed",
            "http://nas.local/feed",
            "http://wiki.corp.internal/feed",
            "http://router.home.arpa/feed",
        ] {
            let got = import(&doc(url), &cfg(""), false).unwrap();
            assert!(got.added.is_empty(), "{url} was imported");
            assert!(
                got.refused[0].1.contains("--allow-local"),
                "{url}: {:?}",
                got.refused
            );
            let got = import(&doc(url), &cfg(""), true).unwrap();
            assert!(got.added[0].allow_local, "{url}");
            assert!(to_toml(&got.added, "f").contains("allow_local = true"), "{url}");
        }
        for url in [
            "https://www.mofcom.gov.cn/rss",
            "http://8.8.8.8/feed",
            "https://local.example.com/feed",
            "https://corp.example/feed",
        ] {
            let got = import(&doc(url), &cfg(""), false).unwrap();
            assert_eq!(got.added.len(), 1, "{url} refused: {:?}", got.refused);
            assert!(!got.added[0].allow_local, "{url}");
        }
    }

    /// Regression: a file name with line breaks wrote TOML of its own (an `[smtp]` table)
    /// through the `# Imported from` comment.
    #[test]
    fn hostile_names_titles_and_urls_add_exactly_the_feeds() {
        let doc = r#"<opml version="2.0"><body>
<outline text="a&#10;[smtp]&#10;host = &quot;evil.example&quot;&#10;" category="x&#10;[digest]&#13;&#10;to = [&quot;x@evil.example&quot;],'''&quot;&quot;&quot;" language="en&#10;[rsshub]"
 xmlUrl="https://feeds.example.com/a?q=&quot;&#10;[smtp]&#10;host=&quot;evil&quot;"/>
<outline text="&quot;&quot;&quot; ''' \ b" xmlUrl="https://feeds.example.com/b"/>
</body></opml>"#;
        let got = import(doc, &cfg(""), false).unwrap();
        let origin = "x.opml\n[smtp]\nhost = \"evil.example\"\r\n\u{2028}[fetch]\u{0}\u{1b}]0;t\u{7}";
        let text = to_toml(&got.added, origin);
        let parsed: toml::Table = toml::from_str(&text).unwrap();
        assert_eq!(parsed.keys().collect::<Vec<_>>(), ["source"], "{text}");
        let sources = parsed["source"].as_array().unwrap();
        assert_eq!(sources.len(), 2, "{text}");
        let keys = |i: usize| sources[i].as_table().unwrap().keys().cloned().collect::<Vec<_>>();
        assert_eq!(keys(0), ["lang", "name", "tags", "url"], "{text}");
        assert_eq!(keys(1), ["name", "url"], "{text}");
        assert_eq!(sources[0]["name"].as_str(), Some("a-smtp-host-evil-example"));
        assert_eq!(
            sources[0]["url"].as_str(),
            Some("https://feeds.example.com/a?q=%22[smtp]host=%22evil%22")
        );
        assert_eq!(sources[0]["lang"].as_str(), Some("en[rsshub]"));
        let tags: Vec<&str> = sources[0]["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap())
            .collect();
        assert_eq!(tags, ["x-[digest]-to-=-[\"x@evil.example\"]", "'''\"\"\""]);
        assert_eq!(sources[1]["url"].as_str(), Some("https://feeds.example.com/b"));
        // The comment is one line, its breaks escaped.
        let comment: Vec<&str> = text.lines().filter(|l| l.contains("Imported from")).collect();
        assert_eq!(comment.len(), 1, "{text}");
        assert!(comment[0].contains(r"\u{a}[smtp]"), "{}", comment[0]);
        // And the whole loads as a config with exactly these sources.
        let c = cfg(&text);
        assert!(c.smtp.is_none() && c.rsshub.is_none() && c.digest.to.is_empty());
        assert_eq!(c.sources.len(), 2);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for bad in ["", "<html></html>", "<opml version=\"2.0\"><body>", "\u{0}\u{1}"] {
            assert!(import(bad, &cfg(""), false).is_err(), "{bad:?}");
        }
    }
}
