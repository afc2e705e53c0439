//! `sigwatch serve` with the real binary on port 0, over a database filled by polling local
//! feed servers: every page and feed answers, the Atom feeds parse, `/metrics` counts what
//! the store holds, `/healthz` turns 503 when the last cycle is stale, hostile feed text is
//! inert on every page, and a bind beyond loopback needs the token.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

use chrono::Utc;

use crate::server::{Reply, Server};
use crate::{Env, WATCHES};

/// A running `sigwatch serve`, killed when dropped.
pub struct Served {
    child: Child,
    pub addr: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `sigwatch serve --listen listen` on `env` and waits for the address it prints.
pub fn serve(env: &Env, listen: &str) -> Served {
    start(env, &["serve", "--listen", listen])
}

/// Starts `sigwatch ARGS` on `env` and waits for the address of the web view it prints.
fn start(env: &Env, args: &[&str]) -> Served {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sigwatch"))
        .arg("--config")
        .arg(env.config())
        .args(args)
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start sigwatch serve");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let addr = loop {
        let Some(Ok(line)) = lines.next() else {
            panic!("serve exited before printing its address: {:?}", child.wait());
        };
        eprintln!("serve: {line}");
        if let Some(rest) = line.split("listening on http://").nth(1) {
            break rest.trim_end_matches('/').to_string();
        }
    };
    // The rest of the log goes to the test's output (shown when it fails), so the child
    // never blocks on a full pipe.
    std::thread::spawn(move || {
        for l in lines.map_while(Result::ok) {
            eprintln!("serve: {l}");
        }
    });
    Served { child, addr }
}

/// One answer: the status, the headers (names in lower case) and the body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A plain HTTP/1.1 request over a TCP connection (the web view's own framing, nothing in
/// between).
pub fn request(addr: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Answer {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    s.write_all(req.as_bytes()).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8(raw).expect("utf-8 answer");
    let (head, rest) = text.split_once("\r\n\r\n").expect("a head");
    let mut lines = head.lines();
    let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"));
    let body = if chunked { dechunk(rest) } else { rest.to_string() };
    Answer {
        status,
        headers,
        body,
    }
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).expect("chunk size");
        if n == 0 {
            break;
        }
        out.push_str(&rest[..n]);
        s = &rest[n + 2..];
    }
    out
}

pub fn get(addr: &str, path: &str) -> Answer {
    request(addr, "GET", path, &[], "")
}

/// An RSS feed of (guid, title, link, description) items dated an hour ago.
pub fn feed(items: &[(&str, &str, &str, &str)]) -> String {
    let date = (Utc::now() - chrono::Duration::hours(1)).to_rfc2822();
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>T</title><link>http://example.test/</link><description>t</description>\n",
    );
    for (guid, title, link, desc) in items {
        s.push_str(&format!(
            "<item><guid>{guid}</guid><title>{title}</title><link>{link}</link><description>{desc}</description><pubDate>{date}</pubDate></item>\n"
        ));
    }
    s.push_str("</channel></rss>\n");
    s
}

pub const STORY: &str = "China announces export controls on rare earth processing technology";
const STORY_TEXT: &str = "The Ministry of Commerce said export controls on rare earth processing and \
    separation technology take effect on December 1, covering equipment, know-how and services.";
/// A title with a script tag, an event handler, and a bidi override: XML-escaped in the feed.
const HOSTILE_TITLE: &str =
    "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt; chip \u{202e}gnirts";

