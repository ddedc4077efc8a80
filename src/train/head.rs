//! Training one head, in passes over its sources (files), streaming:
//!
//! 1. **vocabulary**: document frequencies and labels of the training rows of every source;
//! 2. **counts**: per-source class sums of TF-IDF vectors (and per fold, for cross-validation);
//! 3. **selection** ([`super::select`]): the naive Bayes variant, alpha and the source weights
//!    (or a blend of two heads) by k-fold cross-validation, each row scored over its own
//!    source's labels ("label-set aware": a 2005 BBC row, whose desks have no world or health,
//!    is judged over its five); then a softmax temperature fitted on the out-of-fold
//!    predictions of the chosen configuration;
//!    (with `min_df_grid` or `sublinear_tf_grid`, passes 1-3 run once per `min_df` and
//!    `sublinear_tf` and the best selection wins);
//! 4. one linfa fit of the weighted sums (two for a blend);
//! 5. **evaluation** of the held-out rows of every source, again over that source's labels.
//!
//! Sources differ in label sets and in style (full articles against headline + standfirst).
//! Style is handled by the vectoriser's L2 norm (every document has unit mass, whatever its
//! length) and by per-source weights; label sets by the restriction above.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use super::select::{self, Counts, Cv, CvDoc};
use super::{data, gazetteer_entries, Evaluation, Fields, HeadRecipe, Row, TrainError};
use super::{MultiLabel, SourceRecipe};
use crate::classify::{argmax_among, NbHead, NbStats};
use crate::features::{TfidfFitter, TfidfVectorizer};
use crate::model::{DataFile, Head, HeadMeta};
use crate::text::clean::learned::LineClassifier;
use crate::text::{self, Analyzer};

/// One training file of a head, resolved.
struct Source {
    name: String,
    path: PathBuf,
    fields: Fields,
    weight: f64,
    /// Whether the file has a split field (else rows are held out by a seeded hash).
    has_split: bool,
}

fn stem(path: &std::path::Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "data".into())
}

fn sources(h: &HeadRecipe) -> Result<Vec<Source>, TrainError> {
    let first = SourceRecipe {
        data: h.data.clone(),
        fields: Some(h.fields.clone()),
        weight: h.weight,
        name: h.source_name.clone(),
    };
    let mut out: Vec<Source> = Vec::new();
    for s in std::iter::once(&first).chain(&h.extra_data) {
        let fields = s.fields.clone().unwrap_or_else(|| h.fields.clone());
        // Is there a split field at all? Read until the first row that has one (usually the
        // first row; the whole file only when there is none).
        let mut has_split = false;
        data::read_rows_until(&s.data, &fields, h.skip_bad_rows, |r| {
            has_split = r.split.is_some();
            Ok(if has_split {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            })
        })?;
        let name = s.name.clone().unwrap_or_else(|| stem(&s.data));
        if out.iter().any(|o| o.name == name) {
            return Err(TrainError::Recipe(format!(
                "head {:?}: two sources are named {name:?}; give them distinct names",
                h.name
            )));
        }
        out.push(Source {
            name,
            path: s.data.clone(),
            fields,
            weight: s.weight,
            has_split,
        });
    }
    Ok(out)
}

