//! Regression tests: one test per reproduced bug, named `issue_NN_what_it_guards`,
//! each failing on the code before its fix. Grouped by the area they guard so
//! parallel work does not collide in one file.

pub(crate) mod emulator;
mod fmt;
mod fuzz;
mod generate;
mod org;
mod project;
mod spec;
