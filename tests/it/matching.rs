//! Watch-term accuracy of the shipped default watchlists on the labelled set, through the
//! real `sigwatch match --jsonl`. Set SIGWATCH_LABELED to score another file of the same form.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::Value;

#[test]
#[ignore = "needs ../shared/matching/labeled.jsonl; `cargo test -- --ignored` runs it, saying so when it is absent"]
fn default_watchlists_score_macro_f1_of_at_least_0_97() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let labeled = std::env::var_os("SIGWATCH_LABELED")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("../shared/matching/labeled.jsonl"));
    let Ok(input) = std::fs::read_to_string(&labeled) else {
        eprintln!("skipped: {} is absent", labeled.display());
        return;
    };
    let mut child = Command::new(env!("CARGO_BIN_EXE_sigwatch"))
        .arg("--config")
        .arg(root.join("config/sigwatch.toml"))
        .args(["match", "--jsonl"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run sigwatch match");
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let rows: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), input.lines().filter(|l| !l.trim().is_empty()).count());

    // Per watch: true positives, false positives, false negatives.
    let mut counts: BTreeMap<String, (u32, u32, u32)> = BTreeMap::new();
    let names = |v: &Value| -> BTreeSet<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|w| w.as_str().unwrap().replace('-', "_"))
            .collect()
    };
    for r in &rows {
        let (want, got) = (names(&r["expect"]), names(&r["watches"]));
        for w in want.union(&got) {
            let c = counts.entry(w.clone()).or_default();
            match (want.contains(w), got.contains(w)) {
                (true, true) => c.0 += 1,
                (false, true) => {
                    c.1 += 1;
                    eprintln!("false positive {w}: {} | {}", r["title"], r["summary"]);
                }
                (true, false) => {
                    c.2 += 1;
                    eprintln!("missed {w}: {} | {}", r["title"], r["summary"]);
                }
                (false, false) => {}
            }
        }
    }
    let mut f1s = Vec::new();
    eprintln!("{:<18} {:>9} {:>7} {:>6}", "watch", "precision", "recall", "F1");
    for (w, (tp, fp, fn_)) in &counts {
        let p = if tp + fp == 0 {
            1.0
        } else {
            *tp as f64 / (tp + fp) as f64
        };
        let r = if tp + fn_ == 0 {
            1.0
        } else {
            *tp as f64 / (tp + fn_) as f64
        };
        let f1 = if p + r == 0.0 { 0.0 } else { 2.0 * p * r / (p + r) };
        eprintln!("{w:<18} {p:>9.3} {r:>7.3} {f1:>6.3}");
        f1s.push(f1);
    }
    let macro_f1 = f1s.iter().sum::<f64>() / f1s.len() as f64;
    eprintln!(
        "macro-F1 {macro_f1:.3} over {} items ({})",
        rows.len(),
        labeled.display()
    );
    assert!(macro_f1 >= 0.97, "macro-F1 {macro_f1:.3} is below 0.97");
}
