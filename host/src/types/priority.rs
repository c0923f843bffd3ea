//! Task priority: what the queue orders by, what schedules and clients name.

use serde::{Deserialize, Serialize};

/// Task priority (T-G2): low 1, normal 2, high 3, urgent 4; FIFO within one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Priority {
    Low = 1,
    #[default]
    Normal = 2,
    High = 3,
    Urgent = 4,
}

impl Priority {
    /// From the stored number or a client's number; None outside 1..=4.
    pub(crate) fn from_number(number: i64) -> Option<Self> {
        match number {
            1 => Some(Self::Low),
            2 => Some(Self::Normal),
            3 => Some(Self::High),
            4 => Some(Self::Urgent),
            _ => None,
        }
    }

    /// From a number or a name (`low`, `normal`, `high`, `urgent`).
    pub(crate) fn parse(text: &str) -> Option<Self> {
        match text {
            "low" => Some(Self::Low),
            "normal" => Some(Self::Normal),
            "high" => Some(Self::High),
            "urgent" => Some(Self::Urgent),
            other => other.parse().ok().and_then(Self::from_number),
        }
    }

    /// The number stored and shown (1 to 4).
    pub(crate) fn number(self) -> i64 {
        self as i64
    }
}

impl Serialize for Priority {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_i64(self.number())
    }
}

impl<'de> Deserialize<'de> for Priority {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let number = i64::deserialize(deserializer)?;
        Self::from_number(number).ok_or_else(|| {
            serde::de::Error::custom(format!("priority {number} is not one of 1 to 4"))
        })
    }
}

/// In the API's schema: the number (1 low to 4 urgent) it is written as.
impl utoipa::PartialSchema for Priority {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::Integer)
            .minimum(Some(1))
            .maximum(Some(4))
            .description(Some("1 low, 2 normal, 3 high, 4 urgent"))
            .into()
    }
}

impl utoipa::ToSchema for Priority {}
