//! Chats left open in a queue or on a channel an administrator archives (004): never stranded.
//!
//! - A queue's open chats move to the queue the administrator names: waiting ones are routed
//!   there, invitations and accepted chats stay with their operators, who are told.
//! - A channel's chats can no longer reach their customers: those nobody has yet (with the bot,
//!   waiting, offered) are closed by the system; accepted ones are interrupted, their operators
//!   warned, and may only be closed.

use sea_orm::ActiveValue::Set;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use serde_json::json;

use crate::chat::close::system_wrap_up_reason;
use crate::conversation::said::Said;
use crate::entity::{channel, chat, queue};
use crate::enums::{AssignmentEnd, AssignmentKind, ChatStatus, EventKind, RoutingTrigger};
use crate::error::{DomainError, Result};
use crate::ids::OperatorId;
use crate::routing::rows::{end_assignment, open_assignment};
use crate::service::Chats;
use crate::work::Work;

/// Every status of a chat that is not closed.
const OPEN: [ChatStatus; 5] = [
    ChatStatus::Bot,
    ChatStatus::Queued,
    ChatStatus::Invited,
    ChatStatus::New,
    ChatStatus::InProgress,
];

impl Chats<'_> {
    /// The open chats of a queue, locked; an archived queue may keep none.
    pub(crate) async fn open_in_queue(
        self, db: &impl ConnectionTrait, queue: &queue::Model,
    ) -> Result<Vec<chat::Model>> {
        Ok(chat::Entity::find()
            .filter(chat::Column::QueueId.eq(queue.id))
            .filter(chat::Column::Status.is_in(OPEN))
            .lock_exclusive()
            .all(db)
            .await?)
    }

    /// Moves `chats` from `from` (being archived) to `to`: waiting ones are routed there at
    /// once, the others stay with their operators, who get a notice in the chat.
    pub(crate) async fn move_to_queue(
        self, work: &mut Work, chats: Vec<chat::Model>, from: &queue::Model, to: &queue::Model,
        by: Option<OperatorId>,
    ) -> Result<()> {
        for chat in chats {
            if chat.status == ChatStatus::Queued {
                self.tell_queue(work, &chat, EventKind::ChatDequeued);
            }
            let mut model: chat::ActiveModel = chat.clone().into();
            model.queue_id = Set(Some(to.id));
            let moved = self
                .update_chat(work, model, json!({ "queueId": to.id }))
                .await?;
            match moved.status {
                ChatStatus::Queued => {
                    end_assignment(
                        &work.tx,
                        moved.id,
                        AssignmentEnd::Transferred,
                        None,
                        work.now,
                    )
                    .await?;
                    open_assignment(
                        &work.tx,
                        &moved,
                        AssignmentKind::TransferredToQueue,
                        None,
                        by,
                        work.now,
                    )
                    .await?;
                    self.domain
                        .routing()
                        .route_chat(work, moved.id, RoutingTrigger::Transfer)
                        .await?;
                }
                ChatStatus::Invited | ChatStatus::New | ChatStatus::InProgress => {
                    let notice = format!(
                        "The queue {} was archived: this chat now belongs to the queue {}",
                        from.name, to.name
                    );
                    self.notify_operators(work, &moved, &notice).await?;
                }
                ChatStatus::Bot | ChatStatus::Completed => {}
            }
        }
        Ok(())
    }

    /// Ends what an archived channel leaves open: chats nobody has yet are closed by the
    /// system; accepted ones are interrupted and their operators warned (004).
    pub(crate) async fn interrupt_channel(
        self, work: &mut Work, channel: &channel::Model,
    ) -> Result<()> {
        let open = chat::Entity::find()
            .filter(chat::Column::ChannelId.eq(channel.id))
            .filter(chat::Column::Status.is_in(OPEN))
            .lock_exclusive()
            .all(&work.tx)
            .await?;
        if open.is_empty() {
            return Ok(());
        }
        let reason = system_wrap_up_reason(&work.tx, channel.organization_id)
            .await?
            .ok_or_else(|| {
                DomainError::Internal("the organization has no system wrap-up reason".into())
            })?;
        for chat in open {
            if matches!(chat.status, ChatStatus::New | ChatStatus::InProgress) {
                let mut model: chat::ActiveModel = chat.clone().into();
                model.interrupted_at = Set(Some(work.now));
                model.auto_close_at = Set(None);
                let interrupted = self
                    .update_chat(work, model, json!({ "interrupted": true }))
                    .await?;
                let notice = format!(
                    "The channel {} was archived: the customer can no longer be reached, close the chat",
                    channel.name
                );
                self.notify_operators(work, &interrupted, &notice).await?;
            } else {
                self.close_by_system(work, &chat, reason).await?;
            }
        }
        Ok(())
    }

    /// A notice from the system to the operators in a chat, never sent to the customer.
    async fn notify_operators(self, work: &mut Work, chat: &chat::Model, text: &str) -> Result<()> {
        self.domain
            .conversation()
            .write_whisper(work, chat, Said::system(text))
            .await?;
        Ok(())
    }
}
