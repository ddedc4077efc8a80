//! Integration tests: one binary, modules per area (ripgrep's layout).
//! The server tests run a real server on 127.0.0.1:0 with a real tonic client.

mod util;

mod bad_input;
mod cleaning;
mod html;
mod metrics;
mod model_files;
mod models;
mod process;
mod regions;
mod server;
mod summaries;
mod tls;
mod topics;
mod traces;
mod training;
