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

    /// From a number or a name (`low`, `normal`, `high`, `urgent`), in any case and with
    /// spaces around it (task clients send `"HIGH"`).
    pub(crate) fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
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
    /// A number (1 to 4) or a name, as [`Priority::parse`] reads it.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PriorityVisitor;
        impl serde::de::Visitor<'_> for PriorityVisitor {
            type Value = Priority;
            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("a priority: 1 to 4, or low, normal, high or urgent")
            }
            fn visit_i64<E: serde::de::Error>(self, number: i64) -> Result<Priority, E> {
                Priority::from_number(number)
                    .ok_or_else(|| E::custom(format!("priority {number} is not one of 1 to 4")))
            }
            fn visit_u64<E: serde::de::Error>(self, number: u64) -> Result<Priority, E> {
                self.visit_i64(i64::try_from(number).unwrap_or(i64::MAX))
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Priority, E> {
                Priority::parse(text).ok_or_else(|| {
                    E::custom(format!(
                        "priority `{text}` is not one of low, normal, high, urgent or 1 to 4"
                    ))
                })
            }
        }
        deserializer.deserialize_any(PriorityVisitor)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_in_any_case_and_numbers_are_read() {
        for (text, expected) in [
            ("high", Priority::High),
            ("HIGH", Priority::High),
            (" High ", Priority::High),
            ("Urgent", Priority::Urgent),
            ("LOW", Priority::Low),
            ("normal", Priority::Normal),
            ("3", Priority::High),
        ] {
            assert_eq!(Priority::parse(text), Some(expected), "{text:?}");
        }
        for text in ["", "highest", "0", "5", "-1", "hi gh"] {
            assert_eq!(Priority::parse(text), None, "{text:?}");
        }
    }

    #[test]
    fn deserializes_from_a_number_or_a_name() {
        for (json, expected) in [
            ("3", Priority::High),
            ("\"HIGH\"", Priority::High),
            ("\"low\"", Priority::Low),
            ("4", Priority::Urgent),
        ] {
            assert_eq!(
                serde_json::from_str::<Priority>(json).expect(json),
                expected,
                "{json}"
            );
        }
        for json in ["0", "7", "\"soon\"", "true", "2.5"] {
            assert!(serde_json::from_str::<Priority>(json).is_err(), "{json}");
        }
    }
}
