//! Each kind's body is what its target's documented API takes: checked against the example
//! payloads kept in tests/data/notify (the same checks accept those), with feed text escaped
//! for the target's markup and no control characters.

use serde_json::Value;

use crate::receiver::{Receiver, Request};
use crate::{Env, config, feed_server, fixture, no_controls};

/// Every kind's channel on one receiver, taking every watch.
fn all_kinds(rx: &Receiver) -> String {
    format!(
        r#"
[[notify]]
name = "incident-hook"
kind = "webhook"
url = "{hook}"
secret_file = "hook.secret"
headers = {{ "X-Team" = "desk" }}
header_files = {{ "Authorization" = "hook.auth" }}

[[notify]]
name = "desk-slack"
kind = "slack"
url = "{slack}"

[[notify]]
name = "desk-teams"
kind = "teams"
url = "{teams}"

[[notify]]
name = "desk-matrix"
kind = "matrix"
homeserver = "{base}"
room = "!room:example.org"
access_token_file = "matrix.token"

[[notify]]
name = "desk-ntfy"
kind = "ntfy"
server = "{base}"
topic = "sigwatch-alerts"
token_file = "ntfy.token"
"#,
        hook = rx.url("/hook"),
        slack = rx.url("/slack"),
        teams = rx.url("/teams"),
        base = rx.base,
    )
}

fn one(rx: &Receiver, path: &str) -> Request {
    let got = rx.seen_at(path);
    assert_eq!(got.len(), 1, "{path}: {got:?}");
    got.into_iter().next().unwrap()
}

#[test]
fn every_kind_sends_what_its_api_takes_with_feed_text_escaped() {
    let srv = feed_server();
    let rx = Receiver::start(&[]);
    let env = Env::new(&config(&srv, None, "", "", &all_kinds(&rx)));
    env.secret("hook.secret", "hook-signing-key\n");
    env.secret("hook.auth", "Token s3cret");
    env.secret("matrix.token", "matrix-token");
    env.secret("ntfy.token", "tk_ntfy");
    env.ok(&["check"]);
    env.ok(&["poll"]);
    assert_eq!(rx.seen().len(), 5, "one alert per channel: {:?}", rx.seen());
    for r in rx.seen() {
        assert!(
            no_controls(&r.body),
            "{}: {}",
            r.path,
            String::from_utf8_lossy(&r.body)
        );
        assert!(
            r.header("idempotency-key").starts_with("sigwatch-alert-"),
            "{r:?}"
        );
        // Markup from the feed reaches no chat target as markup (the webhook's JSON is data,
        // and Matrix's plain body is text: both carry the text as written).
        if r.path != "/hook" && !r.path.starts_with("/_matrix/") {
            assert!(
                !String::from_utf8_lossy(&r.body).contains("<script"),
                "{}: {}",
                r.path,
                String::from_utf8_lossy(&r.body)
            );
        }
    }
    webhook(&one(&rx, "/hook"));
    slack(&one(&rx, "/slack"));
    teams(&one(&rx, "/teams"));
    let matrix = rx
        .seen()
        .into_iter()
        .find(|r| r.path.starts_with("/_matrix/"))
        .expect("matrix");
    self::matrix(&matrix);
    ntfy(&one(&rx, "/sigwatch-alerts"));
    // Every channel took the same hits: each has its own delivery.
    let rows = env.status();
    for ch in [
        "incident-hook",
        "desk-slack",
        "desk-teams",
        "desk-matrix",
        "desk-ntfy",
    ] {
        let row = rows
            .iter()
            .find(|r| r["channel"] == ch)
            .unwrap_or_else(|| panic!("{ch}: {rows:?}"));
        assert_eq!(row["status"], "sent", "{row}");
        assert_eq!(row["hits"], 2, "{row}");
    }
    // Nothing new: nothing sent again.
    env.ok(&["poll"]);
    assert_eq!(rx.seen().len(), 5);
}

