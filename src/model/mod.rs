//! The model bundle: analyzer configuration, vectorisers and heads in one versioned file.
//!
//! A bundle is a directory holding `model.lede` (see [`file`] for the byte layout), plus
//! human-facing files written by the trainer (`MODEL_CARD.md`, `metrics.json`). Loading accepts
//! the directory or the file itself. The metadata ([`ModelMeta`]) is JSON at the front of the
//! file, readable with [`read_meta`] without loading the weights.

pub mod file;
mod index;
mod pipeline;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::classify::{NbHead, NbParams};
use crate::features::{TfidfParts, TfidfVectorizer};
use crate::summarize::learned::{LinearScorer, SentenceScorer};
use crate::text::clean::learned::LineClassifier;
use crate::text::{Analyzer, AnalyzerConfig};

pub use file::{FORMAT_VERSION, MAGIC};
pub use pipeline::{
    Analysis, AnalyzeOptions, Classification, HeadOutput, LabelError, LabelScore, SummaryInput,
    SummaryLength, SummaryOptions, SummaryOrder, SummarySentence,
};

/// The file name of the weights inside a bundle directory.
pub const MODEL_FILE: &str = "model.lede";

/// Errors of reading or writing a model bundle. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("{}: {error}", path.display())]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{}: not a Lede model file (wrong magic bytes)", path.display())]
    BadMagic { path: PathBuf },
    #[error("{}: model format version {found} is not supported by this build (supports {supported}); retrain with this lede-train or use a matching server", path.display())]
    UnsupportedVersion {
        path: PathBuf,
        found: u32,
        supported: String,
    },
    #[error("{}: file is truncated ({what})", path.display())]
    Truncated { path: PathBuf, what: String },
    #[error("{}: checksum mismatch (stored {expected:08x}, computed {found:08x}): the file is corrupt", path.display())]
    Checksum {
        path: PathBuf,
        expected: u32,
        found: u32,
    },
    #[error("{}: corrupt model: {what}", path.display())]
    Corrupt { path: PathBuf, what: String },
    #[error("{}: no model here (expected a bundle directory containing {MODEL_FILE} or a .lede file)", path.display())]
    NotFound { path: PathBuf },
}

/// A training input file, as recorded in the metadata.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataFile {
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
    pub rows_used: u64,
}

/// Metadata of one head.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeadMeta {
    pub name: String,
    pub labels: Vec<String>,
    pub tfidf: crate::features::TfidfConfig,
    pub nb: NbParams,
    /// When the head blends two naive Bayes heads (`nb` is then the first): the second and
    /// the mix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blend: Option<BlendMeta>,
    pub vocabulary_size: usize,
    pub training_rows: u64,
    /// Evaluation on held-out rows (accuracy, macro_f1, ...), empty if none were held out.
    pub metrics: BTreeMap<String, f64>,
    pub data: Vec<DataFile>,
}

/// How a blended head was made: `share * jll_nb / nb_temperature + (1 - share) * jll_second /
/// second_temperature + prior_weight * ln p(label)`, one linear head.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BlendMeta {
    /// The second head's parameters.
    pub second: NbParams,
    /// The first head's (`nb`) share of the mix, in [0, 1].
    pub share: f64,
    /// Softmax temperatures of the two heads on their out-of-fold predictions.
    pub nb_temperature: f64,
    pub second_temperature: f64,
    /// Source weights of each head, in the order of the head's data files.
    pub nb_source_weights: Vec<f64>,
    pub second_source_weights: Vec<f64>,
    /// Weight of the training desks' log shares added to the mix (0: none; see
    /// `HeadRecipe::prior_weight_grid`). Already part of the head's log priors; recorded here
    /// for the model card. Absent in models made before it existed (0).
    #[serde(default)]
    pub prior_weight: f64,
}

/// Everything about a model except the weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelMeta {
    pub format_version: u32,
    /// A name given at training time ("default").
    pub name: String,
    /// `name@` + the first 12 hex digits of the SHA-256 of the weights: which exact model answered.
    pub version: String,
    /// RFC 3339 UTC.
    pub created_at: String,
    pub crate_version: String,
    pub git_commit: Option<String>,
    pub analyzer: AnalyzerConfig,
    pub heads: Vec<HeadMeta>,
    /// Which head's vectoriser supplies idf statistics to the summariser.
    pub summary_idf_head: Option<String>,
    /// Free-form recipe (the trainer's parameters), for reproducibility.
    pub recipe: serde_json::Value,
    /// The learned line classifier used by cleaning, if the bundle has one (format 2 and later).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cleaner: Option<ComponentMeta>,
    /// The learned summary scorer, if the bundle has one (format 2 and later); none = hand-set weights.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary_scorer: Option<ComponentMeta>,
}

