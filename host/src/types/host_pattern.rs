//! Host patterns (`scheme://host[:port]`): parsed from the config and the manifests,
//! matched against URLs by the egress policy.

use std::fmt;
use std::net::IpAddr;

use url::Url;

/// A malformed host pattern.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("host pattern `{pattern}`: {reason}")]
pub(crate) struct PatternError {
    pattern: String,
    reason: &'static str,
}

/// One allowed-host entry: `http://example.com`, `https://*.cdn.example.com:8443`,
/// `*://127.0.0.1:*`. A missing port means the scheme's default port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HostPattern {
    text: String,
    scheme: Option<String>,
    host: HostMatch,
    port: PortMatch,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum HostMatch {
    Name(String),
    Suffix(String),
    Ip(IpAddr),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PortMatch {
    Default,
    Exact(u16),
    Any,
}

impl HostPattern {
    /// Parses a pattern; paths, userinfo, queries and a bare `*` host are refused.
    pub(crate) fn parse(text: &str) -> Result<Self, PatternError> {
        let fail = |reason| PatternError {
            pattern: text.to_owned(),
            reason,
        };
        let (scheme, rest) = text
            .split_once("://")
            .ok_or_else(|| fail("missing `scheme://`"))?;
        let scheme = match scheme.to_ascii_lowercase().as_str() {
            "*" => None,
            s @ ("http" | "https") => Some(s.to_owned()),
            _ => return Err(fail("scheme must be http, https or *")),
        };
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.contains(['/', '@', '?', '#', '\\']) || rest.is_empty() {
            return Err(fail(
                "only scheme://host[:port] is allowed, no path or userinfo",
            ));
        }
        let (host, port) = split_host_port(rest).ok_or_else(|| fail("malformed host or port"))?;
        let port = match port {
            None => PortMatch::Default,
            Some("*") => PortMatch::Any,
            Some(p) => PortMatch::Exact(p.parse().map_err(|_| fail("port must be a number or *"))?),
        };
        if port == PortMatch::Default && scheme.is_none() {
            return Err(fail("`*://` needs an explicit port or `:*`"));
        }
        let host = host.to_ascii_lowercase();
        let host = if let Ok(ip) = host.trim_start_matches('[').trim_end_matches(']').parse() {
            HostMatch::Ip(ip)
        } else if let Some(suffix) = host.strip_prefix("*.") {
            if suffix.is_empty() || suffix.contains('*') || !suffix.contains('.') {
                return Err(fail("a wildcard needs a domain with at least two labels"));
            }
            HostMatch::Suffix(suffix.to_owned())
        } else if host.contains('*') {
            return Err(fail(
                "`*` is only allowed as the first label (`*.example.com`)",
            ));
        } else {
            let parsed =
                Url::parse(&format!("http://{host}/")).map_err(|_| fail("invalid host"))?;
            HostMatch::Name(parsed.host_str().unwrap_or_default().to_owned())
        };
        Ok(Self {
            text: text.to_owned(),
            scheme,
            host,
            port,
        })
    }

    /// Whether `url` (already parsed and normalised by the `url` crate) matches.
    pub(crate) fn matches(&self, url: &Url) -> bool {
        if let Some(scheme) = &self.scheme
            && url.scheme() != scheme
        {
            return false;
        }
        let Some(port) = url.port_or_known_default() else {
            return false;
        };
        let port_ok = match self.port {
            PortMatch::Any => true,
            PortMatch::Exact(p) => p == port,
            PortMatch::Default => Some(port) == default_port(url.scheme()),
        };
        port_ok && self.host_matches(url)
    }

    fn host_matches(&self, url: &Url) -> bool {
        match (&self.host, url.host()) {
            (HostMatch::Ip(ip), Some(url::Host::Ipv4(v4))) => *ip == IpAddr::V4(v4),
            (HostMatch::Ip(ip), Some(url::Host::Ipv6(v6))) => *ip == IpAddr::V6(v6),
            (HostMatch::Name(name), Some(url::Host::Domain(domain))) => {
                domain.trim_end_matches('.') == name
            }
            (HostMatch::Suffix(suffix), Some(url::Host::Domain(domain))) => domain
                .trim_end_matches('.')
                .strip_suffix(suffix.as_str())
                .is_some_and(|head| head.len() > 1 && head.ends_with('.')),
            _ => false,
        }
    }
}

impl fmt::Display for HostPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    }
}

fn split_host_port(text: &str) -> Option<(&str, Option<&str>)> {
    if let Some(rest) = text.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        return match after {
            "" => Some((host, None)),
            _ => Some((host, Some(after.strip_prefix(':')?))),
        };
    }
    match text.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') => Some((host, Some(port))),
        Some(_) => None,
        None => Some((text, None)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(pattern: &str, url: &str, expected: bool) {
        let pattern = HostPattern::parse(pattern).expect("valid pattern");
        let url = Url::parse(url).expect("valid url");
        assert_eq!(pattern.matches(&url), expected, "{pattern} vs {url}");
    }

    #[test]
    fn patterns_match() {
        check("http://example.com", "http://example.com/a", true);
        check("http://example.com", "http://EXAMPLE.com./a", true);
        check("http://example.com", "https://example.com/", false);
        check("http://example.com", "http://example.com:8080/", false);
        check("http://example.com:*", "http://example.com:8080/", true);
        check(
            "https://*.cdn.example.com",
            "https://a.cdn.example.com/",
            true,
        );
        check(
            "https://*.cdn.example.com",
            "https://a.b.cdn.example.com/",
            true,
        );
        check(
            "https://*.cdn.example.com",
            "https://cdn.example.com/",
            false,
        );
        check(
            "https://*.cdn.example.com",
            "https://evilcdn.example.com/",
            false,
        );
        check("http://example.com", "http://example.com.evil.test/", false);
        check("http://example.com", "http://notexample.com/", false);
        check("http://127.0.0.1:*", "http://127.0.0.1:9/", true);
        check("http://127.0.0.1:*", "http://2130706433:9/", true);
        check("http://127.0.0.1:*", "http://127.0.0.2:9/", false);
        check("http://127.0.0.1:*", "http://[::ffff:127.0.0.1]:9/", false);
        check("*://[::1]:*", "https://[::1]:1/", true);
        check("http://localhost:*", "http://localhost.evil.test:1/", false);
    }

    #[test]
    fn bad_patterns_are_refused() {
        for text in [
            "example.com",
            "ftp://example.com",
            "http://*",
            "http://*.com",
            "http://a.*.com",
            "http://example.com/path",
            "http://user@example.com",
            "http://example.com:port",
            "*://example.com",
            "http://",
        ] {
            assert!(
                HostPattern::parse(text).is_err(),
                "{text} should be refused"
            );
        }
    }
}
