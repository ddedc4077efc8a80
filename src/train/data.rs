//! Streaming readers for labelled training data: JSONL (one object per line) or CSV (header row).
//!
//! Every problem is reported as `FILE:LINE: what is wrong`. Rows are handed to a callback one at
//! a time, so memory does not grow with the file.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::TrainError;

/// Which fields of a row hold what.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Fields {
    /// Article body. Default `text`.
    pub text: String,
    /// Headline (optional in the data). Default `title`.
    pub title: String,
    /// Label: a string, or a list of strings (JSONL) / `;`-separated strings (CSV).
    pub label: String,
    /// Split marker with values `train` / `test`. Default `split`.
    pub split: String,
}

impl Default for Fields {
    fn default() -> Self {
        Fields {
            text: "text".into(),
            title: "title".into(),
            label: "topic".into(),
            split: "split".into(),
        }
    }
}

/// One labelled row.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// 1-based line number (JSONL) or record line (CSV).
    pub line: u64,
    pub title: String,
    pub text: String,
    /// Empty if the row has no label (such rows are skipped by training).
    pub labels: Vec<String>,
    pub split: Option<String>,
}

/// Counts of one pass over a file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadStats {
    pub rows: u64,
    pub skipped_bad: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Jsonl,
    Csv,
}

fn format_of(path: &Path) -> Result<Format, TrainError> {
    let name = path.to_string_lossy().to_lowercase();
    if name.ends_with(".jsonl") || name.ends_with(".ndjson") || name.ends_with(".json") {
        Ok(Format::Jsonl)
    } else if name.ends_with(".csv") {
        Ok(Format::Csv)
    } else {
        Err(TrainError::Data {
            path: path.to_path_buf(),
            line: 0,
            what: "unknown format: use a .jsonl or .csv file".into(),
        })
    }
}

fn bad(path: &Path, line: u64, what: impl Into<String>) -> TrainError {
    TrainError::Data {
        path: path.to_path_buf(),
        line,
        what: what.into(),
    }
}

fn labels_from_json(v: &serde_json::Value) -> Option<Vec<String>> {
    match v {
        serde_json::Value::String(s) if !s.trim().is_empty() => Some(vec![s.trim().to_owned()]),
        serde_json::Value::String(_) | serde_json::Value::Null => Some(Vec::new()),
        serde_json::Value::Array(items) => items
            .iter()
            .map(|i| i.as_str().map(|s| s.trim().to_owned()))
            .collect::<Option<Vec<_>>>()
            .map(|v| v.into_iter().filter(|s| !s.is_empty()).collect()),
        _ => None,
    }
}

/// Reads `path`, calling `f` for each row. With `skip_bad`, malformed rows are counted and
/// skipped; otherwise the first one stops reading with its line number.
pub fn read_rows(
    path: &Path,
    fields: &Fields,
    skip_bad: bool,
    mut f: impl FnMut(Row) -> Result<(), TrainError>,
) -> Result<ReadStats, TrainError> {
    read_rows_until(path, fields, skip_bad, |r| {
        f(r).map(|()| ControlFlow::Continue(()))
    })
}

