//! Where relative paths in the config point.
//!
//! A relative path is relative to the config file's folder, so a config works wherever it is
//! run from. The places sigwatch writes to (`[storage] path`, `[digest] outbox_dir`) are the
//! exception under systemd: there the config sits in /etc, which `ProtectSystem=strict` makes
//! read-only, so they are relative to the service's `StateDirectory=` (`$STATE_DIRECTORY`)
//! instead. The config shipped in the package names its database by an absolute path, so the
//! daemon and an operator's command line find the same file.

use std::path::{Path, PathBuf};

use super::Config;

/// The first folder of `$STATE_DIRECTORY` (systemd sets a colon-separated list when a unit
/// names several), when it is set and absolute.
pub fn state_directory() -> Option<PathBuf> {
    let v = std::env::var_os("STATE_DIRECTORY")?;
    let first = v.to_str()?.split(':').next()?;
    let p = PathBuf::from(first);
    p.is_absolute().then_some(p)
}

/// Makes the config's paths absolute: the places written to against `state_dir` when there is
/// one, everything else against the config file's folder.
pub fn resolve(cfg: &mut Config, state_dir: Option<&Path>) {
    let config_dir = cfg.path.parent().unwrap_or(Path::new(".")).to_path_buf();
    let data_dir = state_dir.map(Path::to_path_buf).unwrap_or(config_dir);
    if cfg.storage.path.is_relative() {
        cfg.storage.path = data_dir.join(&cfg.storage.path);
    }
    cfg.digest.outbox_dir = Some(match cfg.digest.outbox_dir.take() {
        Some(p) if p.is_relative() => data_dir.join(p),
        Some(p) => p,
        None => cfg.storage.path.parent().unwrap_or(Path::new(".")).join("outbox"),
    });
}

/// A secret file's path: absolute as written, else in `$CREDENTIALS_DIRECTORY` when that is
/// set (systemd's `LoadCredential=`), else beside the config file.
pub fn secret_path(file: &Path, config_dir: &Path) -> PathBuf {
    if file.is_absolute() {
        return file.to_path_buf();
    }
    std::env::var_os("CREDENTIALS_DIRECTORY")
        .map(PathBuf::from)
        .unwrap_or_else(|| config_dir.to_path_buf())
        .join(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str, state: Option<&str>) -> Config {
        let mut cfg = Config::parse(text, Path::new("/etc/sw/sigwatch.toml")).expect("config");
        // `parse` resolved against this process's environment; start from the raw values.
        let raw: Config = toml::from_str(text).expect("toml");
        cfg.storage = raw.storage;
        cfg.digest.outbox_dir = raw.digest.outbox_dir;
        resolve(&mut cfg, state.map(Path::new));
        cfg
    }

    #[test]
    fn relative_database_is_beside_the_config_outside_systemd() {
        let c = load("[storage]\npath = \"db/sigwatch.db\"\n", None);
        assert_eq!(c.storage.path, PathBuf::from("/etc/sw/db/sigwatch.db"));
        assert_eq!(c.digest.outbox_dir, Some(PathBuf::from("/etc/sw/db/outbox")));
    }

    #[test]
    fn relative_database_and_outbox_go_to_the_state_directory_under_systemd() {
        let c = load("[storage]\npath = \"sigwatch.db\"\n", Some("/var/lib/sigwatch"));
        assert_eq!(c.storage.path, PathBuf::from("/var/lib/sigwatch/sigwatch.db"));
        assert_eq!(
            c.digest.outbox_dir,
            Some(PathBuf::from("/var/lib/sigwatch/outbox"))
        );
        let c = load("[digest]\noutbox_dir = \"mail\"\n", Some("/var/lib/sigwatch"));
        assert_eq!(c.digest.outbox_dir, Some(PathBuf::from("/var/lib/sigwatch/mail")));
    }

    #[test]
    fn absolute_paths_stay_as_written() {
        let c = load(
            "[storage]\npath = \"/srv/sw.db\"\n[digest]\noutbox_dir = \"/srv/out\"\n",
            Some("/var/lib/sigwatch"),
        );
        assert_eq!(c.storage.path, PathBuf::from("/srv/sw.db"));
        assert_eq!(c.digest.outbox_dir, Some(PathBuf::from("/srv/out")));
    }
}
