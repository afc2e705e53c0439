//! Plain text from HTML: shared by the source layer (titles), matching and storage.

/// Strips HTML tags and decodes entities, folding runs of whitespace to one space.
pub fn plain_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        push_text(&mut out, &rest[..lt]);
        let after = &rest[lt..];
        // Skip script/style bodies whole: their text is never content.
        let lower: String = after.chars().take(8).collect::<String>().to_ascii_lowercase();
        let skip_to = if lower.starts_with("<script") {
            find_ci(after, "</script>").map(|i| i + 9)
        } else if lower.starts_with("<style") {
            find_ci(after, "</style>").map(|i| i + 8)
        } else if after.starts_with("<!--") {
            after.find("-->").map(|i| i + 3)
        } else {
            after.find('>').map(|i| i + 1)
        };
        match skip_to {
            Some(n) => {
                out.push(' ');
                rest = &after[n..];
            }
            None => {
                // An unclosed '<' is text, not a tag ("a < b").
                push_text(&mut out, after);
                rest = "";
            }
        }
    }
    push_text(&mut out, rest);
    collapse_ws(&out)
}

fn find_ci(hay: &str, needle: &str) -> Option<usize> {
    hay.to_ascii_lowercase().find(needle)
}

fn push_text(out: &mut String, s: &str) {
    out.push_str(&html_escape::decode_html_entities(s));
}

fn collapse_ws(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.chars() {
        if c.is_whitespace() {
            space = true;
        } else {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_tags_and_decodes() {
        assert_eq!(
            plain_text("<p>Rare&nbsp;earth <b>magnets</b></p><script>x()</script>&#31232;&#22303;"),
            "Rare earth magnets 稀土"
        );
        assert_eq!(plain_text("a < b"), "a < b");
        assert_eq!(plain_text("  a \n\n b "), "a b");
    }
}