/// [`read_rows`], stopping early when `f` returns `Break`.
pub fn read_rows_until(
    path: &Path,
    fields: &Fields,
    skip_bad: bool,
    mut f: impl FnMut(Row) -> Result<ControlFlow<()>, TrainError>,
) -> Result<ReadStats, TrainError> {
    let format = format_of(path)?;
    let file = File::open(path).map_err(|error| TrainError::Io {
        path: path.to_path_buf(),
        error,
    })?;
    let mut stats = ReadStats::default();
    let mut handle = |r: Result<Row, TrainError>,
                      stats: &mut ReadStats|
     -> Result<ControlFlow<()>, TrainError> {
        match r {
            Ok(row) => {
                stats.rows += 1;
                f(row)
            }
            Err(e @ TrainError::Data { .. }) if skip_bad => {
                tracing::debug!("skipping bad row: {e}");
                stats.skipped_bad += 1;
                Ok(ControlFlow::Continue(()))
            }
            Err(e) => Err(e),
        }
    };
    match format {
        Format::Jsonl => {
            let mut reader = BufReader::new(file);
            let mut buf = Vec::new();
            let mut line = 0u64;
            loop {
                buf.clear();
                let n = reader
                    .read_until(b'\n', &mut buf)
                    .map_err(|error| TrainError::Io {
                        path: path.to_path_buf(),
                        error,
                    })?;
                if n == 0 {
                    break;
                }
                line += 1;
                let row = parse_json_line(path, line, &buf, fields);
                let flow = match row {
                    Ok(None) => continue,
                    Ok(Some(row)) => handle(Ok(row), &mut stats)?,
                    Err(e) => handle(Err(e), &mut stats)?,
                };
                if flow.is_break() {
                    break;
                }
            }
        }
        Format::Csv => {
            let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(file);
            let headers = reader
                .headers()
                .map_err(|e| bad(path, 1, format!("cannot read the CSV header: {e}")))?
                .clone();
            let col = |name: &str| headers.iter().position(|h| h == name);
            let text_col = col(&fields.text).ok_or_else(|| {
                bad(
                    path,
                    1,
                    format!("no column {:?} in the header", fields.text),
                )
            })?;
            let label_col = col(&fields.label).ok_or_else(|| {
                bad(
                    path,
                    1,
                    format!("no column {:?} in the header", fields.label),
                )
            })?;
            let title_col = col(&fields.title);
            let split_col = col(&fields.split);
            let mut record = csv::StringRecord::new();
            loop {
                let line = reader.position().line();
                match reader.read_record(&mut record) {
                    Ok(false) => break,
                    Ok(true) => {
                        let get = |i: usize| record.get(i).unwrap_or("").to_owned();
                        let labels = get(label_col)
                            .split([';', '|'])
                            .map(|s| s.trim().to_owned())
                            .filter(|s| !s.is_empty())
                            .collect();
                        let row = Row {
                            line,
                            title: title_col.map(get).unwrap_or_default(),
                            text: get(text_col),
                            labels,
                            split: split_col.map(get).filter(|s| !s.is_empty()),
                        };
                        if handle(Ok(row), &mut stats)?.is_break() {
                            break;
                        }
                    }
                    Err(e) => {
                        let line = e.position().map_or(line, |p| p.line());
                        let what = match e.kind() {
                            csv::ErrorKind::Utf8 { .. } => "not valid UTF-8".to_owned(),
                            _ => format!("malformed CSV record: {e}"),
                        };
                        if handle(Err(bad(path, line, what)), &mut stats)?.is_break() || !skip_bad {
                            break;
                        }
                    }
                }
            }
        }
    }
    Ok(stats)
}

fn parse_json_line(
    path: &Path,
    line: u64,
    buf: &[u8],
    fields: &Fields,
) -> Result<Option<Row>, TrainError> {
    let s = std::str::from_utf8(buf).map_err(|e| {
        bad(
            path,
            line,
            format!("not valid UTF-8 (byte {} of the line)", e.valid_up_to()),
        )
    })?;
    if s.trim().is_empty() {
        return Ok(None);
    }
    let v: serde_json::Value =
        serde_json::from_str(s).map_err(|e| bad(path, line, format!("invalid JSON: {e}")))?;
    let obj = v
        .as_object()
        .ok_or_else(|| bad(path, line, "expected a JSON object"))?;
    let text = match obj.get(&fields.text) {
        Some(serde_json::Value::String(t)) => t.clone(),
        Some(_) => {
            return Err(bad(
                path,
                line,
                format!("field {:?} must be a string", fields.text),
            ))
        }
        None => return Err(bad(path, line, format!("missing field {:?}", fields.text))),
    };
    let title = match obj.get(&fields.title) {
        Some(serde_json::Value::String(t)) => t.clone(),
        Some(serde_json::Value::Null) | None => String::new(),
        Some(_) => {
            return Err(bad(
                path,
                line,
                format!("field {:?} must be a string", fields.title),
            ))
        }
    };
    let labels = match obj.get(&fields.label) {
        None => return Err(bad(path, line, format!("missing field {:?}", fields.label))),
        Some(v) => labels_from_json(v).ok_or_else(|| {
            bad(
                path,
                line,
                format!(
                    "field {:?} must be a string or a list of strings",
                    fields.label
                ),
            )
        })?,
    };
    let split = match obj.get(&fields.split) {
        Some(serde_json::Value::String(s)) => Some(s.clone()),
        _ => None,
    };
    Ok(Some(Row {
        line,
        title,
        text,
        labels,
        split,
    }))
}

