//! The rollback plan as text, and its errors as diagnostics.

use super::{RollbackError, RollbackPlan};
use crate::diff;

impl crate::diag::ToDiagnostic for RollbackError {
    fn to_diagnostic(&self) -> crate::diag::Diagnostic {
        use crate::diag::Diagnostic;
        match self {
            RollbackError::Org(e) => e.to_diagnostic().hint_opt(self.hint()),
            RollbackError::Read(e) => e.to_diagnostic(),
            RollbackError::WrongOrg { actual, .. } => Diagnostic::from_error(self)
                .org(actual.clone())
                .hint_opt(self.hint()),
            _ => Diagnostic::from_error(self).hint_opt(self.hint()),
        }
    }
}

/// The rollback plan as text: each component's changes, then what is
/// deleted, left in place, and the user and assignments.
pub fn human(rp: &RollbackPlan) -> String {
    use std::fmt::Write as _;
    let mut out = format!(
        "Rollback of org {} to snapshot {}\n",
        rp.org_id,
        rp.snapshot.display()
    );
    if rp.components.is_empty() && rp.delete.is_empty() {
        out.push_str("\nThe metadata already matches the snapshot.\n");
    }
    for c in &rp.components {
        let _ = writeln!(out, "\n  ~ {}/{} will be restored", c.type_name, c.member);
        let changes: Vec<&diff::Change> = c.counted().collect();
        out.push_str(&crate::render::diff::change_lines(&changes, "      "));
    }
    for m in &rp.delete {
        let _ = writeln!(
            out,
            "\n  - PermissionSet/{m} will be deleted (apply created it)"
        );
    }
    for b in &rp.blocked {
        let _ = writeln!(
            out,
            "\n  ! {b}: apply created it, but it cannot be deleted while assigned; left in place (`--remove-user` removes the assignments apply made)"
        );
    }
    for l in &rp.left_in_place {
        let _ = writeln!(
            out,
            "\n  ! {l}: apply created it; a deploy cannot delete it, so it is left in place (delete it in Setup if unwanted)"
        );
    }
    if let Some(u) = &rp.user {
        if u.created_by_apply {
            let _ = writeln!(
                out,
                "\n  User {} ({}) was created by apply: {}",
                u.username,
                u.id,
                match (rp.remove_user, u.active) {
                    (_, false) => "already inactive",
                    (true, true) => "will be deactivated (IsActive=false; users are never deleted)",
                    (false, true) => "left active (pass --remove-user to deactivate it)",
                }
            );
        }
    }
    for a in &rp.added_assignments {
        let _ = writeln!(
            out,
            "  {} {} `{}` ({}) was added by apply: {}",
            if rp.remove_user { "-" } else { "!" },
            a.sobject,
            a.name,
            a.id,
            if rp.remove_user {
                "will be deleted"
            } else {
                "left (pass --remove-user to delete it)"
            }
        );
    }
    out
}
