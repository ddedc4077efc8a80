//! Named models: which bundles the server serves, under which names, and the one atomic swap
//! each.
//!
//! Design decisions:
//! - Names are fixed at startup and never change on reload: clients send them in `model`,
//!   health reports them (`lede.v1.Analyzer/<name>`) and metrics label by them, so a name must
//!   mean the same thing for the life of the process. `NAME=PATH` names a model explicitly; a
//!   bare `PATH` takes its bundle's own name (usually "default"); `--model-dir` takes each
//!   bundle's directory name.
//! - One [`ArcSwapOption`] per model: a reload swaps each model on its own and atomically, and
//!   a call keeps the `Arc` it took until it ends. A model whose new bundle fails to load keeps
//!   its previous version; the others are not affected.
//! - Lookup is a linear scan. A server holds a handful of models (each costs its weights in
//!   memory), and comparing a few short names is cheaper than hashing one.
//! - The service only looks a model up by name ([`Models::get`]); loading, health and metrics
//!   belong to the server's `State`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arc_swap::ArcSwapOption;
use tracing::warn;

use crate::model::{Model, ModelError, MODEL_FILE};

use super::error::ServiceError;

/// The name of the default model when a bundle names none usable, and the name that makes a
/// model the default wherever it is listed.
pub const DEFAULT_NAME: &str = "default";

/// Longest model name, bytes. Names go into health service names, metric labels and error
/// messages, so they stay short.
pub const MAX_NAME_BYTES: usize = 64;

/// Whether `s` can name a model: 1 to [`MAX_NAME_BYTES`] ASCII letters, digits, `.`, `_` or
/// `-`, not starting with `.` (so `.`, `..` and hidden directories are never names, and a name
/// never holds `/` or `=`).
pub fn valid_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_NAME_BYTES
        && !s.starts_with('.')
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// A model to serve, as configured: a bundle path and, if given, the name to serve it under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelSpec {
    /// None: the bundle's own name (see [`Models::new`]).
    pub name: Option<String>,
    /// Bundle directory or `.lede` file.
    pub path: PathBuf,
}

impl ModelSpec {
    /// A bundle served under its own name.
    pub fn path(path: impl Into<PathBuf>) -> ModelSpec {
        ModelSpec {
            name: None,
            path: path.into(),
        }
    }

    /// A bundle served under `name`.
    pub fn named(name: impl Into<String>, path: impl Into<PathBuf>) -> ModelSpec {
        ModelSpec {
            name: Some(name.into()),
            path: path.into(),
        }
    }

    /// `NAME=PATH`, or a bare `PATH` when the text before the first `=` is not a valid name (a
    /// name never holds `/`, so `./a=b` is the path `./a=b`).
    pub fn parse(s: &str) -> ModelSpec {
        match s.split_once('=') {
            Some((name, path)) if valid_name(name) && !path.is_empty() => {
                ModelSpec::named(name, path)
            }
            _ => ModelSpec::path(s),
        }
    }
}

