//! Regressions in fmt (see ../regression.rs for naming).

#[allow(unused_imports)]
use crate::common;
