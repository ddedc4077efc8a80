//! The training-data readers (JSONL and CSV) on arbitrary bytes: errors, never panics.
#![no_main]

use lede::train::data::{read_rows, Fields};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let dir = tempfile::tempdir().unwrap();
    for name in ["d.jsonl", "d.csv"] {
        let p = dir.path().join(name);
        std::fs::write(&p, data).unwrap();
        for skip in [false, true] {
            let _ = read_rows(&p, &Fields::default(), skip, |r| {
                assert!(r.line >= 1);
                Ok(())
            });
        }
    }
});
