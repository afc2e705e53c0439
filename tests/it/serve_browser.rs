//! The web view in a real browser: headless Chromium (the distribution's package, which
//! `.ci/browser-setup` installs in CI) loads the stories page, a story page and a search,
//! reads back the DOM it built, and takes screenshots. With `SIGWATCH_SCREENSHOTS=DIR` the
//! screenshots are kept in DIR (docs/img holds the committed ones).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::serve::{filled, serve};

/// The first Chromium binary on the PATH.
fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ]
    .iter()
    .flat_map(|name| std::env::split_paths(&path).map(move |d| d.join(name)))
    .find(|p| p.is_file())
}

/// Runs headless Chromium on `url` with `args`, in a profile of its own under `profile`.
fn browse(bin: &Path, profile: &Path, args: &[&str], url: &str) -> std::process::Output {
    let out = Command::new(bin)
        .args([
            "--headless",
            // Root in CI, where Chromium's sandbox cannot start.
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(url)
        .output()
        .expect("run chromium");
    assert!(
        out.status.success(),
        "chromium {args:?} {url}: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
#[ignore = "needs a Chromium binary (CI installs the distribution's with .ci/browser-setup)"]
fn chromium_renders_the_stories_a_story_and_a_search() {
    let Some(bin) = chromium() else {
        eprintln!("skipped: no chromium binary on the PATH");
        return;
    };
    let (env, _srv) = filled();
    let s = serve(&env, "127.0.0.1:0");
    let conn = rusqlite::Connection::open(env.db()).unwrap();
    let lead: i64 = conn
        .query_row(
            "SELECT min(id) FROM items WHERE title LIKE 'China announces%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let keep = std::env::var_os("SIGWATCH_SCREENSHOTS").map(PathBuf::from);
    let pages = [
        ("web-stories", "/".to_string(), "1000,900", "2 items from"),
        (
            "web-story",
            format!("/story/{lead}"),
            "1000,1100",
            "In this story",
        ),
        (
            "web-search",
            "/?q=%E7%A8%80%E5%9C%9F".to_string(),
            "1000,700",
            "实施出口管制的决定",
        ),
        ("web-phone", "/".to_string(), "390,844", "Stories"),
    ];
    for (name, path, size, expect) in pages {
        let url = format!("http://{}{path}", s.addr);
        let profile = tempfile::tempdir().unwrap();
        // The DOM as the browser built it: the page rendered, and the hostile item's script
        // stayed text (no element was made of it).
        let dom = browse(&bin, profile.path(), &["--dump-dom"], &url);
        let dom = String::from_utf8_lossy(&dom.stdout);
        assert!(dom.contains(expect), "{name}: {dom}");
        assert!(!dom.contains("<script"), "{name}: {dom}");
        let shot = profile.path().join(format!("{name}.png"));
        browse(
            &bin,
            profile.path(),
            &[
                &format!("--screenshot={}", shot.display()),
                &format!("--window-size={size}"),
            ],
            &url,
        );
        let png = std::fs::read(&shot).unwrap_or_else(|e| panic!("{name}: no screenshot: {e}"));
        assert!(
            png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 5000,
            "{name}"
        );
        if let Some(dir) = &keep {
            std::fs::create_dir_all(dir).unwrap();
            std::fs::write(dir.join(format!("{name}.png")), &png).unwrap();
        }
    }
}
