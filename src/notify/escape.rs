//! Feed text made safe for each target's markup. Titles and names come from feeds, so
//! nothing in them may format, mention, link or break out: each target gets its own
//! escaping, and every text loses its control characters first.

use std::fmt::Write as _;

/// One line of feed text: control characters (CR and LF among them) become spaces, bidi
/// overrides and zero-width characters go, runs of space are one, and at most `max`
/// characters are kept (with an ellipsis).
pub fn line(s: &str, max: usize) -> String {
    let safe = crate::digest::header_safe(s);
    match safe.char_indices().nth(max.saturating_sub(1)) {
        Some((cut, _)) if safe.chars().count() > max => format!("{}…", &safe[..cut]),
        _ => safe,
    }
}

/// A link fit to put in markup: http or https only, parsed and written back by the URL
/// parser (which percent-encodes spaces, quotes and angle brackets), and without the
/// characters a target's link syntax ends at (`|` for Slack, parentheses for Markdown).
pub fn link(l: Option<&str>) -> Option<String> {
    let l = crate::digest::safe_link(l)?;
    let u = url::Url::parse(l).ok()?;
    if !matches!(u.scheme(), "http" | "https") {
        return None;
    }
    let mut out = String::with_capacity(u.as_str().len());
    for c in u.as_str().chars() {
        match c {
            '|' | '(' | ')' | '<' | '>' | '"' | '\'' | '`' | '[' | ']' | '\\' | '*' | '_' | '~' | ' ' => {
                let _ = write!(out, "%{:02X}", c as u32);
            }
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    Some(out)
}

/// Slack mrkdwn: `&`, `<` and `>` as entities, which is all Slack asks; with them no text
/// can make a link, a mention (`<!channel>`) or a command.
pub fn slack(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// HTML text and attribute values (Matrix's `formatted_body`).
pub fn html(s: &str) -> String {
    html_escape::encode_quoted_attribute(s).into_owned()
}

/// Markdown (ntfy, and Adaptive Cards' TextBlocks): the characters that open or close
/// emphasis, code, links and tables, and the colon of an autolink, are backslash-escaped,
/// so text shows as written; `&`, `<` and `>` as entities, so no raw HTML or autolink.
/// Characters that mean something only at the start of a line (`#`, `-`, `1.`) are left:
/// feed text never starts a line here.
pub fn markdown(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '(' | ')' | '~' | '|' | ':' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_target_gets_text_it_shows_as_written() {
        assert_eq!(
            slack("<!channel> & <http://x|y>"),
            "&lt;!channel&gt; &amp; &lt;http://x|y&gt;"
        );
        assert_eq!(
            html("<b onclick=\"x\">&'"),
            "&lt;b onclick=&quot;x&quot;&gt;&amp;&#x27;"
        );
        assert_eq!(
            markdown("[a](http://x) **b** <i>"),
            r"\[a\]\(http\://x\) \*\*b\*\* &lt;i&gt;"
        );
        assert_eq!(line("a\r\nBcc: x\u{202e}\u{1b}[31m", 100), "a Bcc: x [31m");
        assert_eq!(line("abcdef", 3), "ab…");
    }

    #[test]
    fn links_are_http_only_and_end_nowhere_early() {
        assert_eq!(link(Some("javascript:alert(1)")), None);
        assert_eq!(
            link(Some("http://x.test/a|b>c (d)")).as_deref(),
            Some("http://x.test/a%7Cb%3Ec%20%28d%29")
        );
    }
}
