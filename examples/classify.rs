//! Classify texts from stdin (one article per line) with a model bundle, in process.
//! `cargo run --release --example classify -- models/default < articles.txt`

use std::io::BufRead;

fn main() -> anyhow::Result<()> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "models/default".into());
    let model = lede::model::Model::load(std::path::Path::new(&path))?;
    for line in std::io::stdin().lock().lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let a = model.analyze("", &line, &Default::default());
        let labels: Vec<String> = a
            .heads
            .iter()
            .map(|h| {
                format!(
                    "{}={} ({:.2})",
                    h.head, h.labels[0].label, h.labels[0].probability
                )
            })
            .collect();
        println!("{}\t{}", labels.join(" "), &line[..line.len().min(60)]);
    }
    Ok(())
}
