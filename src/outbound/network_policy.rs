//! The SSRF guard: which addresses keyhook may send to. Loopback, private, link-local,
//! site-local, multicast, unspecified, shared, reserved, discard and documentation ranges are
//! refused, and so are the IPv6 forms that tunnel or translate to IPv4 hosts keyhook cannot
//! judge (Teredo, NAT64 local use, SIIT), and IPv4-mapped, NAT64 and 6to4 forms of internal
//! IPv4 addresses, unless an allowed network (configuration) covers them. Names are resolved by [`GuardedResolver`], which hands the HTTP client only vetted
//! addresses, so the connection goes to exactly what was checked (no DNS rebinding).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use ipnet::IpNet;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

#[derive(Debug, Clone, Default)]
pub struct NetworkPolicy {
    allowed: Vec<IpNet>,
    /// Only `allowed` networks: public addresses are refused too.
    closed: bool,
}

/// The error a refused name or address produces (found again in the error chain to classify
/// an attempt as `ssrf`).
#[derive(Debug, thiserror::Error)]
#[error("refused by the SSRF guard: {0} is not a public address")]
pub struct Refused(pub String);

/// The error a name that does not resolve produces (classified as `dns`).
#[derive(Debug, thiserror::Error)]
#[error("the name {0} does not resolve")]
pub struct Unresolved(pub String);

impl NetworkPolicy {
    /// Parses `KEYHOOK_ALLOW_PRIVATE_NETWORKS`: CIDRs separated by commas (or nothing).
    pub fn parse(allowed: &str) -> Result<Self, String> {
        let allowed = allowed
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| s.parse::<IpNet>().map_err(|_| format!("{s:?} is not a network like 127.0.0.0/8")))
            .collect::<Result<_, _>>()?;
        Ok(Self { allowed, closed: false })
    }

    /// With `closed`, only the allowed networks are reached (`KEYHOOK_ONLY_ALLOWED_NETWORKS`).
    pub fn closed(self, closed: bool) -> Self {
        Self { closed, ..self }
    }

    /// Whether keyhook may connect to `ip`.
    pub fn permits(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.allowed.iter().any(|net| net.contains(&ip)) || (!self.closed && is_public(ip))
    }

    /// What a refused `ip` is, for the message that refuses it.
    pub fn why_refused(&self, ip: IpAddr) -> &'static str {
        if is_public(canonical(ip)) {
            "outside the networks this server sends to"
        } else {
            "a private or reserved address"
        }
    }

    /// Whether `ip` is allowed only because an allowed network covers it (plain `http` is
    /// accepted for such local development endpoints).
    pub fn is_allowed_private(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        !is_public(ip) && self.allowed.iter().any(|net| net.contains(&ip))
    }

    /// Resolves `host` and keeps the permitted addresses. Errors: [`Unresolved`] when the name
    /// has no address, [`Refused`] when none of them is permitted.
    pub async fn vet(&self, host: &str, port: u16) -> Result<Vec<SocketAddr>, anyhow::Error> {
        let found: Vec<SocketAddr> = match tokio::net::lookup_host((host, port)).await {
            Ok(addrs) => addrs.collect(),
            Err(_) => return Err(Unresolved(host.to_owned()).into()),
        };
        if found.is_empty() {
            return Err(Unresolved(host.to_owned()).into());
        }
        let first = found[0].ip();
        let permitted: Vec<SocketAddr> = found.into_iter().filter(|a| self.permits(a.ip())).collect();
        if permitted.is_empty() {
            // The address, not the name: the attempt's reason says where the name led.
            return Err(Refused(first.to_string()).into());
        }
        Ok(permitted)
    }
}

/// An IPv4 address written as IPv6 (`::ffff:a.b.c.d`, NAT64 `64:ff9b::a.b.c.d`, or 6to4
/// `2002:aabb:ccdd::`) is judged as the IPv4 address it carries.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return IpAddr::V4(v4);
            }
            let s = v6.segments();
            let v4 = |high: u16, low: u16| {
                let ([a, b], [c, d]) = (high.to_be_bytes(), low.to_be_bytes());
                IpAddr::V4(Ipv4Addr::new(a, b, c, d))
            };
            if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
                return v4(s[6], s[7]);
            }
            if s[0] == 0x2002 {
                return v4(s[1], s[2]);
            }
            IpAddr::V6(v6)
        }
        v4 => v4,
    }
}

fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_unspecified()
        || a == 0 // "this network"
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_documentation()
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 192 && b == 0 && ip.octets()[2] == 0) // IETF protocol assignments
        || (a == 192 && b == 88 && ip.octets()[2] == 99) // 6to4 relay anycast
        || (a == 198 && (18..20).contains(&b)) // benchmarking
        || a >= 240) // reserved
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    let first = s[0];
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local fc00::/7
        || (first & 0xffc0) == 0xfe80 // link-local fe80::/10
        || (first & 0xffc0) == 0xfec0 // site-local fec0::/10, deprecated
        || (first == 0x2001 && s[1] == 0x0db8) // documentation
        || (first == 0x2001 && s[1] == 0) // Teredo 2001::/32: tunnels to an IPv4 host
        || (first == 0x64 && s[1] == 0xff9b && s[2] == 1) // NAT64 local use 64:ff9b:1::/48
        || (first == 0x100 && s[1..4] == [0, 0, 0]) // discard 100::/64
        || s[..6] == [0, 0, 0, 0, 0, 0] // IPv4-compatible, deprecated
        || s[..6] == [0, 0, 0, 0, 0xffff, 0]) // SIIT ::ffff:0:0:0/96
}

