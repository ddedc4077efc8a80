//! Lede: topic, region and extractive summaries for news articles.
//!
//! The pipeline, bottom to top: [`text`] turns a scraped article into clean sentences and
//! normalised terms (every piece keeping its byte offsets into the caller's text);
//! [`features`] turns terms into sparse TF-IDF vectors with a vocabulary and document
//! frequencies fixed at training time; [`classify`] scores those vectors with naive Bayes heads
//! trained through linfa-bayes (inference is our own sparse dot product); [`summarize`] picks
//! sentences; [`model`] stores the analyzer configuration, vectorisers and heads in one
//! versioned, checksummed file. The gRPC server and the binaries sit on top; nothing in these
//! modules knows about tonic, prost or tokio.

pub mod classify;
pub mod eval;
pub mod features;
pub mod model;
pub mod server;
pub mod summarize;
pub mod text;
pub mod train;
