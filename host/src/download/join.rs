//! The disk side of a download: one blocking thread receives the bytes of every part
//! fetch and joins the stream while the download runs.
//!
//! The part whose turn it is (every part before it in assembly order is joined) is
//! written straight into `joined` in the work directory; a part that arrives ahead of
//! its turn goes to its own file (`NAME.part`, renamed to `NAME` when whole) and is
//! appended when its turn comes (the kernel copies: `copy_file_range` on Linux), then
//! deleted. Each joined part is a line in the journal. So the stream is whole the
//! moment the last part lands, an in-order download writes each byte once, and the
//! work directory holds at most the parts that arrived early.
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
use super::journal::{JOINED, JournalWriter};
use super::workdir::part_paths;

/// Bytes appended between two background fsyncs of `joined`: small enough that the
/// final fsync of a short download has little left to write, large enough that a long
/// one costs a few dozen journal commits.
const CHECKPOINT_BYTES: u64 = 16 * 1024 * 1024;

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
            flusher,
            plan,
        })
    }

    fn run(mut self, mut receiver: Receiver<Message>) -> Result<Progress, DownloadError> {
        let result = self.serve(&mut receiver);
        // Parts still being written when the fetching stopped: never complete.
        for part in self.writing.keys().copied().collect::<Vec<_>>() {
            let _ = self.abort(part);
        }
        result?;
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
                Message::Data(part, bytes) => self.write(part, &bytes)?,
                Message::Abort(part) => self.abort(part)?,
                Message::Finish(part, saved) => {
                    self.finish(part)?;
                    let _ = saved.send(());
                }
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
        self.abort(part)?;
        let target = if self.is_turn_of(part) {
            Target::Joined(0)
        } else {
            let (_, path) = part_paths(&self.plan.dir, &self.plan.names[part]);
            Target::File(File::create(&path).map_err(|error| io_error(&path, error))?)
        };
        self.writing.insert(part, target);
        Ok(())
    }

    fn write(&mut self, part: usize, bytes: &[u8]) -> Result<(), DownloadError> {
        match self.writing.get_mut(&part) {
            Some(Target::File(file)) => file.write_all(bytes).map_err(|error| {
                let (_, path) = part_paths(&self.plan.dir, &self.plan.names[part]);
                io_error(&path, error)
            }),
            Some(Target::Joined(written)) => {
                *written += bytes.len() as u64;
                self.joined
                    .write_all(bytes)
                    .map_err(|error| io_error(&self.joined_path, error))
            }
            None => Err(DownloadError::Internal(format!(
                "bytes for {} before its start",
                self.plan.names[part]
            ))),
        }
    }

    /// Drops what a try of `part` wrote.
    fn abort(&mut self, part: usize) -> Result<(), DownloadError> {
        match self.writing.remove(&part) {
            Some(Target::File(file)) => {
                drop(file);
                let (_, path) = part_paths(&self.plan.dir, &self.plan.names[part]);
                remove_quietly(&path);
                Ok(())
            }
            Some(Target::Joined(_)) => self.rewind(),
            None => Ok(()),
        }
    }

    /// Cuts `joined` back to its last joined part.
    fn rewind(&mut self) -> Result<(), DownloadError> {
        self.joined
            .set_len(self.end)
            .and_then(|()| self.joined.seek(SeekFrom::Start(self.end)).map(drop))
            .map_err(|error| io_error(&self.joined_path, error))
    }

    fn finish(&mut self, part: usize) -> Result<(), DownloadError> {
        let name = &self.plan.names[part];
        match self.writing.remove(&part) {
            Some(Target::File(file)) => {
                drop(file);
                let (path, partial) = part_paths(&self.plan.dir, name);
                std::fs::rename(&partial, &path).map_err(|error| io_error(&path, error))?;
                self.plan.on_disk[part] = true;
            }
            Some(Target::Joined(0)) | None => {
                return Err(DownloadError::Incomplete {
                    missing: name.clone(),
                });
            }
            Some(Target::Joined(written)) => self.commit(part, written)?,
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
        if self.is_turn_of(part) && matches!(self.writing.get(&part), Some(Target::File(_))) {
            let (_, partial) = part_paths(&self.plan.dir, &self.plan.names[part]);
            let written = self.append(&partial)?;
            remove_quietly(&partial);
            self.writing.insert(part, Target::Joined(written));
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
mod tests {
    use super::super::journal::{JOURNAL, joined_parts};
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .expect("dir")
            .flatten()
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    async fn part(sink: &PartSink, index: usize, tries: &[&'static [u8]]) {
        for (n, bytes) in tries.iter().enumerate() {
            sink.begin(index).await.expect("begin");
            sink.write(index, Bytes::from_static(bytes))
                .await
                .expect("write");
            if n + 1 < tries.len() {
                sink.abort(index).await.expect("abort");
            }
        }
        sink.finish(index).await.expect("finish");
    }

    #[tokio::test]
    async fn parts_in_any_order_and_retries_join_into_the_stream() {
        let dir = tempfile::tempdir().expect("temp dir");
        // init-0 is needed again before seg-2, as when a stream's map changes back.
        let joiner = Joiner::start(Plan {
            dir: dir.path().to_owned(),
            names: ["init-0", "seg-0", "seg-1", "seg-2"]
                .map(String::from)
                .into(),
            order: vec![0, 1, 2, 0, 3],
            committed: 0,
            end: 0,
            on_disk: vec![false; 4],
            checkpoints: true,
        })
        .expect("started");
        let sink = joiner.sink();
        // Early: waits in its own file.
        part(&sink, 2, &[b"bb"]).await;
        assert!(dir.path().join("seg-1").exists());
        // Joined, and kept for its second use.
        part(&sink, 0, &[b"I"]).await;
        assert!(dir.path().join("init-0").exists());
        // Its turn: straight into the stream; the failed try is cut away. Then seg-1
        // and init-0 follow at once.
        part(&sink, 1, &[b"xxxx", b"aa"]).await;
        part(&sink, 3, &[b"cc"]).await;
        drop(sink);
        let Progress::Whole(joined) = joiner.finish().await.expect("joined") else {
            panic!("not whole");
        };
        assert_eq!(std::fs::read(&joined.path).expect("joined"), b"IaabbIcc");
        assert_eq!(
            joined_parts(dir.path()),
            ["init-0", "seg-0", "seg-1", "init-0", "seg-2"]
        );
        assert_eq!(names(dir.path()), [JOINED, JOURNAL], "no part file left");
    }

    #[tokio::test]
    async fn a_part_that_never_came_leaves_the_stream_waiting_for_it() {
        let dir = tempfile::tempdir().expect("temp dir");
        let joiner = Joiner::start(Plan {
            dir: dir.path().to_owned(),
            names: ["seg-0", "seg-1"].map(String::from).into(),
            order: vec![0, 1],
            committed: 0,
            end: 0,
            on_disk: vec![false; 2],
            checkpoints: false,
        })
        .expect("started");
        let sink = joiner.sink();
        part(&sink, 1, &[b"bb"]).await;
        // seg-0 was being fetched when the download stopped.
        sink.begin(0).await.expect("begin");
        sink.write(0, Bytes::from_static(b"a"))
            .await
            .expect("write");
        drop(sink);
        match joiner.finish().await.expect("stopped cleanly") {
            Progress::Waiting { next } => assert_eq!(next, "seg-0"),
            Progress::Whole(_) => panic!("whole without seg-0"),
        }
        assert_eq!(std::fs::read(dir.path().join(JOINED)).expect("joined"), b"");
        assert_eq!(names(dir.path()), [JOINED, JOURNAL, "seg-1"]);
    }
}