/// Size and SHA-256 of a file, for provenance in the model metadata.
pub fn fingerprint(path: &Path) -> Result<(u64, String), TrainError> {
    let bytes = std::fs::read(path).map_err(|error| TrainError::Io {
        path: path.to_path_buf(),
        error,
    })?;
    Ok((bytes.len() as u64, crate::model::sha256_hex(&bytes)))
}

/// A display name for a data file: the path as given.
pub fn display(path: &Path) -> String {
    PathBuf::from(path).display().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn write(name: &str, content: &[u8]) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(name);
        std::fs::File::create(&p)
            .unwrap()
            .write_all(content)
            .unwrap();
        (dir, p)
    }

    fn collect(p: &Path, fields: &Fields, skip: bool) -> Result<(Vec<Row>, ReadStats), TrainError> {
        let mut rows = Vec::new();
        let stats = read_rows(p, fields, skip, |r| {
            rows.push(r);
            Ok(())
        })?;
        Ok((rows, stats))
    }

    #[test]
    fn reading_stops_at_break_in_both_formats() {
        let jsonl = b"{\"text\":\"a\",\"topic\":\"x\"}\n{\"text\":\"b\",\"topic\":\"y\",\"split\":\"test\"}\nnot json\n";
        let csv = b"text,topic,split\na,x,\nb,y,test\n\"unterminated\n";
        for (name, content) in [("a.jsonl", &jsonl[..]), ("a.csv", &csv[..])] {
            let (_d, p) = write(name, content);
            let mut seen = 0;
            let stats = read_rows_until(&p, &Fields::default(), false, |r| {
                seen += 1;
                Ok(if r.split.is_some() {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                })
            })
            .unwrap();
            // Stopped at the row with a split: the malformed row after it is never read.
            assert_eq!((seen, stats.rows), (2, 2), "{name}");
        }
    }

    #[test]
    fn jsonl_rows_and_errors() {
        let (_d, p) = write(
            "a.jsonl",
            b"{\"text\":\"a b\",\"topic\":\"x\",\"split\":\"train\"}\n\n{\"text\":\"c\",\"topic\":[\"y\",\"z\"]}\nnot json\n",
        );
        let err = collect(&p, &Fields::default(), false)
            .unwrap_err()
            .to_string();
        assert!(
            err.ends_with("a.jsonl:4: invalid JSON: expected ident at line 1 column 2"),
            "{err}"
        );
        let (rows, stats) = collect(&p, &Fields::default(), true).unwrap();
        assert_eq!(
            stats,
            ReadStats {
                rows: 2,
                skipped_bad: 1
            }
        );
        assert_eq!(rows[1].labels, vec!["y", "z"]);
        assert_eq!(rows[0].split.as_deref(), Some("train"));
    }

    #[test]
    fn missing_field_and_bad_utf8() {
        let (_d, p) = write("a.jsonl", b"{\"body\":\"x\",\"topic\":\"t\"}\n");
        let err = collect(&p, &Fields::default(), false)
            .unwrap_err()
            .to_string();
        assert!(err.ends_with("a.jsonl:1: missing field \"text\""), "{err}");
        let (_d, p) = write("b.jsonl", b"{\"text\":\"\xff\",\"topic\":\"t\"}\n");
        let err = collect(&p, &Fields::default(), false)
            .unwrap_err()
            .to_string();
        assert!(err.contains("b.jsonl:1: not valid UTF-8"), "{err}");
    }

    #[test]
    fn csv_rows() {
        let (_d, p) = write(
            "a.csv",
            b"title,text,region\nT,\"Body, with comma\",europe;asia\n",
        );
        let f = Fields {
            label: "region".into(),
            ..Fields::default()
        };
        let (rows, _) = collect(&p, &f, false).unwrap();
        assert_eq!(rows[0].labels, vec!["europe", "asia"]);
        assert_eq!(rows[0].text, "Body, with comma");
        let err = collect(&p, &Fields::default(), false)
            .unwrap_err()
            .to_string();
        assert!(err.contains("no column \"topic\""), "{err}");
    }
}