/// Why the configured models cannot be served. Each names the directory or file at fault.
#[derive(Debug, thiserror::Error)]
pub enum ModelsError {
    #[error("no models configured")]
    NoModels,
    #[error("{}: cannot list the model directory: {error}", dir.display())]
    ReadDir { dir: PathBuf, error: std::io::Error },
    #[error("{}: no model bundles in it (expected subdirectories NAME/{MODEL_FILE})", dir.display())]
    EmptyDir { dir: PathBuf },
    #[error("{}: {name:?} cannot be a model name (1 to {MAX_NAME_BYTES} ASCII letters, digits, '.', '_' or '-', not starting with '.')", path.display())]
    BadName { name: String, path: PathBuf },
    #[error("two models are named {name:?} ({} and {}); give them different names with --model NAME=PATH", first.display(), second.display())]
    Duplicate {
        name: String,
        first: PathBuf,
        second: PathBuf,
    },
    #[error(transparent)]
    Model(#[from] ModelError),
}

/// Every bundle directly below `dir` (`dir/NAME/model.lede`), named by its directory and sorted
/// by name so that "the first model" does not depend on the file system's order. Hidden
/// directories and directories without a model file are skipped (notes, old copies); a bundle
/// whose directory name cannot be a model name is an error rather than silently not served.
pub fn discover(dir: &Path) -> Result<Vec<ModelSpec>, ModelsError> {
    let read_err = |error| ModelsError::ReadDir {
        dir: dir.to_path_buf(),
        error,
    };
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(read_err)? {
        let path = entry.map_err(read_err)?.path();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        let Some(name) = name.filter(|n| !n.starts_with('.')) else {
            continue;
        };
        if !path.join(MODEL_FILE).is_file() {
            continue;
        }
        if !valid_name(&name) {
            return Err(ModelsError::BadName { name, path });
        }
        out.push(ModelSpec::named(name, path));
    }
    if out.is_empty() {
        return Err(ModelsError::EmptyDir {
            dir: dir.to_path_buf(),
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// One served model: its name, where it is loaded from, and the version serving now.
pub struct Entry {
    name: String,
    path: PathBuf,
    current: ArcSwapOption<Model>,
}

impl Entry {
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The bundle it is (re)loaded from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The version serving now; None until its first load finished.
    pub fn get(&self) -> Option<Arc<Model>> {
        self.current.load_full()
    }

    /// Puts `m` in service: calls that start from now on get it.
    pub(super) fn store(&self, m: Arc<Model>) {
        self.current.store(Some(m));
    }
}

/// The served models, in configured order, and which one is the default.
pub struct Models {
    entries: Vec<Entry>,
    default: usize,
}

impl Models {
    /// Names every spec (a bare path takes its bundle's name, read from the file's metadata
    /// without the weights; a bundle with no usable name is "default") and checks the names are
    /// distinct. The default is the model named "default", else the first. Nothing is loaded.
    pub fn new(specs: &[ModelSpec]) -> Result<Models, ModelsError> {
        let mut entries: Vec<Entry> = Vec::with_capacity(specs.len());
        for spec in specs {
            let name = match &spec.name {
                Some(n) if valid_name(n) => n.clone(),
                Some(n) => {
                    return Err(ModelsError::BadName {
                        name: n.clone(),
                        path: spec.path.clone(),
                    })
                }
                None => {
                    let own = crate::model::read_meta(&spec.path)?.name;
                    if valid_name(&own) {
                        own
                    } else {
                        if !own.is_empty() {
                            warn!(bundle_name = %own, path = %spec.path.display(),
                                "the bundle's name cannot be a model name; serving it as \"default\" (use --model NAME=PATH to choose)");
                        }
                        DEFAULT_NAME.to_owned()
                    }
                }
            };
            if let Some(first) = entries.iter().find(|e| e.name == name) {
                return Err(ModelsError::Duplicate {
                    name,
                    first: first.path.clone(),
                    second: spec.path.clone(),
                });
            }
            entries.push(Entry {
                name,
                path: spec.path.clone(),
                current: ArcSwapOption::empty(),
            });
        }
        if entries.is_empty() {
            return Err(ModelsError::NoModels);
        }
        let default = entries
            .iter()
            .position(|e| e.name == DEFAULT_NAME)
            .unwrap_or(0);
        Ok(Models { entries, default })
    }

    /// Every model, in configured order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The model requests get when they name none.
    pub fn default_entry(&self) -> &Entry {
        &self.entries[self.default]
    }

    /// The entry serving `name` (empty: the default). An unknown name is
    /// [`ServiceError::NotFound`] listing the served names.
    pub fn find(&self, name: &str) -> Result<&Entry, ServiceError> {
        if name.is_empty() {
            return Ok(self.default_entry());
        }
        self.entries
            .iter()
            .find(|e| e.name == name)
            .ok_or_else(|| ServiceError::NotFound {
                name: name.to_owned(),
                served: self.entries.iter().map(|e| e.name.clone()).collect(),
                default: self.default_entry().name.clone(),
            })
    }

    /// The model serving now under `name` (empty: the default): as [`Models::find`], and
    /// [`ServiceError::NoModel`] while it is still loading.
    pub fn get(&self, name: &str) -> Result<Arc<Model>, ServiceError> {
        self.find(name)?.get().ok_or(ServiceError::NoModel)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_specs() {
        for (s, want) in [
            ("default", true),
            ("news-room_2.en", true),
            ("", false),
            (".hidden", false),
            ("a/b", false),
            ("a=b", false),
            ("sp ace", false),
            ("é", false),
        ] {
            assert_eq!(valid_name(s), want, "{s:?}");
        }
        assert!(valid_name(&"x".repeat(MAX_NAME_BYTES)));
        assert!(!valid_name(&"x".repeat(MAX_NAME_BYTES + 1)));

        for (s, want) in [
            ("news=/m/news", ModelSpec::named("news", "/m/news")),
            ("/m/default", ModelSpec::path("/m/default")),
            ("./a=b", ModelSpec::path("./a=b")),
            ("/m/x=y", ModelSpec::path("/m/x=y")),
            ("news=", ModelSpec::path("news=")),
            ("a=b=c", ModelSpec::named("a", "b=c")),
        ] {
            assert_eq!(ModelSpec::parse(s), want, "{s:?}");
        }
    }
}
