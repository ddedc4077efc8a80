//! Model loading on arbitrary bytes, and on the fixture with a few bytes changed: a clear error
//! or a valid model, never a panic or an absurd allocation.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

fn fixture() -> &'static [u8] {
    static F: OnceLock<Vec<u8>> = OnceLock::new();
    F.get_or_init(|| {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/compat-v1/model.lede");
        std::fs::read(p).expect("fixture")
    })
}

fuzz_target!(|data: &[u8]| {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("model.lede");
    // Raw bytes.
    std::fs::write(&p, data).unwrap();
    let _ = lede::model::Model::load(&p);
    // The fixture with bytes flipped at fuzzer-chosen places and a recomputed checksum, which
    // exercises the header and weight decoders' own validation.
    if data.len() >= 4 {
        let mut f = fixture().to_vec();
        for chunk in data.chunks(4) {
            if chunk.len() == 4 {
                let at = u16::from_le_bytes([chunk[0], chunk[1]]) as usize % f.len();
                f[at] ^= chunk[2];
            }
        }
        // Recompute the CRC so the edit reaches the header and weight decoders.
        if f.len() >= 28 {
            let crc = crc32fast::hash(&f[28..]);
            f[24..28].copy_from_slice(&crc.to_le_bytes());
        }
        std::fs::write(&p, &f).unwrap();
        if let Ok(m) = lede::model::Model::load(&p) {
            let _ = m.analyze("t", "some text here. more text.", &Default::default());
        }
    }
});