/// Metadata of a learned component other than a head (line classifier, summary scorer).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComponentMeta {
    /// What it is ("logistic-regression", ...).
    pub kind: String,
    /// Its evaluation (e.g. cross-validated figures), by name.
    #[serde(default)]
    pub metrics: BTreeMap<String, f64>,
    /// Training data it was fitted on.
    #[serde(default)]
    pub data: Vec<DataFile>,
    /// Its configuration and hyperparameters, for reproducibility.
    #[serde(default)]
    pub config: serde_json::Value,
}

/// A loaded head: its vectoriser and classifier.
#[derive(Debug, Clone)]
pub struct Head {
    pub name: String,
    pub vectorizer: TfidfVectorizer,
    pub nb: NbHead,
    /// Softmax temperature for calibrated probabilities (1 = the raw naive Bayes posterior).
    pub temperature: f64,
}

/// Learned parts of a bundle besides the heads (format version 2; banded scorer since 3).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Extras {
    /// Line classifier for cleaning; none = rules only.
    pub cleaner: Option<LineClassifier>,
    /// Sentence scorer for summaries; none = hand-set weights.
    pub scorer: Option<SentenceScorer>,
}

/// Format version 2 extras (a scorer of one band), kept so that old bundles still load.
#[derive(Serialize, Deserialize)]
struct ExtrasV2 {
    cleaner: Option<LineClassifier>,
    scorer: Option<LinearScorer>,
}

#[derive(Serialize, Deserialize)]
struct PayloadV2 {
    heads: Vec<HeadPayload>,
    extras: ExtrasV2,
}

/// Format version 1 payload, kept so that old bundles still load.
#[derive(Serialize, Deserialize)]
struct HeadPayloadV1 {
    name: String,
    tfidf: TfidfParts,
    nb: NbHead,
}

#[derive(Serialize, Deserialize)]
struct PayloadV1 {
    heads: Vec<HeadPayloadV1>,
}

#[derive(Serialize, Deserialize)]
struct HeadPayload {
    name: String,
    tfidf: TfidfParts,
    nb: NbHead,
    temperature: f64,
}

#[derive(Serialize, Deserialize)]
struct Payload {
    heads: Vec<HeadPayload>,
    extras: Extras,
}

/// A loaded model, ready to answer. Immutable; share it behind an `Arc`.
#[derive(Debug, Clone)]
pub struct Model {
    pub meta: ModelMeta,
    pub analyzer: Analyzer,
    pub heads: Vec<Head>,
    pub extras: Extras,
    index: index::FeatureIndex,
}

/// Resolves a bundle directory or a file path to the model file.
pub fn model_file(path: &Path) -> Result<PathBuf, ModelError> {
    if path.is_dir() {
        let f = path.join(MODEL_FILE);
        if f.is_file() {
            Ok(f)
        } else {
            Err(ModelError::NotFound {
                path: path.to_path_buf(),
            })
        }
    } else if path.is_file() {
        Ok(path.to_path_buf())
    } else {
        Err(ModelError::NotFound {
            path: path.to_path_buf(),
        })
    }
}

/// Reads the metadata only.
pub fn read_meta(path: &Path) -> Result<ModelMeta, ModelError> {
    let f = model_file(path)?;
    let header = file::read_header(&f)?;
    parse_meta(&f, &header)
}

fn parse_meta(f: &Path, header: &[u8]) -> Result<ModelMeta, ModelError> {
    serde_json::from_slice(header).map_err(|e| ModelError::Corrupt {
        path: f.to_path_buf(),
        what: format!("metadata is not valid: {e}"),
    })
}

impl Model {
    /// Assembles a model from trained parts, computing its version string.
    pub fn new(meta: ModelMeta, heads: Vec<Head>) -> Model {
        Model::with_extras(meta, heads, Extras::default())
    }

    /// Assembles a model with learned parts besides the heads.
    pub fn with_extras(mut meta: ModelMeta, heads: Vec<Head>, extras: Extras) -> Model {
        meta.format_version = FORMAT_VERSION;
        let payload = encode_payload(&heads, &extras);
        meta.version = format!("{}@{}", meta.name, short_hash(&payload));
        let analyzer = Analyzer::new(meta.analyzer.clone());
        Model {
            meta,
            analyzer,
            index: index::FeatureIndex::new(&heads),
            heads,
            extras,
        }
    }

