//! What an analyst needs from an official notice, read out of its text: the document
//! numbers it carries or cites, the bodies that issued it, the date it takes effect, and its
//! attachments. Pure: text in, facts out.
//!
//! Document numbers decide what is one event: official notices share boilerplate, so two
//! items with near-identical text but different numbers (announcements No. 61 and No. 62)
//! are different events, and a Chinese notice and an English report that cite the same
//! number are one. Numbers are normalized to a key that every spelling of one document
//! shares: "商务部公告2026年第61号", "MOFCOM Announcement No. 61 of 2026" and
//! "Announcement [2026] No. 61" are all `announcement:2026:61`.

use std::sync::{LazyLock, OnceLock};

use chrono::{Datelike, NaiveDate};
use regex::Regex;

/// One document number found in a text.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DocNumber {
    /// The normalized number: `announcement:2026:61`, `order:2026:1`, `fr-doc:2024-29084`,
    /// `rin:0694-AJ74`, `eu-reg:2021/821`, or for a Chinese file number its prefix, year and
    /// number (`商贸发:2024:12`).
    pub key: String,
    /// The bodies named as issuing it (`mofcom`, `gacc`, …); empty when the text names none.
    pub issuers: Vec<&'static str>,
}

/// Issuing bodies, by the names and abbreviations texts use, with a short code.
const ISSUERS: &[(&str, &str)] = &[
    ("商务部", "mofcom"),
    ("海关总署", "gacc"),
    ("工业和信息化部", "miit"),
    ("工信部", "miit"),
    ("国家发展和改革委员会", "ndrc"),
    ("国家发展改革委", "ndrc"),
    ("发展改革委", "ndrc"),
    ("国家市场监督管理总局", "samr"),
    ("市场监管总局", "samr"),
    ("国家互联网信息办公室", "cac"),
    ("国家网信办", "cac"),
    ("外交部", "mfa"),
    ("国务院", "state-council"),
    ("财政部", "mof"),
    ("国务院关税税则委员会", "tariff-commission"),
    ("MOFCOM", "mofcom"),
    ("Ministry of Commerce", "mofcom"),
    ("Commerce Ministry", "mofcom"),
    ("GACC", "gacc"),
    ("General Administration of Customs", "gacc"),
    ("MIIT", "miit"),
    ("Ministry of Industry and Information Technology", "miit"),
    ("NDRC", "ndrc"),
    ("SAMR", "samr"),
    ("State Administration for Market Regulation", "samr"),
    ("Cyberspace Administration", "cac"),
    ("Bureau of Industry and Security", "bis"),
    ("BIS", "bis"),
];

/// A name of an issuing body, as a regex alternation (longest first, so that
/// 国务院关税税则委员会 is not read as 国务院).
static ISSUER_ALT: LazyLock<String> = LazyLock::new(|| {
    let mut names: Vec<&str> = ISSUERS.iter().map(|(n, _)| *n).collect();
    names.sort_by_key(|n| std::cmp::Reverse(n.len()));
    names
        .iter()
        .map(|n| regex::escape(n))
        .collect::<Vec<_>>()
        .join("|")
});

fn issuer_code(name: &str) -> Option<&'static str> {
    ISSUERS
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, c)| *c)
}

/// The codes of every issuer named in `s`, in order, once each.
fn issuers_in(s: &str) -> Vec<&'static str> {
    static RE: LazyLock<Regex> = LazyLock::new(|| Regex::new(&ISSUER_ALT).expect("issuer names"));
    let mut out: Vec<&'static str> = Vec::new();
    for m in RE.find_iter(s) {
        if let Some(c) = issuer_code(m.as_str())
            && !out.contains(&c)
        {
            out.push(c);
        }
    }
    out
}

