//! Where a fetch may go. A feed (or a redirect in it, or a link it gives) must not steer
//! sigwatch at the machine it runs on or its private network (cloud metadata at
//! 169.254.169.254, an admin page on 10.0.0.1).
//!
//! What a fetch may reach is a [`Reach`], a property of the source decided once from its
//! config (its configured URL on loopback, or `allow_local`) and handed to every fetch made
//! for it: its own URL, each redirect hop, the pages of its items. It is never worked out
//! from the URL being fetched, since all but the first of those come out of documents.
//!
//! Both paths to an address are covered: IP literals are checked before every request and
//! every redirect hop ([`check_target`]), and host names are resolved through [`Guarded`],
//! which drops the addresses the reach does not allow, so a name that resolves to a private
//! address (or is re-pointed there) is refused too, with a [`Refused`] error that names the
//! addresses. Behind a proxy, which resolves names itself, [`check_name`] judges every name
//! before it is handed over.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use super::addr::{is_loopback, is_public};
use crate::config::SourceConfig;

/// What the fetches of one source may reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// Public addresses only: every source but the two below.
    Public,
    /// Public addresses and this machine's loopback: a source whose configured URL is on
    /// loopback (RSSHub beside sigwatch). Private networks stay out of reach, so a local
    /// service cannot steer sigwatch at 169.254.169.254 either.
    Loopback,
    /// Any address: the source says `allow_local = true`.
    Local,
}

impl Reach {
    /// The reach of `source`, from its config alone: its configured URL (after an RSSHub
    /// route is put on the base), never the URL a permanent redirect moved it to, and never
    /// a URL found in what it served.
    pub fn of_source(source: &SourceConfig) -> Reach {
        if source.allow_local {
            return Reach::Local;
        }
        let on_loopback = url::Url::parse(&source.url).is_ok_and(|u| match u.host() {
            Some(url::Host::Ipv4(ip)) => is_loopback(ip.into()),
            Some(url::Host::Ipv6(ip)) => is_loopback(ip.into()),
            Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
            None => false,
        });
        if on_loopback {
            Reach::Loopback
        } else {
            Reach::Public
        }
    }

    /// The reach of a URL that the source's content names (a followed item page): a source
    /// on loopback relays what others wrote (RSSHub passes on any site's links), so its
    /// content reaches public addresses only; `allow_local` still grants every address.
    pub fn for_content(self) -> Reach {
        match self {
            Reach::Loopback => Reach::Public,
            r => r,
        }
    }

    /// Whether a fetch of this reach may connect to `ip`.
    pub fn allows(self, ip: IpAddr) -> bool {
        match self {
            Reach::Public => is_public(ip),
            Reach::Loopback => is_public(ip) || is_loopback(ip),
            Reach::Local => true,
        }
    }
}

/// A refusal of `what` ("10.0.0.1 is", "intranet resolves only to 10.0.0.1,"). A loopback
/// source is refused only addresses that are not loopback either.
fn refusal(what: String) -> Refused {
    Refused(format!("{what} not a public address ({HINT})"))
}

const HINT: &str = "set allow_local = true on the source to allow it";

/// A target refused by the guard; the message names the address(es) and `allow_local`.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub String);

/// Refuses a request to an IP literal that `reach` does not allow; host names are left to
/// [`Guarded`] (and to [`check_name`] behind a proxy).
pub fn check_target(url: &url::Url, reach: Reach) -> Result<(), Refused> {
    let ip = match url.host() {
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip),
        _ => return Ok(()),
    };
    if reach.allows(ip) {
        Ok(())
    } else {
        Err(refusal(format!("{ip} is")))
    }
}

/// Judges a host name before it is handed to a proxy, which resolves it where the guard
/// cannot see: it is resolved here, and every address it has must be allowed, since the
/// proxy may connect to any of them. A name that does not resolve here is refused, as
/// there is then no way to know where it points.
pub async fn check_name(host: &str, reach: Reach) -> Result<(), Refused> {
    if reach == Reach::Local {
        return Ok(());
    }
    let all: Vec<IpAddr> = match tokio::net::lookup_host((host, 0)).await {
        Ok(addrs) => addrs.map(|a| a.ip()).collect(),
        Err(e) => {
            return Err(Refused(format!(
                "{host} does not resolve on this machine ({e}), so where the proxy would connect cannot be checked ({HINT})"
            )));
        }
    };
    let bad: Vec<IpAddr> = all.iter().copied().filter(|ip| !reach.allows(*ip)).collect();
    if bad.is_empty() {
        Ok(())
    } else {
        Err(refusal(format!("{host} resolves to {},", list(&bad))))
    }
}

fn list(ips: &[IpAddr]) -> String {
    ips.iter().map(IpAddr::to_string).collect::<Vec<_>>().join(", ")
}

/// A resolver that answers only with the addresses a reach allows; a name with none of
/// those is a [`Refused`] error naming what it resolved to. The proxy's own host names are
/// exempt: the operator named the proxy, and it is the one host every fetch connects to.
#[derive(Debug, Clone)]
pub struct Guarded {
    pub reach: Reach,
    pub exempt: Arc<[String]>,
}

