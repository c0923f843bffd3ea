//! The disk side of a download: one blocking thread receives the bytes of every part
//! fetch and joins the stream while the download runs.
//!
//! The part whose turn it is (every part before it in assembly order is joined) is
//! written straight into `joined` in the work directory. A part that arrives ahead of
//! its turn waits in memory while the early parts held there stay within
//! [`super::held::HELD_BYTES`], and is written into `joined` when its turn comes: its
//! fetch is told the part is saved only then, so it keeps its place among the requests
//! in flight (a process killed meanwhile loses no more than the parts in flight). Past
//! that budget, once a try of any part failed (the part at the turn may then wait long,
//! for a retry or a fresh URL) or when the fetching stops, early parts go to their own
//! files (`NAME.part`, renamed to `NAME` when whole), appended when their turn comes
//! (the kernel copies: `copy_file_range` on Linux), then deleted. Each joined part is a
//! line in the journal. So the stream is whole the moment the last part lands, and most
//! bytes are written once, even when the parts read at once finish in any order.
//!
//! When `joined` itself becomes the published file, a second thread fsyncs it every
//! [`CHECKPOINT_BYTES`] while the download goes on, so the disk writes overlap the
//! network and the final fsync has little left to do; each completed fsync is a
//! `synced` mark in the journal, what a resume trusts after the machine restarted.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{Seek, SeekFrom, Write as _};
use std::path::{Path, PathBuf};

use bytes::Bytes;
use tokio::sync::mpsc::{Receiver, Sender};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::DownloadError;
use super::error::io_error;
use super::flusher::Flusher;
use super::held::{Held, HeldBudget, Waiting, write_chunks};
use super::journal::{JOINED, JournalWriter};
use super::workdir::part_paths;

/// Bytes appended before the next background fsync of `joined` is asked for: small, so
/// the disk starts writing soon after the first bytes arrive and the final fsync has
/// little left (a 21 MB stream on this machine's disk, about 1 GB/s: its first fsync at
/// 16 MiB took 8.8 ms, and the final one waited for it). A request made while an fsync
/// runs waits for it and covers all written by then, so a fast download costs one fsync
/// per disk write of several MiB, and a slow one one per MiB.
const CHECKPOINT_BYTES: u64 = 1024 * 1024;

/// Messages waiting for the disk thread at most: bounds the memory of chunks received
/// faster than the disk takes them.
const QUEUE: usize = 4;

/// What the joiner needs to know of the stream and the work directory.
pub(crate) struct Plan {
    pub(crate) dir: PathBuf,
    /// Part file names, by part index.
    pub(crate) names: Vec<String>,
    /// Part indices in assembly order.
    pub(crate) order: Vec<usize>,
    /// Assembly positions already in `joined` (from the journal).
    pub(crate) committed: usize,
    /// Where `joined` ends now.
    pub(crate) end: u64,
    /// Parts whose files are complete in the work directory, by part index.
    pub(crate) on_disk: Vec<bool>,
    /// Fsync `joined` in the background as it grows (it will be published as it is).
    pub(crate) checkpoints: bool,
    /// The memory early parts may take, shared with the download's other tracks.
    pub(crate) held: HeldBudget,
}

/// Each part's last assembly position (`None`: never needed), for `parts` parts joined
/// in `order`: a part's file is kept until then.
pub(crate) fn last_uses(order: &[usize], parts: usize) -> Vec<Option<usize>> {
    let mut last = vec![None; parts];
    for (position, &index) in order.iter().enumerate() {
        last[index] = Some(position);
    }
    last
}

/// The joined stream, once every part was appended.
#[derive(Debug)]
pub(crate) struct Joined {
    pub(crate) path: PathBuf,
}

/// How far the joiner got.
#[derive(Debug)]
pub(crate) enum Progress {
    /// Every part is in the stream.
    Whole(Joined),
    /// The part whose turn it was never arrived (the fetching stopped early).
    Waiting { next: String },
}

/// What a part fetch tells the disk thread.
#[derive(Debug)]
enum Message {
    /// A try of the part starts: its earlier bytes, if any, are gone.
    Begin(usize),
    Data(usize, Bytes),
    /// The try failed: drop what it wrote.
    Abort(usize),
    /// The part is whole; answered once it is saved (joined, or in its own file).
    Finish(usize, oneshot::Sender<()>),
}

