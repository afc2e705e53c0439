//! Regional vocabulary: a term written in mainland Chinese also finds the Taiwan, Hong Kong
//! (and, for a few terms, Japanese) phrase for the same thing: 集成电路 finds 積體電路,
//! 芯片 finds 晶片, 光刻 finds 微影, 稀土 finds レアアース.
//!
//! Character folding (traditional to simplified, in `normalize`) cannot do this: the regional
//! phrase is a different word, often of another length. Folding the text phrase by phrase
//! would need a second pass over every item and would move offsets; instead each term is
//! expanded, once when the watchlists are compiled, into the regional forms of the phrases it
//! contains, so the text is searched as it stands and offsets into it stay exact.
//!
//! The tables are OpenCC's `TWPhrasesRev` and `HKPhrasesRev` (Apache-2.0, see
//! `opencc/README.md`), read in reverse (mainland phrase to regional phrases), plus a short
//! list of our own for what OpenCC lacks. Terms are only ever expanded from mainland to
//! regional forms, never folded the other way: OpenCC maps 資料 to 數據, but a mainland term
//! 资料 ("materials") must not start matching 数据 ("data").

use std::collections::HashMap;
use std::sync::LazyLock;

use super::normalize::normalize;

/// Phrases OpenCC's tables lack, as (regional, mainland).
const OURS: &[(&str, &str)] = &[
    ("微影", "光刻"),
    ("微影機", "光刻机"),
    ("晶圓代工", "晶圆代工"),
    ("レアアース", "稀土"),
    ("希土類", "稀土"),
    ("輸出規制", "出口管制"),
    ("輸出管理", "出口管制"),
    ("人工知能", "人工智能"),
    ("黒鉛", "石墨"),
    ("太陽電池", "太阳能电池"),
    ("集積回路", "集成电路"),
];

/// A term expands into at most this many needles, so a term made of many table phrases
/// cannot multiply the automaton.
const MAX_VARIANTS: usize = 16;

struct Table {
    /// Mainland phrase (normalized) to its regional forms (normalized).
    regional: HashMap<String, Vec<String>>,
    /// The longest mainland phrase, in chars.
    longest: usize,
}

static TABLE: LazyLock<Table> = LazyLock::new(|| {
    let mut regional: HashMap<String, Vec<String>> = HashMap::new();
    let opencc = [
        include_str!("opencc/TWPhrasesRev.txt"),
        include_str!("opencc/HKPhrasesRev.txt"),
    ];
    let lines = opencc
        .iter()
        .flat_map(|t| t.lines())
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('\t'));
    let pairs = lines
        .flat_map(|(from, to)| to.split(' ').map(move |m| (from, m)))
        .chain(OURS.iter().copied());
    for (from, to) in pairs {
        let (from, to) = (normalize(from, true).text, normalize(to, true).text);
        if from.is_empty() || to.is_empty() || from == to {
            continue;
        }
        let forms = regional.entry(to).or_default();
        if !forms.contains(&from) {
            forms.push(from);
        }
    }
    let longest = regional.keys().map(|k| k.chars().count()).max().unwrap_or(0);
    Table { regional, longest }
});

/// `needle` (a normalized term) and its regional forms, `needle` first.
pub fn variants(needle: &str) -> Vec<String> {
    let mut out = vec![needle.to_string()];
    // Every phrase in the tables holds a Chinese or Japanese char; most terms are Latin.
    if !needle.chars().any(super::terms::is_cjk) {
        return out;
    }
    let t = &*TABLE;
    let starts: Vec<usize> = needle
        .char_indices()
        .map(|(i, _)| i)
        .chain([needle.len()])
        .collect();
    let mut i = 0;
    while i + 1 < starts.len() {
        // The longest phrase of the table starting here.
        let found = (2..=t.longest.min(starts.len() - 1 - i)).rev().find_map(|n| {
            let phrase = &needle[starts[i]..starts[i + n]];
            t.regional.get(phrase).map(|forms| (n, phrase, forms))
        });
        let Some((n, phrase, forms)) = found else {
            i += 1;
            continue;
        };
        let mut more = Vec::new();
        for v in &out {
            for f in forms {
                if out.len() + more.len() >= MAX_VARIANTS {
                    break;
                }
                // Replace this occurrence: in `v` it sits at the same place counted from
                // the end, since replacements only happen before it.
                let from_end = needle.len() - starts[i];
                let at = v.len() - from_end;
                more.push(format!("{}{}{}", &v[..at], f, &v[at + phrase.len()..]));
            }
        }
        out.extend(more);
        i += n;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Vec<String> {
        variants(&normalize(s, true).text)
    }

    #[test]
    fn mainland_terms_gain_the_regional_phrases() {
        assert_eq!(v("集成电路")[..2], ["集成电路", "积体电路"]);
        assert!(v("芯片").contains(&"晶片".to_string()));
        assert!(v("光刻").contains(&"微影".to_string()));
        assert!(v("稀土").contains(&"レアアース".to_string()));
        assert!(v("出口管制").contains(&"输出管理".to_string()));
        // Inside a longer term, and two phrases in one term.
        assert!(v("存储芯片").contains(&"存储晶片".to_string()));
        assert!(v("芯片光刻").contains(&"晶片微影".to_string()));
        assert_eq!(v("rare earth"), ["rare earth"]);
    }

    #[test]
    fn never_folds_regional_words_back() {
        // OpenCC maps 資料 to 數據; a term 资料 keeps its own meaning.
        assert_eq!(v("资料"), ["资料"]);
        assert_eq!(v("晶片"), ["晶片"]);
    }

    #[test]
    fn variants_are_bounded() {
        let many = "芯片".repeat(100);
        assert!(v(&many).len() <= MAX_VARIANTS);
    }
}