/// Every document number in `text`, once each (by key), in order of appearance.
pub fn doc_numbers(text: &str) -> Vec<DocNumber> {
    // Chinese announcements and orders: 商务部 海关总署公告2026年第61号, 商务部令2026年第1号,
    // 2026年第61号公告. The issuers are the run of names just before 公告/令.
    static CN: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(&format!(
            r"((?:(?:{alt})[\s、，,和与及]*)*)(公告|令)\s*[（(]?\s*(\d{{4}})\s*年\s*[）)]?\s*第\s*(\d+)\s*号|(\d{{4}})\s*年\s*第\s*(\d+)\s*号\s*(公告|令)",
            alt = *ISSUER_ALT
        ))
        .expect("Chinese announcement pattern")
    });
    // Chinese file numbers: 商贸发〔2024〕12号, 国发[2025]3号.
    static CN_FILE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(\p{Han}{1,10})\s*[〔\[［(（]\s*(\d{4})\s*[〕\]］)）]\s*(\d+)\s*号")
            .expect("Chinese file number pattern")
    });
    // English: "Announcement No. 61 of 2026", "Announcement [2026] No. 61",
    // "Order No. 1 of 2026", "Announcement 2026 No. 61". Here and below, word boundaries
    // are ASCII ones (`(?-u:\b)`): at a Unicode one the regex engine's DFA gives up on the
    // first non-ASCII byte and a slower engine takes the rest, and items mix scripts.
    static EN: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?i)(?-u:\b)(announcement|order|decree)\s+(?:no\.?|number|#)\s*(\d+)\s+of\s+(\d{4})(?-u:\b)|(?-u:\b)(announcement|order|decree)\s+[\[(]?(\d{4})[\])]?\s*(?:no\.?|number|#)\s*(\d+)(?-u:\b)",
        )
        .expect("English announcement pattern")
    });
    // Federal Register document numbers and Regulation Identifier Numbers.
    static FR: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)(?-u:\b)(?:FR\s+Doc\.?|document\s+(?:number|no\.?)[:\s]*|federalregister\.gov/d/)\s*(\d{4}-\d{5})(?-u:\b)|(?-u:\b)RIN[:\s]+(\d{4}-[A-Z]{2}\d{2})(?-u:\b)")
            .expect("Federal Register pattern")
    });
    // EU regulations: "Regulation (EU) 2021/821", "Delegated Regulation (EU) 2024/2547",
    // "Council Regulation (EC) No 428/2009".
    static EU: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?-u:\b)(?:Regulation|Decision|Directive)\s*\((?:EU|EC|EU, Euratom)\)\s*(?:No\.?\s*)?(\d+)/(\d+)(?-u:\b)",
        )
        .expect("EU regulation pattern")
    });

    // Each pattern runs only where the words it needs are: a regex's own start costs more than
    // these scans over a short item, and most items name no document.
    let cn = text.contains('号');
    let mut found: Vec<(usize, DocNumber)> = Vec::new();
    for c in run(cn, &CN, text) {
        let (kind, year, number, issuers) = match (c.get(2), c.get(7)) {
            (Some(kind), _) => (
                kind.as_str(),
                &c[3],
                &c[4],
                issuers_in(c.get(1).map_or("", |m| m.as_str())),
            ),
            (None, Some(kind)) => (
                kind.as_str(),
                &c[5],
                &c[6],
                issuers_before(text, c.get(0).map_or(0, |m| m.start())),
            ),
            _ => continue,
        };
        let kind = if kind == "令" { "order" } else { "announcement" };
        let start = c.get(0).map_or(0, |m| m.start());
        found.push((start, number_key(kind, year, number, issuers)));
    }
    for c in run(cn, &CN_FILE, text) {
        let prefix = &c[1];
        // The last few characters before the bracket are the file-number prefix (商贸发),
        // which is all that identifies the series; what comes before is the sentence.
        let prefix: String = prefix
            .chars()
            .rev()
            .take(4)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        let start = c.get(0).map_or(0, |m| m.start());
        found.push((
            start,
            DocNumber {
                key: format!("{prefix}:{}:{}", &c[2], trim_zeros(&c[3])),
                issuers: issuers_in(&prefix),
            },
        ));
    }
    static EN_WORDS: Words = Words::new(&["announcement", "order", "decree"]);
    let en = EN_WORDS.in_text(text);
    for c in run(en, &EN, text) {
        let (kind, year, number) = match c.get(1) {
            Some(k) => (k.as_str(), &c[3], &c[2]),
            None => (c.get(4).map_or("", |m| m.as_str()), &c[5], &c[6]),
        };
        let kind = match kind.to_ascii_lowercase().as_str() {
            "announcement" => "announcement",
            _ => "order",
        };
        let start = c.get(0).map_or(0, |m| m.start());
        found.push((start, number_key(kind, year, number, issuers_before(text, start))));
    }
    // Every Federal Register number and RIN starts with four digits and a hyphen.
    let fr = memchr::memchr_iter(b'-', text.as_bytes())
        .any(|i| i >= 4 && text.as_bytes()[i - 4..i].iter().all(u8::is_ascii_digit));
    for c in run(fr, &FR, text) {
        let start = c.get(0).map_or(0, |m| m.start());
        let key = match (c.get(1), c.get(2)) {
            (Some(d), _) => format!("fr-doc:{}", d.as_str()),
            (None, Some(r)) => format!("rin:{}", r.as_str().to_ascii_uppercase()),
            _ => continue,
        };
        found.push((
            start,
            DocNumber {
                key,
                issuers: Vec::new(),
            },
        ));
    }
    let eu = memchr::memmem::find(text.as_bytes(), b"(E").is_some();
    for c in run(eu, &EU, text) {
        let start = c.get(0).map_or(0, |m| m.start());
        // New style is year/number (2021/821); the old style number/year (428/2009).
        let (a, b) = (&c[1], &c[2]);
        let key = if a.len() == 4 && b.len() != 4 {
            format!("eu-reg:{a}/{}", trim_zeros(b))
        } else if b.len() == 4 && a.len() != 4 {
            format!("eu-reg:{b}/{}", trim_zeros(a))
        } else {
            format!("eu-reg:{a}/{b}")
        };
        found.push((
            start,
            DocNumber {
                key,
                issuers: vec!["eu"],
            },
        ));
    }
    found.sort_by_key(|(start, _)| *start);
    let mut out: Vec<DocNumber> = Vec::new();
    for (_, d) in found {
        match out.iter_mut().find(|o| o.key == d.key) {
            Some(o) => {
                for i in d.issuers {
                    if !o.issuers.contains(&i) {
                        o.issuers.push(i);
                    }
                }
            }
            None => out.push(d),
        }
    }
    out
}

