//! Integration tests: one binary (see tests/README.md).

mod apply;
mod audit;
mod cli;
mod common;
mod corpus;
mod diagnostics;
mod diff;
mod emulator;
mod golden;
mod hostile;
mod kill;
mod limits;
mod org;
mod plan;
mod properties;
mod regression;
mod report;
