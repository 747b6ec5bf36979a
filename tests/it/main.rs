//! Integration tests: one binary (see tests/README.md).

mod common;
mod corpus;
mod org;
