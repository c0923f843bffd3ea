//! The one list of event types: each a variant of [`Event`] with its payload type, its
//! wire name written once.

use serde::{Deserialize, Serialize, Serializer};

use super::library::{CodeEvent, ResourceEvent};
use super::plugin::{PluginEvent, PluginFailedEvent, PluginReadyEvent, PluginRolledBackEvent};
use super::plugin_update::{
    PluginIndexErrorEvent, PluginUpdateInstalledEvent, PluginUpdatePendingEvent,
    PluginUpdateRefusedEvent, PluginUpdateRolledBackEvent,
};
use super::schedule::ScheduleEvent;
use super::task::{ProgressEvent, QueueStatusEvent, TaskEvent, TaskFailedEvent};

/// Declares [`Event`] from one list, so a type's name, payload and meaning are written
/// once.
macro_rules! events {
    ($($variant:ident($payload:ty) => $name:literal, $meaning:literal;)+) => {
        /// Something that happened, with what a client needs to know about it. Its
        /// serde form is `{type, data}`; the bus adds `id` and `at_ms` on the wire.
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(tag = "type", content = "data")]
        pub enum Event {
            $(
                #[doc = $meaning]
                #[serde(rename = $name)]
                $variant($payload),
            )+
        }

        impl Event {
            /// Every event type's wire name, in declaration order.
            #[cfg(test)]
            pub(crate) const NAMES: &'static [&'static str] = &[$($name),+];

            /// The wire name (`type`).
            pub(crate) const fn name(&self) -> &'static str {
                match self {
                    $(Self::$variant(_) => $name,)+
                }
            }

            /// One event of every type, each with a default payload.
            #[cfg(test)]
            pub(crate) fn samples() -> Vec<Event> {
                vec![$(Self::$variant(<$payload>::default())),+]
            }

            /// The payload alone (`data` on the wire).
            pub(crate) fn data(&self) -> Data<'_> {
                Data(self)
            }
        }

        impl Serialize for Data<'_> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                match self.0 {
                    $(Event::$variant(payload) => payload.serialize(serializer),)+
                }
            }
        }
    };
}

/// An event's payload, serialized on its own.
pub(crate) struct Data<'a>(&'a Event);

events! {
    TaskQueued(TaskEvent) => "task_queued", "A task entered the queue.";
    TaskStarted(TaskEvent) => "task_started", "An attempt of a task started.";
    ProgressUpdate(ProgressEvent) => "progress_update", "A running task reported progress (throttled).";
    TaskCompleted(TaskEvent) => "task_completed", "A task finished with a result.";
    TaskFailed(TaskFailedEvent) => "task_failed", "A task failed for good (no attempt is left, or another would fail the same way).";
    TaskRetrying(TaskFailedEvent) => "task_retrying", "An attempt failed; the task is pending again until retry_at.";
    TaskCancelled(TaskEvent) => "task_cancelled", "A task was cancelled.";
    QueueStatus(QueueStatusEvent) => "queue_status", "The queue after a change: running tasks, pending count, counts by status.";
    ResourceAdded(ResourceEvent) => "resource_added", "A resource was added to the library.";
    ResourceRefreshed(ResourceEvent) => "resource_refreshed", "A resource's metadata was fetched again.";
    ResourceDeleted(CodeEvent) => "resource_deleted", "A resource and its files were deleted.";
    VideoDeleted(CodeEvent) => "video_deleted", "A resource's video file was deleted.";
    ScheduleFired(ScheduleEvent) => "schedule_fired", "A schedule's tick fired (and queued its task, if it could).";
    PluginLoaded(PluginReadyEvent) => "plugin_loaded", "A plugin was loaded for the first time.";
    PluginSwapped(PluginReadyEvent) => "plugin_swapped", "A new version of a plugin replaced the running one.";
    PluginFailed(PluginFailedEvent) => "plugin_failed", "A plugin file was rejected; the running version, if any, keeps serving.";
    PluginUnloaded(PluginEvent) => "plugin_unloaded", "A plugin's file was removed, so the plugin was unloaded.";
    PluginRolledBack(PluginRolledBackEvent) => "plugin_rolled_back", "A plugin's previous version became current again.";
    PluginEnabled(PluginEvent) => "plugin_enabled", "A plugin was switched on.";
    PluginDisabled(PluginEvent) => "plugin_disabled", "A plugin was switched off.";
    PluginUpdateInstalled(PluginUpdateInstalledEvent) => "plugin_update_installed", "A release from a followed index was installed and serves.";
    PluginUpdatePending(PluginUpdatePendingEvent) => "plugin_update_pending", "A release needs the operator's approval (new hosts or author keys); the running version serves meanwhile.";
    PluginUpdateRefused(PluginUpdateRefusedEvent) => "plugin_update_refused", "A release was refused (the code says why); the running version keeps serving.";
    PluginUpdateRolledBack(PluginUpdateRolledBackEvent) => "plugin_update_rolled_back", "An update did worse than the version before it and was rolled back automatically; it is not installed again.";
    PluginIndexError(PluginIndexErrorEvent) => "plugin_index_error", "A followed index could not be read or verified; its updates pause, nothing is unloaded.";
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// Every type serializes to `{type, data}` with its name and an object payload, and
    /// reads back as itself.
    #[test]
    fn every_event_has_its_name_on_the_wire_and_reads_back() {
        let samples = Event::samples();
        let names: Vec<&str> = samples.iter().map(Event::name).collect();
        assert_eq!(names, Event::NAMES, "one sample per type, in order");
        for event in samples {
            let wire = serde_json::to_value(&event).expect("serializes");
            assert_eq!(wire["type"], event.name());
            assert!(wire["data"].is_object(), "{}: {wire}", event.name());
            let data = serde_json::to_value(event.data()).expect("payload serializes");
            assert_eq!(wire["data"], data, "{}", event.name());
            let back: Event = serde_json::from_value(wire).expect("reads back");
            assert_eq!(back, event);
        }
    }

    /// Names are unique and fit the WebSocket `types` filter (lower case, digits, `_`).
    #[test]
    fn names_are_unique_and_filterable() {
        let unique: BTreeSet<&str> = Event::NAMES.iter().copied().collect();
        assert_eq!(unique.len(), Event::NAMES.len());
        for name in Event::NAMES {
            assert!(
                name.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "{name}"
            );
        }
    }

    /// ARCHITECTURE.md's `- WebSocket events` line names exactly the event types.
    #[test]
    fn architecture_lists_every_event() {
        let doc = include_str!("../../../ARCHITECTURE.md");
        let line = doc
            .lines()
            .find(|line| line.starts_with("- WebSocket events"))
            .expect("ARCHITECTURE.md has a `- WebSocket events` line");
        let listed: BTreeSet<&str> = line
            .split('`')
            .skip(1)
            .step_by(2)
            .filter(|word| word.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
            .collect();
        let names: BTreeSet<&str> = Event::NAMES.iter().copied().collect();
        assert_eq!(
            listed, names,
            "ARCHITECTURE.md's `- WebSocket events` line and Event differ"
        );
    }
}