/// The captures of `re` in `text` when `gate` says they may be there; nothing, at no cost,
/// when not (a search even of nothing takes a regex's start-up).
fn run<'t>(gate: bool, re: &'static Regex, text: &'t str) -> impl Iterator<Item = regex::Captures<'t>> {
    gate.then(|| re.captures_iter(text)).into_iter().flatten()
}

/// Words whose presence a pattern needs, checked before it runs.
struct Words {
    words: &'static [&'static str],
    finders: OnceLock<Vec<memchr::memmem::Finder<'static>>>,
}

impl Words {
    /// `words` in lower-case ASCII.
    const fn new(words: &'static [&'static str]) -> Self {
        Words {
            words,
            finders: OnceLock::new(),
        }
    }

    /// Whether `text` holds any of the words, in any ASCII case. One lower-cased copy and a
    /// vectorized search a word beat comparing at each place a word's first letter is:
    /// those letters are the commonest.
    fn in_text(&self, text: &str) -> bool {
        let finders = self
            .finders
            .get_or_init(|| self.words.iter().map(memchr::memmem::Finder::new).collect());
        // The copy goes into a buffer the thread keeps: each item with hits is checked three
        // times, and an allocation each time costs more than the search.
        thread_local!(static LOWER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) });
        LOWER.with_borrow_mut(|lower| {
            lower.clear();
            lower.extend(text.bytes().map(|b| b.to_ascii_lowercase()));
            let found = finders.iter().any(|f| f.find(lower).is_some());
            // A long text's buffer is not kept.
            if lower.capacity() > 64 * 1024 {
                *lower = Vec::new();
            }
            found
        })
    }
}

static HREF_WORD: Words = Words::new(&["href"]);

fn number_key(kind: &str, year: &str, number: &str, issuers: Vec<&'static str>) -> DocNumber {
    DocNumber {
        key: format!("{kind}:{year}:{}", trim_zeros(number)),
        issuers,
    }
}

fn trim_zeros(n: &str) -> &str {
    let t = n.trim_start_matches('0');
    if t.is_empty() { "0" } else { t }
}

