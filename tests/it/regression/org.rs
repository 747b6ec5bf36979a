//! Regressions in org (see ../regression.rs for naming).

#[allow(unused_imports)]
use crate::common;
