//! sfprov: provision the Salesforce user a third-party integration connects as.
//! The library does the work; `src/main.rs` and `src/cli.rs` only parse the
//! command line and render outcomes. Data path: spec -> desired metadata ->
//! generate (files) | plan (diff against an org) -> apply.

pub use sfprov_emulator as emulator;
pub use sfprov_metadata as metadata;
pub use sfprov_metadata::{catalog, secret};

pub mod apply;
pub mod audit;
pub mod cancel;
pub mod diag;
pub mod diff;
pub mod fmt;
pub mod fsutil;
pub mod generate;
pub mod org;
pub mod plan;
pub mod project;
pub mod render;
pub mod report;
pub mod scenarios;
pub mod spec;
pub mod templates;
