//! Group commit: many writers hand their entries to one sequencer thread, which appends all
//! that are waiting in one durable transaction and then answers each writer. Throughput then
//! follows the number of writers instead of being one fsync per entry; no writer hears
//! "appended" before its entry is on disk.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::thread::JoinHandle;

use crate::error::BoardError;

use crate::board::Board;
use crate::note::NoteSigner;
use crate::store::{Entry, Storage};

/// The bytes of entries one transaction takes at most (beyond what one writer hands in).
const MAX_BATCH_BYTES: usize = 64 << 20;

/// Where a writer waits for its first index.
type Reply = SyncSender<Result<u64, String>>;

enum Request {
    Append(Vec<Entry>, Reply),
    Checkpoint(SyncSender<Result<String, String>>),
    Cosignatures(String, SyncSender<Result<Vec<String>, String>>),
}

/// The handle writers share (cheap to clone).
#[derive(Clone)]
pub struct Sequencer {
    tx: Sender<Request>,
    queued: Arc<AtomicUsize>,
}

/// The sequencer's thread; joining it returns the board.
pub struct SequencerThread<S: Storage> {
    handle: JoinHandle<Board<S>>,
}

impl<S: Storage> SequencerThread<S> {
    /// Waits for the thread to finish (after every [`Sequencer`] handle is dropped) and returns
    /// the board.
    pub fn join(self) -> Option<Board<S>> {
        self.handle.join().ok()
    }
}

impl Sequencer {
    /// Starts the sequencer thread over `board`. A batch takes at most `max_batch` entries;
    /// `signer`, if given, lets writers ask for checkpoints between batches.
    pub fn start<S: Storage + Send + 'static>(
        board: Board<S>,
        max_batch: usize,
        signer: Option<NoteSigner>,
    ) -> std::io::Result<(Self, SequencerThread<S>)> {
        let (tx, rx) = mpsc::channel();
        let queued = Arc::new(AtomicUsize::new(0));
        let counter = queued.clone();
        let handle = std::thread::Builder::new()
            .name("board-sequencer".into())
            .spawn(move || run(board, rx, counter, max_batch.max(1), signer))?;
        Ok((Self { tx, queued }, SequencerThread { handle }))
    }

    /// Appends `entries` (as one unit: consecutive indices); returns the first index once they
    /// are durable.
    pub fn append(&self, entries: Vec<Entry>) -> Result<u64, BoardError> {
        let (reply, answer) = mpsc::sync_channel(1);
        let n = entries.len();
        self.queued.fetch_add(n, Ordering::Relaxed);
        if self.tx.send(Request::Append(entries, reply)).is_err() {
            self.queued.fetch_sub(n, Ordering::Relaxed);
            return Err(BoardError::SequencerStopped);
        }
        answer
            .recv()
            .map_err(|_| BoardError::SequencerStopped)?
            .map_err(BoardError::AppendFailed)
    }

    /// The signed checkpoint of everything appended so far.
    pub fn checkpoint(&self) -> Result<String, BoardError> {
        let (reply, answer) = mpsc::sync_channel(1);
        self.tx
            .send(Request::Checkpoint(reply))
            .map_err(|_| BoardError::SequencerStopped)?;
        answer
            .recv()
            .map_err(|_| BoardError::SequencerStopped)?
            .map_err(BoardError::AppendFailed)
    }

    /// Adds the valid cosignatures of the board's witnesses in `note` to its checkpoint (see
    /// [`Board::add_cosignatures`]); returns the witnesses added.
    pub fn add_cosignatures(&self, note: String) -> Result<Vec<String>, BoardError> {
        let (reply, answer) = mpsc::sync_channel(1);
        self.tx
            .send(Request::Cosignatures(note, reply))
            .map_err(|_| BoardError::SequencerStopped)?;
        answer
            .recv()
            .map_err(|_| BoardError::SequencerStopped)?
            .map_err(BoardError::AppendFailed)
    }

    /// Entries waiting to be appended.
    pub fn queue_depth(&self) -> usize {
        self.queued.load(Ordering::Relaxed)
    }
}

fn run<S: Storage>(
    mut board: Board<S>,
    rx: Receiver<Request>,
    queued: Arc<AtomicUsize>,
    max_batch: usize,
    signer: Option<NoteSigner>,
) -> Board<S> {
    // Block for the first request, then take whatever else is already waiting.
    while let Ok(first) = rx.recv() {
        let mut appends: Vec<(Vec<Entry>, Reply)> = Vec::new();
        let mut checkpoints = Vec::new();
        let mut cosignatures = Vec::new();
        let (mut count, mut bytes) = (0, 0);
        let mut next = Some(first);
        while let Some(req) = next.take() {
            match req {
                Request::Append(entries, reply) => {
                    count += entries.len();
                    bytes += entries.iter().map(|e| e.data.len()).sum::<usize>();
                    appends.push((entries, reply));
                }
                Request::Checkpoint(reply) => checkpoints.push(reply),
                Request::Cosignatures(note, reply) => cosignatures.push((note, reply)),
            }
            // A batch is bounded in entries and in bytes (ballots can be large).
            if count < max_batch && bytes < MAX_BATCH_BYTES {
                next = rx.try_recv().ok();
            }
        }
        if !appends.is_empty() {
            let lengths: Vec<u64> = appends.iter().map(|(e, _)| e.len() as u64).collect();
            let batch: Vec<Entry> = appends
                .iter_mut()
                .flat_map(|(e, _)| std::mem::take(e))
                .collect();
            let result = board.append(&batch).map_err(|e| e.to_string());
            queued.fetch_sub(batch.len(), Ordering::Relaxed);
            tracing::debug!(
                entries = batch.len(),
                writers = appends.len(),
                "group commit"
            );
            let mut first = result.clone();
            for ((_, reply), n) in appends.iter().zip(lengths) {
                // A writer that gave up waiting is no reason to stop answering the others.
                let _ = reply.send(first.clone());
                first = first.map(|f| f + n);
            }
        }
        for reply in checkpoints {
            let note = match &signer {
                Some(s) => board.checkpoint(s).map_err(|e: BoardError| e.to_string()),
                None => Err("this sequencer has no signing key".to_owned()),
            };
            let _ = reply.send(note);
        }
        for (note, reply) in cosignatures {
            let _ = reply.send(board.add_cosignatures(&note).map_err(|e| e.to_string()));
        }
    }
    board
}