/// The resolver the sending client uses: only vetted addresses reach the connector.
#[derive(Debug, Clone)]
pub struct GuardedResolver {
    pub policy: Arc<NetworkPolicy>,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy.clone();
        Box::pin(async move {
            let addrs = policy
                .vet(name.as_str(), 0)
                .await
                .map_err(|e| -> Box<dyn std::error::Error + Send + Sync> { e.into() })?;
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("an address")
    }

    #[test]
    fn internal_addresses_are_refused() {
        let policy = NetworkPolicy::default();
        for refused in [
            "127.0.0.1",
            "::1",
            "::ffff:127.0.0.1",
            "10.0.0.1",
            "172.16.5.4",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "::",
            "fd00::1",
            "fe80::1",
            "100.64.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "64:ff9b::10.0.0.1",
            "::ffff:169.254.169.254",
        ] {
            assert!(!policy.permits(ip(refused)), "{refused} was permitted");
        }
        for public in ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"] {
            assert!(policy.permits(ip(public)), "{public} was refused");
        }
    }

    #[test]
    fn a_closed_policy_reaches_only_its_networks() {
        let closed = NetworkPolicy::parse("127.0.0.0/8").expect("policy").closed(true);
        assert!(closed.permits(ip("127.0.0.1")));
        for refused in ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111", "10.0.0.1", "::1"] {
            assert!(!closed.permits(ip(refused)), "{refused} was permitted");
        }
    }

    /// Each IPv6 form that reaches an internal IPv4 host, or a network keyhook cannot judge,
    /// is refused; nothing is sent (only the policy is asked).
    #[test]
    fn tunnelled_and_translated_forms_are_refused() {
        let policy = NetworkPolicy::default();
        for (refused, why) in [
            ("64:ff9b:1::a00:1", "NAT64 local use 64:ff9b:1::/48"),
            ("64:ff9b:1:ffff::8.8.8.8", "NAT64 local use, whatever it embeds"),
            ("2002:7f00:1::", "6to4 of 127.0.0.1"),
            ("2002:a00:1::1", "6to4 of 10.0.0.1"),
            ("2002:a9fe:a9fe::", "6to4 of 169.254.169.254"),
            ("2001::1", "Teredo 2001::/32"),
            ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo"),
            ("::ffff:0:7f00:1", "SIIT ::ffff:0:0:0/96"),
            ("::ffff:0:808:808", "SIIT, whatever it embeds"),
            ("fec0::1", "site-local fec0::/10"),
            ("feff::1", "site-local fec0::/10"),
            ("100::1", "discard 100::/64"),
            ("192.88.99.1", "6to4 relay anycast 192.88.99.0/24"),
        ] {
            assert!(!policy.permits(ip(refused)), "{refused} ({why}) was permitted");
        }
        for public in ["2002:808:808::", "100:0:0:1::1", "2001:4860:4860::8888", "192.88.98.1"] {
            assert!(policy.permits(ip(public)), "{public} was refused");
        }
    }

    #[test]
    fn decimal_hosts_are_normalised_by_the_url_parser_then_refused() {
        // 2130706433 is 127.0.0.1; the WHATWG parser (reqwest's Url) rewrites it.
        let url = reqwest::Url::parse("http://2130706433/hook").expect("url");
        assert_eq!(url.host_str(), Some("127.0.0.1"));
        let host: IpAddr = url.host_str().and_then(|h| h.parse().ok()).expect("an IP host");
        assert!(!NetworkPolicy::default().permits(host));
        let v6 = reqwest::Url::parse("http://[fd00::1]/").expect("url");
        let host: IpAddr = v6.host_str().map(|h| h.trim_matches(['[', ']'])).and_then(|h| h.parse().ok()).expect("ip");
        assert!(!NetworkPolicy::default().permits(host));
    }

    #[test]
    fn allowed_networks_open_exactly_what_they_cover() {
        let policy = NetworkPolicy::parse("127.0.0.0/8, ::1/128").expect("valid");
        assert!(policy.permits(ip("127.0.0.1")) && policy.permits(ip("::1")) && policy.permits(ip("::ffff:127.0.0.1")));
        assert!(!policy.permits(ip("10.0.0.1")));
        assert!(policy.is_allowed_private(ip("127.0.0.1")));
        assert!(!policy.is_allowed_private(ip("1.1.1.1")));
        assert!(NetworkPolicy::parse("not-a-net").is_err());
    }

    /// Resolution only (the system resolver answers `localhost` from /etc/hosts); nothing is
    /// sent. A name that does not resolve is not tested here: asking would send a DNS query
    /// off this machine.
    #[tokio::test]
    async fn a_name_that_resolves_to_loopback_is_refused() {
        let error = NetworkPolicy::default().vet("localhost", 80).await.expect_err("refused");
        assert!(error.downcast_ref::<Refused>().is_some(), "{error}");
        let allowed = NetworkPolicy::parse("127.0.0.0/8,::1/128").expect("valid");
        assert!(!allowed.vet("localhost", 80).await.expect("permitted").is_empty());
    }
}
