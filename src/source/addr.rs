//! Which IP addresses are public: the classes of the IANA IPv4 and IPv6 Special-Purpose
//! Address Registries (and the multicast and reserved ranges beside them) that are not
//! globally reachable, plus the IPv6 forms that carry an IPv4 address inside them, which are
//! judged by that IPv4 address.
//!
//! IPv6 is judged by what IANA allocates, not by what it reserves: only global unicast
//! (2000::/3) can be public, so the classes outside it (IPv4-compatible and -translated
//! forms, discard-only 100::/64, NAT64 local-use 64:ff9b:1::/48, site-local fec0::/10,
//! unique-local, link-local, multicast, SRv6 5f00::/16, and whatever IETF assigns there next)
//! need no rule of their own.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// IPv4 blocks that are not public, with the registry's name for each.
pub(crate) const V4_NOT_PUBLIC: &[([u8; 4], u8, &str)] = &[
    ([0, 0, 0, 0], 8, "this network"),
    ([10, 0, 0, 0], 8, "private use"),
    ([100, 64, 0, 0], 10, "shared address space"),
    ([127, 0, 0, 0], 8, "loopback"),
    ([169, 254, 0, 0], 16, "link local"),
    ([172, 16, 0, 0], 12, "private use"),
    // The registry marks two addresses of it (192.0.0.9 and .10) globally reachable: they are
    // anycast addresses of PCP and TURN, never a web server, so the whole block is refused.
    ([192, 0, 0, 0], 24, "IETF protocol assignments"),
    ([192, 0, 2, 0], 24, "documentation (TEST-NET-1)"),
    ([192, 88, 99, 0], 24, "6to4 relay anycast (deprecated)"),
    ([192, 168, 0, 0], 16, "private use"),
    ([198, 18, 0, 0], 15, "benchmarking"),
    ([198, 51, 100, 0], 24, "documentation (TEST-NET-2)"),
    ([203, 0, 113, 0], 24, "documentation (TEST-NET-3)"),
    ([224, 0, 0, 0], 4, "multicast"),
    ([240, 0, 0, 0], 4, "reserved, and limited broadcast"),
];

/// Blocks inside global unicast (2000::/3) that are not public, as (first segments, prefix
/// length, name).
pub(crate) const V6_NOT_PUBLIC: &[([u16; 2], u8, &str)] = &[
    // Teredo (2001::/32), benchmarking (2001:2::/48), ORCHID and the anycast services of the
    // block: none is a web server, so the whole block is refused.
    ([0x2001, 0x0000], 23, "IETF protocol assignments"),
    ([0x2001, 0x0db8], 32, "documentation"),
    ([0x3fff, 0x0000], 20, "documentation"),
];

/// Whether `ip` is on the public internet.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

/// Whether `ip` is this machine's loopback, written plainly (127.0.0.0/8 or ::1). Other
/// spellings of it (`::ffff:127.0.0.1`, `64:ff9b::7f00:1`) are not: no local service is
/// reached that way, and a hostile document is the only one to write them.
pub fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => v6.is_loopback(),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let ip = u32::from(ip);
    !V4_NOT_PUBLIC
        .iter()
        .any(|&(net, len, _)| ip & mask32(len) == u32::from_be_bytes(net))
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = embedded_v4(ip) {
        return is_public_v4(v4);
    }
    let bits = u128::from(ip);
    let global_unicast = bits >> 125 == 0b001;
    global_unicast
        && !V6_NOT_PUBLIC.iter().any(|&(net, len, _)| {
            let net = (u128::from(net[0]) << 112) | (u128::from(net[1]) << 96);
            bits & mask128(len) == net
        })
}

/// The IPv4 address an IPv6 address stands for, where the network delivers it to that IPv4
/// address: IPv4-mapped (::ffff:0:0/96, a dual-stack socket connects to the IPv4 address),
/// NAT64's well-known prefix (64:ff9b::/96, RFC 6052) and 6to4 (2002::/16, RFC 3056).
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let from = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    match s {
        [0, 0, 0, 0, 0, 0xffff, hi, lo] => Some(from(hi, lo)),
        [0x64, 0xff9b, 0, 0, 0, 0, hi, lo] => Some(from(hi, lo)),
        [0x2002, hi, lo, ..] => Some(from(hi, lo)),
        _ => None,
    }
}

fn mask32(len: u8) -> u32 {
    u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0)
}

