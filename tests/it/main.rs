//! Integration tests: the real `sigwatch` binary against real HTTP servers on 127.0.0.1 and a
//! real SQLite file in a temporary folder.

mod change_alerts;
mod cli;
mod configs;
mod corpus;
mod crash;
mod daemon;
mod digest;
mod events;
mod hostile;
mod hostile_text;
mod html;
mod import;
mod limits;
mod matching;
mod modes;
mod poll;
mod readers;
mod rematch;
mod report;
mod security;
mod serve;
mod serve_browser;
mod serve_limits;
mod serve_story;
mod server;
mod signals;
mod smtp;
mod sources;
mod stories;
mod translate;
mod unit;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A temporary folder with a config file in it, and a way to run the binary on it.
pub struct Env {
    pub dir: tempfile::TempDir,
}

impl Env {
    /// Writes `config` to `sigwatch.toml` in a new temporary folder.
    pub fn new(config: &str) -> Env {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("sigwatch.toml"), config).expect("write config");
        Env { dir }
    }

    pub fn config(&self) -> PathBuf {
        self.dir.path().join("sigwatch.toml")
    }

    pub fn db(&self) -> PathBuf {
        self.dir.path().join("sigwatch.db")
    }

    /// Runs `sigwatch --config <config> args…` and returns its output.
    pub fn run(&self, args: &[&str]) -> Output {
        sigwatch(&self.config(), args)
    }

    /// Runs the binary like [`Env::run`], with `envs` set, and also returns that process's
    /// peak resident set in bytes: its VmHWM in /proc, read every 10 ms while it runs. (The
    /// rusage of a reaped child will not do: Linux carries the parent's high-water mark over
    /// the exec, so a child of a large test process looks large.)
    pub fn run_measured(&self, args: &[&str], envs: &[(&str, &str)]) -> (Output, u64) {
        use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
        let child = Command::new(env!("CARGO_BIN_EXE_sigwatch"))
            .arg("--config")
            .arg(self.config())
            .args(args)
            .env_remove("RUST_LOG")
            .envs(envs.iter().copied())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("run sigwatch");
        let status = format!("/proc/{}/status", child.id());
        let done = std::sync::Arc::new(AtomicBool::new(false));
        let peak = std::sync::Arc::new(AtomicU64::new(0));
        let (d, p) = (done.clone(), peak.clone());
        // The child is not reaped until wait_with_output returns, so its pid stays its own.
        let watcher = std::thread::spawn(move || {
            while !d.load(Ordering::SeqCst) {
                let kib = std::fs::read_to_string(&status).ok().and_then(|s| {
                    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
                    line.split_whitespace().nth(1)?.parse::<u64>().ok()
                });
                if let Some(kib) = kib {
                    p.fetch_max(kib * 1024, Ordering::SeqCst);
                }
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
        });
        let output = child.wait_with_output().expect("wait for sigwatch");
        done.store(true, Ordering::SeqCst);
        watcher.join().unwrap();
        (output, peak.load(Ordering::SeqCst))
    }

    /// Runs the binary and returns stdout, failing the test on a non-zero exit.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "sigwatch {args:?} failed: {}\nstderr: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8 stdout")
    }

    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let out = self.ok(args);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("sigwatch {args:?}: not JSON ({e}): {out}"))
    }

    /// Counts rows in a table of the database, read directly.
    pub fn count(&self, table: &str) -> i64 {
        let conn = rusqlite::Connection::open(self.db()).expect("open db");
        conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .expect("count")
    }
}

pub fn sigwatch(config: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sigwatch"))
        .arg("--config")
        .arg(config)
        .args(args)
        .env_remove("RUST_LOG")
        .output()
        .expect("run sigwatch")
}

/// A small RSS 2.0 feed with the given (guid, title, description) items.
pub fn rss(items: &[(&str, &str, &str)]) -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>Test</title><link>http://example.test/</link><description>t</description>\n",
    );
    for (guid, title, desc) in items {
        s.push_str(&format!(
            "<item><guid>{guid}</guid><title>{title}</title><link>http://example.test/{guid}</link><description>{desc}</description><pubDate>Mon, 23 Nov 2026 08:00:00 +0800</pubDate></item>\n"
        ));
    }
    s.push_str("</channel></rss>\n");
    s
}

/// The watches used by the integration tests.
pub const WATCHES: &str = r#"
[watch.rare-earths]
terms = ["rare earth", "稀土"]

[watch.semiconductors]
terms = ["semiconductor", "chip", "芯片"]
exclude = ["blue-chip"]

[watch.export-controls]
terms = ["export control", "export controls", "出口管制"]
"#;
