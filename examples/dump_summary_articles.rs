//! Dumps the training articles of a summary recipe as JSON lines (features, oracle labels,
//! ROUGE token ids), for prototyping scorers outside Rust.
//! usage: dump_summary_articles MODEL_DIR SUMMARY.json > out.jsonl
use std::io::Write;
use std::path::Path;

use lede::model::Model;
use lede::train::summary::{self, SummaryRecipe};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let model = Model::load(Path::new(&args[0]))?;
    let mut recipe: SummaryRecipe = serde_json::from_str(&std::fs::read_to_string(&args[1])?)?;
    recipe.resolve(Path::new(&args[1]).parent().unwrap_or(Path::new(".")));
    let articles = summary::load_articles(&model, &recipe)?;
    let mut out = std::io::BufWriter::new(std::io::stdout());
    for a in &articles {
        let fold = summary::fold(a.file, a.line, recipe.seed, recipe.cv_folds as usize);
        let feats: Vec<Vec<f64>> = a.features.iter().map(|r| r.to_vec()).collect();
        writeln!(
            out,
            "{}",
            serde_json::json!({"file": a.file, "line": a.line, "fold": fold, "features": feats,
                "labels": a.labels, "tokens": a.tokens, "reference": a.reference,
                "reference_sentences": a.reference_sentences})
        )?;
    }
    Ok(())
}
