//! One apply per org at a time on this machine (Terraform's state lock).
//! Owns: `Lock`, an exclusive `flock` on `<dir>/<org id>.lock` held for the
//! whole apply, whose file says who holds it (pid, host, since, command).
//! The kernel releases the lock when its process ends, however it ends, so
//! a crashed apply leaves no lock behind; the file's text is only the
//! message for the one that waits. A lock that is stuck (a hung process, a
//! filesystem without locks) is broken by stopping that process, or by
//! deleting the file (README, "Apply").
//! Does not: lock against applies from other machines.

use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Who holds a lock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    pub pid: u32,
    pub host: String,
    /// UTC, `YYYYMMDDTHHMMSSZ`.
    pub since: String,
    pub command: String,
}

/// Why the lock was not taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("another apply to org {org} is running: {} (lock file {})", describe(holder.as_deref()), path.display())]
    Held {
        org: String,
        path: PathBuf,
        holder: Option<Box<Holder>>,
    },
    #[error("cannot lock {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

fn describe(h: Option<&Holder>) -> String {
    match h {
        Some(h) => format!(
            "pid {} on host {} since {} (`{}`)",
            h.pid, h.host, h.since, h.command
        ),
        None => "a process that has not written its name yet".into(),
    }
}

impl LockError {
    pub fn hint(&self) -> String {
        match self {
            LockError::Held { path, holder, .. } => {
                let pid = holder
                    .as_ref()
                    .map_or("PID".to_string(), |h| h.pid.to_string());
                format!(
                    "wait for it to finish and run apply again; if that process is stuck, stop it (`kill {pid}`): its lock goes with it. If no such process runs (a filesystem without locks), break the lock with `rm {}`",
                    path.display()
                )
            }
            LockError::Io { .. } => "check that the directory is writable".into(),
        }
    }
}

/// A held lock; released on drop.
#[derive(Debug)]
pub struct Lock {
    file: std::fs::File,
    pub path: PathBuf,
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = self.file.set_len(0);
    }
}

/// This machine's name.
pub fn hostname() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: gethostname writes at most `len` bytes into `buf`.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc == 0 {
        let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
        if let Ok(s) = std::str::from_utf8(&buf[..end]) {
            if !s.is_empty() {
                return s.to_string();
            }
        }
    }
    "unknown".into()
}

/// Takes the lock for `org_id` in `dir`, or says who holds it.
pub fn acquire(dir: &Path, org_id: &str, command: &str) -> Result<Lock, LockError> {
    let name: String = org_id
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let path = dir.join(format!("{name}.lock"));
    let io = |source| LockError::Io {
        path: path.clone(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(io)?;
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(io)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut text = String::new();
            let _ = file.read_to_string(&mut text);
            return Err(LockError::Held {
                org: org_id.to_string(),
                holder: serde_json::from_str(&text).ok().map(Box::new),
                path,
            });
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
    }
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let holder = Holder {
        pid: std::process::id(),
        host: hostname(),
        since: super::snapshot::timestamp(secs),
        command: command.to_string(),
    };
    file.set_len(0).map_err(io)?;
    file.rewind().map_err(io)?;
    let text = serde_json::to_string(&holder).expect("a holder serializes");
    file.write_all(text.as_bytes()).map_err(io)?;
    file.flush().map_err(io)?;
    Ok(Lock { file, path })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_names_the_holder_and_the_first_release_frees_it() {
        let dir = tempfile::tempdir().unwrap();
        let first = acquire(dir.path(), "00D000000000001", "sfprov apply").unwrap();
        let err = acquire(dir.path(), "00D000000000001", "sfprov apply").unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains(&format!("pid {}", std::process::id())),
            "{text}"
        );
        assert!(text.contains(&hostname()), "{text}");
        assert!(err.hint().contains("rm "), "{}", err.hint());
        // Another org is another lock.
        let _other = acquire(dir.path(), "00D000000000002", "sfprov apply").unwrap();
        drop(first);
        acquire(dir.path(), "00D000000000001", "sfprov apply").unwrap();
    }
}
