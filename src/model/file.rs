//! The on-disk format of a model file (`model.lede`).
//!
//! ```text
//! offset  size  what
//! 0       8     magic  b"LEDEMODL"
//! 8       4     format version, u32 little-endian (FORMAT_VERSION)
//! 12      4     header length H, u32 LE
//! 16      8     payload length P, u64 LE
//! 24      4     CRC-32 of header bytes followed by payload bytes, u32 LE
//! 28      H     header: UTF-8 JSON (`ModelMeta`), readable without touching the weights
//! 28+H    P     payload: postcard-encoded `Payload` (vectorisers and heads)
//! ```
//! postcard is compact and fast (9 MB / 18 ms for 100k terms) but not self-describing, which is
//! why the version sits in front and a file of any other version is refused with a message
//! instead of being misread. Writes go to a temporary file in the same directory, are synced,
//! then renamed over the target, so a reader never sees half a file.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use super::ModelError;

pub const MAGIC: &[u8; 8] = b"LEDEMODL";
/// The format this build writes.
///
/// - 1: heads only (vectoriser + naive Bayes).
/// - 2: adds a softmax temperature per head, an optional learned line classifier for cleaning
///   and an optional learned summary scorer. Version-1 files still load: temperature 1, the
///   rule-based cleaner and the hand-set summary scorer.
/// - 3: the learned summary scorer holds one linear model per compression band. Version-2
///   files still load: their scorer becomes one band.
pub const FORMAT_VERSION: u32 = 3;
/// The formats this build can read.
pub const SUPPORTED_VERSIONS: std::ops::RangeInclusive<u32> = 1..=3;
const FIXED: usize = 28;
/// Refuse absurd header sizes before allocating.
const MAX_HEADER: u32 = 64 << 20;
/// Refuse absurd payload sizes before allocating.
const MAX_PAYLOAD: u64 = 4 << 30;

pub struct RawFile {
    /// The format version in the file's fixed header (one of [`SUPPORTED_VERSIONS`]).
    pub version: u32,
    pub header: Vec<u8>,
    pub payload: Vec<u8>,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ModelError + '_ {
    move |error| ModelError::Io {
        path: path.to_path_buf(),
        error,
    }
}

struct Fixed {
    version: u32,
    header_len: u32,
    payload_len: u64,
    crc: u32,
}

fn read_fixed(path: &Path, r: &mut impl Read) -> Result<Fixed, ModelError> {
    let mut fixed = [0u8; FIXED];
    let mut got = 0;
    while got < FIXED {
        let n = r.read(&mut fixed[got..]).map_err(io(path))?;
        if n == 0 {
            break;
        }
        got += n;
    }
    if got < 8 || &fixed[..8] != MAGIC {
        return Err(ModelError::BadMagic {
            path: path.to_path_buf(),
        });
    }
    // The version comes before the rest of the fixed header is required, so that a file from
    // a future format says so even if its header has a different size.
    if got >= 12 {
        let version = u32::from_le_bytes(fixed[8..12].try_into().unwrap());
        if !SUPPORTED_VERSIONS.contains(&version) {
            return Err(ModelError::UnsupportedVersion {
                path: path.to_path_buf(),
                found: version,
                supported: format!(
                    "{}..={}",
                    SUPPORTED_VERSIONS.start(),
                    SUPPORTED_VERSIONS.end()
                ),
            });
        }
    }
    if got < FIXED {
        return Err(ModelError::Truncated {
            path: path.to_path_buf(),
            what: "fixed header".into(),
        });
    }
    let version = u32::from_le_bytes(fixed[8..12].try_into().unwrap());
    let header_len = u32::from_le_bytes(fixed[12..16].try_into().unwrap());
    let payload_len = u64::from_le_bytes(fixed[16..24].try_into().unwrap());
    let crc = u32::from_le_bytes(fixed[24..28].try_into().unwrap());
    if header_len > MAX_HEADER || payload_len > MAX_PAYLOAD {
        return Err(ModelError::Corrupt {
            path: path.to_path_buf(),
            what: format!(
                "implausible section sizes (header {header_len}, payload {payload_len} bytes)"
            ),
        });
    }
    Ok(Fixed {
        version,
        header_len,
        payload_len,
        crc,
    })
}

