//! The systemd unit's network wall (`IPAddressDeny=`), read from systemd/sigwatch.service and
//! judged address by address: link-local (cloud metadata) and multicast are denied; loopback,
//! private ranges and the public internet are not. (`.ci/systemd-check` runs
//! `systemd-analyze verify` and `security` on the same file.)

use std::net::IpAddr;

/// The prefixes of every `IPAddressDeny=` (or `IPAddressAllow=`) line, in order; an empty
/// assignment resets the list, as systemd reads it.
fn prefixes(unit: &str, key: &str) -> Vec<(IpAddr, u8)> {
    let mut out = Vec::new();
    for line in unit.lines() {
        let Some(value) = line.trim().strip_prefix(key).and_then(|r| r.strip_prefix('=')) else {
            continue;
        };
        if value.trim().is_empty() {
            out.clear();
        }
        for word in value.split_whitespace() {
            let (addr, len) = word.split_once('/').unwrap_or((word, ""));
            let ip: IpAddr = addr
                .parse()
                .unwrap_or_else(|_| panic!("{key}: {word:?} is not an address or prefix"));
            let max = if ip.is_ipv4() { 32 } else { 128 };
            let len = if len.is_empty() {
                max
            } else {
                len.parse()
                    .unwrap_or_else(|_| panic!("{key}: bad prefix {word:?}"))
            };
            assert!(len <= max, "{key}: bad prefix {word:?}");
            out.push((ip, len));
        }
    }
    out
}

fn bits(ip: IpAddr) -> (u128, u8) {
    match ip {
        IpAddr::V4(v) => (u32::from(v) as u128, 32),
        IpAddr::V6(v) => (u128::from(v), 128),
    }
}

fn within(ip: IpAddr, (net, len): (IpAddr, u8)) -> bool {
    let ((a, wa), (n, wn)) = (bits(ip), bits(net));
    if wa != wn {
        return false;
    }
    let shift = wa - len;
    shift == wa || (a >> shift) == (n >> shift)
}

#[test]
fn unit_denies_link_local_and_multicast_and_keeps_loopback_private_and_public() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/systemd/sigwatch.service");
    let unit = std::fs::read_to_string(path).expect("read the unit");
    let deny = prefixes(&unit, "IPAddressDeny");
    let allow = prefixes(&unit, "IPAddressAllow");
    // systemd: an address in an allow prefix passes whatever the deny list says.
    let denied = |a: &str| {
        let ip: IpAddr = a.parse().unwrap();
        !allow.iter().any(|p| within(ip, *p)) && deny.iter().any(|p| within(ip, *p))
    };
    for a in [
        "169.254.169.254", // cloud metadata
        "169.254.0.1",     // link-local
        "fe80::1",         // link-local
        "febf::1",         // end of fe80::/10
        "fd00:ec2::254",   // AWS metadata over IPv6
        "224.0.0.251",     // mDNS
        "239.255.255.250", // SSDP
        "255.255.255.255", // broadcast
        "ff02::1",         // all nodes
        "::ffff:169.254.169.254",
        "::ffff:224.0.0.251",
    ] {
        assert!(denied(a), "{a} must be denied by the unit");
    }
    for a in [
        "127.0.0.1", // RSSHub beside sigwatch
        "::1",
        "10.0.0.25", // a company's SMTP relay
        "172.16.5.5",
        "192.168.1.10",
        "fd12:3456::1",
        "100.64.0.1",
        "8.8.8.8", // the public internet
        "93.184.216.34",
        "2606:4700::1111",
        "::ffff:10.0.0.25",
    ] {
        assert!(!denied(a), "{a} must stay reachable");
    }
}

/// The unit starts without `[smtp]`: it names no credential file, since systemd fails the
/// start (243/CREDENTIALS) when a `LoadCredential=` file is missing (issue 31).
#[test]
fn unit_loads_no_credential_that_may_be_missing() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/systemd/sigwatch.service");
    let unit = std::fs::read_to_string(path).expect("read the unit");
    let loads: Vec<&str> = unit
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#') && l.starts_with("LoadCredential"))
        .collect();
    assert!(loads.is_empty(), "mandatory credentials: {loads:?}");
}
