//! Reading a configuration file (a CA bundle) with a stated limit.
//!
//! A path can name anything: `/dev/zero` never ends, a FIFO blocks until a
//! writer comes, a directory is no file. Only regular files (or symlinks to
//! one) are read, and at most `limit` bytes of them: a file that grows
//! while it is read is refused too, since at most `limit + 1` bytes are
//! ever read. The kind is checked on the path before opening, so that a
//! FIFO is never opened (opening one blocks), and again on the open file.

use std::fmt;
use std::fs::{self, File, Metadata};
use std::io::{self, Read};
use std::path::Path;

/// Why a file was not read.
#[derive(Debug)]
pub(crate) enum FileError {
    /// Opening, inspecting or reading failed.
    Io(io::Error),
    /// Not a regular file: says what it is ("a directory", "a FIFO", ...).
    NotAFile(&'static str),
    /// Larger than this many bytes.
    TooLarge(usize),
}

impl fmt::Display for FileError {
    /// Meant to follow the file's name: `"{name}{error}"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FileError::Io(error) => write!(f, ": {error}"),
            FileError::NotAFile(kind) => write!(f, " is {kind}, not a regular file"),
            FileError::TooLarge(limit) => write!(f, " is larger than {limit} bytes"),
        }
    }
}

/// The bytes of the regular file at `path`, at most `limit` of them.
pub(crate) fn read_file(path: &Path, limit: usize) -> Result<Vec<u8>, FileError> {
    let metadata = fs::metadata(path).map_err(FileError::Io)?;
    check(&metadata, limit)?;
    let file = File::open(path).map_err(FileError::Io)?;
    let metadata = file.metadata().map_err(FileError::Io)?;
    check(&metadata, limit)?;
    let expected = usize::try_from(metadata.len()).unwrap_or(limit).min(limit);
    let mut bytes = Vec::with_capacity(expected.saturating_add(1));
    let bound = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    file.take(bound)
        .read_to_end(&mut bytes)
        .map_err(FileError::Io)?;
    if bytes.len() > limit {
        return Err(FileError::TooLarge(limit));
    }
    Ok(bytes)
}

fn check(metadata: &Metadata, limit: usize) -> Result<(), FileError> {
    if !metadata.is_file() {
        return Err(FileError::NotAFile(kind(metadata)));
    }
    if metadata.len() > u64::try_from(limit).unwrap_or(u64::MAX) {
        return Err(FileError::TooLarge(limit));
    }
    Ok(())
}

/// What a file that is not regular is, in words.
fn kind(metadata: &Metadata) -> &'static str {
    let file_type = metadata.file_type();
    if file_type.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_char_device() {
            return "a character device";
        }
        if file_type.is_block_device() {
            return "a block device";
        }
        if file_type.is_fifo() {
            return "a FIFO";
        }
        if file_type.is_socket() {
            return "a socket";
        }
    }
    "not a regular file"
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    /// A fresh directory for one test, removed on drop.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(name: &str) -> Scratch {
            let dir = std::env::temp_dir()
                .join(format!("ovok-bounded-read-{name}-{}", std::process::id()));
            let _ = fs::remove_dir_all(&dir);
            fs::create_dir_all(&dir).unwrap();
            Scratch(dir)
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn regular_files_up_to_the_limit_are_read() {
        let scratch = Scratch::new("regular");
        let path = scratch.0.join("ca.pem");
        fs::write(&path, b"0123456789").unwrap();
        assert_eq!(read_file(&path, 10).unwrap(), b"0123456789");
        assert_eq!(read_file(&path, 100).unwrap(), b"0123456789");
        let error = read_file(&path, 9).unwrap_err();
        assert!(matches!(error, FileError::TooLarge(9)), "{error:?}");
        assert_eq!(error.to_string(), " is larger than 9 bytes");
        let empty = scratch.0.join("empty.pem");
        fs::write(&empty, b"").unwrap();
        assert!(read_file(&empty, 10).unwrap().is_empty());
    }

    #[test]
    fn a_large_sparse_file_is_refused_before_it_is_read() {
        let scratch = Scratch::new("sparse");
        let path = scratch.0.join("huge.pem");
        File::create(&path).unwrap().set_len(1 << 40).unwrap();
        let error = read_file(&path, 4 << 20).unwrap_err();
        assert!(matches!(error, FileError::TooLarge(_)), "{error:?}");
    }

    #[test]
    fn directories_and_missing_files_are_refused() {
        let scratch = Scratch::new("dir");
        let error = read_file(&scratch.0, 10).unwrap_err();
        assert_eq!(error.to_string(), " is a directory, not a regular file");
        let error = read_file(&scratch.0.join("missing"), 10).unwrap_err();
        assert!(matches!(&error, FileError::Io(e) if e.kind() == io::ErrorKind::NotFound));
        assert!(error.to_string().starts_with(": "), "{error}");
    }

    #[cfg(unix)]
    #[test]
    fn devices_fifos_and_links_to_them_are_refused_without_blocking() {
        let scratch = Scratch::new("special");
        let error = read_file(Path::new("/dev/zero"), 10).unwrap_err();
        assert_eq!(
            error.to_string(),
            " is a character device, not a regular file"
        );
        let link = scratch.0.join("zero.pem");
        std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
        assert!(matches!(
            read_file(&link, 10),
            Err(FileError::NotAFile("a character device"))
        ));
        // No writer ever comes: opening this FIFO would block forever.
        let fifo = scratch.0.join("fifo.pem");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo runs");
        assert!(made.success());
        assert!(matches!(
            read_file(&fifo, 10),
            Err(FileError::NotAFile("a FIFO"))
        ));
    }
}
