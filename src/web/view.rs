//! What the pages share: the templates, and making feed text safe to show (invisible and
//! bidi characters out, links only to http and https), times in the configured zone, marked
//! terms and sparklines.

use chrono::{DateTime, Utc};

/// The templates, with HTML auto-escaping (minijinja's default for `.html` names).
pub(super) fn environment() -> minijinja::Environment<'static> {
    let mut env = minijinja::Environment::new();
    for (name, src) in [
        ("base.html", include_str!("templates/base.html")),
        ("stories.html", include_str!("templates/stories.html")),
        ("story.html", include_str!("templates/story.html")),
        ("sources.html", include_str!("templates/sources.html")),
        ("source.html", include_str!("templates/source.html")),
        ("trends.html", include_str!("templates/trends.html")),
        ("login.html", include_str!("templates/login.html")),
    ] {
        env.add_template(name, src).expect("the built-in templates parse");
    }
    env
}

/// Feed text as shown: without bidi overrides, isolates and zero-width characters, which
/// would make it read other than it is (the escaping of the templates does the rest).
pub(super) fn text(s: &str) -> String {
    crate::sanitize::without_invisible(&crate::sanitize::cleaned(s)).into_owned()
}

/// A link from a feed, when it is an http or https URL; anything else (`javascript:`,
/// `data:`) is not linked.
pub(super) fn link(s: Option<&str>) -> Option<String> {
    let u = url::Url::parse(s?.trim()).ok()?;
    matches!(u.scheme(), "http" | "https").then(|| u.to_string())
}

/// A time in `zone`, to the minute, with the zone's abbreviation.
pub(super) fn time(t: DateTime<Utc>, zone: chrono_tz::Tz) -> String {
    t.with_timezone(&zone).format("%Y-%m-%d %H:%M %Z").to_string()
}

/// A piece of text, marked when a watch's term matched it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub(super) struct Segment {
    pub t: String,
    pub m: bool,
}

/// `s` cut into pieces at the character ranges `marks` (overlapping or out-of-range ones
/// are merged or clipped), each made safe with [`text`].
pub(super) fn marked(s: &str, marks: &[(usize, usize)]) -> Vec<Segment> {
    let chars: Vec<char> = s.chars().collect();
    let mut ranges: Vec<(usize, usize)> = marks
        .iter()
        .map(|&(a, b)| (a.min(chars.len()), b.min(chars.len())))
        .filter(|(a, b)| a < b)
        .collect();
    ranges.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for (a, b) in ranges {
        match merged.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => merged.push((a, b)),
        }
    }
    let mut out = Vec::new();
    let mut at = 0;
    let piece = |a: usize, b: usize| text(&chars[a..b].iter().collect::<String>());
    for (a, b) in merged {
        if at < a {
            out.push(Segment {
                t: piece(at, a),
                m: false,
            });
        }
        out.push(Segment {
            t: piece(a, b),
            m: true,
        });
        at = b;
    }
    if at < chars.len() || out.is_empty() {
        out.push(Segment {
            t: piece(at, chars.len()),
            m: false,
        });
    }
    out
}

/// A sparkline of daily counts as the points of an SVG polyline in a `w` × `h` box.
pub(super) fn spark_points(xs: &[u64], w: f64, h: f64) -> String {
    let max = xs.iter().copied().max().unwrap_or(0).max(1) as f64;
    let step = if xs.len() > 1 {
        w / (xs.len() - 1) as f64
    } else {
        0.0
    };
    xs.iter()
        .enumerate()
        .map(|(i, &n)| {
            format!(
                "{:.1},{:.1}",
                i as f64 * step,
                h - 1.0 - (n as f64 / max) * (h - 2.0)
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_links_are_linked() {
        assert_eq!(
            link(Some("https://a.example/x")).as_deref(),
            Some("https://a.example/x")
        );
        for bad in [
            "javascript:alert(1)",
            " JavaScript:alert(1)",
            "data:text/html,x",
            "/relative",
            "",
        ] {
            assert_eq!(link(Some(bad)), None, "{bad}");
        }
    }

    #[test]
    fn marks_cut_text_by_characters_and_drop_bidi_overrides() {
        let segs = marked("出口管制 rules\u{202e}x", &[(0, 2), (1, 4), (30, 40)]);
        assert_eq!(
            segs,
            vec![
                Segment {
                    t: "出口管制".into(),
                    m: true
                },
                Segment {
                    t: " rulesx".into(),
                    m: false
                },
            ]
        );
        assert_eq!(
            marked("", &[]),
            vec![Segment {
                t: String::new(),
                m: false
            }]
        );
    }

    #[test]
    fn templates_escape_feed_text() {
        let env = environment();
        let html = env
            .get_template("login.html")
            .unwrap()
            .render(minijinja::context! { failed => false })
            .unwrap();
        assert!(html.contains("<form"));
        let t = env.template_from_str("{{ x }}").unwrap();
        // Templates made from strings are not auto-escaped; the pages' names end in .html.
        assert_eq!(t.render(minijinja::context! { x => "<b>" }).unwrap(), "<b>");
        let mut env = environment();
        env.add_template("t.html", "{{ x }}").unwrap();
        let out = env
            .get_template("t.html")
            .unwrap()
            .render(minijinja::context! { x => "<script>alert(1)</script>\"'" })
            .unwrap();
        assert!(!out.contains('<') && !out.contains('"'), "{out}");
    }

    #[test]
    fn sparkline_points_fit_the_box() {
        assert_eq!(spark_points(&[0, 2, 1], 10.0, 10.0), "0.0,9.0 5.0,1.0 10.0,5.0");
        assert_eq!(spark_points(&[], 10.0, 10.0), "");
    }
}
