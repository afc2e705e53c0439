//! The proxies `[fetch] proxy` names, as the HTTP client takes them. Targets on this
//! machine's loopback never go through a proxy (it could not reach them); everything else
//! does, and the guard judges every target before it is handed over (see `guard`).

use crate::config::{ProxySetting, parse_proxy_url};

use super::SourceError;

/// Targets that bypass every proxy.
const LOOPBACK: &str = "localhost,127.0.0.0/8,::1";

/// The proxies to install, and the host names they are reached by (exempt from the guard).
#[derive(Debug, Default)]
pub struct Proxies {
    pub list: Vec<reqwest::Proxy>,
    pub hosts: Vec<String>,
}

/// The proxies of `setting`; for `"env"`, `var` looks the environment up (lower case first,
/// as curl does).
pub fn proxies(setting: &ProxySetting, var: impl Fn(&str) -> Option<String>) -> Result<Proxies, SourceError> {
    let mut out = Proxies::default();
    let env = |name: &str| {
        var(&name.to_ascii_lowercase())
            .or_else(|| var(name))
            .filter(|v| !v.trim().is_empty())
    };
    let bad = |what: &str, e: String| SourceError::Http(format!("proxy {what}: {e}"));
    match setting {
        ProxySetting::None => {}
        ProxySetting::Url(u) => {
            let p = reqwest::Proxy::all(u.as_str()).map_err(|e| bad(u.as_str(), e.to_string()))?;
            out.list.push(p.no_proxy(reqwest::NoProxy::from_string(LOOPBACK)));
            out.hosts.extend(u.host_str().map(String::from));
        }
        ProxySetting::Env => {
            let bypass = match env("NO_PROXY") {
                Some(extra) => format!("{LOOPBACK},{extra}"),
                None => LOOPBACK.to_string(),
            };
            for name in ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"] {
                let Some(value) = env(name) else { continue };
                let value = value.trim();
                // `proxy.example:3128`, as these variables are often written, means http.
                let full = if value.contains("://") {
                    value.to_string()
                } else {
                    format!("http://{value}")
                };
                let u = parse_proxy_url(&full).map_err(|e| bad(&format!("from ${name}"), e))?;
                let p = match name {
                    "HTTP_PROXY" => reqwest::Proxy::http(u.as_str()),
                    "HTTPS_PROXY" => reqwest::Proxy::https(u.as_str()),
                    _ => reqwest::Proxy::all(u.as_str()),
                }
                .map_err(|e| bad(&format!("from ${name}"), e.to_string()))?;
                out.list.push(p.no_proxy(reqwest::NoProxy::from_string(&bypass)));
                out.hosts.extend(u.host_str().map(String::from));
            }
        }
    }
    Ok(out)
}

/// Installs the proxies of `setting` on a client whose targets the config names (chat
/// channels, webhooks, the translation service): the same proxies as fetches, so a firm
/// that must go through one reaches them too. Without a setting no proxy is used, whatever
/// the environment says; `"env"` reads the usual variables. Targets on loopback (a
/// receiver or a service beside sigwatch) go direct, as for fetches.
pub fn install(
    b: reqwest::ClientBuilder,
    setting: &ProxySetting,
) -> Result<reqwest::ClientBuilder, SourceError> {
    let proxies = proxies(setting, |name| std::env::var(name).ok())?;
    let mut b = b;
    if proxies.list.is_empty() {
        b = b.no_proxy();
    }
    for p in proxies.list {
        b = b.proxy(p);
    }
    Ok(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_proxies_are_read_only_when_asked_for() {
        let vars = |name: &str| match name {
            "HTTP_PROXY" => Some("proxy.corp:3128".to_string()),
            "https_proxy" => Some("http://10.0.0.5:8080".to_string()),
            _ => None,
        };
        let none = proxies(&ProxySetting::None, vars).unwrap();
        assert!(none.list.is_empty() && none.hosts.is_empty());
        let env = proxies(&ProxySetting::Env, vars).unwrap();
        assert_eq!(env.list.len(), 2);
        assert_eq!(env.hosts, ["proxy.corp", "10.0.0.5"]);
        let one = ProxySetting::parse("socks5://127.0.0.1:1080").unwrap();
        let one = proxies(&one, vars).unwrap();
        assert_eq!(
            (one.list.len(), one.hosts.as_slice()),
            (1, &["127.0.0.1".to_string()][..])
        );
        let e = proxies(&ProxySetting::Env, |n| {
            (n == "ALL_PROXY").then(|| "ftp://x/".into())
        })
        .unwrap_err();
        assert!(e.to_string().contains("$ALL_PROXY"), "{e}");
    }
}
