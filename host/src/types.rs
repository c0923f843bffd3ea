//! Plain value types that the config parses and other modules act on: a bad value is
//! refused when the config is loaded, and the config needs none of the modules that use
//! them. Nothing here imports another module of the crate.

mod bind_host;
mod host_pattern;
mod priority;
mod rendition_rule;
mod variant_rule;

pub(crate) use bind_host::parse_bind_host;
pub(crate) use host_pattern::HostPattern;
pub use priority::Priority;
pub(crate) use rendition_rule::{AudioRule, SubtitleRule, language_matches};
pub(crate) use variant_rule::VariantRule;
