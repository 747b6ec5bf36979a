//! Integration tests: one binary (see tests/README.md).

mod cli;
mod common;
mod apply;
mod corpus;
mod diff;
mod emulator;
mod golden;
mod org;
mod plan;
mod regression;
