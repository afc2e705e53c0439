//! Digests through the real binary against a scripted SMTP server on 127.0.0.1.

use mailparse::{MailHeaderMap, parse_mail};

use crate::server::{Reply, Server};
use crate::smtp::{Answer, SmtpServer, part};
use crate::{Env, WATCHES};

/// A feed with one hit for two watches each, one plain item, and hostile text.
fn feed() -> String {
    let items = [
        (
            "d1",
            "China curbs rare earth exports",
            "New &lt;b&gt;export controls&lt;/b&gt; on rare earth magnets.",
        ),
        (
            "d2",
            "Chip plant opens",
            "A semiconductor fab. &lt;script&gt;alert(1)&lt;/script&gt;",
        ),
        ("d3", "Weather", "Sunny."),
        (
            "d4",
            "Rare earth quota&#13;&#10;Bcc: victim@example.com",
            "稀土配额公布。",
        ),
    ];
    let mut s = String::from(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>T</title><link>http://x.test/</link><description>d</description>",
    );
    for (g, t, d) in items {
        s.push_str(&format!("<item><guid>{g}</guid><title>{t}</title><link>https://news.test/{g}</link><description>{d}</description></item>"));
    }
    s.push_str("</channel></rss>");
    s
}

fn config(srv: &Server, smtp: Option<u16>, extra: &str) -> String {
    let mut c = format!(
        "[[source]]\nname = \"news\"\nurl = \"{}\"\n",
        srv.url("/feed.xml")
    );
    c.push_str(&format!("[digest]\nfrom = \"sigwatch <alerts@sigwatch.test>\"\nto = [\"analyst@example.com\"]\nmail_backlog = true\nsend_timeout = \"2s\"\n{extra}"));
    if let Some(port) = smtp {
        c.push_str(&format!(
            "[smtp]\nhost = \"127.0.0.1\"\nport = {port}\nsecurity = \"none\"\n"
        ));
    }
    c.push_str(WATCHES);
    c
}

fn setup(script: &[Answer], extra: &str) -> (Server, SmtpServer, Env) {
    let srv = Server::start();
    srv.route("/feed.xml", Reply::ok("application/rss+xml", feed()));
    let smtp = SmtpServer::start(script);
    let env = Env::new(&config(&srv, Some(smtp.port), extra));
    env.ok(&["poll"]);
    (srv, smtp, env)
}

