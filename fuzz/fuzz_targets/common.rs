//! Shared by the fuzz targets that analyse text: the fixture model and the invariants every
//! analysis must hold.

use std::sync::OnceLock;

use lede::model::{Analysis, Model};

/// The small compatibility fixture bundle, loaded once.
pub fn model() -> &'static Model {
    static M: OnceLock<Model> = OnceLock::new();
    M.get_or_init(|| {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/compat-v1");
        Model::load(&p).expect("fixture model")
    })
}

/// Probabilities of each head sum to 1; removed spans and summary sentences lie inside `text`,
/// on char boundaries.
pub fn check(text: &str, a: &Analysis) {
    for h in &a.heads {
        let sum: f64 = h.labels.iter().map(|l| l.probability).sum();
        assert!((sum - 1.0).abs() < 1e-6, "{sum}");
    }
    for r in &a.removed {
        assert!(r.span.start < r.span.end && r.span.end <= text.len());
        assert!(text.is_char_boundary(r.span.start) && text.is_char_boundary(r.span.end));
    }
    for s in a.summary.as_deref().unwrap_or_default() {
        assert!(s.span.end <= text.len());
        assert!(text.is_char_boundary(s.span.start) && text.is_char_boundary(s.span.end));
    }
}