/// The issuers named in the few words before `at` ("MOFCOM Announcement No. 61", "the
/// Ministry of Commerce and the General Administration of Customs issued Announcement …").
fn issuers_before(text: &str, at: usize) -> Vec<&'static str> {
    let mut from = at.saturating_sub(120);
    while !text.is_char_boundary(from) {
        from += 1;
    }
    issuers_in(&text[from..at])
}

/// The document numbers of an item with hits: its title's first, then those its text's
/// opening cites. Notices carry their number at the top and reports cite it early; reading
/// no further keeps a long item's cost bounded.
pub fn item_numbers(title: &str, text: &str) -> Vec<DocNumber> {
    const OPENING: usize = 4096;
    let mut end = text.len().min(OPENING);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let mut out = doc_numbers(title);
    for d in doc_numbers(&text[..end]) {
        if !out.iter().any(|o| o.key == d.key) {
            out.push(d);
        }
    }
    out
}

/// Whether two items' document numbers say they are one event, different events, or
/// nothing either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Identity {
    /// They share a number (and no issuer rules it out): the same document.
    Same,
    /// Both carry numbers of one kind and none is shared: different documents, never folded.
    Different,
    /// At least one carries none of the other's kinds: the numbers say nothing.
    Unknown,
}

/// Compares the document numbers of two items.
pub fn identity(a: &[DocNumber], b: &[DocNumber]) -> Identity {
    let compatible = |x: &DocNumber, y: &DocNumber| {
        x.key == y.key
            && (x.issuers.is_empty()
                || y.issuers.is_empty()
                || x.issuers.iter().any(|i| y.issuers.contains(i)))
    };
    if a.iter().any(|x| b.iter().any(|y| compatible(x, y))) {
        return Identity::Same;
    }
    let kind = |d: &DocNumber| d.key.split(':').next().unwrap_or("").to_string();
    if a.iter().any(|x| b.iter().any(|y| kind(x) == kind(y))) {
        Identity::Different
    } else {
        Identity::Unknown
    }
}

/// When a notice takes effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "date")]
pub enum Effective {
    /// On a stated date.
    On(NaiveDate),
    /// On publication ("自公布之日起施行", "effective immediately").
    OnPublication,
}

impl Effective {
    /// As stored with an item: the date (`2026-12-01`), or `on-publication`.
    pub fn stored(self) -> String {
        match self {
            Effective::On(d) => d.format("%Y-%m-%d").to_string(),
            Effective::OnPublication => "on-publication".into(),
        }
    }

    /// Reads what [`Effective::stored`] wrote.
    pub fn from_stored(s: &str) -> Option<Self> {
        match s {
            "on-publication" => Some(Effective::OnPublication),
            d => NaiveDate::parse_from_str(d, "%Y-%m-%d").ok().map(Effective::On),
        }
    }
}

impl std::fmt::Display for Effective {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Effective::On(d) => write!(f, "{}", d.format("%Y-%m-%d")),
            Effective::OnPublication => f.write_str("on publication"),
        }
    }
}

/// What an item says of itself as a notice, as stored with it at poll time: the date it
/// takes effect and the links to its attachments (its document numbers and their issuers
/// are stored beside, see [`encode`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    pub effective: Option<Effective>,
    pub attachments: Vec<String>,
}

impl Facts {
    /// As stored with an item (JSON: `effective`, `attachments`).
    pub fn stored(&self) -> String {
        // A struct, not `json!`: a map of values would copy every attachment first.
        #[derive(serde::Serialize)]
        struct Stored<'a> {
            effective: Option<String>,
            attachments: &'a [String],
        }
        let stored = Stored {
            effective: self.effective.map(Effective::stored),
            attachments: &self.attachments,
        };
        // Strings and an option of one cannot fail to serialize.
        serde_json::to_string(&stored).unwrap_or_default()
    }

    /// Reads what [`Facts::stored`] wrote; anything else reads as no facts.
    pub fn from_stored(s: &str) -> Self {
        let v: serde_json::Value = serde_json::from_str(s).unwrap_or_default();
        Facts {
            effective: v["effective"].as_str().and_then(Effective::from_stored),
            attachments: v["attachments"]
                .as_array()
                .map(|a| a.iter().filter_map(|x| x.as_str().map(String::from)).collect())
                .unwrap_or_default(),
        }
    }
}

