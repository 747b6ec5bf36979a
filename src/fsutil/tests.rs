//! fsutil: atomic replace, modes, temp files registered and cleaned up.

use super::*;

#[test]
fn writes_replaces_and_keeps_permissions() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a/b/file.xml");
    write_atomic(&path, b"one").unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"one");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_atomic(&path, b"two").unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
    }
    assert_eq!(std::fs::read(&path).unwrap(), b"two");
    let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap()).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "no temp files left behind");
}

#[test]
fn a_failed_fill_leaves_the_old_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f");
    write_atomic(&path, b"old").unwrap();
    let e = write_with(&path, |_| Err(std::io::Error::other("boom"))).unwrap_err();
    assert!(std::error::Error::source(&e)
        .unwrap()
        .to_string()
        .contains("boom"));
    assert_eq!(std::fs::read(&path).unwrap(), b"old");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn a_failed_fill_removes_the_directories_it_created() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new/deeper/f");
    write_with(&path, |_| Err(std::io::Error::other("boom"))).unwrap_err();
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn a_file_where_a_directory_should_be_is_named() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("settings"), "x").unwrap();
    let e = write_atomic(&dir.path().join("settings/Event.settings"), b"y").unwrap_err();
    let cause = std::error::Error::source(&e).unwrap().to_string();
    assert!(
        cause.contains("settings` exists and is not a directory"),
        "{cause}"
    );
}

#[test]
fn staged_files_are_registered_until_renamed_or_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let a = stage(&dir.path().join("a"), |w| w.write_all(b"a")).unwrap();
    let b = stage(&dir.path().join("b"), |w| w.write_all(b"b")).unwrap();
    let (ta, tb) = (a.tmp.clone(), b.tmp.clone());
    let name = ta.file_name().unwrap().to_string_lossy().to_string();
    assert!(
        name.starts_with(".sfprov-") && name.ends_with(".tmp"),
        "{name}"
    );
    assert!(temps::is_registered(&ta) && temps::is_registered(&tb));
    assert!(!dir.path().join("a").exists(), "not visible before commit");
    a.commit().unwrap();
    assert!(!temps::is_registered(&ta) && !ta.exists());
    assert_eq!(std::fs::read(dir.path().join("a")).unwrap(), b"a");
    drop(b);
    assert!(!temps::is_registered(&tb) && !tb.exists());
    assert!(!dir.path().join("b").exists());
}

/// New files follow the process umask (0666 & !umask), as any tool's output
/// (tempfile's default was 0600). The umask is process-wide and not ours to
/// change in a test; tests/it/regression/generate.rs sets it for the binary.
#[cfg(unix)]
#[test]
fn new_files_follow_the_umask() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f");
    write_atomic(&path, b"x").unwrap();
    // Whatever the runner's umask: the same mode as a file created plainly.
    let plain = dir.path().join("plain");
    std::fs::write(&plain, b"x").unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&path), mode(&plain));
}
