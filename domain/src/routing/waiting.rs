//! A waiting customer's place in the queue and the wait to expect (X8), for the chatbot to tell
//! them.

use chrono::Duration;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::actor::{Actor, Principal};
use crate::chat::rules::WaitingCursor;
use crate::entity::chat;
use crate::enums::{ApiKeyScope, ChatStatus};
use crate::error::{DomainError, Result};
use crate::ids::ChatId;
use crate::service::Routing;

/// How many recent chats of the queue the estimate learns from.
const SAMPLE: u64 = 50;

/// How far back they may be.
const SAMPLE_HOURS: i64 = 24;

/// Where a waiting chat stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueuePosition {
    /// 1 for the next chat to be offered.
    pub position: u64,
    /// Chats waiting in the queue, this one included.
    pub waiting: u64,
    /// The expected wait, from how long the queue's recent chats waited; `None` without history.
    pub estimated_wait: Option<Duration>,
}

/// A plain model a bot can keep its word with: recent chats of the queue waited `average`
/// each, so the chat at `position` is expected to wait `position × average`.
pub fn estimate(recent: &[Duration], position: u64) -> Option<Duration> {
    if recent.is_empty() {
        return None;
    }
    let total: i64 = recent.iter().map(Duration::num_seconds).sum();
    let average = total / recent.len() as i64;
    Some(Duration::seconds(average.max(0) * position as i64))
}

impl Routing<'_> {
    /// A waiting chat's position and expected wait; `None` once the chat no longer waits.
    /// The chatbot's key (X8), or an operator who sees the chat.
    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id, chat_id = %chat_id))]
    pub async fn queue_position(
        self, actor: &Actor, chat_id: ChatId,
    ) -> Result<Option<QueuePosition>> {
        match actor.principal {
            Principal::ApiKey {
                scope: ApiKeyScope::Chatbot,
                ..
            }
            | Principal::Operator { .. } => {}
            Principal::ApiKey { .. } => {
                return Err(DomainError::forbidden(
                    "This needs the chatbot's key or an operator",
                ));
            }
        }
        let found = self
            .domain
            .chats()
            .visible_chat(&self.domain.db, actor, chat_id)
            .await?;
        let (ChatStatus::Queued, Some(queue_id)) = (found.status, found.queue_id) else {
            return Ok(None);
        };
        let waiting_here = || {
            chat::Entity::find()
                .filter(chat::Column::QueueId.eq(queue_id))
                .filter(chat::Column::Status.eq(ChatStatus::Queued))
        };
        let ahead = waiting_here()
            .filter(WaitingCursor::of(&found).ahead())
            .count(&self.domain.db)
            .await?;
        let waiting = waiting_here().count(&self.domain.db).await?;
        let since = self.domain.now() - Duration::hours(SAMPLE_HOURS);
        let recent: Vec<Duration> = chat::Entity::find()
            .filter(chat::Column::QueueId.eq(queue_id))
            .filter(chat::Column::AcceptedAt.gte(since))
            .filter(chat::Column::QueuedAt.is_not_null())
            .order_by_desc(chat::Column::AcceptedAt)
            .limit(SAMPLE)
            .all(&self.domain.db)
            .await?
            .into_iter()
            .filter_map(|c| Some(c.accepted_at? - c.queued_at?))
            .collect();
        let position = ahead + 1;
        Ok(Some(QueuePosition {
            position,
            waiting,
            estimated_wait: estimate(&recent, position),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_estimate_grows_with_the_position() {
        let recent = [Duration::seconds(60), Duration::seconds(120)];
        assert_eq!(estimate(&recent, 1), Some(Duration::seconds(90)));
        assert_eq!(estimate(&recent, 3), Some(Duration::seconds(270)));
        assert_eq!(estimate(&[], 2), None);
    }
}