/// The most attachments kept per item: a page linking hundreds of files is a file index,
/// not a notice, and a row must stay small.
pub const MAX_ATTACHMENTS: usize = 20;

/// The facts of an item: `title` and `text` (plain) for the effective date, `html` (its
/// summary as fetched) for attachment links resolved against `link`; `published` dates a
/// day without a year. Reads the opening of a long text only, where notices say it.
pub fn facts(title: &str, text: &str, html: &str, link: Option<&str>, published: Option<NaiveDate>) -> Facts {
    const OPENING: usize = 16 * 1024;
    fn cut(s: &str, n: usize) -> &str {
        let mut end = s.len().min(n);
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        &s[..end]
    }
    // Markup is several times its text, and attachment lists come at a notice's end.
    let html = cut(html, OPENING * 16);
    // Most items link nothing: the link is parsed only for one that does.
    let mut attachments = if HREF_WORD.in_text(html) {
        attachments(html, link.and_then(|l| url::Url::parse(l).ok()).as_ref())
    } else {
        Vec::new()
    };
    attachments.truncate(MAX_ATTACHMENTS);
    Facts {
        // The title first: the earliest date a text names is the one it means. Read apart,
        // not joined, so that no copy of a notice's opening is made for it.
        effective: effective_date(title, published).or_else(|| effective_date(cut(text, OPENING), published)),
        attachments,
    }
}

/// The date a notice says it takes effect, if it says. A date without a year takes the year
/// of `published` (the notice's own date), moved on a year when that would put it more than
/// half a year before publication.
pub fn effective_date(text: &str, published: Option<NaiveDate>) -> Option<Effective> {
    static CN: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"自\s*(?:(\d{4})\s*年\s*)?(\d{1,2})\s*月\s*(\d{1,2})\s*日\s*起\s*(?:正式)?\s*(?:施行|实施|执行|生效)")
            .expect("Chinese effective-date pattern")
    });
    static CN_PUB: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"自\s*(?:公布|发布|印发)\s*之\s*日\s*起\s*(?:正式)?\s*(?:施行|实施|执行|生效)")
            .expect("on publication")
    });
    static EN: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?i)(?-u:\b)(?:effective|takes?\s+effect|taking\s+effect|(?:comes?|enters?)\s+into\s+force|will\s+be\s+implemented|starting)\s+(?:on|from|as\s+of)?\s*(?:(\d{1,2})\s+([a-z]{3,9})\.?|([a-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?)(?:,?\s+(\d{4}))?",
        )
        .expect("English effective-date pattern")
    });
    static EN_NOW: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)(?-u:\b)(?:effective|takes?\s+effect|in\s+force)\s+(?:immediately|upon\s+publication|on\s+(?:the\s+date\s+of\s+)?publication)")
            .expect("English on-publication pattern")
    });
    let resolve = |year: Option<i32>, month: u32, day: u32| -> Option<NaiveDate> {
        match year {
            Some(y) => NaiveDate::from_ymd_opt(y, month, day),
            None => {
                let p = published?;
                let d = NaiveDate::from_ymd_opt(p.year(), month, day)?;
                if (p - d).num_days() > 183 {
                    NaiveDate::from_ymd_opt(p.year() + 1, month, day)
                } else {
                    Some(d)
                }
            }
        }
    };
    let mut best: Option<(usize, Effective)> = None;
    let mut keep = |at: usize, e: Option<Effective>| {
        if let Some(e) = e
            && best.is_none_or(|(b, _)| at < b)
        {
            best = Some((at, e));
        }
    };
    // As in `doc_numbers`, each pattern runs only where the words it needs are.
    let cn = text.contains('自') && text.contains('起');
    static EN_WORDS: Words = Words::new(&["effect", "force", "implemented", "starting"]);
    let en = EN_WORDS.in_text(text);
    for c in run(cn, &CN, text) {
        let year = c.get(1).and_then(|y| y.as_str().parse().ok());
        let (Ok(m), Ok(d)) = (c[2].parse(), c[3].parse()) else {
            continue;
        };
        keep(
            c.get(0).map_or(0, |m| m.start()),
            resolve(year, m, d).map(Effective::On),
        );
    }
    if let Some(m) = cn.then(|| CN_PUB.find(text)).flatten() {
        keep(m.start(), Some(Effective::OnPublication));
    }
    for c in run(en, &EN, text) {
        let (day, month) = match (c.get(1), c.get(2), c.get(3), c.get(4)) {
            (Some(d), Some(m), _, _) => (d.as_str(), m.as_str()),
            (_, _, Some(m), Some(d)) => (d.as_str(), m.as_str()),
            _ => continue,
        };
        let (Some(month), Ok(day)) = (month_number(month), day.parse()) else {
            continue;
        };
        let year = c.get(5).and_then(|y| y.as_str().parse().ok());
        keep(
            c.get(0).map_or(0, |m| m.start()),
            resolve(year, month, day).map(Effective::On),
        );
    }
    if let Some(m) = en.then(|| EN_NOW.find(text)).flatten() {
        keep(m.start(), Some(Effective::OnPublication));
    }
    best.map(|(_, e)| e)
}