/// The running joiner.
pub(crate) struct Joiner {
    sender: Sender<Message>,
    thread: JoinHandle<Result<Progress, DownloadError>>,
    failed: CancellationToken,
}

/// The disk thread has stopped (its error is what [`Joiner::finish`] returns).
#[derive(Debug)]
pub(crate) struct Stopped;

/// A part fetch's handle on the disk thread.
#[derive(Clone)]
pub(crate) struct PartSink {
    sender: Sender<Message>,
}

impl PartSink {
    pub(crate) async fn begin(&self, part: usize) -> Result<(), Stopped> {
        self.send(Message::Begin(part)).await
    }

    pub(crate) async fn write(&self, part: usize, bytes: Bytes) -> Result<(), Stopped> {
        self.send(Message::Data(part, bytes)).await
    }

    pub(crate) async fn abort(&self, part: usize) -> Result<(), Stopped> {
        self.send(Message::Abort(part)).await
    }

    /// Returns once the part is saved, so a part whose fetch has ended survives the
    /// process dying.
    pub(crate) async fn finish(&self, part: usize) -> Result<(), Stopped> {
        let (saved, answer) = oneshot::channel();
        self.send(Message::Finish(part, saved)).await?;
        answer.await.map_err(|_| Stopped)
    }

    async fn send(&self, message: Message) -> Result<(), Stopped> {
        self.sender.send(message).await.map_err(|_| Stopped)
    }
}

impl Joiner {
    /// Opens `joined` and the journal and starts joining, the parts already on disk first.
    pub(crate) fn start(plan: Plan) -> Result<Self, DownloadError> {
        let state = State::open(plan)?;
        let (sender, receiver) = tokio::sync::mpsc::channel(QUEUE);
        let failed = CancellationToken::new();
        let on_failure = failed.clone();
        let thread = tokio::task::spawn_blocking(move || {
            let result = state.run(receiver);
            if result.is_err() {
                on_failure.cancel();
            }
            result
        });
        Ok(Self {
            sender,
            thread,
            failed,
        })
    }

    /// Where part fetches send their bytes.
    pub(crate) fn sink(&self) -> PartSink {
        PartSink {
            sender: self.sender.clone(),
        }
    }

    /// Cancelled when the disk thread stopped on an error (disk full, a missing part).
    pub(crate) fn failed(&self) -> CancellationToken {
        self.failed.clone()
    }

    /// Waits, once every sink is dropped, for the thread to join what it can.
    pub(crate) async fn finish(self) -> Result<Progress, DownloadError> {
        drop(self.sender);
        self.thread
            .await
            .map_err(|error| DownloadError::Internal(format!("join thread: {error}")))?
    }
}

/// Where the bytes of a part being fetched go.
enum Target {
    /// Its own file, `NAME.part`.
    File(File),
    /// Straight into `joined`, after `end`: it is the part whose turn it is. Holds the
    /// bytes written so far.
    Joined(u64),
    /// In memory, ahead of its turn.
    Held(Held),
}

/// The disk thread's state.
struct State {
    plan: Plan,
    /// Each part's last assembly position: its file is deleted after that one.
    last_use: Vec<Option<usize>>,
    cursor: usize,
    /// Where `joined` ends after the last joined part.
    end: u64,
    joined: File,
    joined_path: PathBuf,
    journal: JournalWriter,
    writing: HashMap<usize, Target>,
    /// Whole parts held in memory until their turn.
    waiting: HashMap<usize, Waiting>,
    /// Parts with one use in the stream (only those are held: one needed again later,
    /// an init section, keeps its own file).
    single_use: Vec<bool>,
    /// Early parts may wait in memory: until a try of any part fails. Then the part at
    /// the turn may be held up for long (a retry's backoff, or a fresh URL, which is
    /// asked for only once no fetch is running), and a fetch waiting for it would keep
    /// its place in flight all that time, or for ever.
    holding: bool,
    flusher: Option<Flusher>,
    /// `end` when the last checkpoint was asked for.
    checkpointed: u64,
    /// The last `synced` mark written.
    synced_mark: u64,
}

