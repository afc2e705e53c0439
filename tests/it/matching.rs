//! Watch accuracy of the shipped default watchlists on the public labelled set
//! (`tests/data/watch-labels.jsonl`: 430 headlines and ledes in English, Chinese and Japanese,
//! a third of them traps), through the real `sigwatch match --jsonl`. Set SIGWATCH_LABELED to
//! score another file of the same form.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::Value;

#[test]
fn default_watchlists_score_macro_f1_and_precision_of_at_least_0_97() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let labeled = std::env::var_os("SIGWATCH_LABELED")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("tests/data/watch-labels.jsonl"));
    let input = std::fs::read_to_string(&labeled).unwrap_or_else(|e| panic!("{}: {e}", labeled.display()));
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
    if std::env::var_os("SIGWATCH_LABELED").is_none() {
        // The shipped set stays what the floor was set on: big enough, and a quarter traps.
        let traps = rows
            .iter()
            .filter(|r| r["expect"].as_array().unwrap().is_empty())
            .count();
        assert!(rows.len() >= 400, "{} items", rows.len());
        assert!(traps * 4 >= rows.len(), "{traps} traps of {}", rows.len());
    }
    let mut f1s = Vec::new();
    let mut low_precision = Vec::new();
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
        if p < 0.97 {
            low_precision.push(format!("{w} {p:.3}"));
        }
    }
    let macro_f1 = f1s.iter().sum::<f64>() / f1s.len() as f64;
    eprintln!(
        "macro-F1 {macro_f1:.3} over {} items ({})",
        rows.len(),
        labeled.display()
    );
    assert!(macro_f1 >= 0.97, "macro-F1 {macro_f1:.3} is below 0.97");
    assert!(
        low_precision.is_empty(),
        "precision below 0.97: {}",
        low_precision.join(", ")
    );
}

/// Each one-character Chinese mineral name of the shipped critical-minerals watch, in text
/// about the mineral and inside words or names that are not about it.
#[test]
fn one_character_mineral_names_count_only_in_context() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let cfg = sigwatch::config::Config::load(&root.join("config/sigwatch.toml")).unwrap();
    let m = sigwatch::watch::Matcher::new(&cfg.watch).unwrap();
    let minerals = |t: &str| m.find(t, "").iter().any(|h| h.watch == "critical-minerals");
    for hit in [
        "镓价格一个月内上涨三成",
        "锗产量下降 红外光学企业承压",
        "锑价突破每吨20万元",
        "江西钨矿开采指标收紧",
        "铟价格上涨 需求拉动",
        "铋出口量同比下降",
        "碲供应紧张 薄膜电池成本上升",
        "钼价走高 钢厂采购意愿回升",
        "对镓、锗相关物项实施出口管制",
    ] {
        assert!(minerals(hit), "{hit}");
    }
    for miss in [
        "新款氮化镓充电器发布 65W快充",
        "锗石手链被指虚假宣传",
        "张锑华当选市人大代表",
        "钨钢手表新品上市",
        "铟钢尺精度检定规程发布",
        "铋剂四联疗法治疗幽门螺杆菌",
        "碲镉汞红外探测器论文获奖",
        "钼靶检查普及 早期乳腺癌检出率提高",
        "石墨烯电暖画销售火爆",
    ] {
        assert!(!minerals(miss), "{miss}");
    }
}
