//! `[fetch] proxy`: whether fetches go through a proxy, and which.

use serde::{Deserialize, Deserializer};

/// The schemes a proxy URL may have: `socks5` resolves names on this machine (through the
/// guard), `socks5h` lets the proxy resolve them.
pub const PROXY_SCHEMES: &[&str] = &["http", "https", "socks5", "socks5h"];

/// `[fetch] proxy`. Without it no proxy is used, whatever the environment says: a proxy
/// picked up silently from `HTTP_PROXY` would see every fetch and hide the real targets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ProxySetting {
    /// `"none"` or absent.
    #[default]
    None,
    /// `"env"`: `HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY` and `NO_PROXY` (either case).
    Env,
    /// A proxy URL, e.g. `http://proxy.example:3128` or `socks5://127.0.0.1:1080`.
    Url(url::Url),
}

impl ProxySetting {
    pub fn parse(s: &str) -> Result<ProxySetting, String> {
        match s.trim() {
            "" | "none" => Ok(ProxySetting::None),
            "env" => Ok(ProxySetting::Env),
            other => parse_proxy_url(other).map(ProxySetting::Url),
        }
    }
}

/// A proxy URL with one of [`PROXY_SCHEMES`] and a host.
pub fn parse_proxy_url(s: &str) -> Result<url::Url, String> {
    let hint = "give an http://, https://, socks5:// or socks5h:// URL, \"env\" or \"none\"";
    let u = url::Url::parse(s).map_err(|e| format!("{s:?} is not a URL ({e}); {hint}"))?;
    if !PROXY_SCHEMES.contains(&u.scheme()) {
        return Err(format!(
            "{s:?}: scheme {:?} is not a proxy scheme; {hint}",
            u.scheme()
        ));
    }
    if u.host_str().is_none_or(str::is_empty) {
        return Err(format!("{s:?} names no host; {hint}"));
    }
    Ok(u)
}

impl<'de> Deserialize<'de> for ProxySetting {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        // Named here: the message says "proxy", which keeps the loader from naming the key.
        ProxySetting::parse(&s).map_err(|e| serde::de::Error::custom(format!("proxy: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_settings_are_none_env_or_a_proxy_url() {
        assert_eq!(ProxySetting::parse("none"), Ok(ProxySetting::None));
        assert_eq!(ProxySetting::parse("env"), Ok(ProxySetting::Env));
        for ok in [
            "http://proxy.example:3128",
            "https://10.0.0.5:443",
            "socks5://127.0.0.1:1080",
            "socks5h://p:1",
        ] {
            assert!(
                matches!(ProxySetting::parse(ok), Ok(ProxySetting::Url(_))),
                "{ok}"
            );
        }
        for bad in [
            "proxy.example:3128",
            "ftp://proxy.example/",
            "file:///tmp/x",
            "http://",
        ] {
            let e = ProxySetting::parse(bad).unwrap_err();
            assert!(e.contains("socks5://"), "{bad}: {e}");
        }
    }
}
