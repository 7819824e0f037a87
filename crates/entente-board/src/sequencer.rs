//! Group commit: many writers hand their entries to one sequencer thread, which appends all
//! that are waiting in one durable transaction and then answers each writer. Throughput then
//! follows the number of writers instead of being one fsync per entry; no writer hears
//! "appended" before its entry is on disk.
//!
//! Several servers may share one log (on PostgreSQL). Each batch is then sequenced through the
//! database ([`Board::hold`]), and what a server checked before the batch (against the log as
//! it then was) may have been overtaken by another server's entries: so each write carries
//! the [`Conditions`] it still needs, which are checked with the sequencing held, against the
//! log as committed. A write whose conditions fail is refused alone; the rest of its batch
//! goes on.

use std::collections::HashSet;
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
type Reply = SyncSender<Result<Appended, BoardError>>;

/// Where a writer's entries went.
#[derive(Debug, Clone)]
pub struct Appended {
    /// The index of the first.
    pub first: u64,
    /// The checkpoint the batch recorded with them, and the first's inclusion proof in it
    /// (RFC 9162 §2.1.3.1), when the sequencer signs: a receipt, with no read.
    pub proved: Option<(String, Vec<crate::Hash>)>,
}

/// What must still be true of the log when a write is appended, checked with the sequencing
/// held (see the module's text).
#[derive(Debug, Clone, Default)]
pub struct Conditions {
    /// Keys (name, value) that no entry of the log may have yet: a ballot's id and
    /// confirmation code. (Also against the other writes of the same batch.)
    pub unique: Vec<(String, String)>,
    /// The writer checked the write against every entry below this index that has the
    /// sequencer's watched key (the protocol's steps): refused if another writer appended such
    /// an entry at or after it.
    pub watched_since: Option<u64>,
    /// Keys (name, value) that no entry at or after the index may have: a device's closing
    /// chain was checked against its ballots below it.
    pub absent_since: Vec<(String, String, u64)>,
}

enum Request {
    Append(Vec<Entry>, Conditions, Reply),
    Checkpoint(SyncSender<Result<String, String>>),
    Cosignatures(String, SyncSender<Result<Vec<String>, String>>),
}

/// The handle writers share (cheap to clone).
#[derive(Clone)]
pub struct Sequencer {
    tx: Sender<Request>,
    queued: Arc<AtomicUsize>,
}

/// How the sequencer's thread is set up.
pub struct Setup {
    /// A batch takes at most this many entries.
    pub max_batch: usize,
    /// Lets writers ask for checkpoints between batches.
    pub signer: Option<NoteSigner>,
    /// The key name of the entries whose arrival from another writer refuses a write checked
    /// before it ([`Conditions::watched_since`]).
    pub watch: Option<String>,
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
        Self::start_with(
            board,
            Setup {
                max_batch,
                signer,
                watch: None,
            },
        )
    }

    /// Starts the sequencer thread over `board` as `setup` says.
    pub fn start_with<S: Storage + Send + 'static>(
        board: Board<S>,
        setup: Setup,
    ) -> std::io::Result<(Self, SequencerThread<S>)> {
        let (tx, rx) = mpsc::channel();
        let queued = Arc::new(AtomicUsize::new(0));
        let counter = queued.clone();
        let handle = std::thread::Builder::new()
            .name("board-sequencer".into())
            .spawn(move || {
                let mut thread = Thread {
                    board,
                    queued: counter,
                    setup,
                    watched: None,
                    recorded: None,
                };
                thread.run(rx);
                thread.board
            })?;
        Ok((Self { tx, queued }, SequencerThread { handle }))
    }

    /// Appends `entries` (as one unit: consecutive indices); returns the first index once they
    /// are durable.
    pub fn append(&self, entries: Vec<Entry>) -> Result<u64, BoardError> {
        self.append_if(entries, Conditions::default())
    }

    /// Appends `entries` as [`Self::append`] does if `conditions` hold when they are
    /// sequenced; refused with [`BoardError::Taken`] or [`BoardError::Overtaken`] if not.
    pub fn append_if(
        &self,
        entries: Vec<Entry>,
        conditions: Conditions,
    ) -> Result<u64, BoardError> {
        self.append_proved(entries, conditions).map(|a| a.first)
    }

    /// [`Self::append_if`], answered with the checkpoint recorded with the entries and the
    /// first one's inclusion proof in it, when the sequencer has them.
    pub fn append_proved(
        &self,
        entries: Vec<Entry>,
        conditions: Conditions,
    ) -> Result<Appended, BoardError> {
        let (reply, answer) = mpsc::sync_channel(1);
        let n = entries.len();
        self.queued.fetch_add(n, Ordering::Relaxed);
        if self
            .tx
            .send(Request::Append(entries, conditions, reply))
            .is_err()
        {
            self.queued.fetch_sub(n, Ordering::Relaxed);
            return Err(BoardError::SequencerStopped);
        }
        answer.recv().map_err(|_| BoardError::SequencerStopped)?
    }

    /// The signed checkpoint of everything appended so far, by any writer.
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

