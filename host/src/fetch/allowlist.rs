//! The egress policy that decides which URLs a plugin may fetch.

use std::fmt;

use url::Url;

use crate::types::HostPattern;

/// Why the policy refused a URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PolicyDenial {
    /// The manifest does not declare the host.
    NotDeclared,
    /// The manifest declares it but the operator's config does not approve it.
    NotApproved,
}

impl fmt::Display for PolicyDenial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::NotDeclared => "host not declared in the plugin's manifest",
            Self::NotApproved => "host not approved by the config's allowed_hosts",
        })
    }
}

/// The hosts one plugin may reach: declared by its manifest, intersected with what the
/// operator approves, plus the origin of the operator's `domain` setting.
#[derive(Debug, Clone, Default)]
pub(crate) struct EgressPolicy {
    declared: Vec<HostPattern>,
    approved: Option<Vec<HostPattern>>,
    domain_origin: Option<url::Origin>,
    any_host: bool,
}

impl EgressPolicy {
    /// Builds a policy from the manifest's list, the config's list and the config's domain.
    pub(crate) fn new(
        declared: Vec<HostPattern>,
        approved: Option<Vec<HostPattern>>,
        domain: Option<&Url>,
    ) -> Self {
        Self {
            declared,
            approved,
            domain_origin: domain.map(Url::origin),
            any_host: false,
        }
    }

    /// A policy that allows every host (downloads: stream CDNs are not declared in plugin
    /// manifests). The address rules still apply: loopback, private and link-local
    /// addresses stay refused unless `fetch.allow_private_hosts` names the host.
    pub(crate) fn any_public() -> Self {
        Self {
            any_host: true,
            ..Self::default()
        }
    }

    /// A policy that allows nothing (cleaners).
    pub(crate) fn deny_all() -> Self {
        Self::default()
    }

    /// Checks one URL.
    pub(crate) fn check(&self, url: &Url) -> Result<(), PolicyDenial> {
        if self.any_host {
            return Ok(());
        }
        if self.domain_origin.as_ref() == Some(&url.origin()) {
            return Ok(());
        }
        if !self.declared.iter().any(|p| p.matches(url)) {
            return Err(PolicyDenial::NotDeclared);
        }
        match &self.approved {
            Some(approved) if !approved.iter().any(|p| p.matches(url)) => {
                Err(PolicyDenial::NotApproved)
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_intersects_and_adds_domain() {
        let declared = vec![HostPattern::parse("http://127.0.0.1:*").expect("valid")];
        let approved = Some(vec![
            HostPattern::parse("http://127.0.0.1:80").expect("valid"),
        ]);
        let domain = Url::parse("https://moved.example/alpha").expect("valid");
        let policy = EgressPolicy::new(declared, approved, Some(&domain));
        let url = |s: &str| Url::parse(s).expect("valid");
        assert_eq!(policy.check(&url("http://127.0.0.1/")), Ok(()));
        assert_eq!(
            policy.check(&url("http://127.0.0.1:81/")),
            Err(PolicyDenial::NotApproved)
        );
        assert_eq!(
            policy.check(&url("http://127.0.0.2/")),
            Err(PolicyDenial::NotDeclared)
        );
        assert_eq!(policy.check(&url("https://moved.example/x")), Ok(()));
        assert_eq!(
            policy.check(&url("http://moved.example/x")),
            Err(PolicyDenial::NotDeclared)
        );
        assert!(
            EgressPolicy::deny_all()
                .check(&url("http://127.0.0.1/"))
                .is_err()
        );
        assert_eq!(
            EgressPolicy::any_public().check(&url("https://cdn.example/a.ts")),
            Ok(())
        );
    }
}