impl State {
    fn open(plan: Plan) -> Result<Self, DownloadError> {
        let joined_path = plan.dir.join(JOINED);
        let mut joined = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .open(&joined_path)
            .map_err(|error| io_error(&joined_path, error))?;
        joined
            .seek(SeekFrom::Start(plan.end))
            .map_err(|error| io_error(&joined_path, error))?;
        let last_use = last_uses(&plan.order, plan.names.len());
        let mut uses = vec![0usize; plan.names.len()];
        for &index in &plan.order {
            uses[index] += 1;
        }
        // Files of parts joined for the last time (the process died before deleting).
        for (index, name) in plan.names.iter().enumerate() {
            if plan.on_disk[index] && last_use[index].is_none_or(|last| last < plan.committed) {
                remove_quietly(&plan.dir.join(name));
            }
        }
        let flusher = if plan.checkpoints {
            Some(Flusher::start(&joined, &joined_path)?)
        } else {
            None
        };
        Ok(Self {
            journal: JournalWriter::open(&plan.dir)?,
            cursor: plan.committed,
            end: plan.end,
            checkpointed: plan.end,
            synced_mark: 0,
            last_use,
            joined,
            joined_path,
            writing: HashMap::new(),
            waiting: HashMap::new(),
            single_use: uses.iter().map(|&n| n == 1).collect(),
            holding: true,
            flusher,
            plan,
        })
    }

    fn run(mut self, mut receiver: Receiver<Message>) -> Result<Progress, DownloadError> {
        let result = self.serve(&mut receiver);
        // Parts still being written when the fetching stopped: never complete.
        for part in self.writing.keys().copied().collect::<Vec<_>>() {
            let _ = self.drop_try(part);
        }
        // Whole parts in memory are kept in their files for a resume.
        let spilled = self.spill_waiting();
        // What a failed spill left in memory goes back to the download's budget.
        for (_, waiting) in self.waiting.drain() {
            self.plan.held.give_back(waiting.held.bytes);
        }
        result?;
        spilled?;
        if let Some(flusher) = self.flusher.take() {
            let synced = flusher.stop();
            self.mark_synced(synced)?;
        }
        if let Some(&index) = self.plan.order.get(self.cursor) {
            return Ok(Progress::Waiting {
                next: self.plan.names[index].clone(),
            });
        }
        Ok(Progress::Whole(Joined {
            path: self.joined_path,
        }))
    }

    fn serve(&mut self, receiver: &mut Receiver<Message>) -> Result<(), DownloadError> {
        self.advance()?;
        while let Some(message) = receiver.blocking_recv() {
            match message {
                Message::Begin(part) => self.begin(part)?,
                Message::Data(part, bytes) => self.write(part, bytes)?,
                Message::Abort(part) => self.abort(part)?,
                Message::Finish(part, saved) => self.finish(part, saved)?,
            }
        }
        Ok(())
    }

    /// The part at the cursor, when this is its last use (a part needed again later,
    /// an init section, keeps its own file).
    fn is_turn_of(&self, part: usize) -> bool {
        self.plan.order.get(self.cursor) == Some(&part) && self.last_use[part] == Some(self.cursor)
    }

    fn begin(&mut self, part: usize) -> Result<(), DownloadError> {
        self.drop_try(part)?;
        let target = if self.is_turn_of(part) {
            Target::Joined(0)
        } else if self.holding && self.single_use[part] && self.plan.held.has_room() {
            Target::Held(Held::default())
        } else {
            Target::File(self.create_part_file(part)?)
        };
        self.writing.insert(part, target);
        Ok(())
    }

    fn write(&mut self, part: usize, bytes: Bytes) -> Result<(), DownloadError> {
        let length = bytes.len() as u64;
        if matches!(self.writing.get(&part), Some(Target::Held(_))) && !self.plan.held.take(length)
        {
            self.spill_writing(part)?;
        }
        match self.writing.get_mut(&part) {
            Some(Target::File(file)) => file.write_all(&bytes).map_err(|error| {
                let (_, path) = part_paths(&self.plan.dir, &self.plan.names[part]);
                io_error(&path, error)
            }),
            Some(Target::Joined(written)) => {
                *written += length;
                self.joined
                    .write_all(&bytes)
                    .map_err(|error| io_error(&self.joined_path, error))
            }
            Some(Target::Held(held)) => {
                held.bytes += length;
                held.chunks.push(bytes);
                Ok(())
            }
            None => Err(DownloadError::Internal(format!(
                "bytes for {} before its start",
                self.plan.names[part]
            ))),
        }
    }

