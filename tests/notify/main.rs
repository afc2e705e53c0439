//! Alerts and digests on webhook and chat channels, through the real binary: a real feed
//! server, real HTTP receivers and a real SMTP server on 127.0.0.1, a real SQLite file.

mod delivery;
mod kinds;
mod proxy;
mod receiver;
#[allow(dead_code)]
#[path = "../it/server.rs"]
mod server;
#[allow(dead_code)]
#[path = "../it/smtp.rs"]
mod smtp;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use server::{Reply, Server};

/// A temporary folder with a config in it, and a way to run the binary on it.
pub struct Env {
    pub dir: tempfile::TempDir,
}

impl Env {
    pub fn new(config: &str) -> Env {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("sigwatch.toml"), config).expect("write config");
        Env { dir }
    }

    pub fn config(&self) -> PathBuf {
        self.dir.path().join("sigwatch.toml")
    }

    /// Writes a secret file beside the config, private to its owner.
    pub fn secret(&self, name: &str, content: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, content).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        p
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_sigwatch"));
        c.arg("--config")
            .arg(self.config())
            .args(args)
            .env_remove("RUST_LOG");
        c
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run sigwatch")
    }

    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "sigwatch {args:?} failed: {}\nstdout: {}\nstderr: {}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8 stdout")
    }

    /// `digest --status` as JSON rows.
    pub fn status(&self) -> Vec<serde_json::Value> {
        let out = self.ok(&["digest", "--status", "--format", "json"]);
        serde_json::from_str::<serde_json::Value>(&out)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// The `digest --status` rows of one channel.
    pub fn channel_status(&self, channel: &str) -> Vec<serde_json::Value> {
        self.status()
            .into_iter()
            .filter(|r| r["channel"] == channel)
            .collect()
    }
}

/// A feed of an official source: an export-control notice, and a chip story whose title
/// carries markup of every target (Slack mentions and links, Markdown, HTML) and control
/// characters.
pub fn feed() -> String {
    let items = [
        (
            "n1",
            "MOFCOM announces export controls on gallium",
            "The ministry imposes export controls on gallium and germanium.",
        ),
        (
            "n2",
            "Chip plant opens &lt;!channel&gt; *bold* [x](javascript:alert(1)) &lt;script&gt;alert(1)&lt;/script&gt; &amp;&#x9b;31m",
            "A semiconductor fab opened. &lt;b&gt;hi&lt;/b&gt;",
        ),
    ];
    let mut s = String::from(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>T</title><link>http://x.test/</link><description>d</description>",
    );
    for (g, t, d) in items {
        s.push_str(&format!(
            "<item><guid>{g}</guid><title>{t}</title><link>https://news.test/{g}?a=1&amp;b=|2</link><description>{d}</description></item>"
        ));
    }
    s.push_str("</channel></rss>");
    s
}

/// A feed server serving [`feed`].
pub fn feed_server() -> Server {
    let srv = Server::start();
    srv.route("/feed.xml", Reply::ok("application/rss+xml", feed()));
    srv
}

/// A config: the feed as an official source, both watches alerting, mail to `smtp` (else to
/// .eml files), then `extra` (channels, and watch settings through `semis` and `export`).
pub fn config(srv: &Server, smtp: Option<u16>, semis: &str, export: &str, extra: &str) -> String {
    let mut c = format!(
        "[[source]]\nname = \"ministry\"\nurl = \"{}\"\nrole = \"official\"\n\n",
        srv.url("/feed.xml")
    );
    c.push_str(
        "[digest]\nfrom = \"sigwatch <alerts@sigwatch.test>\"\nto = [\"analyst@example.com\"]\nmail_backlog = true\nsend_timeout = \"5s\"\n\n",
    );
    if let Some(port) = smtp {
        c.push_str(&format!(
            "[smtp]\nhost = \"127.0.0.1\"\nport = {port}\nsecurity = \"none\"\n\n"
        ));
    }
    c.push_str(&format!(
        "[watch.semiconductors]\nterms = [\"semiconductor\", \"chip\"]\nalert = \"immediate\"\n{semis}\n\n"
    ));
    c.push_str(&format!(
        "[watch.export-controls]\nterms = [\"export controls\"]\nalert = \"immediate\"\n{export}\n\n"
    ));
    c.push_str(extra);
    c
}

/// Whether a body is free of control characters (line feeds aside).
pub fn no_controls(body: &[u8]) -> bool {
    let text = String::from_utf8_lossy(body);
    text.chars().all(|c| c == '\n' || !c.is_control())
}

pub fn fixture(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/notify")
            .join(name),
    )
    .unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The examples of docs/notifications.md make one config that loads.
#[test]
fn the_documented_examples_load() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/notifications.md");
    let doc = std::fs::read_to_string(&path).unwrap();
    let blocks: Vec<&str> = doc
        .split("```toml\n")
        .skip(1)
        .map(|b| b.split("```").next().unwrap())
        .collect();
    assert!(blocks.len() >= 6, "{}", blocks.len());
    let all = format!(
        "[watch.rare-earths]\nterms = [\"rare earth\"]\n\n{}",
        blocks.join("\n")
    );
    let cfg = sigwatch::config::Config::parse(&all, &path).unwrap_or_else(|e| panic!("{e}\n{all}"));
    assert_eq!(cfg.notify.len(), 7);
    // The routing the page describes.
    use sigwatch::config::MessageKind::{Alert, Digest};
    assert!(!cfg.routes("email", "semiconductors", Digest));
    assert!(cfg.routes("desk-semis", "semiconductors", Alert));
    assert!(cfg.routes("email", "export-controls", Digest));
    assert!(cfg.routes("desk-export", "export-controls", Alert));
    assert!(
        !cfg.routes("desk-export", "export-controls", Digest),
        "alerts only"
    );
    assert!(cfg.routes("desk-slack", "rare-earths", Digest));
    assert!(
        !cfg.routes("desk-slack", "semiconductors", Digest),
        "routed elsewhere"
    );
    assert!(
        cfg.routes("email", "rare-earths", Digest),
        "mail takes what is not routed"
    );
}
