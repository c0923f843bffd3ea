//! Name resolution for outbound requests: static overrides, then the system resolver,
//! then the address check, so a connection only ever goes to a vetted address.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use super::address::non_public_reason;
use crate::config::PrivateHost;

/// An address the resolver refused; found again in reqwest's error chain to report a
/// denial rather than a network error.
#[derive(Debug, thiserror::Error)]
#[error("{host} resolves to {ip}, which is {reason}")]
pub(super) struct DeniedAddress {
    pub(crate) host: String,
    pub(crate) ip: IpAddr,
    pub(crate) reason: &'static str,
}

/// Which names may resolve to non-public addresses, and the static name table.
#[derive(Debug, Clone, Default)]
pub(super) struct AddressRules {
    allow_private: Vec<PrivateHost>,
    resolve: BTreeMap<String, IpAddr>,
}

impl AddressRules {
    /// Rules from the config's `allow_private_hosts` and `resolve`.
    pub(super) fn new(allow_private: Vec<PrivateHost>, resolve: BTreeMap<String, IpAddr>) -> Self {
        Self {
            allow_private,
            resolve,
        }
    }

    /// Whether `host` (a URL's host; IPv6 in brackets or not) may use private addresses
    /// on `port`; `port` None means "any port of it" (the connection-time check, which
    /// the per-URL check with the port precedes).
    pub(super) fn private_allowed(&self, host: &str, port: Option<u16>) -> bool {
        self.allow_private
            .iter()
            .any(|entry| entry.allows(host, port))
    }

    /// Resolves `host` and checks every address; an IP literal is checked as is.
    pub(super) async fn resolve_checked(
        &self,
        host: &str,
        port: Option<u16>,
    ) -> Result<Vec<IpAddr>, ResolveError> {
        let ips = self.lookup(host).await?;
        if !self.private_allowed(host, port)
            && let Some(ip) = ips.iter().find(|ip| non_public_reason(**ip).is_some())
        {
            return Err(ResolveError::Denied(DeniedAddress {
                host: host.to_owned(),
                ip: *ip,
                reason: non_public_reason(*ip).unwrap_or("not public"),
            }));
        }
        Ok(ips)
    }

    async fn lookup(&self, host: &str) -> Result<Vec<IpAddr>, ResolveError> {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = host.parse::<IpAddr>() {
            return Ok(vec![ip]);
        }
        let key = host.trim_end_matches('.').to_ascii_lowercase();
        if let Some(ip) = self.resolve.get(&key) {
            return Ok(vec![*ip]);
        }
        let ips: Vec<IpAddr> = tokio::net::lookup_host((key.as_str(), 0))
            .await
            .map_err(|error| ResolveError::Lookup(format!("cannot resolve {key}: {error}")))?
            .map(|addr| addr.ip())
            .collect();
        if ips.is_empty() {
            return Err(ResolveError::Lookup(format!("{key} has no addresses")));
        }
        Ok(ips)
    }
}

/// A failed or refused resolution.
#[derive(Debug, thiserror::Error)]
pub(super) enum ResolveError {
    #[error(transparent)]
    Denied(DeniedAddress),
    #[error("{0}")]
    Lookup(String),
}

/// The resolver reqwest uses for every connection.
#[derive(Debug, Clone)]
pub(super) struct CheckedResolver {
    rules: Arc<AddressRules>,
}

impl CheckedResolver {
    pub(super) fn new(rules: Arc<AddressRules>) -> Self {
        Self { rules }
    }
}

impl Resolve for CheckedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let rules = self.rules.clone();
        Box::pin(async move {
            let ips = rules.resolve_checked(name.as_str(), None).await.map_err(
                |error| -> Box<dyn std::error::Error + Send + Sync> {
                    match error {
                        ResolveError::Denied(denied) => Box::new(denied),
                        other => Box::new(other),
                    }
                },
            )?;
            let addrs: Addrs = Box::new(ips.into_iter().map(|ip| SocketAddr::new(ip, 0)));
            Ok(addrs)
        })
    }
}
