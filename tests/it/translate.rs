//! Glosses through the real binary: a translation server on 127.0.0.1 that speaks each API
//! as its documentation shows (tests/data/translate/), checks every request against the
//! documented shape, and answers in it; digests through the scripted SMTP server.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mailparse::parse_mail;
use serde_json::Value;

use crate::server::{Reply, Server};
use crate::smtp::{SmtpServer, part};
use crate::{Env, WATCHES};

const MOFCOM_TITLE: &str = "商务部公告2026年第61号 关于对部分中重稀土相关物项实施出口管制的决定";
const MOFCOM_GLOSS: &str = "MOFCOM Announcement No. 61 of 2026: decision to impose export controls on certain medium and heavy rare earth items";

/// The English a test service gives for the texts the feeds below hold.
fn english(text: &str) -> &'static str {
    if text == MOFCOM_TITLE {
        MOFCOM_GLOSS
    } else if text.contains("工业和信息化部") {
        "MIIT issues new rules"
    } else if text.contains("芯片") {
        "The new rules require chip companies to strengthen management."
    } else if text.contains("日本") {
        "Japan diversifies its rare earth suppliers"
    } else {
        "UNEXPECTED TEXT"
    }
}

/// How the test service answers.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Answer,
    Status(u16),
    Hang,
    /// Answer after this long.
    Slow(Duration),
}

/// One request the service received, after its check.
#[derive(Debug, Clone)]
struct Got {
    path: String,
    auth: Option<String>,
    body: Value,
    /// What the documented shape says is wrong with it; empty when it is right.
    wrong: Vec<String>,
}

/// A public address that is never connected to: a service "there" is reached through a
/// proxy, played by the local service itself.
const PUBLIC: &str = "http://93.184.216.34";

/// A translation service of `kind` on 127.0.0.1 port 0.
struct Service {
    url: String,
    got: Arc<Mutex<Vec<Got>>>,
    server: Arc<tiny_http::Server>,
}

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/data/translate/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).expect("fixture")).expect("fixture JSON")
}

/// The JSON type of a value, for comparing shapes.
fn type_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The text to translate in a request of `kind`.
fn text_of(kind: &str, body: &Value) -> String {
    let t = match kind {
        "libretranslate" => &body["q"],
        "deepl" => &body["text"][0],
        _ => &body["messages"][1]["content"],
    };
    t.as_str().unwrap_or_default().to_string()
}

