//! The connect-time half of the SSRF guard (the save-time half is `omnipanel_domain::upstream`):
//! unless private upstreams are allowed, names resolve only to public addresses, and a URL whose
//! host is a literal non-public address is refused before it is called.

use std::net::SocketAddr;

use omnipanel_domain::upstream::{is_public, literal_address};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// A resolver that keeps only public addresses, and fails when none is left.
pub(crate) struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|address| is_public(address.ip()))
                .collect();
            if found.is_empty() {
                return Err(format!("{host} resolves to no public address").into());
            }
            Ok(Box::new(found.into_iter()) as Addrs)
        })
    }
}

/// Why `url` may not be called, when its host is a literal non-public address (names are the
/// resolver's to check).
pub(crate) fn literal_refusal(url: &str) -> Option<String> {
    let ip = literal_address(&url::Url::parse(url).ok()?)?;
    (!is_public(ip)).then(|| {
        format!("{ip} is not a public address (the server does not allow private upstreams)")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_private_hosts_are_refused_and_names_left_to_the_resolver() {
        for refused in [
            "http://127.0.0.1:9000/hook",
            "http://[::ffff:169.254.169.254]/",
        ] {
            assert!(literal_refusal(refused).is_some(), "{refused}");
        }
        for left in ["https://8.8.8.8/", "https://hooks.example.com/"] {
            assert!(literal_refusal(left).is_none(), "{left}");
        }
    }

    #[tokio::test]
    async fn names_of_this_machine_do_not_resolve() {
        let resolved = PublicOnly.resolve("localhost".parse().unwrap()).await;
        assert!(resolved.is_err());
    }
}
