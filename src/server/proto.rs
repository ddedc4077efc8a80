//! Generated lede.v1 code (build.rs). Never edited by hand.
#![allow(clippy::all, missing_docs)]

tonic::include_proto!("lede.v1");

/// Encoded file descriptor set, for server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("lede_descriptor");