    /// A try of `part` failed (perhaps before it wrote anything): what it wrote is
    /// dropped. A failed try means trouble at the site: from now on early parts go to
    /// their files, the whole ones in memory first, so that their fetches end and free
    /// their places (see `holding`).
    fn abort(&mut self, part: usize) -> Result<(), DownloadError> {
        self.drop_try(part)?;
        self.holding = false;
        self.spill_waiting()
    }

    /// Drops what the last try of `part` wrote.
    fn drop_try(&mut self, part: usize) -> Result<(), DownloadError> {
        match self.writing.remove(&part) {
            Some(Target::File(file)) => {
                drop(file);
                let (_, path) = part_paths(&self.plan.dir, &self.plan.names[part]);
                remove_quietly(&path);
                Ok(())
            }
            Some(Target::Joined(_)) => self.rewind(),
            Some(Target::Held(held)) => {
                self.plan.held.give_back(held.bytes);
                Ok(())
            }
            None => Ok(()),
        }
    }

    fn create_part_file(&self, part: usize) -> Result<File, DownloadError> {
        let (_, path) = part_paths(&self.plan.dir, &self.plan.names[part]);
        File::create(&path).map_err(|error| io_error(&path, error))
    }

    /// Gives `held`'s memory back and writes its bytes to `part`'s own file (`.part`),
    /// which is returned open at its end.
    fn held_to_file(&mut self, part: usize, held: &Held) -> Result<File, DownloadError> {
        self.plan.held.give_back(held.bytes);
        let mut file = self.create_part_file(part)?;
        write_chunks(&mut file, &held.chunks).map_err(|error| {
            let (_, partial) = part_paths(&self.plan.dir, &self.plan.names[part]);
            io_error(&partial, error)
        })?;
        Ok(file)
    }

    /// Gives `held`'s memory back and appends its bytes to `joined`.
    fn held_to_joined(&mut self, held: &Held) -> Result<(), DownloadError> {
        self.plan.held.give_back(held.bytes);
        write_chunks(&mut self.joined, &held.chunks)
            .map_err(|error| io_error(&self.joined_path, error))
    }

    /// Moves the bytes of `part`, being written in memory, to its own file to go on there.
    fn spill_writing(&mut self, part: usize) -> Result<(), DownloadError> {
        let Some(Target::Held(held)) = self.writing.remove(&part) else {
            return Ok(());
        };
        let file = self.held_to_file(part, &held)?;
        self.writing.insert(part, Target::File(file));
        Ok(())
    }

    /// Saves every whole part held in memory in its own file, and tells its fetch.
    fn spill_waiting(&mut self) -> Result<(), DownloadError> {
        let mut parts: Vec<usize> = self.waiting.keys().copied().collect();
        parts.sort_unstable();
        for part in parts {
            let Some(waiting) = self.waiting.remove(&part) else {
                continue;
            };
            drop(self.held_to_file(part, &waiting.held)?);
            let (path, partial) = part_paths(&self.plan.dir, &self.plan.names[part]);
            std::fs::rename(&partial, &path).map_err(|error| io_error(&path, error))?;
            self.plan.on_disk[part] = true;
            let _ = waiting.saved.send(());
        }
        Ok(())
    }

    /// Cuts `joined` back to its last joined part.
    fn rewind(&mut self) -> Result<(), DownloadError> {
        self.joined
            .set_len(self.end)
            .and_then(|()| self.joined.seek(SeekFrom::Start(self.end)).map(drop))
            .map_err(|error| io_error(&self.joined_path, error))
    }

