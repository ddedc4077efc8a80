//! Dumps every output of the text stages for a set of documents, so that a change meant to be
//! a pure speed-up can be checked byte for byte (`cmp` the dumps of the old and new build).
//!
//! `cargo run --release --example dump_outputs -- MODEL_DIR OUT FILE.jsonl...`
//!
//! Each FILE is JSONL with `text` and optional `title` (e.g. `../shared/data/bbc/bbc.jsonl`,
//! `../shared/data/aeb/rendered.jsonl`). Per document: segmentation without cleaning; cleaning
//! by the rules alone, by the HTML path's rules and by the rules plus the model's line
//! classifier (removals with reasons, kept sentences); the line classifier's probability of
//! every line; the summary at ratio 0.4 and at 3 sentences (spans, indices, scores); the
//! classification (top 3 labels per head with probabilities). Floats are printed with `{:?}`,
//! which round-trips, so equal dumps mean bit-identical numbers.

use std::fmt::Write as _;
use std::io::{BufRead, Write as _};

use lede::model::{AnalyzeOptions, Model, SummaryOptions};
use lede::summarize::{Length, Order};
use lede::text::{Cleaned, Span};

fn spans(out: &mut String, spans: impl Iterator<Item = Span>) {
    for s in spans {
        let _ = write!(out, " {}-{}", s.start, s.end);
    }
    out.push('\n');
}

fn cleaned(out: &mut String, name: &str, c: &Cleaned) {
    let _ = write!(out, "{name} removed");
    for r in &c.removed {
        let _ = write!(
            out,
            " {}-{}:{}",
            r.span.start,
            r.span.end,
            r.reason.as_str()
        );
    }
    out.push('\n');
    let _ = write!(out, "{name} blocks");
    spans(out, c.blocks.iter().map(|b| b.span));
    let _ = write!(out, "{name} sentences");
    spans(out, c.sentences());
}

fn dump(model: &Model, title: &str, text: &str, out: &mut String) {
    let title_opt = Some(title).filter(|t| !t.trim().is_empty());
    let plain = lede::text::no_clean(text);
    let _ = write!(out, "segment");
    spans(out, plain.sentences());
    cleaned(out, "rules", &lede::text::clean(text, title_opt));
    cleaned(out, "html", &lede::text::html::clean(text, title_opt));
    cleaned(
        out,
        "learned",
        &lede::text::clean_with(text, title_opt, model.extras.cleaner.as_ref()),
    );
    if let Some(c) = &model.extras.cleaner {
        let (_, x) = lede::text::clean::line_features(text);
        let _ = writeln!(out, "line_p {:?}", c.probabilities(&x));
    }
    for length in [Length::Ratio(0.4), Length::Sentences(3)] {
        let opts = AnalyzeOptions {
            summary: Some(SummaryOptions {
                length,
                order: Order::Document,
                scoring: Default::default(),
            }),
            ..Default::default()
        };
        let a = model.analyze(title, text, &opts);
        let _ = write!(out, "summary {length:?} sentences={}", a.sentences);
        for s in a.summary.unwrap_or_default() {
            let _ = write!(
                out,
                " {}-{}#{}:{:?}",
                s.span.start, s.span.end, s.index, s.score
            );
        }
        out.push('\n');
        for h in &a.heads {
            let _ = write!(out, "head {}", h.head);
            for l in &h.labels {
                let _ = write!(out, " {}={:?}", l.label, l.probability);
            }
            out.push('\n');
        }
    }
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    anyhow::ensure!(
        args.len() >= 3,
        "usage: dump_outputs MODEL_DIR OUT FILE.jsonl..."
    );
    let model = Model::load(std::path::Path::new(&args[0]))?;
    let mut w = std::io::BufWriter::new(std::fs::File::create(&args[1])?);
    let mut out = String::new();
    for path in &args[2..] {
        let file = std::io::BufReader::new(std::fs::File::open(path)?);
        for (i, line) in file.lines().enumerate() {
            let line = line?;
            if line.trim().is_empty() {
                continue;
            }
            let v: serde_json::Value = serde_json::from_str(&line)?;
            let field = |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or("");
            out.clear();
            let _ = writeln!(out, "== {path}:{}", i + 1);
            dump(&model, field("title"), field("text"), &mut out);
            w.write_all(out.as_bytes())?;
        }
    }
    w.flush()?;
    Ok(())
}
