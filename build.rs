//! Generates the lede.v1 gRPC code from proto/ with protox (pure Rust: no system protoc), and
//! writes the file descriptor set that server reflection serves.

use std::path::PathBuf;

use protox::prost::Message;

const PROTOS: &[&str] = &["proto/lede/v1/analyzer.proto"];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    for p in PROTOS {
        println!("cargo:rerun-if-changed={p}");
    }
    // The commit a binary was built from, recorded in the models it trains (best effort).
    println!("cargo:rerun-if-changed=.git/HEAD");
    println!("cargo:rerun-if-changed=.git/refs/heads");
    if let Ok(o) = std::process::Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
    {
        if o.status.success() {
            let c = String::from_utf8_lossy(&o.stdout).trim().to_owned();
            println!("cargo:rustc-env=LEDE_GIT_COMMIT={c}");
        }
    }
    let fds = protox::compile(PROTOS, ["proto"])?;
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(out.join("lede_descriptor.bin"), fds.encode_to_vec())?;
    tonic_prost_build::configure()
        // protox's path does not add this to generated code; clippy must not lint it.
        .type_attribute(".", "#[allow(clippy::all)]")
        .compile_fds(fds)?;
    Ok(())
}
