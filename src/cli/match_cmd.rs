//! `sigwatch match`: which watches and terms match a text, or each JSON line on stdin.

use std::io::{BufRead, Write};
use std::process::ExitCode;

use serde_json::{Map, Value, json};

use super::Ctx;
use super::output;
use crate::watch::{Hit, Matcher};

#[derive(Debug, clap::Args)]
pub struct MatchArgs {
    /// The text to match (as a title)
    #[arg(conflicts_with = "jsonl", required_unless_present = "jsonl")]
    pub text: Option<String>,
    /// Read JSON lines on stdin, each with "title" and "summary" (other keys are passed
    /// through), and print one JSON line per input with "watches" and "hits"
    #[arg(long)]
    pub jsonl: bool,
}

pub fn run(ctx: &Ctx, args: &MatchArgs) -> anyhow::Result<ExitCode> {
    let cfg = ctx.config()?;
    let matcher = Matcher::new(&cfg.watch)?;
    if args.jsonl {
        return jsonl(&matcher);
    }
    let Some(text) = &args.text else {
        return Err(
            super::UsageError("give a text to match, or --jsonl to read JSON lines on stdin".into()).into(),
        );
    };
    let hits = matcher.find(text, "");
    if hits.is_empty() {
        println!("no match");
        return Ok(ExitCode::from(super::exit::NOTHING_FOUND));
    }
    let color = output::color();
    let mut marked = String::new();
    let mut last = 0;
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let byte = |ci: usize| chars.get(ci).map_or(text.len(), |(b, _)| *b);
    for h in &hits {
        let (s, e) = (byte(h.start), byte(h.end));
        if s < last {
            continue;
        }
        marked.push_str(&text[last..s]);
        if color {
            marked.push_str(&format!("\x1b[1;33m{}\x1b[0m", &text[s..e]));
        } else {
            marked.push_str(&format!("[[{}]]", &text[s..e]));
        }
        last = e;
    }
    marked.push_str(&text[last..]);
    println!("{marked}");
    for h in &hits {
        println!("  {:<16} {:<28} chars {}..{}", h.watch, h.term, h.start, h.end);
    }
    Ok(ExitCode::SUCCESS)
}

fn jsonl(matcher: &Matcher) -> anyhow::Result<ExitCode> {
    let stdin = std::io::stdin().lock();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for (n, line) in stdin.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let mut obj: Map<String, Value> = serde_json::from_str(&line)
            .map_err(|e| anyhow::anyhow!("line {}: not a JSON object: {e}", n + 1))?;
        let field = |k: &str| obj.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        let hits = matcher.find(&field("title"), &field("summary"));
        let mut watches: Vec<&str> = hits.iter().map(|h| h.watch.as_str()).collect();
        watches.sort_unstable();
        watches.dedup();
        obj.insert("watches".into(), json!(watches));
        obj.insert("hits".into(), Value::Array(hits.iter().map(hit_json).collect()));
        serde_json::to_writer(&mut out, &obj)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn hit_json(h: &Hit) -> Value {
    json!({ "watch": h.watch, "term": h.term, "field": h.field.as_str(), "start": h.start, "end": h.end })
}
