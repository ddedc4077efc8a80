//! The Article Extraction Benchmark's pages (`../shared/data/aeb/`, see its README): the
//! rendered plain text of each page, its HTML (gzip) and the true article body.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::EvalError;

/// One benchmark page.
#[derive(Debug, Clone)]
pub struct Page {
    pub id: String,
    pub url: String,
    /// The URL's host: the unit of grouped cross-validation ("no page's own site in its
    /// training folds").
    pub site: String,
    /// The whole page rendered to plain text, chrome included (`rendered.jsonl`).
    pub rendered: String,
    /// The true article body (`ground-truth.json`).
    pub truth: String,
}

/// The host of a URL ("https://www.example.com/a" -> "www.example.com").
pub fn host(url: &str) -> String {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    rest.split(['/', '?', '#'])
        .next()
        .unwrap_or("")
        .rsplit('@')
        .next()
        .unwrap_or("")
        .split(':')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase()
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> EvalError + '_ {
    move |error| EvalError::Io {
        path: path.to_path_buf(),
        error,
    }
}

/// Loads every page of `dir` (`rendered.jsonl` + `ground-truth.json`), sorted by id.
pub fn load(dir: &Path) -> Result<Vec<Page>, EvalError> {
    let gt_path = dir.join("ground-truth.json");
    let gt_text = std::fs::read_to_string(&gt_path).map_err(io(&gt_path))?;
    let gt: HashMap<String, serde_json::Value> =
        serde_json::from_str(&gt_text).map_err(|e| EvalError::Input {
            path: gt_path.clone(),
            what: e.to_string(),
        })?;
    let r_path = dir.join("rendered.jsonl");
    let r_text = std::fs::read_to_string(&r_path).map_err(io(&r_path))?;
    let mut pages = Vec::new();
    for (i, line) in r_text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let bad = |what: String| EvalError::Input {
            path: r_path.clone(),
            what: format!("line {}: {what}", i + 1),
        };
        let v: serde_json::Value = serde_json::from_str(line).map_err(|e| bad(e.to_string()))?;
        let field = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_owned);
        let id = field("id").ok_or_else(|| bad("no id".into()))?;
        let url = field("url").unwrap_or_default();
        let truth = gt
            .get(&id)
            .and_then(|g| g.get("articleBody"))
            .and_then(|x| x.as_str())
            .ok_or_else(|| bad(format!("page {id} has no ground truth")))?
            .to_owned();
        pages.push(Page {
            site: host(&url),
            rendered: field("text").unwrap_or_default(),
            id,
            url,
            truth,
        });
    }
    pages.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(pages)
}

/// The path of a page's gzip-compressed HTML.
pub fn html_path(dir: &Path, id: &str) -> PathBuf {
    dir.join("html").join(format!("{id}.html.gz"))
}

/// Reads a page's HTML bytes as fetched (not necessarily UTF-8).
pub fn read_html(dir: &Path, id: &str) -> Result<Vec<u8>, EvalError> {
    let path = html_path(dir, id);
    let f = std::fs::File::open(&path).map_err(io(&path))?;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(f)
        .read_to_end(&mut out)
        .map_err(io(&path))?;
    Ok(out)
}

/// Fold of each page for `k`-fold cross-validation grouped by site: all pages of a site land
/// in the same fold (sites are dealt round-robin in sorted order, so the folds are
/// deterministic and balanced in sites).
pub fn site_folds(pages: &[Page], k: usize) -> Vec<usize> {
    folds_by_site(pages.iter().map(|p| p.site.as_str()), k)
}

/// [`site_folds`] of any list of pages given by their sites (e.g. a subset, for an inner
/// cross-validation).
pub fn folds_by_site<'a>(sites: impl Iterator<Item = &'a str> + Clone, k: usize) -> Vec<usize> {
    let mut sorted: Vec<&str> = sites.clone().collect();
    sorted.sort_unstable();
    sorted.dedup();
    let fold_of: HashMap<&str, usize> = sorted
        .iter()
        .enumerate()
        .map(|(i, s)| (*s, i % k.max(1)))
        .collect();
    sites.map(|s| fold_of[s]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_of_urls() {
        assert_eq!(host("https://www.Example.com/a/b?c"), "www.example.com");
        assert_eq!(host("http://user@news.site.org:8080/x"), "news.site.org");
        assert_eq!(host("site.com/path"), "site.com");
    }
}
