//! Delivery as mail has it: retried with backoff on 5xx, after Retry-After on 429, failed on
//! other 4xx, at most one resend after a crash; and routing per watch.

use std::time::{Duration, Instant};

use mailparse::{MailHeaderMap, parse_mail};

use crate::receiver::{Answer, Receiver};
use crate::smtp::{SmtpServer, part};
use crate::{Env, config, feed_server};

/// One webhook channel taking alerts only, retrying from `retry_base`.
fn hook(rx: &Receiver, retry_base: &str) -> String {
    format!(
        "[[notify]]\nname = \"hook\"\nkind = \"webhook\"\nurl = \"{}\"\nalerts_only = true\nretry_base = \"{retry_base}\"\n",
        rx.url("/hook")
    )
}

/// Polls every 200 ms until `done` or `limit` passes.
fn poll_until(env: &Env, limit: Duration, done: impl Fn() -> bool) {
    let until = Instant::now() + limit;
    while !done() && Instant::now() < until {
        let _ = env.run(&["poll"]);
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn a_receiver_failing_twice_gets_the_alert_once_with_one_key() {
    let srv = feed_server();
    let rx = Receiver::start(&[Answer::Status(500), Answer::Status(503)]);
    let env = Env::new(&config(&srv, None, "", "", &hook(&rx, "1s")));
    poll_until(&env, Duration::from_secs(30), || {
        rx.seen().iter().any(|r| r.status == 200)
    });
    let got = rx.seen();
    let statuses: Vec<u16> = got.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [500, 503, 200], "{got:?}");
    let key = got[0].header("idempotency-key");
    assert!(got.iter().all(|r| r.header("idempotency-key") == key));
    assert!(
        got.iter().all(|r| r.body == got[0].body),
        "the stored body, byte for byte"
    );
    // The backoff doubles: about 1 s, then about 2 s (each ±20%).
    let first = got[1].at - got[0].at;
    let second = got[2].at - got[1].at;
    assert!(first >= Duration::from_millis(750), "{first:?}");
    assert!(second >= Duration::from_millis(1550), "{second:?}");
    env.ok(&["poll"]);
    assert_eq!(rx.seen().len(), 3, "delivered once");
    let rows = env.channel_status("hook");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["status"], "sent");
    assert_eq!(rows[0]["attempts"], 3);
}

#[test]
fn a_429_is_retried_no_sooner_than_its_retry_after() {
    let srv = feed_server();
    let rx = Receiver::start(&[Answer::TooMany(3)]);
    let env = Env::new(&config(&srv, None, "", "", &hook(&rx, "1s")));
    poll_until(&env, Duration::from_secs(30), || {
        rx.seen().iter().any(|r| r.status == 200)
    });
    let got = rx.seen();
    assert_eq!(got.iter().map(|r| r.status).collect::<Vec<_>>(), [429, 200]);
    let waited = got[1].at - got[0].at;
    assert!(
        waited >= Duration::from_millis(2950),
        "Retry-After: 3 honoured, not the 1 s backoff: {waited:?}"
    );
    assert_eq!(got[0].header("idempotency-key"), got[1].header("idempotency-key"));
}

#[test]
fn a_400_marks_the_message_failed_for_good() {
    let srv = feed_server();
    let rx = Receiver::start(&[Answer::Status(400)]);
    let env = Env::new(&config(&srv, None, "", "", &hook(&rx, "1s")));
    let out = env.run(&["poll"]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("1 failed"),
        "{out:?}"
    );
    std::thread::sleep(Duration::from_millis(1500));
    env.ok(&["poll"]);
    assert_eq!(rx.seen().len(), 1, "not retried");
    let rows = env.channel_status("hook");
    assert_eq!(rows[0]["status"], "failed");
    assert!(
        rows[0]["last_error"].as_str().unwrap().contains("HTTP 400"),
        "{rows:?}"
    );
    assert!(env.ok(&["digest", "--status"]).contains("failed"));
}

