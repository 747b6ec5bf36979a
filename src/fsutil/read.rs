//! Bounded reads of files the user names: a regular file of at most a given
//! size. Anything else (a FIFO would block forever, `/dev/zero` never ends)
//! is refused before it is opened, checked again on the open file (it may
//! have been swapped), and read through a bounded reader (it may grow).

use std::io::Read;
use std::path::Path;

/// Why a file was not read.
#[derive(Debug, thiserror::Error)]
pub enum ReadLimitError {
    #[error("cannot read `{}`: {source}", path.display())]
    Io {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{}` is {kind}, not a regular file", path.display())]
    NotRegular {
        path: std::path::PathBuf,
        kind: &'static str,
    },
    #[error("`{}` is larger than {limit} bytes", path.display())]
    TooLarge {
        path: std::path::PathBuf,
        limit: u64,
    },
}

/// Reads a regular file of at most `limit` bytes.
pub fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>, ReadLimitError> {
    let io = |source| ReadLimitError::Io {
        path: path.to_path_buf(),
        source,
    };
    let check = |meta: &std::fs::Metadata| -> Result<(), ReadLimitError> {
        if !meta.is_file() {
            return Err(ReadLimitError::NotRegular {
                path: path.to_path_buf(),
                kind: kind_of(&meta.file_type()),
            });
        }
        if meta.len() > limit {
            return Err(ReadLimitError::TooLarge {
                path: path.to_path_buf(),
                limit,
            });
        }
        Ok(())
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    check(&meta)?;
    let file = open_nonblocking(path).map_err(io)?;
    check(&file.metadata().map_err(io)?)?;
    let mut bytes = Vec::with_capacity(meta.len().min(limit) as usize);
    file.take(limit + 1).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > limit {
        return Err(ReadLimitError::TooLarge {
            path: path.to_path_buf(),
            limit,
        });
    }
    Ok(bytes)
}

/// Opens for reading without blocking on a FIFO that has no writer.
#[cfg(unix)]
fn open_nonblocking(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
}

#[cfg(not(unix))]
fn open_nonblocking(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::File::open(path)
}

/// What a non-regular file is, in words.
fn kind_of(ty: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ty.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if ty.is_char_device() || ty.is_block_device() {
            return "a device";
        }
        if ty.is_socket() {
            return "a socket";
        }
    }
    if ty.is_dir() {
        "a directory"
    } else {
        "a special file"
    }
}
