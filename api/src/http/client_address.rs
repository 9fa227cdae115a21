//! Who is on the other end of a request. Behind a reverse proxy every request comes from the
//! proxy, so sign-in throttling per client address would throttle everyone at once; a proxy the
//! server is told to trust (`--trusted-proxies`) names the client in `X-Forwarded-For`. The
//! header is read right to left, past trusted proxies only: a client can put anything at its
//! start, but not past the proxy that appended the address it really came from.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use ipnet::IpNet;

use crate::state::AppState;

/// The client's address of a request, as [`client_address`] reads it with the server's trusted
/// proxies.
pub struct ClientAddress(pub IpAddr);

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = <ConnectInfo<SocketAddr> as FromRequestParts<AppState>>::Rejection;

    async fn from_request_parts(
        parts: &mut Parts, state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let ConnectInfo(peer) = ConnectInfo::<SocketAddr>::from_request_parts(parts, state).await?;
        Ok(Self(client_address(
            peer.ip(),
            &parts.headers,
            &state.trusted_proxies,
        )))
    }
}

/// The client's address: the peer's, or the nearest untrusted hop in `X-Forwarded-For` when the
/// peer is a trusted proxy.
pub fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let hops = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .collect::<Vec<_>>();
    let mut nearest = peer;
    for hop in hops.into_iter().rev() {
        let Ok(ip) = hop.parse::<IpAddr>() else {
            // Garbage written by a trusted proxy's client: the proxy's own view is all we know.
            return nearest;
        };
        nearest = ip;
        if !is_trusted(&ip) {
            return ip;
        }
    }
    nearest
}

/// A trusted proxy: an address (`10.0.0.7`) or a network (`10.0.0.0/8`).
pub fn parse_proxy(value: &str) -> Result<IpNet, String> {
    let value = value.trim();
    value
        .parse::<IpNet>()
        .or_else(|_| value.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| format!("{value} is neither an address nor a network such as 10.0.0.0/8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append("x-forwarded-for", value.parse().unwrap());
        }
        headers
    }

    #[test]
    fn only_trusted_proxies_name_the_client() {
        let trusted = [
            parse_proxy("10.0.0.0/8").unwrap(),
            parse_proxy("127.0.0.1").unwrap(),
        ];
        let client = |peer: &str, values: &[&str]| {
            client_address(peer.parse().unwrap(), &headers(values), &trusted).to_string()
        };
        // An untrusted peer is the client, whatever it says.
        assert_eq!(client("203.0.113.9", &["198.51.100.1"]), "203.0.113.9");
        // Through a trusted proxy, the address it appended.
        assert_eq!(client("10.0.0.7", &["198.51.100.1"]), "198.51.100.1");
        // A forged start is skipped: read from the right, past trusted hops only.
        assert_eq!(
            client("10.0.0.7", &["1.2.3.4, 198.51.100.1, 10.0.0.8"]),
            "198.51.100.1"
        );
        assert_eq!(
            client("10.0.0.7", &["1.2.3.4", "198.51.100.1"]),
            "198.51.100.1"
        );
        // Without the header, or with garbage, the nearest known hop.
        assert_eq!(client("127.0.0.1", &[]), "127.0.0.1");
        assert_eq!(client("10.0.0.7", &["bogus"]), "10.0.0.7");
        assert!(parse_proxy("not an address").is_err());
    }
}
