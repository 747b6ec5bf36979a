//! The `local` target: the org emulator, started in-process on 127.0.0.1:0.
//! Owns: starting it and turning its handle into a `Session`.
//! Does not: implement the emulator (see `src/emulator/`, issue 3).

use super::client::Session;
use super::error::OrgError;

/// Starts the local org emulator. Until the emulator (issue 3) is merged
/// into this build, `local` reports that it is unavailable.
pub fn start(_project_dir: Option<&std::path::Path>) -> Result<Session, OrgError> {
    Err(OrgError::Local {
        reason: "this build of sfprov has no org emulator yet".into(),
    })
}
