//! Chats left open in a queue or on a channel an administrator archives (004): never stranded.
//!
//! - A queue's open chats move to the queue the administrator names: waiting ones are routed
//!   there, invitations and accepted chats stay with their operators, who are told.
//! - A channel's chats can no longer reach their customers: those nobody has yet (with the bot,
//!   waiting, offered) are closed by the system; accepted ones are interrupted, their operators
//!   warned, and may only be closed.

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
};
use serde_json::json;

use crate::chat::close::system_wrap_up_reason;
use crate::entity::{channel, chat, queue};
use crate::enums::{
    AssignmentEnd, AssignmentKind, AuthorKind, ChatStatus, EventKind, RoutingTrigger,
};
use crate::error::{DomainError, Result};
use crate::events::Outbox;
use crate::ids::OperatorId;
use crate::routing::rows::{end_assignment, open_assignment};
use crate::service::Chats;

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
        self,
        db: &impl ConnectionTrait,
        queue: &queue::Model,
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
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn move_to_queue(
        self,
        db: &impl ConnectionTrait,
        outbox: &mut Outbox,
        chats: Vec<chat::Model>,
        from: &queue::Model,
        to: &queue::Model,
        by: Option<OperatorId>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        for chat in chats {
            if chat.status == ChatStatus::Queued {
                self.tell_queue(db, outbox, &chat, EventKind::ChatDequeued, now)
                    .await?;
            }
            let mut model: chat::ActiveModel = chat.clone().into();
            model.queue_id = Set(Some(to.id));
            model.updated_at = Set(now);
            let moved = model.update(db).await?;
            self.tell_chat(
                db,
                outbox,
                &moved,
                EventKind::ChatUpdated,
                json!({ "queueId": to.id }),
                now,
            )
            .await?;
            match moved.status {
                ChatStatus::Queued => {
                    end_assignment(db, moved.id, AssignmentEnd::Transferred, None, now).await?;
                    open_assignment(
                        db,
                        &moved,
                        AssignmentKind::TransferredToQueue,
                        None,
                        by,
                        now,
                    )
                    .await?;
                    self.domain
                        .routing()
                        .route_chat(db, outbox, moved.id, RoutingTrigger::Transfer, now)
                        .await?;
                }
                ChatStatus::Invited | ChatStatus::New | ChatStatus::InProgress => {
                    let notice = format!(
                        "The queue {} was archived: this chat now belongs to the queue {}",
                        from.name, to.name
                    );
                    self.notify_operators(db, outbox, &moved, &notice, now)
                        .await?;
                }
                ChatStatus::Bot | ChatStatus::Completed => {}
            }
        }
        Ok(())
    }

    /// Ends what an archived channel leaves open: chats nobody has yet are closed by the
    /// system; accepted ones are interrupted and their operators warned (004).
    pub(crate) async fn interrupt_channel(
        self,
        db: &impl ConnectionTrait,
        outbox: &mut Outbox,
        channel: &channel::Model,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let open = chat::Entity::find()
            .filter(chat::Column::ChannelId.eq(channel.id))
            .filter(chat::Column::Status.is_in(OPEN))
            .lock_exclusive()
            .all(db)
            .await?;
        if open.is_empty() {
            return Ok(());
        }
        let reason = system_wrap_up_reason(db, channel.organization_id)
            .await?
            .ok_or_else(|| {
                DomainError::Internal("the organization has no system wrap-up reason".into())
            })?;
        for chat in open {
            if matches!(chat.status, ChatStatus::New | ChatStatus::InProgress) {
                let mut model: chat::ActiveModel = chat.clone().into();
                model.interrupted_at = Set(Some(now));
                model.auto_close_at = Set(None);
                model.updated_at = Set(now);
                let interrupted = model.update(db).await?;
                self.tell_chat(
                    db,
                    outbox,
                    &interrupted,
                    EventKind::ChatUpdated,
                    json!({ "interrupted": true }),
                    now,
                )
                .await?;
                let notice = format!(
                    "The channel {} was archived: the customer can no longer be reached, close the chat",
                    channel.name
                );
                self.notify_operators(db, outbox, &interrupted, &notice, now)
                    .await?;
            } else {
                self.close_by_system(db, outbox, &chat, reason, now).await?;
            }
        }
        Ok(())
    }

    /// A notice from the system to the operators in a chat, never sent to the customer.
    async fn notify_operators(
        self,
        db: &impl ConnectionTrait,
        outbox: &mut Outbox,
        chat: &chat::Model,
        text: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.domain
            .conversation()
            .write_whisper(db, outbox, chat, AuthorKind::System, None, text, now)
            .await?;
        Ok(())
    }
}
