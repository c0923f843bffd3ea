//! The event relay: what this host publishes goes to the Redis stream (numbered there,
//! one sequence for every host), and what the stream holds comes back to this host's
//! bus in the stream's order, so every host's clients see the same events with the
//! same ids, and a client can reconnect to any host and replay what it missed.
//!
//! While Redis cannot be used the bus delivers locally under a boot id of its own
//! (clients resync when it changes), and the relay reconnects every second; once back,
//! the bus takes the stream's epoch, ids and recent events again. The order is the
//! order in which events reached Redis: one host's events keep their order, and events
//! of different hosts are ordered as they arrived, not by cause.

use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::streams::{StreamId, StreamRangeReply, StreamReadReply};
use redis::{AsyncConnectionConfig, FromRedisValue, Script, Value};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::{Health, Keys};
use crate::events::{BACKLOG, Delivered, EventBus, Published, Unnumbered};

/// How long one XREAD waits for new entries before asking again.
const READ_BLOCK: Duration = Duration::from_secs(5);
/// The deadline of any other command.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(3);
/// Pause between reconnection attempts while Redis is down.
const RECONNECT_PAUSE: Duration = Duration::from_secs(1);
/// Entries read at once.
const READ_COUNT: usize = 512;
/// Events appended in one round trip, when several wait.
const WRITE_BATCH: usize = 64;

/// Numbers events and appends them, in one step, so the stream's order is the ids'.
/// Refused when the epoch is not the one the host attached to (Redis lost the stream,
/// or another host started a new one): the host then reconnects.
const APPEND: &str = r"
if redis.call('GET', KEYS[3]) ~= ARGV[2] then
  return redis.error_reply('KURAEPOCH the event stream was reset')
end
local n = 0
for i = 3, #ARGV do
  n = redis.call('INCR', KEYS[1])
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[1], '*', 'n', n, 'e', ARGV[i])
end
return n
";

/// The stream's epoch (made on first use), its last id and its newest entries, read at
/// one instant. When the epoch is the one this host knew but the sequence is below the
/// newest id it saw, Redis went back in time (a restore): a new epoch is made, so no
/// client is replayed ids that now mean other events.
const SNAPSHOT: &str = r"
redis.call('SET', KEYS[1], ARGV[1], 'NX')
local epoch = redis.call('GET', KEYS[1])
local seq = tonumber(redis.call('GET', KEYS[2]) or '0')
if epoch == ARGV[3] and seq < tonumber(ARGV[4]) then
  redis.call('SET', KEYS[1], ARGV[1])
  epoch = ARGV[1]
end
local entries = redis.call('XREVRANGE', KEYS[3], '+', '-', 'COUNT', ARGV[2])
return {epoch, seq, entries}
";

/// The relay of one host.
pub(super) struct Relay {
    pub(super) client: redis::Client,
    pub(super) keys: Keys,
    pub(super) bus: EventBus,
    pub(super) stream_length: usize,
    pub(super) health: Health,
}

/// Why a connected relay stopped.
enum Stop {
    Shutdown,
    Failed(String),
}

/// A connected relay's two connections, its epoch, and where its reader goes on from.
struct Session {
    writer: MultiplexedConnection,
    reader: MultiplexedConnection,
    epoch: String,
    cursor: String,
}

impl Relay {
    /// Relays until `shutdown`, reconnecting after every failure.
    pub(super) async fn run(self, shutdown: CancellationToken) {
        let (outlet, mut outbox) = mpsc::unbounded_channel::<Unnumbered>();
        self.bus.set_outlet(outlet);
        let mut warned = false;
        // The epoch and newest id this host last saw, to notice Redis going back.
        let mut known: Option<(String, u64)> = None;
        // Events taken from the outbox and not yet known to be in Redis.
        let mut in_flight: Vec<Unnumbered> = Vec::new();
        loop {
            let stop = match self.connect(known.as_ref()).await {
                Ok(session) => {
                    if warned {
                        tracing::info!("Redis answers again: events fan out to every host");
                    }
                    warned = false;
                    self.health.up();
                    let Session {
                        writer,
                        reader,
                        epoch,
                        cursor,
                    } = session;
                    let stop = tokio::select! {
                        stop = self.write(writer, &epoch, &mut outbox, &mut in_flight) => stop,
                        stop = self.read(reader, cursor) => stop,
                        () = shutdown.cancelled() => Stop::Shutdown,
                    };
                    known = Some(self.bus.position());
                    stop
                }
                Err(reason) => Stop::Failed(reason),
            };
            // Whatever was on its way to Redis is delivered here instead, in order,
            // before anything published from now on.
            self.bus.detach(std::mem::take(&mut in_flight), &mut outbox);
            match stop {
                Stop::Shutdown => return,
                Stop::Failed(reason) => {
                    if !warned {
                        tracing::warn!(
                            %reason,
                            "Redis cannot be used: events reach this host's clients only"
                        );
                        warned = true;
                    }
                    self.health.down(reason);
                }
            }
            tokio::select! {
                () = tokio::time::sleep(RECONNECT_PAUSE) => {}
                () = shutdown.cancelled() => return,
            }
        }
    }