/// The sequencer's thread: the board, and the last entry another writer appended with the
/// watched key.
struct Thread<S: Storage> {
    board: Board<S>,
    queued: Arc<AtomicUsize>,
    setup: Setup,
    watched: Option<u64>,
    /// The checkpoint the last committed batch recorded with its entries, and its size.
    recorded: Option<(u64, String)>,
}

/// One writer's entries waiting in a batch.
struct Waiting {
    entries: Vec<Entry>,
    conditions: Conditions,
    reply: Reply,
}

impl<S: Storage> Thread<S> {
    fn run(&mut self, rx: Receiver<Request>) {
        let max_batch = self.setup.max_batch.max(1);
        // Block for the first request, then take whatever else is already waiting.
        while let Ok(first) = rx.recv() {
            let mut appends: Vec<Waiting> = Vec::new();
            let mut checkpoints = Vec::new();
            let mut cosignatures = Vec::new();
            let (mut count, mut bytes) = (0, 0);
            let mut next = Some(first);
            while let Some(req) = next.take() {
                match req {
                    Request::Append(entries, conditions, reply) => {
                        count += entries.len();
                        bytes += entries.iter().map(|e| e.data.len()).sum::<usize>();
                        appends.push(Waiting {
                            entries,
                            conditions,
                            reply,
                        });
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
                let n = appends.iter().map(|w| w.entries.len()).sum();
                self.batch(appends);
                self.queued.fetch_sub(n, Ordering::Relaxed);
            }
            if !checkpoints.is_empty() {
                // Sign the log as committed, also what other writers appended (unless the last
                // batch recorded the note of that size already).
                let synced = self.follow_others();
                let recorded = synced.as_ref().ok().and_then(|()| self.recorded_note());
                for reply in checkpoints {
                    let note = match (&synced, &self.setup.signer, &recorded) {
                        (Err(e), _, _) => Err(BoardError::AppendFailed(e.clone())),
                        (Ok(()), Some(_), Some(note)) => Ok(note.clone()),
                        (Ok(()), Some(s), None) => self.board.checkpoint(s),
                        (Ok(()), None, _) => Err(BoardError::AppendFailed(
                            "this sequencer has no signing key".into(),
                        )),
                    };
                    let _ = reply.send(note.map_err(|e| e.to_string()));
                }
            }
            for (note, reply) in cosignatures {
                // Under a hold whose sync notes the other writers' entries, as a batch's does:
                // a step of theirs passed over here would otherwise never be watched.
                let added = self
                    .board
                    .hold()
                    .and_then(|others| self.note_others(others))
                    .and_then(|()| self.board.add_cosignatures_held(&note));
                let committed = self.board.release(added.is_ok());
                let added = added.and_then(|a| committed.map(|()| a));
                let _ = reply.send(added.map_err(|e| e.to_string()));
            }
        }
    }

    /// Notes the watched entries among `range`, which other writers appended.
    fn note_others(&mut self, range: std::ops::Range<u64>) -> Result<(), BoardError> {
        if let Some(key) = &self.setup.watch
            && !range.is_empty()
            && let Some(&last) = self
                .board
                .storage()
                .keyed(key, range.start, range.end)?
                .last()
        {
            self.watched = self.watched.max(Some(last));
        }
        Ok(())
    }

    /// Brings the board up to the log as committed, outside a hold.
    fn follow_others(&mut self) -> Result<(), String> {
        let range = self.board.sync().map_err(|e| e.to_string())?;
        self.note_others(range).map_err(|e| e.to_string())
    }

    /// Appends what `appends` bring whose conditions hold, in one transaction, and answers
    /// each writer.
    fn batch(&mut self, appends: Vec<Waiting>) {
        let held = self
            .board
            .hold()
            .and_then(|others| self.note_others(others));
        if let Err(e) = held {
            let _ = self.board.release(false);
            let e = e.to_string();
            for w in appends {
                let _ = w.reply.send(Err(BoardError::AppendFailed(e.clone())));
            }
            return;
        }
        let mut admitted: Vec<Waiting> = Vec::new();
        let mut refused: Vec<(Reply, BoardError)> = Vec::new();
        let mut taken: HashSet<(String, String)> = HashSet::new();
        for w in appends {
            match self.admit(&w.conditions, &taken) {
                Ok(()) => {
                    taken.extend(w.conditions.unique.iter().cloned());
                    admitted.push(w);
                }
                Err(e) => refused.push((w.reply, e)),
            }
        }
        let lengths: Vec<u64> = admitted.iter().map(|w| w.entries.len() as u64).collect();
        let batch: Vec<Entry> = admitted
            .iter_mut()
            .flat_map(|w| std::mem::take(&mut w.entries))
            .collect();
        let appended = if batch.is_empty() {
            Ok(self.board.size())
        } else {
            self.board.append_held(&batch)
        };
        // The checkpoint of the new size, signed and recorded in the batch's transaction: it
        // is durable with the entries (one commit, one flush, where a checkpoint after the
        // batch took a second), and no one sees it unless they are committed. Each writer is
        // answered with it (a receipt holds it).
        let mut recorded = None;
        let appended = match (&self.setup.signer, appended) {
            (Some(signer), Ok(first))
                if !batch.is_empty() && signer.verifier_key() == self.board.config().log_key =>
            {
                self.board.checkpoint(signer).map(|note| {
                    recorded = Some((self.board.size(), note));
                    first
                })
            }
            (_, appended) => appended,
        };
        let committed = self.board.release(appended.is_ok());
        self.recorded = if committed.is_ok() && appended.is_ok() {
            recorded.or(self.recorded.take())
        } else {
            None
        };
        let result = appended
            .and_then(|first| committed.map(|()| first))
            .map_err(|e| e.to_string());
        tracing::debug!(
            entries = batch.len(),
            writers = admitted.len(),
            refused = refused.len(),
            "group commit"
        );
        let note = result.as_ref().ok().and_then(|_| self.recorded_note());
        let mut first = result;
        for (w, n) in admitted.iter().zip(lengths) {
            let answer = first.clone().map_err(BoardError::AppendFailed).map(|f| {
                let proved = note
                    .as_ref()
                    .and_then(|note| Some((note.clone(), self.board.recent_proof(f)?)));
                Appended { first: f, proved }
            });
            // A writer that gave up waiting is no reason to stop answering the others.
            let _ = w.reply.send(answer);
            first = first.map(|f| f + n);
        }
        for (reply, e) in refused {
            let _ = reply.send(Err(e));
        }
    }

    /// The note the last committed batch recorded, when the handle is still where that batch
    /// left it.
    fn recorded_note(&self) -> Option<String> {
        self.recorded
            .as_ref()
            .filter(|(at, _)| *at == self.board.size())
            .map(|(_, note)| note.clone())
    }

    /// Whether a write's conditions hold, with the sequencing held; `taken`: the unique keys
    /// of the writes admitted to this batch before it.
    fn admit(&self, c: &Conditions, taken: &HashSet<(String, String)>) -> Result<(), BoardError> {
        if let (Some(since), Some(at)) = (c.watched_since, self.watched)
            && at >= since
        {
            return Err(BoardError::Overtaken { index: at });
        }
        let storage = self.board.storage();
        let in_batch = c.unique.iter().find(|&pair| taken.contains(pair)).cloned();
        if let Some((name, value)) =
            in_batch.map_or_else(|| storage.find_any(&c.unique), |p| Ok(Some(p)))?
        {
            return Err(BoardError::Taken { name, value });
        }
        for (name, value, since) in &c.absent_since {
            if let Some(&at) = storage.find(name, value)?.iter().find(|&&i| i >= *since) {
                return Err(BoardError::Overtaken { index: at });
            }
        }
        Ok(())
    }
}
