//! Which variant of a master playlist a download takes: parsed from the config and the
//! command line, applied by the download's playlist step.

use std::fmt;
use std::str::FromStr;

/// Which variant of a master playlist to download.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum VariantRule {
    /// The highest `BANDWIDTH` (ties: the larger resolution).
    #[default]
    Best,
    /// The lowest `BANDWIDTH`.
    Worst,
    /// The highest `BANDWIDTH` not above this many bits per second; the lowest variant
    /// when every variant is above it.
    MaxBandwidth(u64),
}

impl FromStr for VariantRule {
    type Err = String;

    /// `best`, `worst` or a bandwidth cap in bits per second (`1500000`).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "best" => Ok(Self::Best),
            "worst" => Ok(Self::Worst),
            number => number.parse().map(Self::MaxBandwidth).map_err(|_| {
                format!("`{text}` is not best, worst or a bandwidth in bits per second")
            }),
        }
    }
}

impl fmt::Display for VariantRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Best => f.write_str("best"),
            Self::Worst => f.write_str("worst"),
            Self::MaxBandwidth(cap) => write!(f, "{cap}"),
        }
    }
}
