//! `sfprov apply` end to end against the emulator on 127.0.0.1:0: every
//! template converges and a second apply is a no-op (`converge`), a fault
//! at each step then a re-run converges to a clean run's org (`faults`),
//! and the command line: saved plans, stale plans, confirmation, the lock,
//! JSON, secrets (`cli`).

pub(crate) mod cli;
mod converge;
mod faults;
mod matrix;
mod multi;
mod rollback;
mod support;