fn webhook(r: &Request) {
    use hmac::Mac;
    assert_eq!(r.method, "POST");
    assert_eq!(r.header("content-type"), "application/json");
    assert_eq!(r.header("x-team"), "desk");
    assert_eq!(
        r.header("authorization"),
        "Token s3cret",
        "a header value from its file"
    );
    // The signature is HMAC-SHA256 of the body under the secret file's key (its line end
    // is not part of it).
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(b"hook-signing-key").unwrap();
    mac.update(&r.body);
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(r.header("x-sigwatch-signature"), format!("sha256={hex}"));
    let v = r.json();
    assert_eq!(v["version"], 1);
    assert_eq!(v["kind"], "alert");
    assert_eq!(v["id"], r.header("idempotency-key"), "the key is in the body too");
    assert_eq!(v["channel"], "incident-hook");
    assert_eq!(v["severity"], "urgent", "led by an official source");
    assert_eq!(v["hits"], 2);
    let watches: Vec<&str> = v["watches"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        watches.contains(&"semiconductors") && watches.contains(&"export-controls"),
        "{watches:?}"
    );
    assert!(
        v["terms"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t == "export controls"),
        "{v}"
    );
    let stories = v["stories"].as_array().unwrap();
    assert_eq!(stories.len(), 2);
    for s in stories {
        for key in [
            "story", "title", "link", "date", "score", "watches", "terms", "lead", "members",
        ] {
            assert!(s.get(key).is_some(), "story lacks {key}: {s}");
        }
        for m in std::iter::once(&s["lead"]).chain(s["members"].as_array().unwrap()) {
            for key in ["item", "source", "role", "title", "link"] {
                assert!(m.get(key).is_some(), "member lacks {key}: {m}");
            }
            assert_eq!(m["source"], "ministry");
            assert_eq!(m["role"], "official");
        }
        assert_eq!(s["lead"], s["members"][0], "the lead comes first");
        assert!(s["score"].as_f64().is_some());
        let link = s["link"].as_str().unwrap();
        assert!(
            link.starts_with("https://news.test/n") && !link.contains('|'),
            "{link}"
        );
    }
    assert_eq!(v["links"].as_array().unwrap().len(), 2);
    let chip = stories
        .iter()
        .find(|s| s["title"].as_str().unwrap().contains("Chip"))
        .unwrap();
    // JSON carries the title as written, without its control characters.
    let title = chip["title"].as_str().unwrap();
    assert!(
        title.contains("<!channel>") && !title.chars().any(char::is_control),
        "{title}"
    );
}

/// The checks of a Slack incoming-webhook body: a `text` fallback and Block Kit blocks of
/// the kinds and limits Slack documents.
fn check_slack(v: &Value) {
    assert!(v["text"].is_string(), "{v}");
    let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
    assert!(
        keys.iter().all(|k| ["text", "blocks"].contains(&k.as_str())),
        "{keys:?}"
    );
    let blocks = v["blocks"].as_array().expect("blocks");
    assert!(!blocks.is_empty() && blocks.len() <= 50);
    for b in blocks {
        let text = |t: &Value, kinds: &[&str]| {
            assert!(kinds.contains(&t["type"].as_str().unwrap_or_default()), "{t}");
            t["text"].as_str().expect("text").chars().count()
        };
        match b["type"].as_str().unwrap() {
            "header" => assert!(text(&b["text"], &["plain_text"]) <= 150),
            "section" => assert!(text(&b["text"], &["mrkdwn", "plain_text"]) <= 3000),
            "context" => {
                for e in b["elements"].as_array().unwrap() {
                    text(e, &["mrkdwn", "plain_text"]);
                }
            }
            other => panic!("block type {other}"),
        }
    }
}