/// Two sources polled once: a story and its copy, a Chinese notice, a hostile item.
pub fn filled() -> (Env, Server) {
    let srv = Server::start();
    let a = feed(&[
        ("a1", STORY, "https://news.example/a1", STORY_TEXT),
        (
            "a2",
            "商务部公告 关于对稀土相关物项实施出口管制的决定",
            "https://mofcom.example/a2",
            "根据有关规定，决定对部分稀土相关物项实施出口管制。",
        ),
        (
            "evil",
            HOSTILE_TITLE,
            "javascript:alert(3)",
            "&lt;a href=\"javascript:alert(4)\"&gt;semiconductor&lt;/a&gt;&lt;script&gt;alert(5)&lt;/script&gt;",
        ),
    ]);
    let b = feed(&[("b1", STORY, "https://wire.example/b1", STORY_TEXT)]);
    srv.route("/a.xml", Reply::ok("application/rss+xml", a));
    srv.route("/b.xml", Reply::ok("application/rss+xml", b));
    let env = Env::new(&format!(
        "timezone = \"Asia/Shanghai\"\n[poll]\nschedule = \"*/5 * * * *\"\n\
         [[source]]\nname = \"ministry\"\nurl = \"{}\"\nrole = \"official\"\n\
         [[source]]\nname = \"wire\"\nurl = \"{}\"\n{WATCHES}",
        srv.url("/a.xml"),
        srv.url("/b.xml")
    ));
    env.ok(&["poll"]);
    (env, srv)
}

