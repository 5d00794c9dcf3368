//! The client's address behind reverse proxies: a forwarded header is believed only when the
//! connection comes from a configured trusted proxy, since anyone can send one.

use std::net::IpAddr;

use axum::http::{HeaderMap, HeaderName};
use ipnet::IpNet;

#[derive(Clone, Debug)]
pub struct ClientIpSource {
    trusted_proxies: Vec<IpNet>,
    header: HeaderName,
}

impl ClientIpSource {
    pub fn new(trusted_proxies: Vec<IpNet>, header: HeaderName) -> Self {
        Self {
            trusted_proxies,
            header,
        }
    }

    /// The address of whoever sent the request to the first trusted proxy: walking the
    /// header from the right (each proxy appends the address it saw), the first address that
    /// is not a trusted proxy. Entries left of it were written by the client and prove nothing.
    pub fn resolve(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let mut client = peer.to_canonical();
        if !self.is_trusted(client) {
            return client;
        }
        let entries = headers
            .get_all(&self.header)
            .iter()
            .rev()
            .flat_map(|value| value.to_str().unwrap_or_default().rsplit(','));
        for entry in entries {
            let Ok(address) = entry.trim().parse::<IpAddr>() else {
                break;
            };
            client = address.to_canonical();
            if !self.is_trusted(client) {
                break;
            }
        }
        client
    }

    fn is_trusted(&self, address: IpAddr) -> bool {
        self.trusted_proxies
            .iter()
            .any(|network| network.contains(&address))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source() -> ClientIpSource {
        ClientIpSource::new(
            vec![
                "10.0.0.0/8".parse().unwrap(),
                "192.0.2.7/32".parse().unwrap(),
            ],
            HeaderName::from_static("x-forwarded-for"),
        )
    }

    fn headers(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append("x-forwarded-for", value.parse().unwrap());
        }
        headers
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn the_header_of_an_untrusted_peer_is_ignored() {
        let resolved = source().resolve(ip("203.0.113.9"), &headers(&["198.51.100.1"]));
        assert_eq!(resolved, ip("203.0.113.9"));
    }

    #[test]
    fn the_rightmost_untrusted_address_is_the_client() {
        let forged_and_real = headers(&["6.6.6.6, 198.51.100.1, 10.1.2.3"]);
        assert_eq!(
            source().resolve(ip("192.0.2.7"), &forged_and_real),
            ip("198.51.100.1")
        );
        let two_headers = headers(&["6.6.6.6", "198.51.100.1"]);
        assert_eq!(
            source().resolve(ip("10.0.0.1"), &two_headers),
            ip("198.51.100.1")
        );
    }

    #[test]
    fn garbage_or_only_proxies_leave_the_last_proxy() {
        assert_eq!(
            source().resolve(ip("10.0.0.1"), &headers(&["junk, 10.9.9.9"])),
            ip("10.9.9.9")
        );
        assert_eq!(
            source().resolve(ip("10.0.0.1"), &HeaderMap::new()),
            ip("10.0.0.1")
        );
        let mapped = ip("::ffff:10.0.0.1");
        assert_eq!(
            source().resolve(mapped, &headers(&["198.51.100.1"])),
            ip("198.51.100.1")
        );
    }
}
