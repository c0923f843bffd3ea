//! The bounded backlog: the last N events, so a client that reconnects gets what it
//! missed. Ids in it are contiguous (every published event goes through it, in order),
//! so finding the events after an id is arithmetic, not a search.

use std::collections::VecDeque;
use std::sync::Arc;

use super::Published;

/// What the backlog holds after a given id.
#[derive(Debug, PartialEq)]
pub(super) enum Since {
    /// Every event after the id, oldest first (empty when the client is up to date).
    Replay(Vec<Arc<Published>>),
    /// Some events after the id were already dropped: `missed` of them are gone.
    TooOld { missed: u64 },
    /// The id was never published here (it comes from another run of the server).
    Unknown,
}

/// A ring of the newest events.
pub(super) struct Backlog {
    events: VecDeque<Arc<Published>>,
    capacity: usize,
}

impl Backlog {
    pub(super) fn new(capacity: usize) -> Self {
        Self {
            events: VecDeque::with_capacity(capacity.min(4096)),
            capacity: capacity.max(1),
        }
    }

    /// Appends the next event (its id must follow the newest one), dropping the oldest
    /// when full.
    pub(super) fn push(&mut self, event: Arc<Published>) {
        debug_assert!(
            self.events
                .back()
                .is_none_or(|last| last.id + 1 == event.id)
        );
        if self.events.len() == self.capacity {
            self.events.pop_front();
        }
        self.events.push_back(event);
    }

    /// The events with an id above `last_id`, given that `latest` is the newest id
    /// published so far (0 before the first).
    pub(super) fn since(&self, last_id: u64, latest: u64) -> Since {
        if last_id > latest {
            return Since::Unknown;
        }
        // With nothing held, the next event to be kept is `latest + 1`.
        let oldest = self.events.front().map_or(latest + 1, |e| e.id);
        if last_id + 1 < oldest {
            return Since::TooOld {
                missed: oldest - 1 - last_id,
            };
        }
        let skip = (last_id + 1 - oldest) as usize;
        Since::Replay(self.events.iter().skip(skip).cloned().collect())
    }

    /// Appends an event whose id may not follow the newest one (the relay skipped
    /// entries): the backlog then starts again from it, staying contiguous.
    pub(super) fn push_after_gap(&mut self, event: Arc<Published>) {
        if self
            .events
            .back()
            .is_some_and(|last| last.id + 1 != event.id)
        {
            self.events.clear();
        }
        self.push(event);
    }

    pub(super) fn len(&self) -> usize {
        self.events.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(id: u64) -> Arc<Published> {
        Arc::new(Published {
            id,
            at_ms: 0,
            event: super::super::Event::PluginEnabled(Default::default()),
        })
    }

    fn filled(capacity: usize, count: u64) -> Backlog {
        let mut backlog = Backlog::new(capacity);
        for id in 1..=count {
            backlog.push(event(id));
        }
        backlog
    }

    fn ids(since: Since) -> Vec<u64> {
        match since {
            Since::Replay(events) => events.iter().map(|e| e.id).collect(),
            other => panic!("expected a replay, got {other:?}"),
        }
    }

    #[test]
    fn keeps_only_the_newest() {
        let backlog = filled(4, 10);
        assert_eq!(backlog.len(), 4);
        assert_eq!(ids(backlog.since(6, 10)), [7, 8, 9, 10]);
    }

    #[test]
    fn replays_exactly_what_follows() {
        let check = |capacity: usize, count: u64, last_id: u64, expected: Since| {
            assert_eq!(
                filled(capacity, count).since(last_id, count),
                expected,
                "capacity {capacity}, {count} published, since {last_id}"
            );
        };
        let replay =
            |range: std::ops::RangeInclusive<u64>| Since::Replay(range.map(event).collect());
        let nothing = || Since::Replay(Vec::new());
        check(4, 0, 0, nothing());
        check(4, 3, 0, replay(1..=3));
        check(4, 3, 1, replay(2..=3));
        check(4, 3, 3, nothing());
        check(4, 10, 6, replay(7..=10));
        check(4, 10, 10, nothing());
        check(4, 10, 5, Since::TooOld { missed: 1 });
        check(4, 10, 0, Since::TooOld { missed: 6 });
        check(4, 10, 11, Since::Unknown);
        check(4, 0, 1, Since::Unknown);
    }
}
