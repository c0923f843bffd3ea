//! The payloads of the library's events: a resource written, a resource or video gone.

use serde::{Deserialize, Serialize};

/// `resource_added`, `resource_refreshed`: the resource and the source that found it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ResourceEvent {
    #[schema(example = "DEMO-001")]
    pub code: String,
    /// The source plugin's name.
    pub source: String,
}

/// `resource_deleted`, `video_deleted`: the resource's code.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CodeEvent {
    #[schema(example = "DEMO-001")]
    pub(crate) code: String,
}
