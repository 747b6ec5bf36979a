//! Org connection tests (issue 4): logins through each target kind, the
//! fault matrix, and the secret-leak check.

mod cli;
mod emulator;
mod faults;
mod logins;
pub mod mock;
pub mod support;
