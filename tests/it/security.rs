//! The guard end to end, with the real binary: what a source may reach is its own (its
//! configured URL, `allow_local`), never worked out from a URL a document gave; proxies are
//! used only when configured, and every target is judged before it is handed to one.
//!
//! Every server here is on 127.0.0.1, so a source that is *not* local is made the way an
//! operator behind a proxy has one: its URL is a public address (93.184.216.34, which is
//! never connected to) and `[fetch] proxy` names a local server that plays the proxy and
//! answers for it. Nothing in sigwatch knows it is being tested.

use crate::server::{Reply, Server};
use crate::{Env, WATCHES};

/// The public address the proxy answers for.
const PUBLIC: &str = "http://93.184.216.34";

/// A local service sigwatch must never be steered at: it records every request.
fn local_service() -> Server {
    let local = Server::start();
    local.route(
        "/secret",
        Reply::ok("text/html", "<body>SECRET-TOKEN 稀土 出口管制</body>"),
    );
    local
}

fn feed(links: &[String]) -> String {
    let mut s = String::from(
        "<rss version=\"2.0\"><channel><title>Ministry</title><link>http://93.184.216.34/</link>",
    );
    for (i, link) in links.iter().enumerate() {
        s += &format!(
            "<item><guid>item-{i}</guid><title>Notice {i}</title><link>{link}</link><description>short</description></item>"
        );
    }
    s + "</channel></rss>"
}

fn config(proxy: &str, sources: &str) -> String {
    format!(
        "[fetch]\nproxy = \"{proxy}\"\nconnect_timeout = \"2s\"\ntimeout = \"8s\"\n\n{sources}\n{WATCHES}"
    )
}

fn port(srv: &Server) -> u16 {
    srv.base.rsplit(':').next().unwrap().parse().unwrap()
}

/// Issue 24, item 1: a public source with `follow = true` whose items link to loopback
/// (`127.0.0.1`, `localhost`) fetched them, because the right to reach loopback was worked
/// out from the link itself.
#[test]
fn follow_links_of_a_public_source_never_reach_loopback() {
    let local = local_service();
    let proxy = Server::start();
    let p = port(&local);
    let links = [
        format!("http://127.0.0.1:{p}/secret"),
        format!("http://localhost:{p}/secret"),
        format!("http://[::ffff:7f00:1]:{p}/secret"),
        format!("{PUBLIC}/page.html"),
    ];
    proxy.route(
        &format!("{PUBLIC}/feed.xml"),
        Reply::ok("application/rss+xml", feed(&links)),
    );
    proxy.route(
        &format!("{PUBLIC}/page.html"),
        Reply::ok("text/html", "<body>关于稀土出口管制的公告全文</body>"),
    );
    let env = Env::new(&config(
        &proxy.base,
        &format!("[[source]]\nname = \"ministry\"\nurl = \"{PUBLIC}/feed.xml\"\nfollow = true\n"),
    ));
    let (out, _) = env.run_measured(&["poll", "--format", "json"], &[("RUST_LOG", "warn")]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).expect("poll JSON");
    assert_eq!(summary["new_items"], 4, "{summary}\n{stderr}");

    assert!(
        local.order().is_empty(),
        "loopback was fetched: {:?}",
        local.order()
    );
    let mut asked = proxy.order();
    asked.sort();
    assert_eq!(
        asked,
        [format!("{PUBLIC}/feed.xml"), format!("{PUBLIC}/page.html")],
        "{stderr}"
    );
    for link in &links[..3] {
        assert!(
            stderr.contains(&format!("could not follow {link} [refused]")),
            "{link} not reported as refused:\n{stderr}"
        );
    }
    assert!(stderr.contains("127.0.0.1 is not a public address"), "{stderr}");
    // localhost's addresses are as the machine's hosts file lists them: 127.0.0.1 among them.
    assert!(
        stderr.contains("localhost resolves to ") && stderr.contains("1, not a public address"),
        "{stderr}"
    );
    assert!(stderr.contains("set allow_local = true"), "{stderr}");
    // The public page was followed: the item now matches on its text.
    let hits = env.json(&["hits", "--format", "json"]);
    assert!(hits.to_string().contains("Notice 3"), "{hits}");
    assert!(!hits.to_string().contains("SECRET-TOKEN"), "{hits}");
    // `sources test` follows the same way, and says so on its output.
    let tested = env.ok(&["sources", "test", "ministry"]);
    for link in &links[..3] {
        assert!(
            tested.contains(&format!("could not follow {link} [refused]")),
            "{tested}"
        );
    }
    assert!(
        local.order().is_empty(),
        "loopback was fetched: {:?}",
        local.order()
    );

    // The same feed served by a source on loopback (RSSHub beside sigwatch): it relays what
    // others wrote, so its links reach public addresses only; `allow_local` grants them.
    local.route("/feed.xml", Reply::ok("application/rss+xml", feed(&links[..1])));
    let rsshub = |extra: &str| {
        Env::new(&config(
            "none",
            &format!(
                "[[source]]\nname = \"rsshub\"\nurl = \"{}\"\nfollow = true\n{extra}",
                local.url("/feed.xml")
            ),
        ))
    };
    rsshub("").ok(&["poll"]);
    assert_eq!(
        local.seen("/feed.xml").len(),
        1,
        "the loopback source itself is fetched"
    );
    assert!(
        local.seen("/secret").is_empty(),
        "its content does not reach loopback"
    );
    rsshub("allow_local = true\n").ok(&["poll"]);
    assert_eq!(local.seen("/secret").len(), 1);
}

