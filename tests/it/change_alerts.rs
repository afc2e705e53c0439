//! An alerted official notice that is later edited or withdrawn alerts again, saying what
//! changed, once per change; an edit of a media report waits for the digest. Through the real
//! binary against a local feed server and the SMTP test server.

use mailparse::MailHeaderMap;

use crate::server::{Reply, Server};
use crate::smtp::{SmtpServer, part};
use crate::{Env, WATCHES, rss};

const N61: &str = "商务部公告2026年第61号 关于对部分中重稀土相关物项实施出口管制的决定";
const TEXT: &str = "决定对部分中重稀土相关物项实施出口管制。本公告自公布之日起正式实施。";
const EDITED: &str = "决定对部分中重稀土相关物项实施出口管制。本公告自2026年12月1日起正式实施。";

/// The subjects of the messages the server took, in order.
fn subjects(smtp: &SmtpServer) -> Vec<String> {
    smtp.accepted()
        .iter()
        .map(|m| {
            let mail = mailparse::parse_mail(m.as_bytes()).unwrap();
            mail.headers.get_first_value("Subject").unwrap_or_default()
        })
        .collect()
}

#[test]
fn an_alerted_notice_edited_then_withdrawn_alerts_once_per_change() {
    let srv = Server::start();
    let smtp = SmtpServer::start(&[]);
    let mofcom = |items: &[(&str, &str, &str)]| Reply::ok("application/rss+xml", rss(items));
    let older = ("old", "商务部关于稀土配额的通知", "稀土配额。");
    srv.route("/mofcom.xml", mofcom(&[("n61", N61, TEXT), older]));
    srv.route(
        "/wire.xml",
        mofcom(&[("w1", "China tightens rare earth exports", "Rare earth curbs.")]),
    );
    let env = Env::new(&format!(
        "[digest]\nfrom = \"sigwatch <a@sigwatch.test>\"\nto = [\"analyst@example.com\"]\nmail_backlog = true\n\
         send_timeout = \"2s\"\n[smtp]\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"none\"\n\
         [[source]]\nname = \"mofcom\"\nrole = \"official\"\nurl = \"{}\"\n\
         [[source]]\nname = \"wire\"\nrole = \"media\"\nurl = \"{}\"\n{}",
        smtp.port,
        srv.url("/mofcom.xml"),
        srv.url("/wire.xml"),
        WATCHES.replace(
            "terms = [\"rare earth\", \"稀土\"]\n",
            "terms = [\"rare earth\", \"稀土\"]\nalert = \"immediate\"\n"
        )
    ));
    env.ok(&["poll"]);
    assert_eq!(subjects(&smtp).len(), 1, "the first alert: {:?}", subjects(&smtp));

    // The notice's date of effect is edited, and the wire retouches its headline.
    srv.route("/mofcom.xml", mofcom(&[("n61", N61, EDITED), older]));
    srv.route(
        "/wire.xml",
        mofcom(&[(
            "w1",
            "China tightens rare earth export rules",
            "Rare earth curbs.",
        )]),
    );
    env.ok(&["poll"]);
    let s = subjects(&smtp);
    assert_eq!(
        s.len(),
        2,
        "one alert for the notice's edit, none for the wire's: {s:?}"
    );
    assert_eq!(s[1], format!("sigwatch alert: Edited: {N61}"));
    let raw = smtp.accepted().remove(1);
    let mail = mailparse::parse_mail(raw.as_bytes()).unwrap();
    let text = part(&mail, "text/plain");
    assert!(text.contains("mofcom (official)"), "{text}");
    assert!(
        text.contains("自[-公布之-]{+2026年12月1+}日起"),
        "says what changed: {text}"
    );
    assert!(part(&mail, "text/html").contains("{+2026年12月1+}"));

    // Nothing changed: nothing more.
    env.ok(&["poll"]);
    assert_eq!(subjects(&smtp).len(), 2, "{:?}", subjects(&smtp));

    // Taken down while the older notice stays listed: withdrawn.
    srv.route("/mofcom.xml", mofcom(&[older]));
    env.ok(&["poll"]);
    let s = subjects(&smtp);
    assert_eq!(s.len(), 3, "{s:?}");
    assert_eq!(s[2], format!("sigwatch alert: Withdrawn: {N61}"));
    env.ok(&["poll"]);
    assert_eq!(subjects(&smtp).len(), 3, "once per change: {:?}", subjects(&smtp));

    // The digest still lists both changes, with the edit's difference.
    let preview = env.ok(&["digest", "--preview"]);
    assert!(preview.contains("== Edited or withdrawn =="), "{preview}");
    assert!(
        preview.contains("[withdrawn]") && preview.contains("[edited]"),
        "{preview}"
    );
}