fn slack(r: &Request) {
    assert_eq!(r.method, "POST");
    check_slack(&serde_json::from_str(&fixture("slack-incoming-webhook.json")).unwrap());
    let v = r.json();
    check_slack(&v);
    let all = v.to_string();
    // Feed text can neither mention nor link: its angle brackets are entities.
    assert!(all.contains("&lt;!channel&gt;"), "{all}");
    assert!(!all.contains("<!channel>"), "{all}");
    for b in v["blocks"].as_array().unwrap() {
        let t = b["text"]["text"].as_str().unwrap_or_default();
        // Every remaining `<` opens one of sigwatch's own links.
        for (i, _) in t.match_indices('<') {
            assert!(t[i..].starts_with("<https://news.test/"), "{t}");
        }
    }
    assert!(
        all.contains(r.header("idempotency-key")),
        "the key is in the body"
    );
}

/// The checks of a Teams Workflows body: a message with one Adaptive Card attachment whose
/// body is TextBlocks.
fn check_teams(v: &Value) {
    assert_eq!(v["type"], "message");
    let att = v["attachments"].as_array().unwrap();
    assert_eq!(att.len(), 1);
    assert_eq!(att[0]["contentType"], "application/vnd.microsoft.card.adaptive");
    assert!(att[0].get("contentUrl").is_some_and(Value::is_null));
    let card = &att[0]["content"];
    assert_eq!(card["type"], "AdaptiveCard");
    assert_eq!(
        card["$schema"],
        "http://adaptivecards.io/schemas/adaptive-card.json"
    );
    assert!(card["version"].as_str().unwrap().starts_with("1."));
    for e in card["body"].as_array().unwrap() {
        assert_eq!(e["type"], "TextBlock", "{e}");
        assert!(e["text"].is_string(), "{e}");
    }
}

fn teams(r: &Request) {
    check_teams(&serde_json::from_str(&fixture("teams-workflows-adaptive-card.json")).unwrap());
    let v = r.json();
    check_teams(&v);
    let all = v.to_string();
    // Markdown from the feed shows as written: its brackets and stars are escaped.
    assert!(all.contains(r"\\[x\\]\\(javascript\\:alert\\(1\\)\\)"), "{all}");
    assert!(all.contains(r"\\*bold\\*"), "{all}");
    assert!(
        !all.contains("<!channel>") && all.contains("&lt;!channel&gt;"),
        "{all}"
    );
}

fn matrix(r: &Request) {
    let key = r.header("idempotency-key");
    assert_eq!(r.method, "PUT");
    assert_eq!(
        r.path,
        format!("/_matrix/client/v3/rooms/!room:example.org/send/m.room.message/{key}"),
        "the transaction id is the idempotency key"
    );
    assert_eq!(r.header("authorization"), "Bearer matrix-token");
    let doc: Value = serde_json::from_str(&fixture("matrix-m-notice.json")).unwrap();
    let v = r.json();
    for (k, d) in doc.as_object().unwrap() {
        assert!(v.get(k).is_some(), "lacks {k}");
        if k == "msgtype" || k == "format" {
            assert_eq!(&v[k], d);
        }
    }
    let html = v["formatted_body"].as_str().unwrap();
    assert!(
        html.contains("&lt;script&gt;") && !html.contains("<script"),
        "{html}"
    );
    assert!(html.contains("&lt;!channel&gt;"), "{html}");
    // Only sigwatch's own tags.
    for (i, _) in html.match_indices('<') {
        let tag = &html[i + 1..];
        assert!(
            [
                "p>",
                "/p>",
                "strong>",
                "/strong>",
                "ul>",
                "/ul>",
                "li>",
                "/li>",
                "a href=\"https://news.test/",
                "/a>",
                "em>",
                "/em>"
            ]
            .iter()
            .any(|t| tag.starts_with(t)),
            "{html}"
        );
    }
    assert!(v["body"].as_str().unwrap().contains("Chip plant opens"));
    assert_eq!(v["com.github.sigwatch.idempotency_key"], key);
    assert_eq!(v["m.mentions"], serde_json::json!({}), "mentions no one");
}