fn month_number(name: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let lower = name.to_ascii_lowercase();
    let short = lower.get(..3)?;
    let n = MONTHS.iter().position(|m| *m == short)?;
    // "Sept", "June" and full names pass; words that only start like a month do not.
    const FULL: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    (lower.len() == 3 || FULL[n].starts_with(&lower) || lower == "sept").then_some(n as u32 + 1)
}

/// File types that official notices attach: lists of controlled items, forms, annexes.
const ATTACHMENT_TYPES: &[&str] = &[
    "pdf", "doc", "docx", "xls", "xlsx", "wps", "et", "ofd", "zip", "rar", "7z", "csv", "odt", "ods",
];

/// The links of an item's HTML that point at attachments (PDF, DOC, XLS, …), resolved
/// against `base`, http(s) only, once each.
pub fn attachments(html: &str, base: Option<&url::Url>) -> Vec<String> {
    static HREF: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#"(?i)(?-u:\b)href\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))"#).expect("href pattern")
    });
    let mut out: Vec<String> = Vec::new();
    for c in run(HREF_WORD.in_text(html), &HREF, html) {
        let Some(raw) = c.get(1).or(c.get(2)).or(c.get(3)) else {
            continue;
        };
        let raw = html_escape::decode_html_entities(raw.as_str().trim());
        let resolved = match base {
            Some(b) => b.join(&raw).ok(),
            None => url::Url::parse(&raw).ok(),
        };
        let Some(u) = resolved.filter(|u| matches!(u.scheme(), "http" | "https")) else {
            continue;
        };
        let ext = u
            .path()
            .rsplit('/')
            .next()
            .and_then(|f| f.rsplit_once('.'))
            .map(|(_, e)| e.to_ascii_lowercase());
        if ext.is_some_and(|e| ATTACHMENT_TYPES.contains(&e.as_str())) && !out.contains(&u.to_string()) {
            out.push(u.to_string());
        }
    }
    out
}

/// Document numbers as one line for storage: each key, with `@` and its issuers joined by
/// `+` when it has any, separated by spaces (keys and issuer codes hold none of these).
pub fn encode(numbers: &[DocNumber]) -> String {
    let mut out = String::new();
    for d in numbers {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&d.key.replace([' ', '@'], "_"));
        if !d.issuers.is_empty() {
            out.push('@');
            out.push_str(&d.issuers.join("+"));
        }
    }
    out
}

/// Reads what [`encode`] wrote; issuer codes this sigwatch does not know are left out.
pub fn decode(line: &str) -> Vec<DocNumber> {
    line.split(' ')
        .filter(|w| !w.is_empty())
        .map(|w| {
            let (key, issuers) = w.split_once('@').unwrap_or((w, ""));
            DocNumber {
                key: key.to_string(),
                issuers: issuers
                    .split('+')
                    .filter_map(|c| ISSUERS.iter().find(|(_, code)| *code == c).map(|(_, code)| *code))
                    .collect(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests;
