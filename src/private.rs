//! Creating the files and folders that hold what sigwatch collected (the database and its
//! -wal and -shm files, backups, digests written out, the outbox) with a fixed mode, whatever
//! the umask of the process that creates them.
//!
//! The database holds every rendered digest, so a umask of 022 must not leave it readable by
//! every user of the machine. Every place that creates such a file or folder goes through this
//! module: the mode is set explicitly after creation (a umask can only take bits away, and a
//! narrower umask such as 077 must not hide the database from the operators' group either).
//! [`narrow`] takes the extra bits from such a file made before this module existed, and
//! [`read_secret`] reads a secret only from a file others cannot read.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// Who besides the owner may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Share {
    /// The owner only: files 0600, folders 0700.
    Owner,
    /// The owner, and the owning group read-only: files 0640, folders 0750. For the database
    /// and its folder, which operators in the service's group query with the CLI.
    Group,
}

impl Share {
    pub fn file_mode(self) -> u32 {
        match self {
            Share::Owner => 0o600,
            Share::Group => 0o640,
        }
    }

    pub fn dir_mode(self) -> u32 {
        match self {
            Share::Owner => 0o700,
            Share::Group => 0o750,
        }
    }
}

/// Creates `dir` and any missing parents with `share`'s folder mode. Folders that exist
/// already keep theirs: they are the operator's (e.g. systemd's `StateDirectory=`).
pub fn create_dir_all(dir: &Path, share: Share) -> io::Result<()> {
    if dir.as_os_str().is_empty() || dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent() {
        create_dir_all(parent, share)?;
    }
    match std::fs::DirBuilder::new().mode(share.dir_mode()).create(dir) {
        Ok(()) => std::fs::set_permissions(dir, std::fs::Permissions::from_mode(share.dir_mode())),
        // Another process made it in between: it is theirs.
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists && dir.is_dir() => Ok(()),
        Err(e) => Err(e),
    }
}

/// Creates `path`, which must not exist, with `share`'s file mode, and opens it for writing.
pub fn create_new(path: &Path, share: Share) -> io::Result<File> {
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(share.file_mode())
        .open(path)?;
    file.set_permissions(std::fs::Permissions::from_mode(share.file_mode()))?;
    Ok(file)
}

/// Creates or truncates `path` and opens it for writing. A regular file gets `share`'s file
/// mode even when it existed with a wider one, since what is written next is private; other
/// files (a terminal, `/dev/stdout`) are written as they are.
pub fn create(path: &Path, share: Share) -> io::Result<File> {
    let file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(share.file_mode())
        .open(path)?;
    if file.metadata()?.is_file() {
        file.set_permissions(std::fs::Permissions::from_mode(share.file_mode()))?;
    }
    Ok(file)
}

/// Takes from an existing file the bits `share` does not give (a database made by an older
/// sigwatch under a umask of 022 is 0644). Returns whether it changed anything; a missing
/// file is left missing.
pub fn narrow(path: &Path, share: Share) -> io::Result<bool> {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e),
    };
    let mode = meta.permissions().mode() & 0o7777;
    let narrowed = mode & !(0o777 & !share.file_mode());
    if !meta.is_file() || narrowed == mode {
        return Ok(false);
    }
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(narrowed))?;
    Ok(true)
}

/// Writes `bytes` to `path` as [`create`] opens it.
pub fn write(path: &Path, bytes: &[u8], share: Share) -> io::Result<()> {
    use std::io::Write;
    let mut f = create(path, share)?;
    f.write_all(bytes)?;
    f.flush()
}

/// Reads a secret (a password, token or key) from `path`, refusing a file every user of the
/// machine may read: the secret would be known to all of them. A trailing line end is not
/// part of it. The error names the file, never its content.
pub fn read_secret(path: &Path) -> Result<String, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if meta.permissions().mode() & 0o004 != 0 {
        return Err(format!(
            "{} is readable by every user; make it private (chmod 600)",
            path.display()
        ));
    }
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Ok(text.trim_end_matches(['\r', '\n']).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().mode() & 0o777
    }

    #[test]
    fn modes_are_exact_whatever_the_umask() {
        let tmp = tempfile::tempdir().unwrap();
        // A umask of 077 would narrow 0640 to 0600 and hide the database from the group.
        // SAFETY: umask only changes this process's creation mask; no other test here
        // depends on it between these two calls beyond file modes, which are set explicitly.
        let old = unsafe { libc::umask(0o077) };
        let dir = tmp.path().join("a/b");
        let r = create_dir_all(&dir, Share::Group).and_then(|()| {
            create_new(&dir.join("db"), Share::Group)?;
            write(&dir.join("out"), b"x", Share::Owner)
        });
        unsafe { libc::umask(old) };
        r.unwrap();
        assert_eq!(mode(&tmp.path().join("a")), 0o750);
        assert_eq!(mode(&dir), 0o750);
        assert_eq!(mode(&dir.join("db")), 0o640);
        assert_eq!(mode(&dir.join("out")), 0o600);
        assert!(
            create_new(&dir.join("db"), Share::Group).is_err(),
            "must not exist"
        );
        // An existing wide file is narrowed when it is written again.
        std::fs::set_permissions(dir.join("out"), std::fs::Permissions::from_mode(0o644)).unwrap();
        write(&dir.join("out"), b"y", Share::Owner).unwrap();
        assert_eq!(mode(&dir.join("out")), 0o600);
        // An existing file loses what the share does not give, and keeps the rest.
        std::fs::set_permissions(dir.join("db"), std::fs::Permissions::from_mode(0o664)).unwrap();
        assert!(narrow(&dir.join("db"), Share::Group).unwrap());
        assert_eq!(mode(&dir.join("db")), 0o640);
        assert!(!narrow(&dir.join("db"), Share::Group).unwrap());
        std::fs::set_permissions(dir.join("db"), std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(!narrow(&dir.join("db"), Share::Group).unwrap(), "never widened");
        assert!(!narrow(&dir.join("missing"), Share::Group).unwrap());
        // A folder that exists keeps its mode.
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        create_dir_all(&dir, Share::Owner).unwrap();
        assert_eq!(mode(&dir), 0o755);
    }
}
