//! Where a fetch may go. A feed (or a redirect in it) must not steer sigwatch at the machine
//! it runs on or its private network (cloud metadata at 169.254.169.254, an admin page on
//! 10.0.0.1): only public addresses are fetched, unless the source's own URL is on loopback
//! (RSSHub next to sigwatch) or the source says `allow_local = true`.
//!
//! Which addresses are public is `addr`'s to say. Both paths are covered: IP literals are checked before every request and every redirect
//! hop, and host names are resolved through [`PublicOnly`], which drops non-public addresses,
//! so a name that resolves to a private address (or is re-pointed there) is refused too.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use super::addr::is_public;

/// Whether a source URL is on this machine, which makes local addresses fair for it.
pub fn is_loopback_url(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// Refuses a request to a non-public IP literal; host names are left to [`PublicOnly`].
pub fn check_target(url: &url::Url) -> Result<(), String> {
    let ip = match url.host() {
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip),
        Some(url::Host::Domain(d)) if d.eq_ignore_ascii_case("localhost") => IpAddr::V4(Ipv4Addr::LOCALHOST),
        _ => return Ok(()),
    };
    if is_public(ip) {
        Ok(())
    } else {
        Err(format!(
            "refused to fetch {url}: {ip} is not a public address (set allow_local = true on the source to allow it)"
        ))
    }
}

/// A resolver that answers only with public addresses.
#[derive(Debug, Clone, Copy, Default)]
pub struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let host = name.as_str().to_string();
            let all: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> = all.iter().copied().filter(|a| is_public(a.ip())).collect();
            if public.is_empty() && !all.is_empty() {
                return Err(format!("{host} resolves only to non-public addresses; refused").into());
            }
            Ok(Box::new(public.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_literal_targets_are_checked_before_any_request() {
        let u = |s: &str| url::Url::parse(s).unwrap();
        assert!(
            check_target(&u("http://169.254.169.254/latest/meta-data/"))
                .unwrap_err()
                .contains("not a public address")
        );
        assert!(check_target(&u("http://[::1]:8080/")).is_err());
        assert!(check_target(&u("http://localhost:1200/")).is_err());
        assert!(check_target(&u("https://8.8.8.8/feed")).is_ok());
        assert!(
            check_target(&u("https://www.mofcom.gov.cn/")).is_ok(),
            "names are left to the resolver"
        );
        assert!(is_loopback_url(&u("http://127.0.0.1:1200/gov/mofcom")));
        assert!(is_loopback_url(&u("http://localhost:1200/")));
        assert!(!is_loopback_url(&u("http://10.0.0.1/")));
    }

    #[tokio::test]
    async fn names_that_resolve_to_local_addresses_are_refused() {
        use std::str::FromStr;
        let name = Name::from_str("localhost").unwrap();
        let e = PublicOnly.resolve(name).await.err().expect("refused").to_string();
        assert!(e.contains("non-public"), "{e}");
    }
}
