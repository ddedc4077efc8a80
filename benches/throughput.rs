//! Single-thread throughput of Lede's stages over the bbc test articles (one pass = 388 docs).
//!
//! `cargo bench --bench throughput -- [DATA_JSONL] [MODEL_DIR]`
//! (defaults: ../shared/data/bbc/bbc.jsonl, models/default). Prints one line per stage with
//! docs/s (median of 7 timed passes after a warm-up pass) and a JSON line for bench/run.sh.

use std::hint::black_box;
use std::time::Instant;

use lede::model::{AnalyzeOptions, Model, SummaryOptions};
use lede::summarize::{Length, Order};

fn docs(path: &str) -> Vec<(String, String)> {
    let s = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    s.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["split"] == "test")
        .map(|v| {
            (
                v["title"].as_str().unwrap_or("").to_owned(),
                v["text"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

fn measure(name: &str, n: usize, mut f: impl FnMut()) -> f64 {
    // LEDE_BENCH_ONLY=<substring of a stage name> runs just that stage (for profiling).
    if std::env::var("LEDE_BENCH_ONLY").is_ok_and(|only| !name.contains(&only)) {
        return 0.0;
    }
    f();
    let mut rates: Vec<f64> = (0..7)
        .map(|_| {
            let t = Instant::now();
            f();
            n as f64 / t.elapsed().as_secs_f64()
        })
        .collect();
    rates.sort_by(f64::total_cmp);
    let median = rates[3];
    println!(
        "{name:<44} {median:>10.0} docs/s  ({:.1} us/doc)",
        1e6 / median
    );
    median
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let data = args
        .first()
        .map(String::as_str)
        .unwrap_or("../shared/data/bbc/bbc.jsonl");
    let model_dir = args.get(1).map(String::as_str).unwrap_or("models/default");
    let docs = docs(data);
    let model = Model::load(std::path::Path::new(model_dir)).expect("model");
    let n = docs.len();
    println!("{n} documents from {data}, model {}", model.meta.version);

    let analyze_only = measure("tokenize + normalise + stem (terms)", n, || {
        for (t, x) in &docs {
            let c = lede::text::no_clean(x);
            black_box(lede::text::document_terms(&model.analyzer, t, x, &c));
        }
    });
    let classify_raw = measure("classify: terms + TF-IDF + both heads", n, || {
        let o = AnalyzeOptions {
            clean: false,
            ..Default::default()
        };
        for (t, x) in &docs {
            black_box(model.analyze(t, x, &o));
        }
    });
    let classify_clean = measure("classify incl. cleaning (as served)", n, || {
        for (t, x) in &docs {
            black_box(model.analyze(t, x, &AnalyzeOptions::default()));
        }
    });
    let clean = measure("cleaning + segmentation", n, || {
        for (t, x) in &docs {
            black_box(lede::text::clean(x, Some(t)));
        }
    });
    let summary_opts = AnalyzeOptions {
        classify: false,
        summary: Some(SummaryOptions {
            length: Length::Ratio(0.4),
            order: Order::Document,
            scoring: Default::default(),
        }),
        ..Default::default()
    };
    let summarize = measure("cleaning + segmentation + summary (0.4)", n, || {
        for (t, x) in &docs {
            black_box(model.analyze(t, x, &summary_opts));
        }
    });
    println!(
        "{}",
        serde_json::json!({
            "docs": n, "terms": analyze_only, "classify": classify_raw,
            "classify_clean": classify_clean, "clean": clean, "summarize": summarize,
        })
    );
}