/// Issue 24, items 1 and 8: a redirect from a public source to loopback is refused before
/// any request, reported as `refused` with the address and the `allow_local` hint (also
/// for a name, which was a connect error).
#[test]
fn a_redirect_from_a_public_source_to_loopback_is_refused() {
    let local = local_service();
    let proxy = Server::start();
    let p = port(&local);
    let to = |target: String| Reply::status(302).header("Location", &target);
    proxy.route(
        &format!("{PUBLIC}/a.xml"),
        to(format!("http://127.0.0.1:{p}/secret")),
    );
    proxy.route(
        &format!("{PUBLIC}/b.xml"),
        to(format!("http://localhost:{p}/secret")),
    );
    proxy.route(&format!("{PUBLIC}/c.xml"), to(format!("http://[::1]:{p}/secret")));
    proxy.route(
        &format!("{PUBLIC}/d.xml"),
        to("http://169.254.169.254/latest/meta-data/".into()),
    );
    let sources: String = ["a", "b", "c", "d"]
        .iter()
        .map(|n| format!("[[source]]\nname = \"{n}\"\nurl = \"{PUBLIC}/{n}.xml\"\n"))
        .collect();
    let env = Env::new(&config(&proxy.base, &sources));
    let out = env.run(&["poll", "--format", "json"]);
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).expect("poll JSON");
    let by_name = |n: &str| {
        summary["sources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["source"] == n)
            .cloned()
            .unwrap_or_else(|| panic!("{n} missing: {summary}"))
    };
    for (name, says) in [
        ("a", "127.0.0.1 is not a public address".to_string()),
        ("b", "localhost resolves to ".to_string()),
        ("c", "::1 is not a public address".to_string()),
        ("d", "169.254.169.254 is not a public address".to_string()),
    ] {
        let s = by_name(name);
        assert_eq!(s["class"], "refused", "{s}");
        let error = s["error"].as_str().unwrap();
        assert!(
            error.contains(&says) && error.contains("allow_local"),
            "{name}: {error}"
        );
    }
    assert!(
        local.order().is_empty(),
        "loopback was fetched: {:?}",
        local.order()
    );
    // `sources` shows the same class.
    let listed = env.ok(&["sources"]);
    assert!(listed.contains("refused"), "{listed}");
}

/// Issue 24, item 6: a proxy in the environment was used silently. It is used only with
/// `proxy = "env"`; the proxy itself may be on a non-public address (here a name that
/// resolves to loopback) without the guard refusing every fetch.
#[test]
fn the_environment_proxy_is_used_only_when_asked_for() {
    let proxy = Server::start();
    proxy.route(
        &format!("{PUBLIC}/feed.xml"),
        Reply::ok("application/rss+xml", feed(&[format!("{PUBLIC}/1")])),
    );
    let source = format!("[[source]]\nname = \"ministry\"\nurl = \"{PUBLIC}/feed.xml\"\n");
    let by_ip = proxy.base.clone();
    let by_name = format!("http://localhost:{}", port(&proxy));

    // Without `proxy`, the environment is ignored: the fetch goes straight to the address.
    let env = Env::new(&config("none", &source));
    let envs_ip = [("HTTP_PROXY", by_ip.as_str()), ("http_proxy", by_ip.as_str())];
    let (out, _) = env.run_measured(&["poll", "--format", "json"], &envs_ip);
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).expect("poll JSON");
    assert_eq!(summary["failed"], 1, "{summary}");
    assert!(proxy.order().is_empty(), "the environment's proxy was used");

    // With `proxy = "env"` it is used, though its name resolves to loopback.
    let env = Env::new(&config("env", &source));
    let envs_name = [("HTTP_PROXY", by_name.as_str()), ("http_proxy", by_name.as_str())];
    let (out, _) = env.run_measured(&["poll", "--format", "json"], &envs_name);
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).expect("poll JSON");
    assert_eq!(summary["new_items"], 1, "{summary}");
    assert_eq!(proxy.order(), [format!("{PUBLIC}/feed.xml")]);
}