pub fn db_count(env: &Env, sql: &str) -> i64 {
    let conn = rusqlite::Connection::open(env.db()).unwrap();
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

/// Stories with hits (an item alone when never folded), of `watch` when given.
fn stories_in_store(env: &Env, watch: Option<&str>) -> i64 {
    let cond = watch.map_or(String::new(), |w| format!("WHERE watch = '{w}'"));
    db_count(
        env,
        &format!(
            "SELECT count(DISTINCT coalesce(i.story_id, i.id)) FROM items i
             WHERE i.id IN (SELECT item_id FROM hits {cond})"
        ),
    )
}

#[test]
fn pages_feeds_and_metrics_answer_with_what_the_store_holds() {
    let (env, _srv) = filled();
    let s = serve(&env, "127.0.0.1:0");
    let home = get(&s.addr, "/");
    assert_eq!(home.status, 200, "{}", home.body);
    assert!(home.body.contains(STORY), "{}", home.body);
    assert!(home.body.contains("<meta name=\"viewport\""));
    let csp = home.header("content-security-policy").expect("a CSP");
    assert!(
        csp.contains("default-src 'none'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    // The story of two copies is one row, naming both sources.
    assert_eq!(home.body.matches(STORY).count(), 1, "{}", home.body);
    assert!(home.body.contains("2 items from ministry, wire"), "{}", home.body);

    // Search, Chinese substrings too; the other stories are left out.
    let found = get(&s.addr, "/?q=%E5%87%BA%E5%8F%A3%E7%AE%A1%E5%88%B6");
    assert_eq!(found.status, 200);
    assert!(found.body.contains("实施出口管制的决定"), "{}", found.body);
    assert!(!found.body.contains(STORY), "{}", found.body);
    // Filters by watch, source and role.
    let by_watch = get(&s.addr, "/?watch=semiconductors");
    assert!(by_watch.body.contains("gnirts") && !by_watch.body.contains(STORY));
    let by_role = get(&s.addr, "/?role=official");
    assert!(by_role.body.contains("实施出口管制的决定"));
    let by_role = get(&s.addr, "/?role=state-media");
    assert!(by_role.body.contains("No stories match"), "{}", by_role.body);
    let by_source = get(&s.addr, "/?source=wire&sort=score");
    assert!(by_source.body.contains(STORY) && !by_source.body.contains("实施出口管制的决定"));

    // The story page: the lead with its terms marked, both members with the similarity.
    let lead = db_count(
        &env,
        "SELECT min(id) FROM items WHERE title LIKE 'China announces%'",
    );
    let page = get(&s.addr, &format!("/story/{lead}"));
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("<mark>export controls</mark>"),
        "{}",
        page.body
    );
    assert!(page.body.contains("<mark>rare earth</mark>"), "{}", page.body);
    assert!(
        page.body.contains("In this story") && page.body.contains("(to "),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("https:&#x2f;&#x2f;wire.example&#x2f;b1"),
        "{}",
        page.body
    );
    let copy = db_count(
        &env,
        "SELECT max(id) FROM items WHERE title LIKE 'China announces%'",
    );
    let same = get(&s.addr, &format!("/story/{copy}"));
    assert!(
        same.body.contains("news.example&#x2f;a1"),
        "a member leads to its story"
    );
    assert_eq!(get(&s.addr, "/story/999999").status, 404);

    for path in ["/sources", "/source/ministry", "/trends", "/style.css"] {
        let a = get(&s.addr, path);
        assert_eq!(a.status, 200, "{path}: {}", a.body);
    }
    assert!(get(&s.addr, "/source/ministry").body.contains("Items per day"));
    assert!(get(&s.addr, "/trends").body.contains("<polyline"));
    assert_eq!(get(&s.addr, "/source/nowhere").status, 404);

    // The feeds: valid Atom, one entry per story, the same ids on every fetch.
    for (path, watch) in [
        ("/feeds/all.atom", None),
        ("/feeds/watch/rare-earths.atom", Some("rare-earths")),
        ("/feeds/watch/semiconductors.atom", Some("semiconductors")),
    ] {
        let a = get(&s.addr, path);
        assert_eq!(a.status, 200, "{path}");
        assert!(
            a.header("content-type")
                .unwrap()
                .starts_with("application/atom+xml")
        );
        let f =
            feed_rs::parser::parse(a.body.as_bytes()).unwrap_or_else(|e| panic!("{path}: {e}\n{}", a.body));
        assert_eq!(f.entries.len() as i64, stories_in_store(&env, watch), "{path}");
        assert!(!f.entries.is_empty(), "{path}");
        let ids: Vec<&str> = f.entries.iter().map(|e| e.id.as_str()).collect();
        let again = feed_rs::parser::parse(get(&s.addr, path).body.as_bytes()).unwrap();
        assert_eq!(
            ids,
            again.entries.iter().map(|e| e.id.as_str()).collect::<Vec<_>>()
        );
        for e in &f.entries {
            assert!(
                e.links.iter().any(|l| l.href.contains("/story/")),
                "{path}: {e:?}"
            );
        }
    }
    let lead_entry =
        feed_rs::parser::parse(get(&s.addr, "/feeds/watch/rare-earths.atom").body.as_bytes()).unwrap();
    assert!(
        lead_entry
            .entries
            .iter()
            // Whichever source was stored first leads the story.
            .any(|e| e
                .links
                .iter()
                .any(|l| ["https://news.example/a1", "https://wire.example/b1"].contains(&l.href.as_str()))),
        "the lead's own link"
    );
    assert_eq!(get(&s.addr, "/feeds/watch/nothing.atom").status, 404);

    // Metrics: Prometheus text whose counts are the store's.
    let m = get(&s.addr, "/metrics");
    assert_eq!(m.status, 200);
    let metrics = prometheus(&m.body);
    let value = |k: &str| *metrics.get(k).unwrap_or_else(|| panic!("no {k} in\n{}", m.body));
    assert_eq!(value("sigwatch_items_stored") as i64, env.count("items"));
    assert_eq!(value("sigwatch_hits_stored") as i64, env.count("hits"));
    assert_eq!(value("sigwatch_fetches_total{outcome=\"fetched\"}"), 2.0);
    assert_eq!(value("sigwatch_fetches_total{outcome=\"failed\"}"), 0.0);
    assert_eq!(value("sigwatch_cycles_total"), 1.0);
    assert_eq!(value("sigwatch_outbox_queued{channel=\"digest\"}"), 0.0);
    let by_health: f64 = metrics
        .iter()
        .filter(|(k, _)| k.starts_with("sigwatch_sources{"))
        .map(|(_, v)| v)
        .sum();
    assert_eq!(by_health as i64, env.count("sources"));
    assert_eq!(value("sigwatch_sources{health=\"ok\"}"), 2.0);
    let last = value("sigwatch_last_cycle_success_timestamp_seconds");
    assert!((Utc::now().timestamp() as f64 - last).abs() < 600.0);
    assert!(value("sigwatch_last_cycle_duration_seconds") >= 0.0);

    // Health: fresh now; stale once the last cycle is made three hours old.
    let h = get(&s.addr, "/healthz");
    assert_eq!(h.status, 200, "{}", h.body);
    let conn = rusqlite::Connection::open(env.db()).unwrap();
    conn.execute("UPDATE cycles SET finished = finished - 3 * 3600", [])
        .unwrap();
    drop(conn);
    let h = get(&s.addr, "/healthz");
    assert_eq!(h.status, 503, "{}", h.body);
    let v: serde_json::Value = serde_json::from_str(&h.body).unwrap();
    assert!(
        v["reason"].as_str().unwrap().contains("twice the schedule"),
        "{v}"
    );
}

/// Samples of Prometheus text format 0.0.4, checked line by line: `# HELP` and `# TYPE`
/// before each metric's samples, names and labels well formed, values numbers.
fn prometheus(text: &str) -> std::collections::HashMap<String, f64> {
    let mut out = std::collections::HashMap::new();
    let mut typed: Vec<String> = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("# TYPE name kind");
            assert!(
                ["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind),
                "{line}"
            );
            typed.push(name.to_string());
            continue;
        }
        if line.starts_with("# HELP ") || line.is_empty() {
            continue;
        }
        assert!(
            !line.starts_with('#'),
            "a comment other than HELP or TYPE: {line}"
        );
        let (key, value) = line.rsplit_once(' ').expect("name value");
        let name = key.split('{').next().unwrap();
        assert!(
            name.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
                && !name.starts_with(|c: char| c.is_ascii_digit()),
            "{line}"
        );
        if let Some(labels) = key.strip_prefix(name).filter(|l| !l.is_empty()) {
            let inner = labels
                .strip_prefix('{')
                .and_then(|l| l.strip_suffix('}'))
                .expect("{labels}");
            for pair in inner.split(',') {
                let (k, v) = pair.split_once('=').expect("label=value");
                assert!(k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'), "{line}");
                assert!(v.starts_with('"') && v.ends_with('"') && v.len() >= 2, "{line}");
            }
        }
        assert_eq!(
            typed.last().map(String::as_str),
            Some(name),
            "samples follow their # TYPE: {line}"
        );
        let v: f64 = value.parse().unwrap_or_else(|_| panic!("not a number: {line}"));
        assert!(out.insert(key.to_string(), v).is_none(), "a sample twice: {line}");
    }
    out
}

#[test]
fn hostile_feed_text_is_inert_on_every_page() {
    let (env, _srv) = filled();
    let s = serve(&env, "127.0.0.1:0");
    let evil = db_count(&env, "SELECT id FROM items WHERE guid = 'evil'");
    let pages = [
        "/".to_string(),
        "/?q=chip".to_string(),
        "/?watch=semiconductors&sort=score".to_string(),
        format!("/story/{evil}"),
        "/sources".to_string(),
        "/source/ministry".to_string(),
        "/trends".to_string(),
        "/feeds/all.atom".to_string(),
        "/feeds/watch/semiconductors.atom".to_string(),
        // The search text itself is shown back in the form.
        "/?q=%3Cscript%3Ealert(9)%3C%2Fscript%3E%22%3E".to_string(),
    ];
    for p in &pages {
        let a = get(&s.addr, p);
        assert_eq!(a.status, 200, "{p}");
        let body = a.body.to_ascii_lowercase();
        for bad in ["<script", "<img", "javascript:"] {
            assert!(!body.contains(bad), "{p} holds {bad:?}:\n{}", a.body);
        }
        assert!(!a.body.contains('\u{202e}'), "{p} holds a bidi override");
    }
    // The hostile title is there, as text.
    let story = get(&s.addr, &format!("/story/{evil}")).body;
    assert!(
        story.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"),
        "{story}"
    );
    assert!(story.contains("gnirts"));
}

#[test]
fn beyond_loopback_requests_need_the_token() {
    let (env, _srv) = filled();
    let cfg = std::fs::read_to_string(env.config()).unwrap();
    // Without a token file, another address is refused at start, naming the key.
    let out = env.run(&["serve", "--listen", "0.0.0.0:0"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("token_file"), "{err}");

    let token = "a-long-enough-token-for-the-test";
    let path = env.dir.path().join("web-token");
    std::fs::write(&path, format!("{token}\n")).unwrap();
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    std::fs::write(
        env.config(),
        format!("{cfg}\n[serve]\ntoken_file = \"web-token\"\n"),
    )
    .unwrap();
    let s = serve(&env, "0.0.0.0:0");
    let port = s.addr.rsplit(':').next().unwrap();
    let addr = format!("127.0.0.1:{port}");
    for p in ["/", "/story/1", "/feeds/all.atom", "/metrics", "/trends"] {
        let a = get(&addr, p);
        assert_eq!(a.status, 401, "{p}");
        assert!(!a.body.contains(STORY), "{p}");
    }
    assert_eq!(get(&addr, "/healthz").status, 200);
    let wrong = request(
        &addr,
        "GET",
        "/",
        &[("Authorization", "Bearer not-the-token-at-all-xx")],
        "",
    );
    assert_eq!(wrong.status, 401);
    let bearer = format!("Bearer {token}");
    let ok = request(&addr, "GET", "/", &[("Authorization", &bearer)], "");
    assert_eq!(ok.status, 200);
    assert!(ok.body.contains(STORY));
    // The login form sets a cookie that is not the token, and admits.
    let form = [("Content-Type", "application/x-www-form-urlencoded")];
    let bad = request(&addr, "POST", "/login", &form, "token=nope");
    assert_eq!(bad.status, 401);
    let login = request(&addr, "POST", "/login", &form, &format!("token={token}"));
    assert_eq!(login.status, 303, "{}", login.body);
    let cookie = login
        .header("set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    assert!(!cookie.contains(token) && login.header("set-cookie").unwrap().contains("HttpOnly"));
    let by_cookie = request(&addr, "GET", "/feeds/all.atom", &[("Cookie", &cookie)], "");
    assert_eq!(by_cookie.status, 200);
}

#[test]
fn digests_link_to_the_story_page_under_the_public_url() {
    let (env, _srv) = filled();
    let cfg = std::fs::read_to_string(env.config()).unwrap();
    std::fs::write(
        env.config(),
        format!(
            "{cfg}\n[digest]\nmail_backlog = true\n[serve]\npublic_url = \"https://sw.example.org/view/\"\n"
        ),
    )
    .unwrap();
    let lead = db_count(
        &env,
        "SELECT min(id) FROM items WHERE title LIKE 'China announces%'",
    );
    let preview = env.ok(&["digest", "--preview"]);
    assert!(
        preview.contains(&format!("story: https://sw.example.org/view/story/{lead}")),
        "{preview}"
    );
    // The story page the digest links to is the one the view serves.
    let s = serve(&env, "127.0.0.1:0");
    assert_eq!(get(&s.addr, &format!("/story/{lead}")).status, 200);
    let feed = feed_rs::parser::parse(get(&s.addr, "/feeds/all.atom").body.as_bytes()).unwrap();
    assert!(
        feed.entries.iter().any(|e| e
            .links
            .iter()
            .any(|l| l.href == format!("https://sw.example.org/view/story/{lead}"))),
        "{feed:?}"
    );
}

#[test]
fn run_serves_beside_the_daemon_when_serve_is_set() {
    let (env, _srv) = filled();
    let cfg = std::fs::read_to_string(env.config()).unwrap();
    std::fs::write(
        env.config(),
        format!("{cfg}\n[serve]\nlisten = \"127.0.0.1:0\"\n"),
    )
    .unwrap();
    let s = start(&env, &["run"]);
    // The daemon's first cycle is recorded while the view answers.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let cycles = || db_count(&env, "SELECT count(*) FROM cycles");
    while cycles() < 2 {
        assert!(std::time::Instant::now() < deadline, "the daemon ran no cycle");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(get(&s.addr, "/healthz").status, 200);
    assert!(get(&s.addr, "/").body.contains(STORY));
}