fn mask128(len: u8) -> u128 {
    u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    /// Each IPv4 block of the table: its first, middle and last address are refused, and
    /// the addresses just outside it are public unless another block holds them.
    #[test]
    fn every_ipv4_class_is_refused_to_its_edges() {
        let in_any = |a: u32| {
            V4_NOT_PUBLIC
                .iter()
                .any(|&(n, l, _)| a & mask32(l) == u32::from_be_bytes(n))
        };
        for &(net, len, name) in V4_NOT_PUBLIC {
            let first = u32::from_be_bytes(net);
            let last = first | !mask32(len);
            for a in [first, first + (last - first) / 2, last] {
                assert!(!is_public(IpAddr::V4(a.into())), "{} ({name})", Ipv4Addr::from(a));
            }
            for a in [first.checked_sub(1), last.checked_add(1)].into_iter().flatten() {
                assert_eq!(
                    is_public(IpAddr::V4(a.into())),
                    !in_any(a),
                    "{} beside {name}",
                    Ipv4Addr::from(a)
                );
            }
        }
    }

    #[test]
    fn ipv4_classes_named_in_the_registry_are_not_public() {
        for a in [
            "0.1.2.3",
            "10.1.2.3",
            "100.64.0.1",
            "100.127.255.254",
            "127.0.0.1",
            "127.255.255.254",
            "169.254.169.254",
            "172.16.0.1",
            "172.31.255.255",
            "192.0.0.1",
            "192.0.0.9",
            "192.0.0.170",
            "192.0.2.1",
            "192.88.99.1",
            "192.168.1.1",
            "198.18.0.1",
            "198.19.255.255",
            "198.51.100.7",
            "203.0.113.7",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
        ] {
            assert!(!is_public(ip(a)), "{a}");
        }
        for a in [
            "8.8.8.8",
            "93.184.216.34",
            "1.1.1.1",
            "100.63.255.255",
            "100.128.0.0",
            "172.32.0.1",
            "192.0.1.1",
            "192.31.196.1",
            "192.175.48.1",
            "223.255.255.255",
        ] {
            assert!(is_public(ip(a)), "{a}");
        }
    }

    #[test]
    fn ipv6_classes_named_in_the_registry_are_not_public() {
        for (a, class) in [
            ("::", "unspecified"),
            ("::1", "loopback"),
            ("::7f00:1", "IPv4-compatible (deprecated), of 127.0.0.1"),
            ("::808:808", "IPv4-compatible, even of a public address"),
            ("::ffff:7f00:1", "IPv4-mapped 127.0.0.1"),
            ("::ffff:169.254.169.254", "IPv4-mapped link local"),
            ("::ffff:10.0.0.1", "IPv4-mapped private"),
            ("::ffff:0:7f00:1", "IPv4-translated (SIIT) 127.0.0.1"),
            ("::ffff:0:808:808", "IPv4-translated, even of a public address"),
            ("64:ff9b::7f00:1", "NAT64 well-known prefix of 127.0.0.1"),
            ("64:ff9b::a9fe:a9fe", "NAT64 well-known prefix of 169.254.169.254"),
            ("64:ff9b:1::808:808", "NAT64 local-use prefix"),
            ("100::1", "discard-only"),
            ("2001::1", "Teredo"),
            ("2001:1::1", "IETF protocol assignments"),
            ("2001:2::1", "benchmarking"),
            ("2001:20::1", "ORCHIDv2"),
            ("2001:1ff:ffff::1", "end of IETF protocol assignments"),
            ("2001:db8::1", "documentation"),
            ("2002:7f00:1::1", "6to4 of 127.0.0.1"),
            ("2002:a00:1::1", "6to4 of 10.0.0.1"),
            ("2002:a9fe:a9fe::", "6to4 of 169.254.169.254"),
            ("3fff::1", "documentation (RFC 9637)"),
            ("3fff:fff:ffff::1", "end of documentation 3fff::/20"),
            ("5f00::1", "SRv6 SIDs"),
            ("fc00::1", "unique local"),
            ("fd00::1", "unique local"),
            ("fe80::1", "link local"),
            ("febf::1", "link local"),
            ("fec0::1", "site local (deprecated)"),
            ("feff::1", "site local (deprecated)"),
            ("ff02::1", "multicast"),
            ("4000::1", "unassigned, outside global unicast"),
        ] {
            assert!(!is_public(ip(a)), "{a} ({class})");
        }
        for a in [
            "2606:4700::1111",
            "2001:4860:4860::8888",
            "2001:200::1",
            "2400:cb00::1",
            "3ffe::1",
            "3fff:1000::1",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::1",
        ] {
            assert!(is_public(ip(a)), "{a}");
        }
    }

    #[test]
    fn loopback_is_only_its_plain_spellings() {
        for a in ["127.0.0.1", "127.1.2.3", "::1"] {
            assert!(is_loopback(ip(a)), "{a}");
        }
        for a in [
            "::ffff:127.0.0.1",
            "::7f00:1",
            "64:ff9b::7f00:1",
            "2002:7f00:1::",
            "10.0.0.1",
        ] {
            assert!(!is_loopback(ip(a)), "{a}");
        }
    }
}
