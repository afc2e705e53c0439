//! Inline differences between two revisions of a text, word by word (each CJK character is a
//! word), with long unchanged stretches shortened: `[-removed-]{+added+}`.

use similar::{ChangeTag, TextDiff};

/// Characters of unchanged text kept on each side of a change.
const CONTEXT: usize = 40;

/// The difference from `old` to `new`, or `None` when they are equal.
pub fn inline(old: &str, new: &str) -> Option<String> {
    if old == new {
        return None;
    }
    let diff = TextDiff::configure()
        .timeout(std::time::Duration::from_secs(1))
        .diff_unicode_words(old, new);
    // Runs of one tag, in order.
    let mut runs: Vec<(ChangeTag, String)> = Vec::new();
    for c in diff.iter_all_changes() {
        match runs.last_mut() {
            Some((tag, s)) if *tag == c.tag() => s.push_str(c.value()),
            _ => runs.push((c.tag(), c.value().to_string())),
        }
    }
    // Changes separated only by spaces read as one change: "[-a b-]{+c d+}".
    let last = runs.len().saturating_sub(1);
    let mut out = String::new();
    let (mut del, mut ins) = (String::new(), String::new());
    let flush = |out: &mut String, del: &mut String, ins: &mut String| {
        if !del.is_empty() {
            *out += &format!("[-{}-]", std::mem::take(del));
        }
        if !ins.is_empty() {
            *out += &format!("{{+{}+}}", std::mem::take(ins));
        }
    };
    for (i, (tag, s)) in runs.iter().enumerate() {
        match tag {
            ChangeTag::Delete => del.push_str(s),
            ChangeTag::Insert => ins.push_str(s),
            ChangeTag::Equal
                if i < last && (!del.is_empty() || !ins.is_empty()) && s.chars().all(char::is_whitespace) =>
            {
                del.push_str(s);
                ins.push_str(s);
            }
            ChangeTag::Equal => {
                flush(&mut out, &mut del, &mut ins);
                out += &shorten(s, i > 0, i < last);
            }
        }
    }
    flush(&mut out, &mut del, &mut ins);
    Some(out)
}

/// An unchanged stretch: its end after a change and its start before one, the rest elided.
fn shorten(s: &str, after_change: bool, before_change: bool) -> String {
    let chars: Vec<char> = s.chars().collect();
    let keep_head = if after_change { CONTEXT } else { 0 };
    let keep_tail = if before_change { CONTEXT } else { 0 };
    if chars.len() <= keep_head + keep_tail + 1 {
        return s.to_string();
    }
    let head: String = chars[..keep_head].iter().collect();
    let tail: String = chars[chars.len() - keep_tail..].iter().collect();
    format!("{head}…{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_changed_words_and_cjk_characters() {
        assert_eq!(inline("same", "same"), None);
        assert_eq!(
            inline(
                "China restricts gallium exports",
                "China restricts gallium and germanium exports"
            )
            .unwrap(),
            "China restricts gallium {+and germanium +}exports"
        );
        assert_eq!(
            inline("对稀土实施出口管制", "对稀土暂停出口管制").unwrap(),
            "对稀土[-实施-]{+暂停+}出口管制"
        );
        let long = "a ".repeat(200);
        let d = inline(&format!("{long}x"), &format!("{long}y")).unwrap();
        assert!(d.starts_with('…') && d.ends_with("[-x-]{+y+}"), "{d}");
    }
}
