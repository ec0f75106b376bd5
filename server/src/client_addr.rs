//! Who a request really comes from. Behind a load balancer every request
//! arrives from the balancer's address, which would make sign-in throttling
//! (per address) throttle everyone at once. Requests from a trusted proxy
//! (`QUIRE_TRUSTED_PROXIES`) name their client in `X-Forwarded-For`; anything
//! else could be forged by the client and is ignored.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::http::HeaderMap;

use crate::state::AppState;

/// The extractor: the client's address (see [`client_addr`]), None when the
/// server runs without connect info.
pub struct ClientAddr(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr
where
    AppState: FromRef<S>,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|info| info.0.ip());
        Ok(ClientAddr(peer.map(|peer| client_addr(peer, &parts.headers, &state.config.trusted_proxies))))
    }
}

/// The client's address: the peer, or, when the peer is a trusted proxy, the
/// nearest address in `X-Forwarded-For` that is not one (each proxy appends
/// the address it saw, so the right end is the most trustworthy).
pub fn client_addr(peer: IpAddr, headers: &HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let forwarded = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .collect::<Vec<_>>();
    for hop in forwarded.iter().rev() {
        match hop.parse::<IpAddr>() {
            Ok(addr) if trusted.contains(&addr) => continue,
            Ok(addr) => return addr,
            // Garbage in the chain: stop at the last hop vouched for.
            Err(_) => break,
        }
    }
    peer
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(forwarded: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in forwarded {
            headers.append("x-forwarded-for", value.parse().unwrap());
        }
        headers
    }

    #[test]
    fn only_a_trusted_proxy_may_name_the_client() {
        let proxy: IpAddr = "10.0.0.2".parse().unwrap();
        let client: IpAddr = "203.0.113.7".parse().unwrap();
        let forged = headers(&["198.51.100.1"]);
        assert_eq!(client_addr(client, &forged, &[proxy]), client, "a client cannot claim another address");
        assert_eq!(client_addr(proxy, &headers(&["203.0.113.7"]), &[proxy]), client);
        assert_eq!(client_addr(proxy, &HeaderMap::new(), &[proxy]), proxy);
    }

    #[test]
    fn the_nearest_untrusted_hop_wins_over_what_the_client_prepended() {
        let (lb, edge): (IpAddr, IpAddr) = ("10.0.0.2".parse().unwrap(), "10.0.0.3".parse().unwrap());
        let chain = headers(&["198.51.100.1, 203.0.113.7", "10.0.0.3"]);
        assert_eq!(client_addr(lb, &chain, &[lb, edge]), "203.0.113.7".parse::<IpAddr>().unwrap());
        assert_eq!(client_addr(lb, &headers(&["nonsense, 10.0.0.3"]), &[lb, edge]), lb);
    }
}