/// Issue 24, item 6: behind a proxy, which resolves names itself, each target is judged
/// before it is handed over: literal private addresses as ever, names that resolve to
/// non-public addresses, and names this machine cannot resolve (where they point cannot
/// be known). The configured proxy itself is exempt.
#[test]
fn targets_are_judged_before_they_are_handed_to_the_proxy() {
    let proxy = Server::start();
    let p = port(&proxy);
    for target in ["http://10.0.0.1/feed.xml", "http://intranet.invalid/feed.xml"] {
        proxy.route(
            target,
            Reply::ok("application/rss+xml", feed(&[format!("{PUBLIC}/1")])),
        );
    }
    proxy.route(
        &format!("{PUBLIC}/ok.xml"),
        Reply::ok("application/rss+xml", feed(&[format!("{PUBLIC}/2")])),
    );
    let sources = format!(
        "[[source]]\nname = \"private\"\nurl = \"http://10.0.0.1/feed.xml\"\n\
         [[source]]\nname = \"intranet\"\nurl = \"http://intranet.invalid/feed.xml\"\n\
         [[source]]\nname = \"public\"\nurl = \"{PUBLIC}/ok.xml\"\n"
    );
    let env = Env::new(&config(&format!("http://localhost:{p}"), &sources));
    let summary = env.json(&["poll", "--format", "json"]);
    let class = |n: &str| {
        summary["sources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["source"] == n)
            .map(|s| {
                (
                    s["status"].as_str().unwrap().to_string(),
                    s["class"].clone(),
                    s["error"].clone(),
                )
            })
            .unwrap()
    };
    assert_eq!(class("public").0, "fetched", "{summary}");
    let (_, c, e) = class("private");
    assert_eq!(c, "refused", "{e}");
    assert!(
        e.as_str().unwrap().contains("10.0.0.1 is not a public address"),
        "{e}"
    );
    let (_, c, e) = class("intranet");
    assert_eq!(c, "refused", "{e}");
    assert!(e.as_str().unwrap().contains("does not resolve"), "{e}");
    assert_eq!(
        proxy.order(),
        [format!("{PUBLIC}/ok.xml")],
        "only the public target reached the proxy"
    );
}

/// A proxy that is not one is refused by `check`, naming the file, line and key.
#[test]
fn a_bad_proxy_is_refused_by_check_naming_file_line_and_key() {
    for bad in ["ftp://proxy.example/", "proxy.example:3128", "http://"] {
        let env = Env::new(&format!("[fetch]\ntimeout = \"5s\"\nproxy = \"{bad}\"\n"));
        let out = env.run(&["check"]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{bad}: {err}");
        assert!(
            err.contains("sigwatch.toml:3:") && err.contains("proxy: "),
            "{bad}: {err}"
        );
        assert!(err.contains("socks5://"), "{bad}: {err}");
    }
}

/// A SOCKS5 proxy on 127.0.0.1 that accepts no authentication, records each destination it
/// is asked for, and answers every request itself with `body`.
fn socks5_proxy(body: String) -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("socks5://{}", listener.local_addr().unwrap());
    let asked = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let a = asked.clone();
    std::thread::spawn(move || {
        for mut c in listener.incoming().flatten() {
            let mut b = [0u8; 512];
            // Greeting: version, methods; choose "no authentication".
            let _ = c.read(&mut b);
            let _ = c.write_all(&[5, 0]);
            // Request: version, CONNECT, reserved, address type, address, port.
            let n = c.read(&mut b).unwrap_or(0);
            let dest = match b.get(3) {
                Some(1) if n >= 10 => format!("{}.{}.{}.{}", b[4], b[5], b[6], b[7]),
                Some(3) if n > 5 => String::from_utf8_lossy(&b[5..5 + b[4] as usize]).into_owned(),
                Some(4) if n >= 22 => format!("ipv6 {:?}", &b[4..20]),
                _ => "?".into(),
            };
            a.lock().unwrap().push(dest);
            let _ = c.write_all(&[5, 0, 0, 1, 127, 0, 0, 1, 0, 80]);
            let _ = c.read(&mut b);
            let reply = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = c.write_all(reply.as_bytes());
        }
    });
    (url, asked)
}

/// Issue 24, item 6: with `socks5://`, sigwatch resolves names itself and hands the proxy
/// the address it checked.
#[test]
fn a_socks5_proxy_is_handed_the_checked_address() {
    let (url, asked) = socks5_proxy(feed(&[format!("{PUBLIC}/1")]));
    let sources = format!(
        "[[source]]\nname = \"public\"\nurl = \"{PUBLIC}/feed.xml\"\n\
         [[source]]\nname = \"private\"\nurl = \"http://192.168.1.1/feed.xml\"\n"
    );
    let env = Env::new(&config(&url, &sources));
    let summary = env.json(&["poll", "--format", "json"]);
    assert_eq!(summary["new_items"], 1, "{summary}");
    assert_eq!(summary["failed"], 1, "{summary}");
    assert!(
        summary
            .to_string()
            .contains("192.168.1.1 is not a public address"),
        "{summary}"
    );
    assert_eq!(*asked.lock().unwrap(), ["93.184.216.34"]);
}
