//! The joiner's tests: parts in any order, retries, parts held in memory or in files.

use futures_util::FutureExt as _;

use super::super::held::HELD_BYTES;
use super::super::journal::{JOURNAL, joined_parts};
use super::*;

fn plan(dir: &Path, names: &[&str], order: Vec<usize>, held: &HeldBudget) -> Plan {
    Plan {
        dir: dir.to_owned(),
        names: names.iter().map(|&name| name.to_owned()).collect(),
        order,
        committed: 0,
        end: 0,
        on_disk: vec![false; names.len()],
        checkpoints: true,
        held: held.clone(),
    }
}

/// Begins and writes part `index`, then asks to finish it: the finish, polled once
/// (its message is sent) and not answered yet, as for a part ahead of its turn.
async fn finish_later<'a>(
    sink: &'a PartSink,
    index: usize,
    bytes: &'static [u8],
) -> std::pin::Pin<Box<impl Future<Output = Result<(), Stopped>> + 'a>> {
    sink.begin(index).await.expect("begin");
    sink.write(index, Bytes::from_static(bytes))
        .await
        .expect("write");
    let mut finishing = Box::pin(sink.finish(index));
    assert!(
        (&mut finishing).now_or_never().is_none(),
        "an early part in memory is saved only at its turn"
    );
    finishing
}

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
    let budget = HeldBudget::default();
    // init-0 is needed again before seg-2, as when a stream's map changes back.
    let parts = ["init-0", "seg-0", "seg-1", "seg-2"];
    let joiner =
        Joiner::start(plan(dir.path(), &parts, vec![0, 1, 2, 0, 3], &budget)).expect("started");
    let sink = joiner.sink();
    // Early: waits in memory, its fetch not told it is saved.
    let mut early = finish_later(&sink, 2, b"bb").await;
    // Joined, and kept in its own file for its second use (the joiner has read every
    // message before this part's finish, seg-1's too).
    part(&sink, 0, &[b"I"]).await;
    assert!(dir.path().join("init-0").exists());
    assert!(
        !dir.path().join("seg-1").exists() && !dir.path().join("seg-1.part").exists(),
        "seg-1 is in no file"
    );
    assert_eq!(budget.held(), 2);
    assert!((&mut early).now_or_never().is_none(), "seg-1 waits");
    // Its turn: straight into the stream. Its failed try stops the holding: seg-1
    // goes to its file (its fetch is told it is saved), appended after seg-0's
    // second try, and init-0 follows at once.
    part(&sink, 1, &[b"xxxx", b"aa"]).await;
    early.await.expect("seg-1 saved once a try failed");
    assert_eq!(budget.held(), 0);
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
    let budget = HeldBudget::default();
    let joiner =
        Joiner::start(plan(dir.path(), &["seg-0", "seg-1"], vec![0, 1], &budget)).expect("started");
    let sink = joiner.sink();
    let early = finish_later(&sink, 1, b"bb").await;
    // seg-0 was being fetched when the download stopped: the fetches are dropped, and
    // seg-1, whole in memory, is kept in its file for a resume.
    sink.begin(0).await.expect("begin");
    sink.write(0, Bytes::from_static(b"a"))
        .await
        .expect("write");
    drop(early);
    drop(sink);
    match joiner.finish().await.expect("stopped cleanly") {
        Progress::Waiting { next } => assert_eq!(next, "seg-0"),
        Progress::Whole(_) => panic!("whole without seg-0"),
    }
    assert_eq!(std::fs::read(dir.path().join(JOINED)).expect("joined"), b"");
    assert_eq!(names(dir.path()), [JOINED, JOURNAL, "seg-1"]);
    assert_eq!(
        std::fs::read(dir.path().join("seg-1")).expect("seg-1"),
        b"bb"
    );
    assert_eq!(budget.held(), 0);
}

#[tokio::test]
async fn early_parts_past_the_memory_budget_wait_in_their_files() {
    let dir = tempfile::tempdir().expect("temp dir");
    let budget = HeldBudget::default();
    // Another track holds all but one byte: seg-1 starts in memory, then moves to its
    // file with its first chunk, and its fetch is told at once that it is saved.
    assert!(budget.take(HELD_BYTES - 1));
    let joiner =
        Joiner::start(plan(dir.path(), &["seg-0", "seg-1"], vec![0, 1], &budget)).expect("started");
    let sink = joiner.sink();
    part(&sink, 1, &[b"bb"]).await;
    assert_eq!(
        std::fs::read(dir.path().join("seg-1")).expect("seg-1"),
        b"bb"
    );
    budget.give_back(HELD_BYTES - 1);
    part(&sink, 0, &[b"aa"]).await;
    drop(sink);
    let Progress::Whole(joined) = joiner.finish().await.expect("joined") else {
        panic!("not whole");
    };
    assert_eq!(std::fs::read(&joined.path).expect("joined"), b"aabb");
    assert_eq!(names(dir.path()), [JOINED, JOURNAL], "no part file left");
    assert_eq!(budget.held(), 0);
}