/// A row-count spinner with rate, on stderr (hidden when stderr is not a terminal).
fn spinner(head: &str, pass: &str) -> ProgressBar {
    let bar = ProgressBar::new_spinner().with_style(
        ProgressStyle::with_template(
            "{spinner} {prefix}: {msg}: {human_pos} rows ({per_sec}, {elapsed})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.set_prefix(head.to_owned());
    bar.set_message(pass.to_owned());
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// The terms of a row, cleaned as the server cleans plain text (with the model's line
/// classifier when it has one).
fn doc_terms(analyzer: &Analyzer, cleaner: Option<&LineClassifier>, row: &Row) -> Vec<String> {
    let cleaned = text::clean_with(
        &row.text,
        Some(row.title.as_str()).filter(|t| !t.is_empty()),
        cleaner,
    );
    text::document_terms(analyzer, &row.title, &row.text, &cleaned)
}

fn is_heldout(row: &Row, h: &HeadRecipe, has_split: bool) -> bool {
    if has_split {
        return row.split.as_deref() == Some("test");
    }
    if h.holdout <= 0.0 {
        return false;
    }
    // SplitMix64 of (seed, line): a stable pseudo-random draw per row.
    let mut z = h
        .seed
        .wrapping_add(row.line.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z as f64 / u64::MAX as f64) < h.holdout
}

/// The cross-validation fold of a row: the trainer's line hash ([`super::fold_of`]) with the
/// source mixed into the seed, so that equal line numbers of different files land apart.
fn fold_of(source: usize, line: u64, seed: u64, k: usize) -> usize {
    super::fold_of(
        line,
        seed ^ (source as u64).wrapping_mul(0xD6E8_FEB8_6659_FD93),
        k,
    )
}

/// Which rows train the head: labelled, not held out, and (single-only) one label. The
/// vocabulary pass and the counts pass must agree on this.
fn trains_on(h: &HeadRecipe, r: &Row, s: &Source) -> bool {
    let multi_skipped = h.multi_label == MultiLabel::SingleOnly && r.labels.len() > 1;
    !(is_heldout(r, h, s.has_split) || r.labels.is_empty() || multi_skipped)
}

/// What the vocabulary pass learns: the vectoriser, the labels and which source has which.
struct Vocabulary {
    vectorizer: TfidfVectorizer,
    /// All labels, sorted.
    labels: Vec<String>,
    /// Each source's labels, as names and as indices into `labels`.
    label_sets: Vec<BTreeSet<String>>,
    allowed: Vec<Vec<usize>>,
    /// Gazetteer entries: (label, names, weight).
    gazetteer: Vec<(String, String, f64)>,
}

impl Vocabulary {
    /// The same vocabulary with the vectoriser's configuration replaced (same terms and idf).
    fn with_tfidf(&self, config: crate::features::TfidfConfig) -> Vocabulary {
        let parts = self.vectorizer.to_parts();
        Vocabulary {
            vectorizer: TfidfVectorizer::from_parts(config, parts.terms, parts.idf, parts.docs),
            labels: self.labels.clone(),
            label_sets: self.label_sets.clone(),
            allowed: self.allowed.clone(),
            gazetteer: self.gazetteer.clone(),
        }
    }

    fn label_index(&self, l: &str) -> Option<usize> {
        self.labels.iter().position(|x| x == l)
    }
}

/// Pass 1: labels and document frequencies of the training rows (and the gazetteers' names).
fn vocabulary_pass(
    analyzer: &Analyzer,
    cleaner: Option<&LineClassifier>,
    h: &HeadRecipe,
    srcs: &[Source],
) -> Result<Vocabulary, TrainError> {
    let feat_err = |error| TrainError::Features {
        head: h.name.clone(),
        error,
    };
    let mut fitter = TfidfFitter::new(h.tfidf.clone()).map_err(feat_err)?;
    let mut label_sets: Vec<BTreeSet<String>> = vec![BTreeSet::new(); srcs.len()];
    let mut label_counts: BTreeMap<String, u64> = BTreeMap::new();
    let bar = spinner(&h.name, "vocabulary");
    for (si, s) in srcs.iter().enumerate() {
        let stats = data::read_rows(&s.path, &s.fields, h.skip_bad_rows, |r| {
            bar.inc(1);
            if !trains_on(h, &r, s) {
                return Ok(());
            }
            for l in &r.labels {
                *label_counts.entry(l.clone()).or_default() += 1;
                label_sets[si].insert(l.clone());
            }
            fitter.add(&doc_terms(analyzer, cleaner, &r));
            Ok(())
        })?;
        if stats.rows == 0 {
            return Err(TrainError::Input {
                path: s.path.clone(),
                what: "no rows: the file is empty".into(),
            });
        }
        if label_sets[si].is_empty() {
            return Err(TrainError::Input {
                path: s.path.clone(),
                what: format!("no labelled training rows (field {:?})", s.fields.label),
            });
        }
    }
    bar.finish_and_clear();
    let mut gazetteer = Vec::new();
    for g in &h.gazetteers {
        for (label, names) in gazetteer_entries(g)? {
            gazetteer.push((label, names, g.weight));
        }
    }
    for (_, names, _) in &gazetteer {
        let terms: Vec<String> = analyzer
            .analyze(names)
            .into_iter()
            .map(|t| t.text)
            .collect();
        fitter.add_forced(&terms);
    }
    let vectorizer = fitter.finish().map_err(feat_err)?;
    let labels: Vec<String> = label_counts.keys().cloned().collect();
    // Each source is scored over the labels it has.
    let allowed = label_sets
        .iter()
        .map(|set| {
            set.iter()
                .filter_map(|l| labels.iter().position(|x| x == l))
                .collect()
        })
        .collect();
    Ok(Vocabulary {
        vectorizer,
        labels,
        label_sets,
        allowed,
        gazetteer,
    })
}

/// Pass 2: per-source (and, with cross-validation, per-fold) class sums, and the training
/// vectors cross-validation scores.
fn counts_pass(
    analyzer: &Analyzer,
    cleaner: Option<&LineClassifier>,
    h: &HeadRecipe,
    srcs: &[Source],
    v: &Vocabulary,
) -> Result<Counts, TrainError> {
    let k = h.cv_folds as usize;
    let cv = k > 1;
    let repeats = if cv { h.cv_repeats.max(1) as usize } else { 0 };
    let empty = NbStats::new(v.labels.clone(), v.vectorizer.len());
    let mut counts = Counts {
        per_source: vec![empty.clone(); srcs.len()],
        per_fold: vec![vec![vec![empty; srcs.len()]; k]; repeats],
        docs: Vec::new(),
        rows_used: vec![0; srcs.len()],
    };
    let bar = spinner(&h.name, "counts");
    for (si, s) in srcs.iter().enumerate() {
        data::read_rows(&s.path, &s.fields, h.skip_bad_rows, |r| {
            bar.inc(1);
            if !trains_on(h, &r, s) {
                return Ok(());
            }
            let x = v.vectorizer.transform(&doc_terms(analyzer, cleaner, &r));
            let w = 1.0 / r.labels.len() as f64;
            // One fold per repeat; repeat 0 is the assignment of `h.seed` alone.
            let folds: Vec<usize> = (0..repeats as u64)
                .map(|rep| fold_of(si, r.line, h.seed.wrapping_add(rep), k))
                .collect();
            for l in &r.labels {
                if let Some(c) = v.label_index(l) {
                    counts.per_source[si].add(c, &x, w);
                    for (rep, &f) in folds.iter().enumerate() {
                        counts.per_fold[rep][f][si].add(c, &x, w);
                    }
                }
            }
            if cv {
                counts.docs.push(CvDoc {
                    folds,
                    source: si,
                    x,
                    labels: r.labels,
                });
            }
            counts.rows_used[si] += 1;
            Ok(())
        })?;
    }
    bar.finish_and_clear();
    Ok(counts)
}

/// Gazetteer entries as prior evidence every fit starts from, each at its own weight, or all at
/// `weight` when given (`HeadRecipe::gazetteer_weight_grid`).
fn prior_evidence(analyzer: &Analyzer, v: &Vocabulary, weight: Option<f64>) -> NbStats {
    let mut base = NbStats::new(v.labels.clone(), v.vectorizer.len());
    for (label, names, own) in &v.gazetteer {
        let weight = weight.as_ref().unwrap_or(own);
        if let Some(k) = v.label_index(label) {
            let terms: Vec<String> = analyzer
                .analyze(names)
                .into_iter()
                .map(|t| t.text)
                .collect();
            base.add_evidence(k, &v.vectorizer.transform(&terms), *weight);
        }
    }
    base
}

/// Pass 3: the held-out rows of every source, each over its own labels: all together, and per
/// source (`NAME.metric`, when there are several sources).
fn evaluate_heldout(
    analyzer: &Analyzer,
    cleaner: Option<&LineClassifier>,
    h: &HeadRecipe,
    srcs: &[Source],
    v: &Vocabulary,
    nb: &NbHead,
) -> Result<(Evaluation, BTreeMap<String, f64>), TrainError> {
    let mut ev = Evaluation::new(v.labels.clone());
    let mut per_source = BTreeMap::new();
    let bar = spinner(&h.name, "evaluation");
    for (si, s) in srcs.iter().enumerate() {
        let mut src_ev = Evaluation::new(v.label_sets[si].iter().cloned().collect());
        data::read_rows(&s.path, &s.fields, h.skip_bad_rows, |r| {
            bar.inc(1);
            if !is_heldout(&r, h, s.has_split) || r.labels.is_empty() {
                return Ok(());
            }
            let x = v.vectorizer.transform(&doc_terms(analyzer, cleaner, &r));
            let top = argmax_among(&nb.jll(&x), Some(&v.allowed[si]));
            ev.add(&v.labels[top], &r.labels);
            src_ev.add(&v.labels[top], &r.labels);
            Ok(())
        })?;
        if srcs.len() > 1 && src_ev.total() > 0 {
            for (key, value) in src_ev.summary() {
                per_source.insert(format!("{}.{key}", s.name), value);
            }
        }
    }
    bar.finish_and_clear();
    Ok((ev, per_source))
}

/// The data files of a head (sources, then gazetteers) with their fingerprints.
fn data_files(
    h: &HeadRecipe,
    srcs: &[Source],
    rows_used: &[u64],
    gazetteer_rows: usize,
) -> Result<Vec<DataFile>, TrainError> {
    let mut files = Vec::new();
    for (s, &rows) in srcs.iter().zip(rows_used) {
        let (bytes, sha256) = data::fingerprint(&s.path)?;
        files.push(DataFile {
            path: data::display(&s.path),
            bytes,
            sha256,
            rows_used: rows,
        });
    }
    for g in &h.gazetteers {
        let (bytes, sha256) = data::fingerprint(&g.path)?;
        files.push(DataFile {
            path: data::display(&g.path),
            bytes,
            sha256,
            rows_used: gazetteer_rows as u64,
        });
    }
    Ok(files)
}

/// What one vocabulary choice yields: the head recipe with its `min_df`, the vocabulary, the
/// counts, the prior evidence and cross-validation's selection on them.
type Chosen = (HeadRecipe, Vocabulary, Counts, NbStats, select::Selection);

/// Passes 1-3 once per candidate `min_df` and `sublinear_tf` (`h.min_df_grid` crossed with
/// `h.sublinear_tf_grid`; an empty grid is the `h.tfidf` value alone): the one whose selection
/// scores best by the CV metric is kept (the first of equals, in grid order).
fn choose_vocabulary(
    analyzer: &Analyzer,
    cleaner: Option<&LineClassifier>,
    h: &HeadRecipe,
    srcs: &[Source],
    own_weights: &[f64],
) -> Result<Chosen, TrainError> {
    let min_dfs = if h.min_df_grid.is_empty() {
        vec![h.tfidf.min_df]
    } else {
        h.min_df_grid.clone()
    };
    let sublinears = if h.sublinear_tf_grid.is_empty() {
        vec![h.tfidf.sublinear_tf]
    } else {
        h.sublinear_tf_grid.clone()
    };
    let grid_len = min_dfs.len() * sublinears.len();
    let mut best: Option<Chosen> = None;
    for &min_df in &min_dfs {
        let mut hm = h.clone();
        hm.tfidf.min_df = min_df;
        // Document frequencies and idf do not depend on sublinear_tf (only how a document's
        // counts are weighted does), so one vocabulary pass serves every sublinear value; the
        // counts pass weighs documents, so it runs per value.
        let shared = vocabulary_pass(analyzer, cleaner, &hm, srcs)?;
        for &sublinear_tf in &sublinears {
            let mut hv = hm.clone();
            hv.tfidf.sublinear_tf = sublinear_tf;
            let v = shared.with_tfidf(hv.tfidf.clone());
            let chosen = cross_validate_vocabulary(analyzer, cleaner, hv, srcs, own_weights, v)?;
            if grid_len > 1 {
                let (hv, v, _, _, sel) = &chosen;
                tracing::info!(head = %hv.name, min_df = hv.tfidf.min_df, sublinear_tf = hv.tfidf.sublinear_tf, vocabulary = v.vectorizer.len(), cv = ?sel.key, "vocabulary CV");
            }
            if best.as_ref().is_none_or(|b| chosen.4.key > b.4.key) {
                best = Some(chosen);
            }
        }
    }
    Ok(best.expect("the vocabulary grid is never empty"))
}

/// The counts pass and the cross-validated selection over one vocabulary.
fn cross_validate_vocabulary(
    analyzer: &Analyzer,
    cleaner: Option<&LineClassifier>,
    mut hv: HeadRecipe,
    srcs: &[Source],
    own_weights: &[f64],
    v: Vocabulary,
) -> Result<Chosen, TrainError> {
    let counts = counts_pass(analyzer, cleaner, &hv, srcs, &v)?;
    // The gazetteers' weight only moves the prior evidence every fit starts from: the counts
    // are shared, and each weight gets its own selection (the first of equals is kept).
    let weights: Vec<Option<f64>> = if hv.gazetteer_weight_grid.is_empty() {
        vec![None]
    } else {
        hv.gazetteer_weight_grid.iter().copied().map(Some).collect()
    };
    let mut best: Option<(Option<f64>, NbStats, select::Selection)> = None;
    for w in weights {
        let base = prior_evidence(analyzer, &v, w);
        let cv = Cv {
            h: &hv,
            labels: &v.labels,
            allowed: &v.allowed,
            counts: &counts,
            base: &base,
            k: hv.cv_folds as usize,
        };
        let sel = select::choose(&cv, own_weights)?;
        if let Some(w) = w {
            tracing::info!(head = %hv.name, gazetteer_weight = w, cv = ?sel.key, "gazetteer weight CV");
        }
        if best.as_ref().is_none_or(|(_, _, b)| sel.key > b.key) {
            best = Some((w, base, sel));
        }
    }
    let (w, base, mut sel) = best.expect("the gazetteer weight grid is never empty");
    if let Some(w) = w {
        sel.metrics.insert("gazetteer_weight".to_owned(), w);
        // The recipe the model records is the chosen one, as for min_df.
        for g in &mut hv.gazetteers {
            g.weight = w;
        }
    }
    Ok((hv, v, counts, base, sel))
}

pub(super) fn train_head(
    analyzer: &Analyzer,
    cleaner: Option<&LineClassifier>,
    h: &HeadRecipe,
) -> Result<(Head, HeadMeta, Option<Evaluation>), TrainError> {
    let srcs = sources(h)?;
    let own_weights: Vec<f64> = srcs.iter().map(|s| s.weight).collect();
    let (hv, v, mut counts, base, mut sel) =
        choose_vocabulary(analyzer, cleaner, h, &srcs, &own_weights)?;
    let h = &hv;
    if !h.min_df_grid.is_empty() {
        sel.metrics
            .insert("min_df".to_owned(), f64::from(h.tfidf.min_df));
    }
    if !h.sublinear_tf_grid.is_empty() {
        sel.metrics.insert(
            "sublinear_tf".to_owned(),
            if h.tfidf.sublinear_tf { 1.0 } else { 0.0 },
        );
    }
    counts.docs = Vec::new();
    counts.per_fold = Vec::new();
    let (nb, blend) = select::fit_chosen(h, &sel, &counts.per_source, &base)?;
    let (ev, per_source_metrics) = evaluate_heldout(analyzer, cleaner, h, &srcs, &v, &nb)?;
    let files = data_files(h, &srcs, &counts.rows_used, v.gazetteer.len())?;
    if srcs.len() > 1 {
        for (s, w) in srcs.iter().zip(&sel.chosen.weights) {
            sel.metrics.insert(format!("{}.weight", s.name), *w);
        }
    }
    let ev = (ev.total() > 0).then_some(ev);
    let meta = HeadMeta {
        name: h.name.clone(),
        labels: v.labels.clone(),
        tfidf: h.tfidf.clone(),
        nb: sel.chosen.params.clone(),
        blend,
        vocabulary_size: v.vectorizer.len(),
        training_rows: counts.rows_used.iter().sum(),
        metrics: {
            let mut m = ev.as_ref().map(|e| e.summary()).unwrap_or_default();
            m.extend(sel.metrics);
            m.extend(per_source_metrics);
            m
        },
        data: files,
    };
    Ok((
        Head {
            name: h.name.clone(),
            vectorizer: v.vectorizer,
            nb,
            temperature: sel.temperature,
        },
        meta,
        ev,
    ))
}
