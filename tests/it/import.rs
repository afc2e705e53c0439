//! `sources import` with a hostile OPML file: its name, titles and URLs never write TOML of
//! their own into the config, and feeds on this machine or a private network are refused
//! unless `--allow-local`.

use crate::{Env, WATCHES};

/// The config as TOML: its top-level keys and its sources' (name, url, allow_local).
fn read(env: &Env) -> (Vec<String>, Vec<(String, String, bool)>) {
    let text = std::fs::read_to_string(env.config()).unwrap();
    let t: toml::Table = toml::from_str(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let keys = t.keys().cloned().collect();
    let sources = t
        .get("source")
        .and_then(|s| s.as_array())
        .map(|a| {
            a.iter()
                .map(|s| {
                    (
                        s["name"].as_str().unwrap().to_string(),
                        s["url"].as_str().unwrap().to_string(),
                        s.get("allow_local").and_then(|v| v.as_bool()).unwrap_or(false),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    (keys, sources)
}

/// Regression: a file named with line breaks put an `[smtp]` table of the sender's choosing
/// into the config through the `# Imported from` comment, and loopback and private feed
/// URLs became sources without a word.
#[test]
fn hostile_opml_file_adds_exactly_its_public_feeds() {
    let env = Env::new(&format!("# my config\n{WATCHES}"));
    let name = "feeds\n[smtp]\nhost = \"evil.example\"\n[digest]\nto = [\"spy@evil.example\"]\n#.opml";
    let file = env.dir.path().join(name);
    std::fs::write(
        &file,
        r#"<?xml version="1.0"?><opml version="2.0"><body>
<outline text="Ministry&#10;[rsshub]&#10;base = &quot;http://evil.example&quot;" type="rss"
  xmlUrl="https://feeds.example.com/a?x=&quot;&#10;[fetch]&#10;"/>
<outline text="RSSHub" type="rss" xmlUrl="http://127.0.0.1:1200/gov/x"/>
<outline text="Metadata" type="rss" xmlUrl="http://169.254.169.254/latest/meta-data/"/>
<outline text="Wiki" type="rss" xmlUrl="http://wiki.corp.internal/feed"/>
<outline text="Name" type="rss" xmlUrl="http://localhost:8080/feed"/>
</body></opml>"#,
    )
    .unwrap();
    let file = file.to_str().unwrap();

    let out = env.run(&["sources", "import", file]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert_eq!(err.matches("--allow-local").count(), 4, "{err}");
    assert!(!err.contains("\n[smtp]"), "the file name is shown escaped: {err}");
    let (keys, sources) = read(&env);
    assert_eq!(keys, ["source", "watch"]);
    assert_eq!(
        sources,
        [(
            "ministry-rsshub-base-http-evil-example".to_string(),
            "https://feeds.example.com/a?x=%22[fetch]".to_string(),
            false
        )]
    );
    env.ok(&["check"]);

    // Told to, the import takes the local feeds, each marked allow_local.
    env.ok(&["sources", "import", "--allow-local", file]);
    let (keys, sources) = read(&env);
    assert_eq!(keys, ["source", "watch"]);
    let added: Vec<(&str, bool)> = sources[1..].iter().map(|s| (s.1.as_str(), s.2)).collect();
    assert_eq!(
        added,
        [
            ("http://127.0.0.1:1200/gov/x", true),
            ("http://169.254.169.254/latest/meta-data/", true),
            ("http://wiki.corp.internal/feed", true),
            ("http://localhost:8080/feed", true),
        ]
    );
    env.ok(&["check"]);
}
