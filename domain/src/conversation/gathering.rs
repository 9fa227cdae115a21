//! The operators' messages waiting to be written together, and how many batches are being
//! written (`batched.rs` writes them): in order, one message per chat a batch.

use std::collections::{HashSet, VecDeque};
use std::sync::{Mutex, MutexGuard, PoisonError};

use tokio::sync::oneshot;

use crate::actor::Actor;
use crate::entity::message;
use crate::error::DomainError;
use crate::ids::ChatId;

/// How many batches may be written at once. One: the messages that arrive while it is written
/// all go in the next, so the batches are as large as the load makes them and each message's
/// share of a transaction's round trips and commit is smallest. A batch is not held up by a chat
/// another transaction has locked: it passes that chat's message by (`batched.rs`). Measured
/// with `hot_path send`, 16 operators: one writer 2,188–2,204 messages/s, p99 11.5–12.3 ms
/// (8.1 messages a batch); two 1,905–1,927/s, p99 13.3–14.9 ms (4.4 a batch); four and eight
/// fewer still.
pub const WRITERS: usize = 1;

/// The most messages one batch writes.
const MOST: usize = 64;

/// What became of a message handed to the batches.
pub(crate) enum Batched {
    /// Written and committed.
    Written(message::Model),
    /// Its batch's commit failed: it may have committed, so it is not tried again.
    Failed(DomainError),
    /// Not written: send it alone.
    Alone,
}

/// The messages waiting for a batch, and how many batches are being written.
#[derive(Default)]
pub struct MessageBatches {
    state: Mutex<Waiting>,
}

#[derive(Default)]
struct Waiting {
    jobs: VecDeque<Job>,
    writers: usize,
}

/// One `sendMessage` call waiting for its batch: who sends what to which chat, and where its
/// answer goes.
pub(crate) struct Job {
    pub actor: Actor,
    pub chat_id: ChatId,
    pub text: String,
    pub answer: oneshot::Sender<Batched>,
}

impl MessageBatches {
    /// Queues `job`; `true` when fewer than [`WRITERS`] batches are being written, and the
    /// caller starts a writer (counted in now).
    pub(crate) fn push(&self, job: Job) -> bool {
        let mut waiting = self.lock();
        waiting.jobs.push_back(job);
        let start = waiting.writers < WRITERS;
        waiting.writers += usize::from(start);
        start
    }

    /// Counts out a writer that stopped without asking for its next batch (it panicked).
    pub(crate) fn writer_gone(&self) {
        self.lock().writers -= 1;
    }

    /// How many messages wait for a batch now.
    pub fn waiting(&self) -> usize {
        self.lock().jobs.len()
    }

    fn lock(&self) -> MutexGuard<'_, Waiting> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The next batch: the waiting messages in order, one per chat (a chat's next message
    /// waits for the next batch, so its messages keep their order), at most [`MOST`]. `None`
    /// when none wait, and the writer asking stops (counted out under the same lock, so a
    /// message arriving now starts another).
    pub(crate) fn next(&self) -> Option<Vec<Job>> {
        let mut waiting = self.lock();
        if waiting.jobs.is_empty() {
            waiting.writers -= 1;
            return None;
        }
        let mut chats = HashSet::new();
        let (mut batch, mut later) = (Vec::new(), VecDeque::new());
        while batch.len() < MOST
            && let Some(job) = waiting.jobs.pop_front()
        {
            if chats.insert(job.chat_id) {
                batch.push(job);
            } else {
                later.push_back(job);
            }
        }
        later.append(&mut waiting.jobs);
        waiting.jobs = later;
        Some(batch)
    }
}