    /// The part is whole: `saved` is answered once it is joined or in its own file.
    fn finish(&mut self, part: usize, saved: oneshot::Sender<()>) -> Result<(), DownloadError> {
        let name = &self.plan.names[part];
        match self.writing.remove(&part) {
            Some(Target::File(file)) => {
                drop(file);
                let (path, partial) = part_paths(&self.plan.dir, name);
                std::fs::rename(&partial, &path).map_err(|error| io_error(&path, error))?;
                self.plan.on_disk[part] = true;
                let _ = saved.send(());
            }
            Some(Target::Joined(0)) | None => {
                return Err(DownloadError::Incomplete {
                    missing: name.clone(),
                });
            }
            Some(Target::Held(held)) if held.bytes == 0 => {
                return Err(DownloadError::Incomplete {
                    missing: name.clone(),
                });
            }
            Some(Target::Joined(written)) => {
                self.commit(part, written)?;
                let _ = saved.send(());
            }
            Some(Target::Held(held)) => {
                self.waiting.insert(part, Waiting { held, saved });
                if !self.holding {
                    // Begun before a try failed; its turn may be far now.
                    self.spill_waiting()?;
                }
            }
        }
        self.advance()
    }

    /// Records the part at the cursor, `written` bytes long, as joined.
    fn commit(&mut self, part: usize, written: u64) -> Result<(), DownloadError> {
        self.end += written;
        self.journal.part(&self.plan.names[part], self.end)?;
        self.cursor += 1;
        self.checkpoint()
    }

    /// Appends every part on disk whose turn has come; then, when the part whose turn it
    /// is is being fetched into its own file, moves it into `joined` to go on there.
    fn advance(&mut self) -> Result<(), DownloadError> {
        while let Some(&part) = self.plan.order.get(self.cursor) {
            if let Some(waiting) = self.waiting.remove(&part) {
                self.held_to_joined(&waiting.held)?;
                self.commit(part, waiting.held.bytes)?;
                let _ = waiting.saved.send(());
                continue;
            }
            if !self.plan.on_disk[part] {
                break;
            }
            let (path, _) = part_paths(&self.plan.dir, &self.plan.names[part]);
            let copied = self.append(&path)?;
            if copied == 0 {
                return Err(DownloadError::Incomplete {
                    missing: self.plan.names[part].clone(),
                });
            }
            if self.last_use[part] == Some(self.cursor) {
                remove_quietly(&path);
            }
            self.commit(part, copied)?;
        }
        let Some(&part) = self.plan.order.get(self.cursor) else {
            return Ok(());
        };
        if !self.is_turn_of(part) {
            return Ok(());
        }
        match self.writing.remove(&part) {
            Some(Target::File(file)) => {
                drop(file);
                let (_, partial) = part_paths(&self.plan.dir, &self.plan.names[part]);
                let written = self.append(&partial)?;
                remove_quietly(&partial);
                self.writing.insert(part, Target::Joined(written));
            }
            Some(Target::Held(held)) => {
                self.held_to_joined(&held)?;
                self.writing.insert(part, Target::Joined(held.bytes));
            }
            Some(other) => {
                self.writing.insert(part, other);
            }
            None => {}
        }
        Ok(())
    }

    /// Copies the file at `path` to the end of `joined`; the bytes copied.
    fn append(&mut self, path: &Path) -> Result<u64, DownloadError> {
        let mut input = File::open(path).map_err(|error| match error.kind() {
            std::io::ErrorKind::NotFound => DownloadError::Incomplete {
                missing: path
                    .file_name()
                    .map(|name| name.to_string_lossy().into_owned())
                    .unwrap_or_default(),
            },
            _ => io_error(path, error),
        })?;
        std::io::copy(&mut input, &mut self.joined)
            .map_err(|error| io_error(&self.joined_path, error))
    }

    /// Asks for a background fsync every [`CHECKPOINT_BYTES`]; records finished ones.
    fn checkpoint(&mut self) -> Result<(), DownloadError> {
        let Some(flusher) = &self.flusher else {
            return Ok(());
        };
        if self.end - self.checkpointed >= CHECKPOINT_BYTES && flusher.request(self.end) {
            self.checkpointed = self.end;
        }
        let synced = flusher.synced();
        self.mark_synced(synced)
    }

    /// Writes a `synced` mark when an fsync got further than the last mark.
    fn mark_synced(&mut self, synced: u64) -> Result<(), DownloadError> {
        if synced > self.synced_mark {
            self.synced_mark = synced;
            self.journal.synced(synced)?;
        }
        Ok(())
    }
}

fn remove_quietly(path: &Path) {
    if let Err(error) = std::fs::remove_file(path)
        && error.kind() != std::io::ErrorKind::NotFound
    {
        tracing::warn!(path = %path.display(), %error, "cannot remove a part file");
    }
}

#[cfg(test)]
mod tests;