impl Service {
    fn start(kind: &'static str, mode: Mode, key: Option<&'static str>) -> Service {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("bind"));
        let port = server.server_addr().to_ip().unwrap().port();
        let got: Arc<Mutex<Vec<Got>>> = Arc::default();
        let (s, g) = (server.clone(), got.clone());
        let request = fixture(&format!("{kind}-request.json"));
        let answer = fixture(&format!("{kind}-answer.json"));
        std::thread::spawn(move || {
            for mut req in s.incoming_requests() {
                let (g, request, mut answer) = (g.clone(), request.clone(), answer.clone());
                std::thread::spawn(move || {
                    let mut raw = Vec::new();
                    let _ = std::io::Read::read_to_end(req.as_reader(), &mut raw);
                    let header = |name: &str| {
                        req.headers()
                            .iter()
                            .find(|h| h.field.as_str().as_str().eq_ignore_ascii_case(name))
                            .map(|h| h.value.as_str().to_string())
                    };
                    let auth = header("authorization");
                    let body: Value = serde_json::from_slice(&raw).unwrap_or(Value::Null);
                    let mut wrong = Vec::new();
                    let path = match kind {
                        "libretranslate" => "/translate",
                        "deepl" => "/v2/translate",
                        _ => "/v1/chat/completions",
                    };
                    // Through a proxy the target is the whole URL: this server answers for
                    // the public address too (see `a_configured_proxy_carries_the_requests`).
                    let target = req.url().strip_prefix(PUBLIC).unwrap_or(req.url());
                    if target != path || req.method().as_str() != "POST" {
                        wrong.push(format!("{} {}", req.method(), req.url()));
                    }
                    if !header("content-type").is_some_and(|c| c.starts_with("application/json")) {
                        wrong.push("not JSON".into());
                    }
                    for (k, v) in request.as_object().unwrap() {
                        // The key travels in LibreTranslate's body only when there is one.
                        if k == "api_key" && key.is_none() {
                            continue;
                        }
                        match body.get(k) {
                            Some(ours) if type_of(ours) == type_of(v) => {}
                            other => wrong.push(format!("{k}: {other:?}")),
                        }
                    }
                    let want_auth = match (kind, key) {
                        ("deepl", Some(k)) => Some(format!("DeepL-Auth-Key {k}")),
                        ("openai", Some(k)) => Some(format!("Bearer {k}")),
                        _ => None,
                    };
                    if auth != want_auth {
                        wrong.push(format!("authorization {auth:?}"));
                    }
                    if kind == "libretranslate" && body.get("api_key").and_then(Value::as_str) != key {
                        wrong.push("api_key".into());
                    }
                    let text = text_of(kind, &body);
                    let ok = wrong.is_empty();
                    g.lock().unwrap().push(Got {
                        path: req.url().to_string(),
                        auth,
                        body,
                        wrong,
                    });
                    let (status, out) = match mode {
                        _ if !ok => (400, b"{\"error\": \"not as documented\"}".to_vec()),
                        Mode::Status(s) => (s, b"{\"error\": \"service unavailable\"}".to_vec()),
                        Mode::Hang => {
                            std::thread::sleep(Duration::from_secs(30));
                            (500, Vec::new())
                        }
                        Mode::Answer | Mode::Slow(_) => {
                            if let Mode::Slow(d) = mode {
                                std::thread::sleep(d);
                            }
                            let gloss = Value::String(english(&text).into());
                            match kind {
                                "libretranslate" => answer["translatedText"] = gloss,
                                "deepl" => answer["translations"][0]["text"] = gloss,
                                _ => answer["choices"][0]["message"]["content"] = gloss,
                            }
                            (200, serde_json::to_vec(&answer).unwrap())
                        }
                    };
                    let resp = tiny_http::Response::from_data(out)
                        .with_status_code(status)
                        .with_header(
                            tiny_http::Header::from_bytes(&b"Content-Type"[..], &b"application/json"[..])
                                .unwrap(),
                        );
                    let _ = req.respond(resp);
                });
            }
        });
        Service {
            url: format!("http://127.0.0.1:{port}"),
            got,
            server,
        }
    }

    fn got(&self) -> Vec<Got> {
        self.got.lock().unwrap().clone()
    }

    /// The texts sent, by the language they were sent as.
    fn texts(&self, kind: &str) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = self
            .got()
            .iter()
            .map(|g| {
                let lang = match kind {
                    "libretranslate" => g.body["source"].as_str().unwrap_or_default().to_string(),
                    "deepl" => g.body["source_lang"].as_str().unwrap_or_default().to_lowercase(),
                    _ => String::new(),
                };
                (lang, text_of(kind, &g.body))
            })
            .collect();
        out.sort();
        out
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.server.unblock();
    }
}

/// Items of a source without `lang`: Chinese with hits in the title (c1) and in the
/// summary (c2), Chinese without a hit (c3), Japanese with a hit (j1), English with a hit
/// (e1).
fn feed() -> String {
    crate::rss(&[
        (
            "c1",
            MOFCOM_TITLE,
            "商务部决定对部分中重稀土相关物项实施出口管制。",
        ),
        ("c2", "工业和信息化部发布新规", "新规要求芯片企业加强管理。"),
        ("c3", "天气预报", "明天晴。"),
        ("j1", "日本、稀土の輸入先を多様化", "政府は発表した。"),
        ("e1", "China curbs rare earth exports", "New rules."),
    ])
}

/// A Chinese item with a hit, from a source whose `lang` is "en".
fn english_source_feed() -> String {
    crate::rss(&[("x1", "稀土价格上涨", "稀土价格继续上涨。")])
}

