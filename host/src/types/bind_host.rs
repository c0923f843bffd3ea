//! The address `kura serve --host` binds: an IP address, or a host name resolved once
//! at start (`localhost` is the loopback address, as the replaced system's `--host
//! localhost` meant).

use std::net::{IpAddr, Ipv4Addr, ToSocketAddrs};

/// `127.0.0.1`, `::1`, `localhost` or a name this machine resolves (its first IPv4
/// address, else its first address).
pub(crate) fn parse_bind_host(text: &str) -> Result<IpAddr, String> {
    let text = text.trim();
    if let Ok(ip) = text
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
    {
        return Ok(ip);
    }
    if text.eq_ignore_ascii_case("localhost") {
        return Ok(IpAddr::V4(Ipv4Addr::LOCALHOST));
    }
    let valid_name = !text.is_empty()
        && text.len() <= 253
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
    if !valid_name {
        return Err(format!("`{text}` is neither an IP address nor a host name"));
    }
    let addresses: Vec<IpAddr> = (text, 0)
        .to_socket_addrs()
        .map_err(|error| format!("cannot resolve `{text}`: {error}"))?
        .map(|address| address.ip())
        .collect();
    addresses
        .iter()
        .find(|ip| ip.is_ipv4())
        .or_else(|| addresses.first())
        .copied()
        .ok_or_else(|| format!("`{text}` resolves to no address"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_and_names_are_read() {
        assert_eq!(parse_bind_host("0.0.0.0"), Ok(IpAddr::from([0, 0, 0, 0])));
        assert_eq!(parse_bind_host("[::1]"), Ok("::1".parse().expect("ip")));
        assert_eq!(
            parse_bind_host("LocalHost"),
            Ok(IpAddr::from([127, 0, 0, 1]))
        );
        for bad in ["", "exa mple", "a/b", "http://x"] {
            assert!(parse_bind_host(bad).is_err(), "{bad:?}");
        }
    }
}