#[test]
fn a_digest_arrives_with_both_parts_grouped_and_counted() {
    let (_srv, smtp, env) = setup(&[], "");
    assert_eq!(
        env.json(&["hits", "--unsent", "--format", "json"])
            .as_array()
            .unwrap()
            .len(),
        4,
        "a hit is an item in a watch: d1 in export-controls and rare-earths, d2 and d4 in one each"
    );
    let out = env.ok(&["digest"]);
    assert!(out.contains("delivered 1 over SMTP"), "{out}");
    let got = smtp.accepted();
    assert_eq!(got.len(), 1);
    let mail = parse_mail(got[0].as_bytes()).unwrap();
    assert_eq!(mail.ctype.mimetype, "multipart/alternative");
    let subject = mail.headers.get_first_value("Subject").unwrap();
    assert!(
        subject.contains("3 new items in export-controls, rare-earths, semiconductors"),
        "{subject}"
    );
    let text = part(&mail, "text/plain");
    let html = part(&mail, "text/html");
    // Stories counted per watch, then each story once, with its watches as tags: d1 is in
    // two watches and is one entry.
    assert!(text.contains("3 stories (3 new items) in 3 watches"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.trim_start().starts_with("rare-earths") && l.ends_with("2 stories")),
        "{text}"
    );
    assert_eq!(text.matches("https://news.test/d1").count(), 1, "{text}");
    assert!(
        text.contains("watches: export-controls, rare-earths | terms: rare earth, export controls")
            || text.contains("watches: export-controls, rare-earths | terms: export controls, rare earth"),
        "{text}"
    );
    assert!(text.contains("news (media) | "), "the source's role: {text}");
    assert!(text.contains("[rare earth]"), "the term is marked: {text}");
    assert!(html.contains("<mark") && html.contains("href=\"https://news.test/d1\""));
    assert!(!html.contains("<script"), "no scripts");
    // Everything was taken: nothing is left unsent, and a second digest has nothing to send.
    assert!(
        env.json(&["hits", "--unsent", "--format", "json"])
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert!(env.ok(&["digest"]).contains("nothing queued"));
    assert_eq!(smtp.accepted().len(), 1);
}

#[test]
fn feed_text_never_makes_a_header_and_html_is_escaped() {
    let (_srv, smtp, env) = setup(&[], "");
    env.ok(&["digest"]);
    let raw = smtp.accepted().remove(0);
    let mail = parse_mail(raw.as_bytes()).unwrap();
    assert!(mail.headers.get_first_value("Bcc").is_none());
    let header_block = &raw[..raw.find("\r\n\r\n").unwrap_or(raw.len())];
    assert!(
        !header_block.to_ascii_lowercase().contains("victim@"),
        "{header_block}"
    );
    assert_eq!(mail.headers.get_all_values("To"), ["analyst@example.com"]);
    let html = part(&mail, "text/html");
    assert!(
        html.contains("&lt;script&gt;") || !html.contains("alert(1)"),
        "escaped"
    );
    assert!(!html.contains("<script>"));
}

#[test]
fn a_421_is_retried_and_delivered_once() {
    let (_srv, smtp, env) = setup(&[Answer::Busy], "");
    let first = env.run(&["digest"]);
    assert!(!first.status.success(), "a digest left to retry is reported");
    let status = env.json(&["digest", "--status", "--format", "json"]);
    assert_eq!(status[0]["status"], "queued");
    assert_eq!(status[0]["attempts"], 1);
    assert!(status[0]["last_error"].as_str().unwrap().contains("421"));
    assert!(smtp.accepted().is_empty());
    env.ok(&["digest"]);
    assert_eq!(smtp.accepted().len(), 1);
    assert_eq!(
        env.json(&["digest", "--status", "--format", "json"])[0]["status"],
        "sent"
    );
}

#[test]
fn a_550_marks_the_digest_failed() {
    let (_srv, smtp, env) = setup(&[Answer::Refuse], "");
    assert!(!env.run(&["digest"]).status.success());
    let status = env.json(&["digest", "--status", "--format", "json"]);
    assert_eq!(status[0]["status"], "failed");
    assert!(status[0]["last_error"].as_str().unwrap().contains("550"));
    assert!(env.ok(&["digest", "--status"]).contains("failed"));
    // Failed is final: later runs do not resend it.
    env.ok(&["digest"]);
    assert!(smtp.accepted().is_empty());
}

#[test]
fn a_server_that_hangs_after_data_is_cut_off_and_retried() {
    let (_srv, smtp, env) = setup(&[Answer::Hang], "");
    let t = std::time::Instant::now();
    assert!(!env.run(&["digest"]).status.success());
    assert!(
        t.elapsed() < std::time::Duration::from_secs(10),
        "cut off by the 2 s deadline"
    );
    let status = env.json(&["digest", "--status", "--format", "json"]);
    assert_eq!(status[0]["status"], "queued");
    env.ok(&["digest"]);
    assert_eq!(smtp.accepted().len(), 1);
}

#[test]
fn a_crash_between_send_and_mark_resends_once_with_the_same_message_id() {
    let (_srv, smtp, env) = setup(&[], "");
    // Queue the digest and send it, but stop before marking it sent, as a crash would.
    let cfg = sigwatch::config::Config::load(&env.config()).unwrap();
    let mut store = sigwatch::store::Store::open(&env.db()).unwrap();
    sigwatch::digest::queue(&cfg, &mut store, chrono::Utc::now())
        .unwrap()
        .expect("a digest");
    let queued = store.due_digests(None).unwrap().remove(0);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    assert_eq!(
        rt.block_on(sigwatch::digest::send_message(&cfg, &queued)),
        sigwatch::digest::Delivery::Sent
    );
    drop(store);
    // The next run finds it still queued and sends the stored message again.
    env.ok(&["digest"]);
    env.ok(&["digest"]);
    let got = smtp.accepted();
    assert_eq!(got.len(), 2, "exactly one resend");
    let id = |m: &str| {
        parse_mail(m.as_bytes())
            .unwrap()
            .headers
            .get_first_value("Message-ID")
            .unwrap()
    };
    assert_eq!(id(&got[0]), id(&got[1]));
}

#[test]
fn the_first_polls_backlog_is_not_mailed_unless_asked() {
    let srv = Server::start();
    srv.route("/feed.xml", Reply::ok("application/rss+xml", feed()));
    let smtp = SmtpServer::start(&[]);
    let env = Env::new(&config(&srv, Some(smtp.port), "").replace("mail_backlog = true\n", ""));
    env.ok(&["poll"]);
    assert!(env.ok(&["digest"]).contains("nothing queued"));
    assert!(smtp.accepted().is_empty());
}

#[test]
fn a_source_whose_first_fetch_was_empty_mails_its_first_item() {
    let srv = Server::start();
    let empty = "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>T</title><link>http://x.test/</link><description>d</description></channel></rss>";
    srv.route("/feed.xml", Reply::ok("application/rss+xml", empty));
    let smtp = SmtpServer::start(&[]);
    let env = Env::new(&config(&srv, Some(smtp.port), "").replace("mail_backlog = true\n", ""));
    env.ok(&["poll"]);
    // The list fills in later: its first item is news, not backlog.
    srv.route("/feed.xml", Reply::ok("application/rss+xml", feed()));
    env.ok(&["poll"]);
    assert!(env.ok(&["digest"]).contains("delivered 1 over SMTP"));
    let got = smtp.accepted();
    assert_eq!(got.len(), 1);
    let mail = parse_mail(got[0].as_bytes()).unwrap();
    assert!(part(&mail, "text/plain").contains("China curbs rare earth exports"));
}

#[test]
fn without_smtp_digests_are_written_to_the_outbox() {
    let srv = Server::start();
    srv.route("/feed.xml", Reply::ok("application/rss+xml", feed()));
    let env = Env::new(&config(&srv, None, ""));
    env.ok(&["poll"]);
    // --preview prints the text a reader sees; the MIME message only with --format eml.
    let preview = env.ok(&["digest", "--preview"]);
    assert!(!preview.contains("multipart/alternative"), "{preview}");
    assert!(
        preview.contains("sigwatch digest,") && preview.contains("稀土"),
        "{preview}"
    );
    let eml = env.ok(&["digest", "--preview", "--format", "eml"]);
    assert!(eml.contains("multipart/alternative"), "{eml}");
    assert!(env.ok(&["digest"]).contains("delivered 1 to"));
    let outbox = env.dir.path().join("outbox");
    let files: Vec<_> = std::fs::read_dir(&outbox).unwrap().flatten().collect();
    assert_eq!(files.len(), 1);
    let mode = std::os::unix::fs::PermissionsExt::mode(&files[0].metadata().unwrap().permissions());
    assert_eq!(mode & 0o077, 0, "private to its owner");
}

#[test]
fn immediate_watches_are_alerted_after_the_poll_and_marked_in_the_digest() {
    let srv = Server::start();
    srv.route("/feed.xml", Reply::ok("application/rss+xml", feed()));
    let smtp = SmtpServer::start(&[]);
    let cfg = config(&srv, Some(smtp.port), "").replace(
        "[watch.rare-earths]\nterms = [\"rare earth\", \"稀土\"]\n",
        "[watch.rare-earths]\nterms = [\"rare earth\", \"稀土\"]\nalert = \"immediate\"\n",
    );
    let env = Env::new(&cfg);
    env.ok(&["poll"]);
    let got = smtp.accepted();
    assert_eq!(got.len(), 1, "one alert after the poll");
    let alert = parse_mail(got[0].as_bytes()).unwrap();
    let subject = alert.headers.get_first_value("Subject").unwrap();
    assert!(subject.starts_with("sigwatch alert: rare-earths:"), "{subject}");
    assert!(!subject.contains('\n') && !subject.contains('\r'));
    assert!(
        alert.headers.get_first_value("Bcc").is_none(),
        "feed text in the subject makes no header"
    );
    // The next poll adds nothing new, so no second alert.
    env.ok(&["poll"]);
    assert_eq!(smtp.accepted().len(), 1);
    env.ok(&["digest"]);
    let digest = smtp.accepted().remove(1);
    let text = part(&parse_mail(digest.as_bytes()).unwrap(), "text/plain");
    assert!(text.contains("(alerted)"), "{text}");
}

#[test]
fn test_email_reaches_the_server_and_fails_clearly_without_smtp() {
    let (srv, smtp, env) = setup(&[], "");
    assert!(env.ok(&["test-email"]).contains("accepted"));
    let got = smtp.accepted();
    assert_eq!(got.len(), 1);
    assert!(got[0].contains("sigwatch test message"));
    let no_smtp = Env::new(&config(&srv, None, ""));
    let out = no_smtp.run(&["test-email"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no [smtp]"));
}

#[test]
fn while_the_server_is_down_digests_queue_and_then_all_arrive_in_order_once() {
    // Ten 421s: the server is down through four digest rounds (each round retries every
    // queued digest), then takes everything.
    let (srv, smtp, env) = setup(&[Answer::Busy; 10], "");
    for round in 0..4 {
        if round > 0 {
            let items: Vec<(String, String)> = (0..2)
                .map(|i| {
                    (
                        format!("down-{round}-{i}"),
                        format!("Rare earth notice {round}-{i} from the outage"),
                    )
                })
                .collect();
            let items: Vec<(&str, &str, &str)> =
                items.iter().map(|(g, t)| (g.as_str(), t.as_str(), "x")).collect();
            srv.route("/feed.xml", Reply::ok("application/rss+xml", crate::rss(&items)));
            env.ok(&["poll"]);
        }
        assert!(
            !env.run(&["digest"]).status.success(),
            "round {round}: reported as waiting"
        );
        assert!(smtp.accepted().is_empty());
    }
    let queued = env.json(&["digest", "--status", "--format", "json"]);
    let queued = queued.as_array().unwrap();
    assert_eq!(queued.len(), 4, "{queued:?}");
    assert!(queued.iter().all(|d| d["status"] == "queued"), "{queued:?}");
    // The server is back.
    env.ok(&["digest"]);
    let ids: Vec<String> = smtp
        .accepted()
        .iter()
        .map(|m| {
            let mail = mailparse::parse_mail(m.as_bytes()).unwrap();
            mailparse::MailHeaderMap::get_first_value(&mail.headers[..], "Message-ID").unwrap()
        })
        .collect();
    let mut expected: Vec<(i64, String)> = queued
        .iter()
        .map(|d| {
            (
                d["id"].as_i64().unwrap(),
                d["message_id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    expected.sort();
    let expected: Vec<String> = expected.into_iter().map(|(_, m)| m).collect();
    assert_eq!(ids, expected, "all four, oldest first, once each");
    env.ok(&["digest"]);
    assert_eq!(smtp.accepted().len(), 4, "nothing is sent again");
}
