//! `fetch.allow_private_hosts` entries: a host (name or IP) that may resolve to a
//! non-public address, on one port or on every port.

use std::net::IpAddr;

/// A host allowed to resolve to a non-public address.
///
/// `127.0.0.1:8399` allows that port only (a default port such as `:80` is a port like
/// any other); `127.0.0.1` without a port allows every port of the host. IPv6 addresses
/// are written in brackets (`[::1]:11434`) and compared as addresses, names without case
/// and without a trailing dot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PrivateHost {
    host: PrivateHostName,
    port: Option<u16>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum PrivateHostName {
    Ip(IpAddr),
    Name(String),
}

impl PrivateHost {
    /// Parses `host`, `host:port`, `[v6]` or `[v6]:port`.
    pub(crate) fn parse(entry: &str) -> Result<Self, String> {
        let url = url::Url::parse(&format!("http://{entry}"))
            .map_err(|error| format!("`{entry}` is not a host or host:port: {error}"))?;
        if url.path() != "/"
            || url.query().is_some()
            || url.fragment().is_some()
            || !url.username().is_empty()
            || url.password().is_some()
        {
            return Err(format!("`{entry}` must be a bare host or host:port"));
        }
        let host = url
            .host_str()
            .ok_or_else(|| format!("`{entry}` has no host"))?;
        // `url` drops a port equal to the scheme's default, so the port is read from
        // the text: `127.0.0.1:80` must allow port 80 only, not every port.
        let port = explicit_port(entry)
            .map(|text| {
                text.parse::<u16>()
                    .map_err(|_| format!("`{entry}` has an invalid port"))
            })
            .transpose()?;
        Ok(Self {
            host: PrivateHostName::from_text(host),
            port,
        })
    }

    /// The entry that lets the operator's own server at `url` (a proxy, a translator) be
    /// private: its host on its port (the scheme's default when the URL has none).
    pub(crate) fn for_url(url: &url::Url) -> Option<Self> {
        Some(Self {
            host: PrivateHostName::from_text(url.host_str()?),
            port: url.port_or_known_default(),
        })
    }

    /// Whether `host` (as in a URL: IPv6 with or without brackets) on `port` is allowed;
    /// `port` None asks about the host on any port (the connection-time check, which
    /// the per-URL check with the port always precedes).
    pub(crate) fn allows(&self, host: &str, port: Option<u16>) -> bool {
        let port_ok = match (self.port, port) {
            (Some(allowed), Some(port)) => allowed == port,
            _ => true,
        };
        port_ok && self.host == PrivateHostName::from_text(host)
    }
}

impl PrivateHostName {
    fn from_text(host: &str) -> Self {
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        match bare.parse::<IpAddr>() {
            Ok(ip) => Self::Ip(ip),
            Err(_) => Self::Name(bare.trim_end_matches('.').to_ascii_lowercase()),
        }
    }
}

/// The text after the host's `:`, if the entry names a port.
fn explicit_port(entry: &str) -> Option<&str> {
    let after_host = match entry.strip_prefix('[') {
        Some(rest) => rest.split_once(']')?.1,
        None => &entry[entry.rfind(':')?..],
    };
    after_host.strip_prefix(':')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(entry: &str, host: &str, port: Option<u16>, expected: bool) {
        let parsed = PrivateHost::parse(entry).expect("valid entry");
        assert_eq!(
            parsed.allows(host, port),
            expected,
            "{entry} vs {host} {port:?}"
        );
    }

    #[test]
    fn an_explicit_port_allows_that_port_only() {
        check("127.0.0.1:8399", "127.0.0.1", Some(8399), true);
        check("127.0.0.1:8399", "127.0.0.1", Some(8400), false);
        check("127.0.0.1:80", "127.0.0.1", Some(80), true);
        check("127.0.0.1:80", "127.0.0.1", Some(8399), false);
        check("127.0.0.1:443", "127.0.0.1", Some(80), false);
        check("localhost:80", "localhost", Some(81), false);
    }

    #[test]
    fn an_entry_without_a_port_allows_every_port() {
        check("127.0.0.1", "127.0.0.1", Some(1), true);
        check("127.0.0.1", "127.0.0.1", Some(65535), true);
        check("fixture.local", "FIXTURE.local.", Some(8080), true);
        check("[::1]", "[::1]", Some(9), true);
    }

    #[test]
    fn ipv6_entries_match_urls_hosts() {
        check("[::1]:8080", "[::1]", Some(8080), true);
        check("[::1]:8080", "::1", Some(8080), true);
        check("[::1]:8080", "[0:0::1]", Some(8080), true);
        check("[::1]:8080", "[::1]", Some(8081), false);
        check("[::1]:80", "[::1]", Some(8081), false);
        check("[::1]:8080", "127.0.0.1", Some(8080), false);
    }

    #[test]
    fn other_hosts_never_match() {
        check("127.0.0.1", "127.0.0.2", None, false);
        check("localhost", "localhost.evil.test", None, false);
        check("127.0.0.1:8399", "127.0.0.1.evil.test", Some(8399), false);
    }

    #[test]
    fn the_connection_check_asks_about_the_host() {
        check("127.0.0.1:8399", "127.0.0.1", None, true);
        check("127.0.0.1:8399", "127.0.0.2", None, false);
    }

    #[test]
    fn bad_entries_are_refused() {
        for entry in [
            "a b",
            "host/path",
            "user@host",
            "host:port",
            "host:70000",
            "[::1",
            "host?x",
        ] {
            assert!(PrivateHost::parse(entry).is_err(), "{entry}");
        }
    }

    #[test]
    fn urls_give_their_port_or_the_default() {
        let url = |text: &str| url::Url::parse(text).expect("valid url");
        let entry = PrivateHost::for_url(&url("http://[::1]:11434")).expect("host");
        assert!(entry.allows("[::1]", Some(11434)));
        assert!(!entry.allows("[::1]", Some(11435)));
        let entry = PrivateHost::for_url(&url("http://proxy.lan")).expect("host");
        assert!(entry.allows("proxy.lan", Some(80)));
        assert!(!entry.allows("proxy.lan", Some(8080)));
    }
}