struct Setup {
    _feeds: Server,
    smtp: SmtpServer,
    env: Env,
}

fn setup(translate: &str, key: Option<&str>) -> Setup {
    let feeds = Server::start();
    feeds.route("/cn.xml", Reply::ok("application/rss+xml", feed()));
    feeds.route("/en.xml", Reply::ok("application/rss+xml", english_source_feed()));
    let smtp = SmtpServer::start(&[]);
    let config = format!(
        "[[source]]\nname = \"cn\"\nurl = \"{}\"\n\n[[source]]\nname = \"en-wire\"\nurl = \"{}\"\nlang = \"en\"\n\n\
         [digest]\nfrom = \"sigwatch <alerts@sigwatch.test>\"\nto = [\"analyst@example.com\"]\nmail_backlog = true\nsend_timeout = \"5s\"\n\
         [smtp]\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"none\"\n\n[translate]\n{translate}\n{WATCHES}",
        feeds.url("/cn.xml"),
        feeds.url("/en.xml"),
        smtp.port
    );
    let env = Env::new(&config);
    if let Some(k) = key {
        let p = env.dir.path().join("translate.key");
        std::fs::write(&p, format!("{k}\n")).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    Setup {
        _feeds: feeds,
        smtp,
        env,
    }
}

/// The item id of the hit whose title is `title`.
fn item_of(env: &Env, title: &str) -> i64 {
    let hits = env.json(&["hits", "--format", "json"]);
    hits.as_array()
        .unwrap()
        .iter()
        .find(|h| h["title"] == title)
        .and_then(|h| h["item"].as_i64())
        .unwrap_or_else(|| panic!("no hit titled {title}: {hits}"))
}

/// The texts sigwatch should send: the titles of the Chinese and Japanese items with hits,
/// and the snippet of the one hit outside a title.
fn expected_texts() -> Vec<(String, String)> {
    let mut v = vec![
        ("ja".to_string(), "日本、稀土の輸入先を多様化".to_string()),
        ("zh".to_string(), MOFCOM_TITLE.to_string()),
        ("zh".to_string(), "工业和信息化部发布新规".to_string()),
        ("zh".to_string(), "新规要求芯片企业加强管理。".to_string()),
    ];
    v.sort();
    v
}

#[test]
fn libretranslate_glosses_matched_items_once_and_every_view_shows_them() {
    let svc = Service::start("libretranslate", Mode::Answer, Some("lt-key-1"));
    let s = setup(
        &format!(
            "kind = \"libretranslate\"\nurl = \"{}\"\nkey_file = \"translate.key\"\n",
            svc.url
        ),
        Some("lt-key-1"),
    );
    let out = s.env.run(&["poll"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let got = svc.got();
    assert!(
        got.iter().all(|g| g.wrong.is_empty()),
        "requests as documented: {got:?}"
    );
    assert!(got.iter().all(|g| g.path == "/translate" && g.auth.is_none()));
    assert!(
        got.iter()
            .all(|g| g.body["target"] == "en" && g.body["format"] == "text")
    );
    // Only matched Chinese and Japanese items: not c3 (no hit), e1 (English), x1 (its
    // source says English).
    assert_eq!(svc.texts("libretranslate"), expected_texts());

    // Stored once: another poll and `sigwatch translate` send nothing.
    s.env.ok(&["poll"]);
    let again = s.env.ok(&["translate"]);
    assert!(again.contains("glossed 0 texts"), "{again}");
    assert_eq!(svc.got().len(), 4, "nothing is sent twice");
    assert_eq!(s.env.count("glosses"), 4);

    // show: the gloss under the title, marked.
    let id = item_of(&s.env, MOFCOM_TITLE);
    let show = s.env.ok(&["show", &id.to_string()]);
    let lines: Vec<&str> = show.lines().collect();
    assert!(lines[0].contains("商务部公告"), "{show}");
    assert_eq!(
        lines[1],
        format!("[machine translation, libretranslate] {MOFCOM_GLOSS}"),
        "{show}"
    );
    let c2 = item_of(&s.env, "工业和信息化部发布新规");
    let show = s.env.ok(&["show", &c2.to_string()]);
    assert!(
        show.contains("[machine translation, libretranslate] The new rules require chip companies"),
        "the snippet's gloss under the hit: {show}"
    );

    // hits: JSON key `gloss`; the table keeps it on a second line of the title.
    let hits = s.env.json(&["hits", "--format", "json"]);
    let mofcom = hits
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["title"] == MOFCOM_TITLE)
        .unwrap();
    assert_eq!(mofcom["gloss"]["title"], MOFCOM_GLOSS);
    assert_eq!(mofcom["gloss"]["service"], "libretranslate");
    let english = hits
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["title"] == "China curbs rare earth exports")
        .unwrap();
    assert!(english["gloss"].is_null());
    let table = s.env.run(&["hits"]);
    let stdout = String::from_utf8_lossy(&table.stdout);
    assert!(stdout.contains("[MT] MOFCOM Announcement"), "{stdout}");
    assert!(String::from_utf8_lossy(&table.stderr).contains("[MT]: machine translation (libretranslate)"));
    let stories = s.env.json(&["hits", "--stories", "--format", "json"]);
    assert!(
        stories
            .as_array()
            .unwrap()
            .iter()
            .any(|st| st["title"] == MOFCOM_TITLE && st["gloss"]["title"] == MOFCOM_GLOSS),
        "{stories}"
    );

    // The web view: under the title on the stories page and on the story page.
    let web = crate::serve::serve(&s.env, "127.0.0.1:0");
    // The feed dates its items 2026-11-23: the widest span keeps them on the page.
    let page = crate::serve::get(&web.addr, "/?days=3660");
    assert!(
        page.body.contains(MOFCOM_GLOSS) && page.body.contains("[machine translation, libretranslate]"),
        "{}",
        page.body
    );
    let story = crate::serve::get(&web.addr, &format!("/story/{id}"));
    assert!(story.body.contains(MOFCOM_GLOSS), "{}", story.body);
    drop(web);

    // The digest, through SMTP: the gloss under the title in both parts, no note.
    let out = s.env.ok(&["digest"]);
    assert!(out.contains("delivered 1"), "{out}");
    let raw = s.smtp.accepted().remove(0);
    let mail = parse_mail(raw.as_bytes()).unwrap();
    let text = part(&mail, "text/plain");
    let lines: Vec<&str> = text.lines().collect();
    let entry = lines
        .iter()
        .position(|l| l.starts_with("* ") && l.contains("商务部公告"))
        .unwrap_or_else(|| panic!("an entry: {text}"));
    assert_eq!(
        lines[entry + 1],
        format!("  [machine translation, libretranslate] {MOFCOM_GLOSS}"),
        "right under the title: {text}"
    );
    assert!(text.contains("The new rules require chip companies"), "{text}");
    assert!(!text.contains("without machine translation"), "{text}");
    let html = part(&mail, "text/html");
    assert!(html.contains(MOFCOM_GLOSS) && html.contains("[machine translation, libretranslate]"));
}

#[test]
fn deepl_gets_its_header_and_body_as_documented() {
    let svc = Service::start("deepl", Mode::Answer, Some("dl-key:fx"));
    let s = setup(
        &format!(
            "kind = \"deepl\"\nurl = \"{}\"\nkey_file = \"translate.key\"\ntarget = \"en-us\"\n",
            svc.url
        ),
        Some("dl-key:fx"),
    );
    s.env.ok(&["poll"]);
    let got = svc.got();
    assert!(
        !got.is_empty() && got.iter().all(|g| g.wrong.is_empty()),
        "{got:?}"
    );
    assert!(got.iter().all(|g| g.body["target_lang"] == "EN-US"));
    assert_eq!(svc.texts("deepl"), expected_texts());
    let hits = s.env.json(&["hits", "--format", "json"]);
    assert!(
        hits.as_array()
            .unwrap()
            .iter()
            .any(|h| h["gloss"]["title"] == MOFCOM_GLOSS && h["gloss"]["service"] == "deepl"),
        "{hits}"
    );
}

#[test]
fn a_configured_proxy_carries_the_requests_to_a_service_elsewhere() {
    // DeepL as a firm behind a proxy reaches it: the service's URL is a public address
    // (never connected to here), and `[fetch] proxy` names a local server that plays the
    // proxy and answers for it. The feeds, on loopback, are fetched direct.
    let svc = Service::start("deepl", Mode::Answer, Some("dl-key:fx"));
    let s = setup(
        &format!(
            "kind = \"deepl\"\nurl = \"{PUBLIC}\"\nkey_file = \"translate.key\"\ntimeout = \"10s\"\n\
             [fetch]\nproxy = \"{}\"\nconnect_timeout = \"2s\"\n",
            svc.url
        ),
        Some("dl-key:fx"),
    );
    s.env.ok(&["poll"]);
    let got = svc.got();
    assert_eq!(got.len(), 4, "{got:?}");
    for g in &got {
        assert!(g.wrong.is_empty(), "{g:?}");
        assert_eq!(
            g.path,
            format!("{PUBLIC}/v2/translate"),
            "not through the proxy: {g:?}"
        );
    }
    assert_eq!(svc.texts("deepl"), expected_texts());
    let id = item_of(&s.env, MOFCOM_TITLE);
    let show = s.env.ok(&["show", &id.to_string()]);
    assert!(show.contains(MOFCOM_GLOSS), "{show}");
}

#[test]
fn an_openai_compatible_server_gets_the_model_and_the_text_as_the_user_message() {
    // A local server (llama.cpp, Ollama, vLLM) without a key: no Authorization header.
    let svc = Service::start("openai", Mode::Answer, None);
    let s = setup(
        &format!(
            "kind = \"openai\"\nurl = \"{}/v1\"\nmodel = \"qwen2.5:7b-instruct\"\n",
            svc.url
        ),
        None,
    );
    s.env.ok(&["poll"]);
    let got = svc.got();
    assert_eq!(got.len(), 4, "{got:?}");
    assert!(
        got.iter().all(|g| g.wrong.is_empty() && g.auth.is_none()),
        "{got:?}"
    );
    assert!(got.iter().all(|g| g.body["model"] == "qwen2.5:7b-instruct"
        && g.body["messages"][0]["role"] == "system"
        && g.body["messages"][1]["role"] == "user"));
    let id = item_of(&s.env, MOFCOM_TITLE);
    let show = s.env.ok(&["show", &id.to_string()]);
    assert!(
        show.contains(&format!("[machine translation, openai] {MOFCOM_GLOSS}")),
        "{show}"
    );
}

/// The digest of a setup whose service failed: sent at once, no gloss, one line saying so.
fn unglossed_digest(s: &Setup, why: &str) {
    let started = Instant::now();
    let out = s.env.ok(&["digest"]);
    assert!(out.contains("delivered 1"), "{out}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the digest waits on nothing"
    );
    let raw = s.smtp.accepted().remove(0);
    let mail = parse_mail(raw.as_bytes()).unwrap();
    let text = part(&mail, "text/plain");
    assert!(!text.contains("[machine translation"), "{text}");
    let note = text
        .lines()
        .find(|l| l.contains("without machine translation"))
        .unwrap_or_else(|| panic!("a line says so: {text}"));
    assert!(note.contains("3 items") && note.contains(why), "{note}");
    assert_eq!(
        text.matches("without machine translation").count(),
        1,
        "one line: {text}"
    );
    assert!(part(&mail, "text/html").contains("without machine translation"));
}

#[test]
fn a_5xx_leaves_the_digest_unglossed_but_sent() {
    let svc = Service::start("libretranslate", Mode::Status(503), None);
    let s = setup(
        &format!("kind = \"libretranslate\"\nurl = \"{}\"\n", svc.url),
        None,
    );
    let out = s.env.run(&["poll"]);
    assert!(out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("HTTP 503"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(svc.got().len(), 1, "the run stops at the first failure");
    assert_eq!(s.env.count("glosses"), 0);
    unglossed_digest(&s, "HTTP 503");
}

#[test]
fn translate_since_glosses_items_mailed_while_the_service_was_down() {
    let down = Service::start("libretranslate", Mode::Status(502), None);
    let s = setup(
        &format!("kind = \"libretranslate\"\nurl = \"{}\"\n", down.url),
        None,
    );
    s.env.ok(&["poll"]);
    unglossed_digest(&s, "HTTP 502");
    // The service is back; the hits were mailed, so only --since takes them again.
    let up = Service::start("libretranslate", Mode::Answer, None);
    let config = std::fs::read_to_string(s.env.config())
        .unwrap()
        .replace(&down.url, &up.url);
    std::fs::write(s.env.config(), config).unwrap();
    assert!(s.env.ok(&["translate"]).contains("glossed 0 texts"));
    assert!(up.got().is_empty());
    let out = s
        .env
        .json(&["translate", "--since", "2026-11-01", "--format", "json"]);
    assert_eq!(out["glossed"], 4, "{out}");
    assert_eq!(up.texts("libretranslate"), expected_texts());
    let id = item_of(&s.env, MOFCOM_TITLE);
    assert!(s.env.ok(&["show", &id.to_string()]).contains(MOFCOM_GLOSS));
}

#[test]
fn a_text_the_service_refuses_is_not_sent_again() {
    let svc = Service::start("libretranslate", Mode::Status(422), None);
    let s = setup(
        &format!("kind = \"libretranslate\"\nurl = \"{}\"\n", svc.url),
        None,
    );
    s.env.ok(&["poll"]);
    assert_eq!(
        svc.texts("libretranslate"),
        expected_texts(),
        "a refusal stops nothing"
    );
    s.env.ok(&["poll"]);
    s.env.ok(&["translate"]);
    assert_eq!(svc.got().len(), 4, "refused texts are not sent again");
    unglossed_digest(&s, "refused");
}

#[test]
fn a_service_that_hangs_is_cut_at_the_timeout() {
    let svc = Service::start("libretranslate", Mode::Hang, None);
    let s = setup(
        &format!(
            "kind = \"libretranslate\"\nurl = \"{}\"\ntimeout = \"2s\"\n",
            svc.url
        ),
        None,
    );
    let started = Instant::now();
    s.env.ok(&["poll"]);
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(10),
        "poll waited {took:?} for translation"
    );
    unglossed_digest(&s, "timed out");
}

#[test]
fn the_daily_budget_stops_requests() {
    // Nothing at all under a budget of 0.
    let svc = Service::start("libretranslate", Mode::Answer, None);
    let s = setup(
        &format!(
            "kind = \"libretranslate\"\nurl = \"{}\"\nmax_chars_per_day = 0\n",
            svc.url
        ),
        None,
    );
    s.env.ok(&["poll"]);
    assert!(svc.got().is_empty());
    unglossed_digest(&s, "budget");

    // A budget for some of it: what is sent stays within it, counted in the store.
    let svc = Service::start("libretranslate", Mode::Answer, None);
    let s = setup(
        &format!(
            "kind = \"libretranslate\"\nurl = \"{}\"\nmax_chars_per_day = 45\n",
            svc.url
        ),
        None,
    );
    s.env.ok(&["poll"]);
    let sent: usize = svc
        .texts("libretranslate")
        .iter()
        .map(|(_, t)| t.chars().count())
        .sum();
    assert!(
        !svc.got().is_empty() && svc.got().len() < 4,
        "{:?}",
        svc.texts("libretranslate")
    );
    assert!(sent <= 45, "{sent} characters sent");
    let conn = rusqlite::Connection::open(s.env.db()).unwrap();
    let counted: i64 = conn
        .query_row("SELECT sum(chars) FROM gloss_days", [], |r| r.get(0))
        .unwrap();
    assert_eq!(counted as usize, sent);
    let before = svc.got().len();
    s.env.ok(&["translate"]);
    assert_eq!(svc.got().len(), before, "over budget, nothing is sent");
}

#[test]
fn check_warns_of_a_public_service_and_refuses_a_key_file_all_can_read() {
    let env = Env::new(&format!(
        "[translate]\nkind = \"deepl\"\nurl = \"https://8.8.8.8\"\nkey_file = \"deepl.key\"\n{WATCHES}"
    ));
    let key = env.dir.path().join("deepl.key");
    std::fs::write(&key, "SECRET-KEY\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = env.run(&["check"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(
        err.contains("sigwatch.toml:4: translate.key_file") && err.contains("readable by every user"),
        "{err}"
    );
    assert!(!err.contains("SECRET"), "{err}");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    let out = env.run(&["check"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("warning: translate.url: 8.8.8.8 is not on this machine"),
        "{err}"
    );
    // A service beside sigwatch draws no warning.
    let env = Env::new(&format!(
        "[translate]\nkind = \"libretranslate\"\nurl = \"http://127.0.0.1:5000\"\n{WATCHES}"
    ));
    let out = env.run(&["check"]);
    assert!(out.status.success() && !String::from_utf8_lossy(&out.stderr).contains("warning"));
}

#[test]
fn the_daemon_glosses_beside_its_polls_and_never_waits_for_the_service() {
    use crate::daemon::{start, stop, wait_for};
    // Each answer takes 3 s; the daemon polls every 2 s.
    let svc = Service::start("libretranslate", Mode::Slow(Duration::from_secs(3)), None);
    let feeds = Server::start();
    feeds.route("/cn.xml", Reply::ok("application/rss+xml", feed()));
    let env = Env::new(&format!(
        "[fetch]\ntimeout = \"5s\"\n[poll]\nschedule = \"*/2 * * * * *\"\nspread = \"0s\"\n\
         [[source]]\nname = \"cn\"\nurl = \"{}\"\n[digest]\nmail_backlog = true\n\
         [translate]\nkind = \"libretranslate\"\nurl = \"{}\"\ntimeout = \"60s\"\n{WATCHES}",
        feeds.url("/cn.xml"),
        svc.url
    ));
    let child = start(&env);
    wait_for(
        Duration::from_secs(20),
        "the first request to the service",
        || !svc.got().is_empty(),
    );
    // While the service takes its time, polls go on.
    let polls = feeds.seen("/cn.xml").len();
    wait_for(Duration::from_secs(6), "two more polls during a request", || {
        feeds.seen("/cn.xml").len() >= polls + 2
    });
    wait_for(Duration::from_secs(40), "the four glosses", || {
        env.db().exists() && env.count("glosses") == 4
    });
    assert_eq!(svc.got().len(), 4, "each text once, across many cycles");
    let log = stop(child);
    assert!(log.contains("glosses stored"), "{log}");
}

#[test]
fn an_alert_mailed_by_poll_carries_the_gloss() {
    let svc = Service::start("libretranslate", Mode::Answer, None);
    let s = setup(
        &format!(
            "kind = \"libretranslate\"\nurl = \"{}\"\n\n[watch.mofcom-notices]\nterms = [\"商务部公告\"]\nalert = \"immediate\"\n",
            svc.url
        ),
        None,
    );
    s.env.ok(&["poll"]);
    let raw = s.smtp.accepted().remove(0);
    let mail = parse_mail(raw.as_bytes()).unwrap();
    let subject = mailparse::MailHeaderMap::get_first_value(&mail.headers[..], "Subject").unwrap();
    assert!(subject.starts_with("sigwatch alert: mofcom-notices"), "{subject}");
    let text = part(&mail, "text/plain");
    assert!(
        text.contains(&format!("[machine translation, libretranslate] {MOFCOM_GLOSS}")),
        "{text}"
    );
}