fn ntfy(r: &Request) {
    let doc: Value = serde_json::from_str(&fixture("ntfy-publish.json")).unwrap();
    assert_eq!(r.method, doc["method"]);
    assert_eq!(r.path, "/sigwatch-alerts");
    for h in doc["headers"].as_object().unwrap().keys() {
        assert!(!r.header(h).is_empty(), "lacks the documented header {h}");
    }
    assert_eq!(r.header("priority"), "5", "an official alert is urgent");
    assert_eq!(r.header("markdown"), "yes");
    assert_eq!(r.header("authorization"), "Bearer tk_ntfy");
    assert!(
        r.header("title").starts_with("sigwatch alert: "),
        "{}",
        r.header("title")
    );
    assert!(r.header("click").starts_with("https://news.test/"));
    let text = r.text();
    assert!(text.contains(r"\[x\]\(javascript\:alert\(1\)\)"), "{text}");
    assert!(
        !text.contains("<script") && text.contains("&lt;script&gt;"),
        "{text}"
    );
    assert!(text.contains(r.header("idempotency-key")), "{text}");
}

#[test]
fn test_notify_prints_the_servers_answer_and_check_reads_secrets() {
    let srv = feed_server();
    let rx = Receiver::start(&[]);
    rx.answer_with("{\"accepted\":\"by the receiver\"}");
    let env = Env::new(&config(&srv, None, "", "", &all_kinds(&rx)));
    for (f, s) in [
        ("hook.secret", "k"),
        ("hook.auth", "a"),
        ("matrix.token", "m"),
        ("ntfy.token", "n"),
    ] {
        env.secret(f, s);
    }
    let out = env.ok(&["test-notify", "desk-slack"]);
    assert!(
        out.contains("HTTP 200") && out.contains("by the receiver"),
        "{out}"
    );
    let got = rx.seen_at("/slack");
    assert_eq!(got.len(), 1);
    check_slack(&got[0].json());
    assert!(got[0].json().to_string().contains("sigwatch test message"));
    let out = env.run(&["test-notify", "nowhere"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no channel named \"nowhere\""));
    // A token file every user can read is refused, at its line.
    let token = env.dir.path().join("ntfy.token");
    std::fs::set_permissions(&token, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    let out = env.run(&["check"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    let text = std::fs::read_to_string(env.config()).unwrap();
    let line = text.lines().position(|l| l.starts_with("token_file")).unwrap() + 1;
    assert!(
        err.contains(&format!("sigwatch.toml:{line}: notify.token_file:")),
        "{err}"
    );
    assert!(err.contains("readable by every user"), "{err}");
}

#[test]
fn check_refuses_a_route_to_an_unknown_channel_at_its_line() {
    let srv = feed_server();
    let cfg = config(&srv, None, "notify = [\"desk-nowhere\"]", "", "");
    let env = Env::new(&cfg);
    let out = env.run(&["check"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    let line = cfg.lines().position(|l| l.contains("desk-nowhere")).unwrap() + 1;
    assert!(
        err.contains(&format!("sigwatch.toml:{line}:")) && err.contains("watch.semiconductors.notify"),
        "{err}"
    );
    assert!(err.contains("no channel named \"desk-nowhere\""), "{err}");
    // A channel's `watches` naming no watch, likewise.
    let cfg = config(
        &srv,
        None,
        "",
        "",
        "[[notify]]\nname = \"desk\"\nkind = \"slack\"\nurl = \"https://hooks.slack.test/x\"\nwatches = [\"rare-earths\"]\n",
    );
    let out = Env::new(&cfg).run(&["check"]);
    let err = String::from_utf8_lossy(&out.stderr);
    let line = cfg.lines().position(|l| l.contains("rare-earths")).unwrap() + 1;
    assert!(
        err.contains(&format!("sigwatch.toml:{line}:")) && err.contains("unknown watch"),
        "{err}"
    );
    // A kind without what it needs.
    let cfg = config(
        &srv,
        None,
        "",
        "",
        "[[notify]]\nname = \"m\"\nkind = \"matrix\"\nhomeserver = \"https://m.test\"\n",
    );
    let err = String::from_utf8_lossy(&Env::new(&cfg).run(&["check"]).stderr).to_string();
    assert!(
        err.contains("notify.room") && err.contains("needs `room`"),
        "{err}"
    );
}