#[test]
fn a_kill_between_sending_and_marking_costs_at_most_one_resend() {
    let srv = feed_server();
    let rx = Receiver::start(&[Answer::Hold]);
    let env = Env::new(&config(&srv, None, "", "", &hook(&rx, "1s")));
    let mut child = env
        .command(&["poll"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    assert!(rx.wait_for(1, Duration::from_secs(30)), "the alert was sent");
    // The receiver has the message and holds its answer: sigwatch dies before marking it.
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    rx.release();
    env.ok(&["poll"]);
    env.ok(&["poll"]);
    let got = rx.seen();
    assert_eq!(got.len(), 2, "one resend, then no more: {got:?}");
    assert_eq!(got[0].header("idempotency-key"), got[1].header("idempotency-key"));
    assert_eq!(got[0].body, got[1].body);
    assert_eq!(env.channel_status("hook")[0]["status"], "sent");
}

#[test]
fn each_watch_reaches_only_its_channels() {
    let srv = feed_server();
    let rx = Receiver::start(&[]);
    let smtp = SmtpServer::start(&[]);
    let channels = format!(
        "[[notify]]\nname = \"desk-semis\"\nkind = \"webhook\"\nurl = \"{}\"\n\n[[notify]]\nname = \"desk-export\"\nkind = \"slack\"\nurl = \"{}\"\n",
        rx.url("/semis"),
        rx.url("/export")
    );
    let env = Env::new(&config(
        &srv,
        Some(smtp.port),
        "notify = [\"desk-semis\"]",
        "notify = [\"email\", \"desk-export\"]",
        &channels,
    ));
    env.ok(&["poll"]);
    // The alerts.
    let semis = rx.seen_at("/semis");
    assert_eq!(semis.len(), 1);
    let v = semis[0].json();
    assert_eq!(v["watches"], serde_json::json!(["semiconductors"]), "{v}");
    assert_eq!(v["stories"].as_array().unwrap().len(), 1);
    let export = rx.seen_at("/export");
    assert_eq!(export.len(), 1);
    let slack = export[0].text();
    assert!(
        slack.contains("export-controls") && !slack.contains("Chip"),
        "{slack}"
    );
    let mails = smtp.accepted();
    assert_eq!(mails.len(), 1, "one mail alert");
    let mail = parse_mail(mails[0].as_bytes()).unwrap();
    let subject = mail.headers.get_first_value("Subject").unwrap();
    assert!(
        subject.starts_with("sigwatch alert: export-controls:"),
        "{subject}"
    );
    assert!(!part(&mail, "text/plain").contains("Chip plant"));
    // The digests: each channel its own watches.
    env.ok(&["digest"]);
    let mails = smtp.accepted();
    assert_eq!(mails.len(), 2);
    let digest = part(&parse_mail(mails[1].as_bytes()).unwrap(), "text/plain");
    assert!(
        digest.contains("gallium") && !digest.contains("Chip plant"),
        "{digest}"
    );
    let semis = rx.seen_at("/semis");
    assert_eq!(semis.len(), 2);
    let v = semis[1].json();
    assert_eq!(v["kind"], "digest");
    assert_eq!(v["watches"], serde_json::json!(["semiconductors"]), "{v}");
    let export = rx.seen_at("/export");
    assert_eq!(export.len(), 2);
    assert!(!export[1].text().contains("Chip"), "{}", export[1].text());
    // The queue lists every channel.
    let rows = env.status();
    for ch in ["email", "desk-semis", "desk-export"] {
        assert!(
            rows.iter().filter(|r| r["channel"] == ch).count() == 2,
            "{ch}: {rows:?}"
        );
    }
}

#[test]
fn the_daemon_sends_alerts_and_digests_and_retries_what_is_due() {
    let srv = feed_server();
    let rx = Receiver::start(&[Answer::Status(502)]);
    let channel = format!(
        "[[notify]]\nname = \"hook\"\nkind = \"webhook\"\nurl = \"{}\"\nretry_base = \"1s\"\n",
        rx.url("/hook")
    );
    // Six-field cron: polls every two seconds, a digest every five.
    let cfg = config(&srv, None, "", "", &channel)
        .replace("[digest]\n", "[digest]\nschedule = \"*/5 * * * * *\"\n")
        .replace(
            "[[source]]",
            "[poll]\nschedule = \"*/2 * * * * *\"\nspread = \"0s\"\n\n[[source]]",
        );
    let env = Env::new(&cfg);
    let mut child = env
        .command(&["run"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let kinds = || -> Vec<(String, u16)> {
        rx.seen()
            .iter()
            .map(|r| {
                (
                    r.json()["kind"].as_str().unwrap_or_default().to_string(),
                    r.status,
                )
            })
            .collect()
    };
    let until = Instant::now() + Duration::from_secs(40);
    let done = |k: &str| kinds().iter().any(|(kind, s)| kind == k && *s == 200);
    while Instant::now() < until && !(done("alert") && done("digest")) {
        std::thread::sleep(Duration::from_millis(100));
    }
    // SAFETY: kill has no memory effects; the pid is our own child's.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    child.wait().unwrap();
    let got = kinds();
    assert_eq!(got[0], ("alert".to_string(), 502), "{got:?}");
    assert!(got.iter().any(|(k, s)| k == "digest" && *s == 200), "{got:?}");
    assert_eq!(
        got.iter().filter(|(k, s)| k == "alert" && *s == 200).count(),
        1,
        "retried by the daemon, delivered once: {got:?}"
    );
}

#[test]
fn a_channel_alerts_what_mail_alerts_and_leaves_the_rest_to_its_digest() {
    let srv = feed_server();
    let rx = Receiver::start(&[]);
    // The chip item meets no alert rule of its watch: it waits for the digest.
    let rule = "\n[[watch.semiconductors.alert_rule]]\nall = [\"gallium\"]";
    let env = Env::new(&config(
        &srv,
        None,
        rule,
        "",
        &hook(&rx, "1s").replace("alerts_only = true\n", ""),
    ));
    env.ok(&["poll"]);
    let got = rx.seen_at("/hook");
    assert_eq!(got.len(), 1);
    let v = got[0].json();
    assert_eq!(v["watches"], serde_json::json!(["export-controls"]), "{v}");
    env.ok(&["digest"]);
    let got = rx.seen_at("/hook");
    assert_eq!(got.len(), 2);
    let v = got[1].json();
    assert_eq!(v["kind"], "digest");
    assert_eq!(v["hits"], 2, "the digest has both: {v}");
}