impl Resolve for Guarded {
    fn resolve(&self, name: Name) -> Resolving {
        let (reach, exempt) = (self.reach, self.exempt.clone());
        Box::pin(async move {
            let host = name.as_str().to_string();
            let all: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if exempt.iter().any(|e| e.eq_ignore_ascii_case(&host)) {
                return Ok(Box::new(all.into_iter()) as Addrs);
            }
            let allowed: Vec<SocketAddr> = all.iter().copied().filter(|a| reach.allows(a.ip())).collect();
            if allowed.is_empty() && !all.is_empty() {
                let ips: Vec<IpAddr> = all.iter().map(SocketAddr::ip).collect();
                let e = refusal(format!("{host} resolves only to {},", list(&ips)));
                return Err(Box::new(e) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> url::Url {
        url::Url::parse(s).unwrap()
    }

    #[test]
    fn ip_literal_targets_are_checked_before_any_request() {
        let e = check_target(&u("http://169.254.169.254/latest/meta-data/"), Reach::Public).unwrap_err();
        assert!(e.0.contains("169.254.169.254 is not a public address"), "{e}");
        assert!(e.0.contains("allow_local"), "{e}");
        assert!(check_target(&u("http://[::1]:8080/"), Reach::Public).is_err());
        assert!(check_target(&u("http://[::7f00:1]/"), Reach::Public).is_err());
        assert!(check_target(&u("http://[::ffff:0:7f00:1]/"), Reach::Loopback).is_err());
        assert!(check_target(&u("https://8.8.8.8/feed"), Reach::Public).is_ok());
        assert!(
            check_target(&u("https://www.mofcom.gov.cn/"), Reach::Public).is_ok(),
            "names are left to the resolver"
        );
    }

    #[test]
    fn reach_is_the_sources_and_loopback_reach_is_loopback_only() {
        let src = |url: &str, allow_local: bool| SourceConfig {
            url: url.into(),
            allow_local,
            ..Default::default()
        };
        assert_eq!(
            Reach::of_source(&src("http://127.0.0.1:1200/gov/mofcom", false)),
            Reach::Loopback
        );
        assert_eq!(
            Reach::of_source(&src("http://localhost:1200/", false)),
            Reach::Loopback
        );
        assert_eq!(
            Reach::of_source(&src("http://[::1]:1200/", false)),
            Reach::Loopback
        );
        assert_eq!(
            Reach::of_source(&src("https://www.mofcom.gov.cn/", false)),
            Reach::Public
        );
        assert_eq!(Reach::of_source(&src("http://10.0.0.1/", false)), Reach::Public);
        assert_eq!(
            Reach::of_source(&src("https://www.mofcom.gov.cn/", true)),
            Reach::Local
        );
        let lo = Reach::Loopback;
        assert!(lo.allows("127.0.0.1".parse().unwrap()) && lo.allows("8.8.8.8".parse().unwrap()));
        assert!(!lo.allows("10.0.0.1".parse().unwrap()));
        assert!(!lo.allows("169.254.169.254".parse().unwrap()));
        assert!(!lo.allows("::ffff:127.0.0.1".parse().unwrap()));
        assert!(!Reach::Public.allows("127.0.0.1".parse().unwrap()));
        assert!(Reach::Local.allows("10.0.0.1".parse().unwrap()));
    }

    #[tokio::test]
    async fn names_that_resolve_to_local_addresses_are_refused_naming_them() {
        use std::str::FromStr;
        let guarded = |reach| Guarded {
            reach,
            exempt: Arc::from(Vec::new()),
        };
        let name = Name::from_str("localhost").unwrap();
        let e = guarded(Reach::Public).resolve(name).await.err().expect("refused");
        let refused = e.downcast_ref::<Refused>().expect("a Refused error");
        assert!(
            refused.0.contains("127.0.0.1") && refused.0.contains("allow_local"),
            "{refused}"
        );
        let name = Name::from_str("localhost").unwrap();
        let addrs: Vec<_> = guarded(Reach::Loopback)
            .resolve(name)
            .await
            .expect("allowed")
            .collect();
        assert!(addrs.iter().all(|a| a.ip().is_loopback()) && !addrs.is_empty());
        // The proxy's host is exempt from the guard.
        let exempt = Guarded {
            reach: Reach::Public,
            exempt: Arc::from(vec!["LocalHost".to_string()]),
        };
        assert!(exempt.resolve(Name::from_str("localhost").unwrap()).await.is_ok());
    }

    #[tokio::test]
    async fn names_handed_to_a_proxy_are_judged_first() {
        let e = check_name("localhost", Reach::Public).await.unwrap_err();
        assert!(e.0.contains("localhost resolves to 127.0.0.1"), "{e}");
        assert!(check_name("localhost", Reach::Loopback).await.is_ok());
        assert!(check_name("localhost", Reach::Local).await.is_ok());
        let e = check_name("no-such-host.invalid", Reach::Public)
            .await
            .unwrap_err();
        assert!(e.0.contains("does not resolve"), "{e}");
    }
}