    /// Loads and validates a bundle directory or model file.
    pub fn load(path: &Path) -> Result<Model, ModelError> {
        let f = model_file(path)?;
        let raw = file::read(&f)?;
        let meta = parse_meta(&f, &raw.header)?;
        let corrupt = |what: String| ModelError::Corrupt {
            path: f.clone(),
            what,
        };
        let decode_error = |e: postcard::Error| corrupt(format!("weights cannot be decoded: {e}"));
        let payload: Payload = match raw.version {
            1 => {
                let v1: PayloadV1 = postcard::from_bytes(&raw.payload).map_err(decode_error)?;
                Payload {
                    heads: v1
                        .heads
                        .into_iter()
                        .map(|h| HeadPayload {
                            name: h.name,
                            tfidf: h.tfidf,
                            nb: h.nb,
                            temperature: 1.0,
                        })
                        .collect(),
                    extras: Extras::default(),
                }
            }
            2 => {
                let v2: PayloadV2 = postcard::from_bytes(&raw.payload).map_err(decode_error)?;
                Payload {
                    heads: v2.heads,
                    extras: Extras {
                        cleaner: v2.extras.cleaner,
                        scorer: v2.extras.scorer.map(SentenceScorer::from),
                    },
                }
            }
            _ => postcard::from_bytes(&raw.payload).map_err(decode_error)?,
        };
        if meta.format_version != raw.version {
            return Err(corrupt(format!(
                "metadata says format {}, the file header says {}",
                meta.format_version, raw.version
            )));
        }
        if payload.heads.len() != meta.heads.len() {
            return Err(corrupt("metadata and weights disagree on the heads".into()));
        }
        let mut heads = Vec::with_capacity(payload.heads.len());
        for (h, m) in payload.heads.into_iter().zip(&meta.heads) {
            let n_terms = h.tfidf.terms.len();
            let c = h.nb.labels.len();
            if h.name != m.name
                || h.nb.labels != m.labels
                || c < 2
                || h.tfidf.idf.len() != n_terms
                || h.nb.weights.len() != n_terms * c
                || h.nb.log_prior.len() != c
                || !h.tfidf.terms.windows(2).all(|w| w[0] < w[1])
                || !(h.temperature.is_finite() && h.temperature > 0.0)
            {
                return Err(corrupt(format!("head {:?} is inconsistent", h.name)));
            }
            heads.push(Head {
                name: h.name,
                vectorizer: TfidfVectorizer::from_parts(
                    h.tfidf.config,
                    h.tfidf.terms,
                    h.tfidf.idf,
                    h.tfidf.docs,
                ),
                nb: h.nb,
                temperature: h.temperature,
            });
        }
        if let Some(c) = &payload.extras.cleaner {
            c.check().map_err(corrupt)?;
        }
        if let Some(scorer) = &payload.extras.scorer {
            scorer.check().map_err(corrupt)?;
        }
        let analyzer = Analyzer::new(meta.analyzer.clone());
        Ok(Model {
            meta,
            analyzer,
            index: index::FeatureIndex::new(&heads),
            heads,
            extras: payload.extras,
        })
    }

    /// Writes `DIR/model.lede` atomically (the directory is created if needed), in the current
    /// format version (a version-1 model saved again becomes a file of the current version).
    pub fn save(&self, dir: &Path) -> Result<PathBuf, ModelError> {
        let path = dir.join(MODEL_FILE);
        // Saving writes the current format, whatever format the model was loaded from.
        let meta = ModelMeta {
            format_version: FORMAT_VERSION,
            ..self.meta.clone()
        };
        let header = serde_json::to_vec_pretty(&meta).map_err(|e| ModelError::Corrupt {
            path: path.clone(),
            what: format!("cannot encode metadata: {e}"),
        })?;
        let payload = encode_payload(&self.heads, &self.extras);
        file::write(&path, &header, &payload)?;
        Ok(path)
    }

    pub fn head(&self, name: &str) -> Option<&Head> {
        self.heads.iter().find(|h| h.name == name)
    }
}

fn encode_payload(heads: &[Head], extras: &Extras) -> Vec<u8> {
    let payload = Payload {
        heads: heads
            .iter()
            .map(|h| HeadPayload {
                name: h.name.clone(),
                tfidf: h.vectorizer.to_parts(),
                nb: h.nb.clone(),
                temperature: h.temperature,
            })
            .collect(),
        extras: extras.clone(),
    };
    // Encoding plain vectors and strings into a Vec cannot fail.
    postcard::to_allocvec(&payload).expect("postcard encoding of in-memory model")
}

fn short_hash(bytes: &[u8]) -> String {
    let d = Sha256::digest(bytes);
    d.iter().take(6).map(|b| format!("{b:02x}")).collect()
}

/// Hex SHA-256 of a byte slice (used for training-data provenance).
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
