//! Where Roster is reached from outside, for every URL it emits (`Location`, `meta.location`,
//! `$ref`, REST `url`s, `Link`). With `--public-url` that is the configured URL and nothing a
//! client sends changes it. Without it, the request's `Host`, checked to be a host and port;
//! `X-Forwarded-Proto` and `X-Forwarded-Host` count only from a proxy the operator named
//! (`--trusted-proxy`), and the scheme may only be `http` or `https`. Anyone else sending
//! `X-Forwarded-Host: evil.example` with `X-Forwarded-Proto: javascript` would otherwise
//! choose the links Roster hands out.

use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use axum::http::header;
use axum::http::request::Parts;
use ipnet::IpNet;

/// The operator's settings for public URLs.
#[derive(Debug, Clone, Default)]
pub struct PublicOrigin {
    /// `scheme://host[:port][/prefix]`, without a trailing slash.
    pub url: Option<String>,
    /// Peers whose forwarding headers are believed.
    pub trusted_proxies: Vec<IpNet>,
}

impl PublicOrigin {
    /// Check an operator's `--public-url`: http or https, a host, an optional path prefix;
    /// no user name, query or fragment.
    pub fn parse_url(url: &str) -> Result<String, String> {
        let bad = |why: &str| {
            Err(format!(
                "--public-url '{url}' is not usable: {why}; give it as https://HOST[:PORT][/PREFIX], e.g. https://roster.example.com"
            ))
        };
        let Some((scheme, rest)) = url.split_once("://") else {
            return bad("it has no scheme");
        };
        if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
            return bad("the scheme must be http or https");
        }
        if rest.contains(['?', '#']) {
            return bad("it may not have a query or a fragment");
        }
        let (authority, path) = match rest.find('/') {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        if !is_host(authority) {
            return bad("its host is not a host name or address with an optional port");
        }
        if path.contains("//") || path.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return bad("its path is not a plain path prefix");
        }
        Ok(format!(
            "{}://{authority}{}",
            scheme.to_ascii_lowercase(),
            path.trim_end_matches('/')
        ))
    }

    /// Parse `--trusted-proxy` values: addresses (`10.0.0.7`) or networks (`10.0.0.0/8`).
    pub fn parse_proxy(s: &str) -> Result<IpNet, String> {
        let s = s.trim();
        s.parse::<IpNet>()
            .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
            .map_err(|_| {
                format!(
                    "--trusted-proxy '{s}' is not an IP address or network (e.g. 10.0.0.7 or 10.0.0.0/8)"
                )
            })
    }

    fn trusts(&self, peer: Option<IpAddr>) -> bool {
        peer.is_some_and(|ip| self.trusted_proxies.iter().any(|net| net.contains(&ip)))
    }

    /// Scheme, host and prefix of the URLs this request's answer carries.
    pub fn of(&self, parts: &Parts) -> String {
        if let Some(url) = &self.url {
            return url.clone();
        }
        let header = |name: &str| {
            parts
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
        };
        // A proxy that appends to X-Forwarded-* leaves what the client sent on the left: the
        // value its nearest trusted proxy set is the last one, over every line of the header.
        let forwarded = |name: &str| {
            parts
                .headers
                .get_all(name)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .next_back()
                .map(str::trim)
        };
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        let proxied = self.trusts(peer);
        let scheme = proxied
            .then(|| forwarded("x-forwarded-proto"))
            .flatten()
            .map(str::to_ascii_lowercase)
            .filter(|s| s == "http" || s == "https")
            .unwrap_or_else(|| "http".into());
        let host = proxied
            .then(|| forwarded("x-forwarded-host"))
            .flatten()
            .filter(|h| is_host(h))
            .or_else(|| header(header::HOST.as_str()).filter(|h| is_host(h)))
            .map(str::to_string)
            .or_else(|| parts.uri.authority().map(|a| a.to_string()))
            .filter(|h| is_host(h))
            .unwrap_or_else(|| "localhost".into());
        format!("{scheme}://{host}")
    }
}

/// A host name, IPv4 address or bracketed IPv6 address, with an optional port: nothing that
/// could end the authority of a URL (`/`, `@`, `?`, `#`, `\`, white space).
fn is_host(s: &str) -> bool {
    if s.is_empty() || s.len() > 255 {
        return false;
    }
    let (host_ok, port) = match s.strip_prefix('[') {
        Some(rest) => match rest.split_once(']') {
            Some((v6, tail)) => (
                v6.parse::<std::net::Ipv6Addr>().is_ok(),
                match tail {
                    "" => None,
                    t => match t.strip_prefix(':') {
                        Some(p) => Some(p),
                        None => return false,
                    },
                },
            ),
            None => return false,
        },
        None => {
            let (host, port) = match s.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (s, None),
            };
            let ok = !host.is_empty()
                && host
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_');
            (ok, port)
        }
    };
    let port_ok =
        port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()));
    host_ok && port_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        for ok in [
            "roster.example.com",
            "127.0.0.1:8080",
            "[::1]:8080",
            "[::1]",
            "localhost",
        ] {
            assert!(is_host(ok), "{ok}");
        }
        for bad in [
            "",
            "evil.example/x",
            "user@host",
            "host:port",
            "ho st",
            "a\\b",
            "[::1",
            "[zz]",
            "host:99999999",
            "javascript:",
        ] {
            assert!(!is_host(bad), "{bad}");
        }
    }

    #[test]
    fn public_urls() {
        assert_eq!(
            PublicOrigin::parse_url("https://roster.example.com/").unwrap(),
            "https://roster.example.com"
        );
        assert_eq!(
            PublicOrigin::parse_url("HTTPS://roster.example.com:8443/idp/").unwrap(),
            "https://roster.example.com:8443/idp"
        );
        for bad in [
            "roster.example.com",
            "javascript://x",
            "https://u:p@x",
            "https://x/?a",
            "https://x/#f",
            "https:///x",
        ] {
            assert!(PublicOrigin::parse_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn proxies() {
        assert!(PublicOrigin::parse_proxy("10.0.0.0/8").is_ok());
        assert!(PublicOrigin::parse_proxy("127.0.0.1").is_ok());
        assert!(PublicOrigin::parse_proxy("::1").is_ok());
        assert!(PublicOrigin::parse_proxy("evil").is_err());
    }
}