fn read_exact_or_truncated(
    path: &Path,
    r: &mut impl Read,
    len: usize,
    what: &str,
) -> Result<Vec<u8>, ModelError> {
    // Callers have checked `len` against the file's size, so this allocation is bounded by
    // what is really on disk, never by a corrupt length field.
    let mut buf = Vec::with_capacity(len);
    r.take(len as u64).read_to_end(&mut buf).map_err(io(path))?;
    if buf.len() < len {
        return Err(ModelError::Truncated {
            path: path.to_path_buf(),
            what: format!("{what}: expected {len} bytes, found {}", buf.len()),
        });
    }
    Ok(buf)
}

/// Fails (before anything is allocated) if the file is shorter than its header declares.
fn check_size(path: &Path, f: &File, fixed: &Fixed, need_payload: bool) -> Result<(), ModelError> {
    let size = f.metadata().map_err(io(path))?.len();
    let need =
        FIXED as u64 + fixed.header_len as u64 + if need_payload { fixed.payload_len } else { 0 };
    if size < need {
        return Err(ModelError::Truncated {
            path: path.to_path_buf(),
            what: format!("the header declares {need} bytes, the file has {size}"),
        });
    }
    Ok(())
}

/// Reads only the header (metadata), without reading or checking the weights.
pub fn read_header(path: &Path) -> Result<Vec<u8>, ModelError> {
    let mut f = File::open(path).map_err(io(path))?;
    let fixed = read_fixed(path, &mut f)?;
    check_size(path, &f, &fixed, false)?;
    read_exact_or_truncated(path, &mut f, fixed.header_len as usize, "header")
}

/// Reads and verifies a whole file.
pub fn read(path: &Path) -> Result<RawFile, ModelError> {
    let mut f = File::open(path).map_err(io(path))?;
    let fixed = read_fixed(path, &mut f)?;
    check_size(path, &f, &fixed, true)?;
    let header = read_exact_or_truncated(path, &mut f, fixed.header_len as usize, "header")?;
    let payload = read_exact_or_truncated(path, &mut f, fixed.payload_len as usize, "weights")?;
    let mut extra = [0u8; 1];
    if f.read(&mut extra).map_err(io(path))? != 0 {
        return Err(ModelError::Corrupt {
            path: path.to_path_buf(),
            what: "trailing bytes after the weights".into(),
        });
    }
    let mut h = crc32fast::Hasher::new();
    h.update(&header);
    h.update(&payload);
    let crc = h.finalize();
    if crc != fixed.crc {
        return Err(ModelError::Checksum {
            path: path.to_path_buf(),
            expected: fixed.crc,
            found: crc,
        });
    }
    Ok(RawFile {
        version: fixed.version,
        header,
        payload,
    })
}

/// Writes atomically: temp file in the same directory, fsync, rename.
pub fn write(path: &Path, header: &[u8], payload: &[u8]) -> Result<(), ModelError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let tmp: PathBuf = dir.join(format!(
        ".{}.tmp{}",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("model"),
        std::process::id()
    ));
    let mut h = crc32fast::Hasher::new();
    h.update(header);
    h.update(payload);
    let crc = h.finalize();
    let result = (|| {
        let mut f = File::create(&tmp)?;
        f.write_all(MAGIC)?;
        f.write_all(&FORMAT_VERSION.to_le_bytes())?;
        f.write_all(&(header.len() as u32).to_le_bytes())?;
        f.write_all(&(payload.len() as u64).to_le_bytes())?;
        f.write_all(&crc.to_le_bytes())?;
        f.write_all(header)?;
        f.write_all(payload)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(io(path))
}