    /// Two connections (the reader's blocks) and the bus attached to the stream.
    async fn connect(&self, known: Option<&(String, u64)>) -> Result<Session, String> {
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(COMMAND_TIMEOUT))
            .set_response_timeout(Some(COMMAND_TIMEOUT));
        let mut writer = self
            .client
            .get_multiplexed_async_connection_with_config(&config)
            .await
            .map_err(|error| error.to_string())?;
        let reader_config = config.set_response_timeout(Some(READ_BLOCK + COMMAND_TIMEOUT));
        let reader = self
            .client
            .get_multiplexed_async_connection_with_config(&reader_config)
            .await
            .map_err(|error| error.to_string())?;
        let mut fresh_epoch = [0u8; 8];
        getrandom::fill(&mut fresh_epoch).map_err(|error| error.to_string())?;
        let (known_epoch, known_latest) = known.cloned().unwrap_or_default();
        let snapshot: Value = Script::new(SNAPSHOT)
            .key(&self.keys.epoch)
            .key(&self.keys.seq)
            .key(&self.keys.events)
            .arg(hex::encode(fresh_epoch))
            .arg(self.stream_length.min(BACKLOG))
            .arg(known_epoch)
            .arg(known_latest)
            .invoke_async(&mut writer)
            .await
            .map_err(|error| error.to_string())?;
        let (epoch, seq, entries) = parse_snapshot(snapshot)?;
        let cursor = entries
            .first()
            .map_or_else(|| "0-0".to_owned(), |entry| entry.id.clone());
        let mut recent: Vec<Published> = entries.iter().filter_map(published).collect();
        recent.reverse();
        self.bus.attach(&epoch, seq, recent);
        Ok(Session {
            writer,
            reader,
            epoch,
            cursor,
        })
    }

    /// Appends what this host publishes, several events per round trip when several
    /// wait, until a command fails. `in_flight` holds what is being appended, so that
    /// what a failure (or the reader's) leaves unwritten is not lost.
    async fn write(
        &self,
        mut connection: MultiplexedConnection,
        epoch: &str,
        outbox: &mut mpsc::UnboundedReceiver<Unnumbered>,
        in_flight: &mut Vec<Unnumbered>,
    ) -> Stop {
        let append = Script::new(APPEND);
        loop {
            if in_flight.is_empty() {
                match outbox.recv().await {
                    Some(event) => in_flight.push(event),
                    None => return Stop::Shutdown,
                }
            }
            while in_flight.len() < WRITE_BATCH {
                match outbox.try_recv() {
                    Ok(event) => in_flight.push(event),
                    Err(_) => break,
                }
            }
            let mut invocation = append.key(&self.keys.seq);
            invocation
                .key(&self.keys.events)
                .key(&self.keys.epoch)
                .arg(self.stream_length)
                .arg(epoch);
            for event in in_flight.iter() {
                match serde_json::to_string(event) {
                    Ok(json) => {
                        invocation.arg(json);
                    }
                    Err(error) => tracing::error!(%error, "an event could not be written as JSON"),
                }
            }
            let appended: Result<u64, _> = invocation.invoke_async(&mut connection).await;
            match appended {
                Ok(_) => in_flight.clear(),
                Err(error) => return Stop::Failed(error.to_string()),
            }
        }
    }

    /// Delivers the stream's new entries to the bus, in order, until a command fails or
    /// the stream goes back.
    async fn read(&self, mut connection: MultiplexedConnection, mut cursor: String) -> Stop {
        loop {
            let reply: Result<Option<StreamReadReply>, _> = redis::cmd("XREAD")
                .arg("COUNT")
                .arg(READ_COUNT)
                .arg("BLOCK")
                .arg(READ_BLOCK.as_millis() as u64)
                .arg("STREAMS")
                .arg(&self.keys.events)
                .arg(&cursor)
                .query_async(&mut connection)
                .await;
            let reply = match reply {
                Ok(reply) => reply,
                Err(error) => return Stop::Failed(error.to_string()),
            };
            let entries = reply
                .into_iter()
                .flat_map(|reply| reply.keys)
                .flat_map(|key| key.ids);
            for entry in entries {
                if let Some(event) = published(&entry)
                    && self.bus.deliver(event) == Delivered::Old
                {
                    return Stop::Failed("the event stream went back: Redis lost it".to_owned());
                }
                cursor = entry.id;
            }
        }
    }
}

/// The epoch, the last id and the newest entries (newest first) of [`SNAPSHOT`].
fn parse_snapshot(value: Value) -> Result<(String, u64, Vec<StreamId>), String> {
    let Value::Array(parts) = value else {
        return Err(format!("unexpected snapshot from Redis: {value:?}"));
    };
    let [epoch, seq, entries]: [Value; 3] = parts
        .try_into()
        .map_err(|parts| format!("unexpected snapshot from Redis: {parts:?}"))?;
    let epoch = String::from_redis_value(epoch).map_err(|error| error.to_string())?;
    let seq = u64::from_redis_value(seq).map_err(|error| error.to_string())?;
    let entries = StreamRangeReply::from_redis_value(entries).map_err(|error| error.to_string())?;
    Ok((epoch, seq, entries.ids))
}

/// The event of a stream entry; `None` (and a warning) for one this host cannot read,
/// such as a newer host's event type. Its id is then missing here: the bus treats the
/// next one as after a gap, and live clients resync.
fn published(entry: &StreamId) -> Option<Published> {
    let id: u64 = entry.get("n")?;
    let json: String = entry.get("e")?;
    match serde_json::from_str::<Unnumbered>(&json) {
        Ok(unnumbered) => Some(unnumbered.numbered(id)),
        Err(error) => {
            tracing::warn!(id, %error, "an event from another host could not be read");
            None
        }
    }
}
