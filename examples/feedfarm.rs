//! A local feed farm for benchmarks: serves N generated RSS 2.0 feeds of 50 items each on
//! 127.0.0.1, at /feed/<i>.xml (i from 0 to N-1), with ETag and Last-Modified, answering 304
//! to a matching If-None-Match or an If-Modified-Since that is not older than the feed.
//! About a fifth of the items mention a watch term of config/sigwatch.toml, in English or
//! Chinese; the rest are built from words that match no watch.
//!
//!     cargo run --release --example feedfarm -- --feeds 1000 [--port 0] [--threads 2]
//!
//! Prints `listening on 127.0.0.1:PORT` on its first line of stdout, then serves until killed.
//! HTTP/1.1 with keep-alive, written on tokio directly, so that the farm is never the bottleneck
//! of a bench: every feed body is generated once at start and served from memory. Only
//! loopback is ever bound.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Items per feed.
const ITEMS: usize = 50;
/// Every feed's Last-Modified: the feeds never change while the farm runs.
const LAST_MODIFIED: &str = "Sat, 28 Nov 2026 08:00:00 GMT";

/// Terms of the shipped config's watches, each as it would appear in a headline.
const HIT_PHRASES: &[&str] = &[
    "China tightens rare earth export controls on magnets",
    "Chipmakers race to build semiconductor fabs abroad",
    "New Entity List additions target AI chip suppliers",
    "Polysilicon prices slide as photovoltaic capacity grows",
    "Regulators weigh artificial intelligence rules for banks",
    "商务部宣布对稀土相关物项实施出口管制",
    "国产芯片产能持续扩张",
    "光伏组件出口同比增长",
    "人工智能大模型应用加速落地",
    "半导体产业链投资升温",
];

/// Words that match no watch (no "chip", no capitalized acronyms, no solar, no export).
const WORDS: &[&str] = &[
    "the",
    "council",
    "met",
    "on",
    "tuesday",
    "to",
    "discuss",
    "regional",
    "harvest",
    "weather",
    "museum",
    "opened",
    "new",
    "gallery",
    "river",
    "bridge",
    "city",
    "transport",
    "officials",
    "said",
    "teachers",
    "schools",
    "football",
    "league",
    "season",
    "tourism",
    "festival",
    "visitors",
    "railway",
    "station",
    "housing",
    "market",
    "prices",
    "steady",
    "ministry",
    "health",
    "hospital",
    "clinic",
    "weekend",
    "rain",
    "forecast",
    "province",
    "village",
    "farmers",
    "rice",
    "tea",
    "garden",
    "library",
    "concert",
    "orchestra",
    "and",
    "of",
    "in",
];
const ZH_FILLER: &[&str] = &[
    "国务院常务会议研究部署",
    "各地积极推进",
    "城市更新行动",
    "乡村振兴",
    "文化旅游市场持续回暖",
    "秋粮收购工作有序开展",
    "交通运输部",
    "教育部召开新闻发布会",
    "气象部门提醒",
    "博物馆新展开幕",
];

struct Farm {
    feeds: Vec<Vec<u8>>,
    etags: Vec<String>,
    served_200: AtomicU64,
    served_304: AtomicU64,
}

/// A small deterministic generator (xorshift), so every run serves the same farm.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[(self.next() % xs.len() as u64) as usize]
    }
}

fn sentence(rng: &mut Rng, words: usize) -> String {
    let mut s = String::new();
    for i in 0..words {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(rng.pick(WORDS));
    }
    s
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// Feed `i`: 50 items, one in five (by a fixed pattern) mentioning a watch term.
fn feed(i: usize, base: &str) -> Vec<u8> {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (i as u64 + 1).wrapping_mul(0x2545_F491_4F6C_DD1D));
    let zh = i % 3 == 2;
    let mut out = String::with_capacity(32 * 1024);
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel>\n");
    out.push_str(&format!(
        "<title>Farm feed {i}</title><link>{base}/site/{i}/</link>\
         <description>Generated feed {i} of the sigwatch bench farm</description>\
         <lastBuildDate>{LAST_MODIFIED}</lastBuildDate>\n"
    ));
    for k in 0..ITEMS {
        let hit = (i + k).is_multiple_of(5);
        let (title, body) = if zh {
            let title = if hit {
                HIT_PHRASES[5 + (i * 7 + k / 5) % 5].to_string()
            } else {
                format!("{}{}", rng.pick(ZH_FILLER), rng.pick(ZH_FILLER))
            };
            let body = format!(
                "<p>{}，{}。{}，{}。</p>",
                rng.pick(ZH_FILLER),
                rng.pick(ZH_FILLER),
                rng.pick(ZH_FILLER),
                rng.pick(ZH_FILLER)
            );
            (title, body)
        } else {
            let title = if hit {
                HIT_PHRASES[(i * 7 + k / 5) % 5].to_string()
            } else {
                let mut t = sentence(&mut rng, 7);
                t[..1].make_ascii_uppercase();
                t
            };
            let body = format!(
                "<p>{}.</p><p>{}, {}.</p>",
                sentence(&mut rng, 24),
                sentence(&mut rng, 18),
                sentence(&mut rng, 12)
            );
            (title, body)
        };
        // Items are a day apart at most, newest first, all before Last-Modified.
        let minutes = k * 29 + (i % 17);
        let date = chrono::DateTime::parse_from_rfc2822(LAST_MODIFIED).expect("fixed date")
            - chrono::Duration::minutes(minutes as i64);
        out.push_str(&format!(
            "<item><title>{}</title><link>{base}/site/{i}/{k}.html</link>\
             <guid isPermaLink=\"false\">farm-{i}-{k}</guid><pubDate>{}</pubDate>\
             <description>{}</description></item>\n",
            xml_escape(&title),
            date.to_rfc2822(),
            xml_escape(&body)
        ));
    }
    out.push_str("</channel></rss>\n");
    out.into_bytes()
}

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|p| args.get(p + 1))
        .cloned()
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = arg(&args, "--feeds").and_then(|v| v.parse().ok()).unwrap_or(1000);
    let port: u16 = arg(&args, "--port").and_then(|v| v.parse().ok()).unwrap_or(0);
    let threads: usize = arg(&args, "--threads").and_then(|v| v.parse().ok()).unwrap_or(2);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads.max(1))
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let listener = TcpListener::bind(("127.0.0.1", port)).await?;
        let addr = listener.local_addr()?;
        let base = format!("http://{addr}");
        let farm = Arc::new(Farm {
            feeds: (0..n).map(|i| feed(i, &base)).collect(),
            etags: (0..n).map(|i| format!("\"farm-{i}-v1\"")).collect(),
            served_200: AtomicU64::new(0),
            served_304: AtomicU64::new(0),
        });
        let bytes: usize = farm.feeds.iter().map(Vec::len).sum();
        println!("listening on {addr}");
        println!("serving {n} feeds of {ITEMS} items, {bytes} bytes in all, at {base}/feed/<i>.xml");
        {
            use std::io::Write;
            std::io::stdout().flush()?;
        }
        {
            // SIGUSR1-free status: a line on stderr every time the counts change, at most once a second.
            let farm = farm.clone();
            tokio::spawn(async move {
                let mut last = (0, 0);
                loop {
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                    let now = (
                        farm.served_200.load(Ordering::Relaxed),
                        farm.served_304.load(Ordering::Relaxed),
                    );
                    if now != last {
                        eprintln!("feedfarm: {} bodies, {} not-modified so far", now.0, now.1);
                        last = now;
                    }
                }
            });
        }
        loop {
            let (sock, _) = listener.accept().await?;
            let _ = sock.set_nodelay(true);
            let farm = farm.clone();
            tokio::spawn(async move {
                let _ = serve(sock, &farm).await;
            });
        }
    })
}

