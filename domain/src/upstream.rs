//! Which outside addresses the server may call (SSRF). Webhook URLs, channels' outbound and Bot
//! API URLs and CRM URLs are typed in by administrators; without a guard they could point the
//! server at itself, at the cloud's metadata service (169.254.169.254) or at the private network
//! behind it. Loopback, private, link-local and other non-public addresses are refused unless
//! the server runs with `--allow-private-upstreams` (on-premise CRMs, tests): here when a URL is
//! saved, and again at connect time, after DNS resolution, by the HTTP client (integrations).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::error::{DomainError, Result};
use crate::service::Domain;

/// Whether `ip` is an address on the public internet.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || a == 0
        // Shared address space (carrier-grade NAT), 100.64.0.0/10.
        || (a == 100 && (64..128).contains(&b))
        // Benchmarking, 198.18.0.0/15; reserved, 240.0.0.0/4.
        || (a == 198 && (b == 18 || b == 19))
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        // Unique local fc00::/7, link-local fe80::/10, documentation 2001:db8::/32.
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
        || (first == 0x2001 && ip.segments()[1] == 0x0db8))
}

/// The address a URL's host spells literally (`http://10.0.0.5/`), if it does.
pub fn literal_address(url: &url::Url) -> Option<IpAddr> {
    match url.host()? {
        url::Host::Ipv4(ip) => Some(IpAddr::V4(ip)),
        url::Host::Ipv6(ip) => Some(IpAddr::V6(ip)),
        url::Host::Domain(_) => None,
    }
}

/// Why a URL's host may not be called, if it may not: a literal non-public address, a name of
/// this machine, or a name that resolves to a non-public address.
pub async fn refusal(url: &url::Url) -> Option<String> {
    let addresses: Vec<IpAddr> = match url.host()? {
        url::Host::Domain(name) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            if name == "localhost" || name.ends_with(".localhost") {
                return Some(format!("{name} is this server"));
            }
            let port = url.port_or_known_default().unwrap_or(443);
            // A name that does not resolve now is left to the connect-time check.
            match tokio::net::lookup_host((name.as_str(), port)).await {
                Ok(found) => found.map(|address| address.ip()).collect(),
                Err(_) => Vec::new(),
            }
        }
        _ => literal_address(url).into_iter().collect(),
    };
    addresses
        .into_iter()
        .find(|ip| !is_public(*ip))
        .map(|ip| format!("{ip} is not a public address"))
}

impl Domain {
    /// `VALIDATION` on `field` when `url` points at a non-public address and the server does
    /// not allow private upstreams.
    pub(crate) async fn public_upstream(&self, url: &str, field: &'static str) -> Result<()> {
        if self.config.allow_private_upstreams {
            return Ok(());
        }
        let Ok(parsed) = url::Url::parse(url) else {
            return Err(DomainError::validation(
                field,
                "must be an http or https URL",
            ));
        };
        match refusal(&parsed).await {
            None => Ok(()),
            Some(why) => Err(DomainError::validation(
                field,
                format!(
                    "must be a public address ({why}); a server for a private network runs with --allow-private-upstreams"
                ),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_are_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in [
            "8.8.8.8",
            "93.184.216.34",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }

    #[tokio::test]
    async fn literal_and_local_hosts_are_refused_without_asking_dns() {
        for url in [
            "http://127.0.0.1:8080/hook",
            "http://[::1]/hook",
            "http://169.254.169.254/latest/meta-data",
            "http://localhost:3000",
            "https://api.localhost/",
        ] {
            assert!(refusal(&url.parse().unwrap()).await.is_some(), "{url}");
        }
        assert!(
            refusal(&"https://8.8.8.8/hook".parse().unwrap())
                .await
                .is_none()
        );
    }
}
