//! `[serve]`: the read-only web view, its feeds, health check and metrics (see docs/web.md),
//! and the link to a story page that digests and alerts carry.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use super::Config;
use crate::units::de_duration;

/// Where `sigwatch serve` listens when neither `--listen` nor `listen` says.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServeConfig {
    /// The address and port to listen on; loopback unless `token_file` or `trusted_proxy`.
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// The address readers reach the view at (`https://sigwatch.example.org/`): digests
    /// link to story pages under it, and the feeds name it.
    #[serde(default)]
    pub public_url: Option<url::Url>,
    /// A file holding the token a request must bring (`Authorization: Bearer`, or the cookie
    /// the login form sets). A relative path is looked up in `$CREDENTIALS_DIRECTORY` when
    /// that is set, else beside the config file.
    #[serde(default)]
    pub token_file: Option<PathBuf>,
    /// The address of a reverse proxy that authenticates readers itself: requests from it
    /// need no token.
    #[serde(default)]
    pub trusted_proxy: Option<IpAddr>,
    /// How long a client has to send a request's line and headers once it has connected or
    /// finished its previous request; then the connection is closed, so clients that send
    /// a little and stall cannot hold connections.
    #[serde(default = "default_header_timeout", deserialize_with = "de_duration")]
    pub header_timeout: Duration,
    /// Connections served at once; further clients wait in the kernel's accept queue.
    #[serde(default = "default_max_connections")]
    pub max_connections: usize,
}

fn default_header_timeout() -> Duration {
    Duration::from_secs(10)
}

fn default_max_connections() -> usize {
    256
}

fn default_listen() -> SocketAddr {
    DEFAULT_LISTEN.parse().expect("the default address parses")
}

impl Default for ServeConfig {
    fn default() -> Self {
        Self {
            listen: default_listen(),
            public_url: None,
            token_file: None,
            trusted_proxy: None,
            header_timeout: default_header_timeout(),
            max_connections: default_max_connections(),
        }
    }
}

impl ServeConfig {
    /// The token file's path, resolved as `[smtp] password_file` is.
    pub fn token_path(&self, config_dir: &Path) -> Option<PathBuf> {
        let p = self.token_file.as_ref()?;
        if p.is_absolute() {
            return Some(p.clone());
        }
        let base = std::env::var_os("CREDENTIALS_DIRECTORY")
            .map(PathBuf::from)
            .unwrap_or_else(|| config_dir.to_path_buf());
        Some(base.join(p))
    }

    /// Why listening on `addr` is refused, if it is: any address other than loopback needs
    /// a token or a trusted proxy, since the view shows everything collected.
    pub fn refuse(&self, addr: SocketAddr) -> Option<String> {
        (!addr.ip().is_loopback() && self.token_file.is_none() && self.trusted_proxy.is_none()).then(|| {
            format!("serve: listening on {addr}, not loopback, needs [serve] token_file or trusted_proxy")
        })
    }
}

/// The story page of `story_id` under `[serve] public_url`, when the view has one; for
/// digests and alerts to link to.
pub fn story_url(cfg: &Config, story_id: i64) -> Option<String> {
    let base = cfg.serve.as_ref()?.public_url.as_ref()?;
    let mut base = base.clone();
    if !base.path().ends_with('/') {
        let p = format!("{}/", base.path());
        base.set_path(&p);
    }
    base.join(&format!("story/{story_id}")).ok().map(String::from)
}

/// Checks `[serve]` at load: the public URL is http(s), the listen address is allowed.
pub(super) fn check(cfg: &Config, text: &str) -> Result<(), (String, String)> {
    let Some(s) = &cfg.serve else {
        return Ok(());
    };
    if let Some(u) = &s.public_url
        && !matches!(u.scheme(), "http" | "https")
    {
        return Err((
            "public_url".into(),
            format!("serve.public_url: {:?} is not an http or https URL", u.as_str()),
        ));
    }
    if s.header_timeout.is_zero() {
        return Err((
            "header_timeout".into(),
            "serve.header_timeout: must be more than zero".into(),
        ));
    }
    if s.max_connections == 0 {
        return Err((
            "max_connections".into(),
            "serve.max_connections: must be at least 1".into(),
        ));
    }
    if let Some(msg) = s.refuse(s.listen) {
        let needle = if text.contains("listen") {
            "listen"
        } else {
            "[serve]"
        };
        return Err((needle.into(), msg));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(serve: &str) -> Result<Config, super::super::ConfigError> {
        Config::parse(&format!("[serve]\n{serve}"), Path::new("/etc/sw/sigwatch.toml"))
    }

    #[test]
    fn story_urls_go_under_the_public_url_with_or_without_its_slash() {
        for base in ["https://sw.example.org/view", "https://sw.example.org/view/"] {
            let c = cfg(&format!("public_url = \"{base}\"\n")).unwrap();
            assert_eq!(
                story_url(&c, 42).as_deref(),
                Some("https://sw.example.org/view/story/42")
            );
        }
        let c = cfg("").unwrap();
        assert_eq!(story_url(&c, 42), None);
        let none = Config::parse("", Path::new("/etc/sw/sigwatch.toml")).unwrap();
        assert_eq!(story_url(&none, 42), None);
    }

    #[test]
    fn a_bind_beyond_loopback_needs_a_token_or_a_proxy_and_errors_name_the_line() {
        assert!(cfg("listen = \"127.0.0.1:9000\"\n").is_ok());
        assert!(cfg("listen = \"[::1]:9000\"\n").is_ok());
        let e = cfg("listen = \"0.0.0.0:9000\"\n").unwrap_err().to_string();
        assert!(e.contains("sigwatch.toml:2:") && e.contains("token_file"), "{e}");
        assert!(cfg("listen = \"0.0.0.0:9000\"\ntoken_file = \"web-token\"\n").is_ok());
        assert!(cfg("listen = \"0.0.0.0:9000\"\ntrusted_proxy = \"10.0.0.2\"\n").is_ok());
        let e = cfg("public_url = \"javascript:alert(1)\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("serve.public_url"), "{e}");
        let e = cfg("header_timeout = \"0s\"\n").unwrap_err().to_string();
        assert!(
            e.contains("sigwatch.toml:2:") && e.contains("header_timeout"),
            "{e}"
        );
        let e = cfg("max_connections = 0\n").unwrap_err().to_string();
        assert!(
            e.contains("sigwatch.toml:2:") && e.contains("max_connections"),
            "{e}"
        );
        let c = cfg("header_timeout = \"2s\"\nmax_connections = 9\n").unwrap();
        let s = c.serve.unwrap();
        assert_eq!((s.header_timeout, s.max_connections), (Duration::from_secs(2), 9));
        let e = cfg("listen = \"nowhere\"\n").unwrap_err().to_string();
        assert!(e.contains("sigwatch.toml:2:") && e.contains("listen"), "{e}");
    }
}