/// Serves the requests of one connection until it closes (keep-alive unless told otherwise).
async fn serve(mut sock: TcpStream, farm: &Farm) -> std::io::Result<()> {
    let mut buf = Vec::with_capacity(4096);
    loop {
        // Read one request head.
        let end = loop {
            if let Some(p) = memchr::memmem::find(&buf, b"\r\n\r\n") {
                break p + 4;
            }
            if buf.len() > 64 * 1024 {
                return Ok(());
            }
            let mut chunk = [0u8; 4096];
            let got = sock.read(&mut chunk).await?;
            if got == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&chunk[..got]);
        };
        let head = String::from_utf8_lossy(&buf[..end]).into_owned();
        buf.drain(..end);
        let mut lines = head.split("\r\n");
        let request = lines.next().unwrap_or_default();
        let mut parts = request.split(' ');
        let method = parts.next().unwrap_or_default();
        let path = parts.next().unwrap_or_default();
        let version = parts.next().unwrap_or_default();
        let (mut inm, mut ims, mut close) = (None, None, version == "HTTP/1.0");
        for l in lines {
            let Some((k, v)) = l.split_once(':') else { continue };
            let v = v.trim();
            if k.eq_ignore_ascii_case("if-none-match") {
                inm = Some(v.to_string());
            } else if k.eq_ignore_ascii_case("if-modified-since") {
                ims = Some(v.to_string());
            } else if k.eq_ignore_ascii_case("connection") {
                close = v.eq_ignore_ascii_case("close");
            }
        }
        let index = path
            .strip_prefix("/feed/")
            .and_then(|p| p.strip_suffix(".xml"))
            .and_then(|p| p.parse::<usize>().ok())
            .filter(|i| *i < farm.feeds.len());
        let conn = if close { "close" } else { "keep-alive" };
        let mut out = Vec::new();
        match index {
            Some(i) if method == "GET" || method == "HEAD" => {
                let etag = &farm.etags[i];
                let fresh = match (&inm, &ims) {
                    (Some(t), _) => t.split(',').any(|t| t.trim() == etag || t.trim() == "*"),
                    (None, Some(d)) => chrono::DateTime::parse_from_rfc2822(d)
                        .ok()
                        .zip(chrono::DateTime::parse_from_rfc2822(LAST_MODIFIED).ok())
                        .is_some_and(|(since, lm)| since >= lm),
                    (None, None) => false,
                };
                if fresh {
                    farm.served_304.fetch_add(1, Ordering::Relaxed);
                    out.extend_from_slice(
                        format!(
                            "HTTP/1.1 304 Not Modified\r\nETag: {etag}\r\nLast-Modified: {LAST_MODIFIED}\r\n\
                             Connection: {conn}\r\n\r\n"
                        )
                        .as_bytes(),
                    );
                } else {
                    farm.served_200.fetch_add(1, Ordering::Relaxed);
                    let body = &farm.feeds[i];
                    out.extend_from_slice(
                        format!(
                            "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml; charset=utf-8\r\n\
                             Content-Length: {}\r\nETag: {etag}\r\nLast-Modified: {LAST_MODIFIED}\r\n\
                             Connection: {conn}\r\n\r\n",
                            body.len()
                        )
                        .as_bytes(),
                    );
                    if method == "GET" {
                        out.extend_from_slice(body);
                    }
                }
            }
            _ => out.extend_from_slice(
                format!("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: {conn}\r\n\r\n")
                    .as_bytes(),
            ),
        }
        sock.write_all(&out).await?;
        if close {
            sock.shutdown().await?;
            return Ok(());
        }
    }
}
