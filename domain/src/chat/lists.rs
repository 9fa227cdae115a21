//! The operator's lists (D2): Active, Closed and Unassigned (waiting chats and the bot's), a chat's
//! previous chats, and the dictionaries their cards name.

use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::actor::{Actor, Principal};
use crate::chat::history::HistoryCursor;
use crate::chat::rules::{ACTIVE, ChatTab, WaitingCursor, WaitingPage};
use crate::entity::{chat, chat_result, operator, queue, queue_member, wrap_up_reason};
use crate::enums::{ChatStatus, Role};
use crate::error::Result;
use crate::ids::*;
use crate::service::Chats;

impl Chats<'_> {
    /// The caller's Active list (invitations and open chats) or Closed list (the last 10; D2).
    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id))]
    pub async fn my_chats(self, actor: &Actor, tab: ChatTab) -> Result<Vec<chat::Model>> {
        let (me, _) = actor.operator()?;
        let query =
            chat::Entity::find().filter(chat::Column::OrganizationId.eq(actor.organization_id));
        Ok(match tab {
            ChatTab::Active => {
                query
                    .filter(chat::Column::OperatorId.eq(me))
                    .filter(chat::Column::Status.is_in(ACTIVE))
                    .order_by_asc(chat::Column::CreatedAt)
                    .all(&self.domain.db)
                    .await?
            }
            ChatTab::Closed => {
                query
                    .filter(chat::Column::Status.eq(ChatStatus::Completed))
                    .filter(
                        Condition::any()
                            .add(chat::Column::OperatorId.eq(me))
                            .add(chat::Column::ClosedByOperatorId.eq(me)),
                    )
                    .order_by_desc(chat::Column::ClosedAt)
                    .order_by_desc(chat::Column::Id)
                    .limit(10)
                    .all(&self.domain.db)
                    .await?
            }
        })
    }

    /// Chats waiting in queues the caller sees (A2): operators and supervisors their own
    /// queues', managers and above every queue's. Head of the queue first.
    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id))]
    pub async fn unassigned_chats(
        self, actor: &Actor, first: u64, after: Option<WaitingCursor>,
    ) -> Result<WaitingPage> {
        let mut query = self.in_queues_seen_by(actor, ChatStatus::Queued).await?;
        if let Some(cursor) = after {
            query = query.filter(cursor.behind());
        }
        let mut chats = query
            .order_by_desc(chat::Column::QueuePriority)
            .order_by_asc(chat::Column::QueuedAt)
            .order_by_asc(chat::Column::Id)
            .limit(first + 1)
            .all(&self.domain.db)
            .await?;
        let has_next = chats.len() as u64 > first;
        chats.truncate(first as usize);
        Ok(WaitingPage { chats, has_next })
    }

    /// Chats the bot is still handling in queues the caller sees, newest first: those an
    /// operator may take over (D1).
    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id))]
    pub async fn bot_chats(
        self, actor: &Actor, first: u64, after: Option<HistoryCursor>,
    ) -> Result<(Vec<chat::Model>, bool)> {
        actor.operator()?;
        let query = self.in_queues_seen_by(actor, ChatStatus::Bot).await?;
        crate::chat::history::newest_first(&self.domain.db, query, first, after).await
    }

    /// The organization's chats in `status` in the queues the caller sees (A2): operators and
    /// supervisors their own queues', managers and above (and API keys) every queue's.
    async fn in_queues_seen_by(
        self, actor: &Actor, status: ChatStatus,
    ) -> Result<sea_orm::Select<chat::Entity>> {
        let query = chat::Entity::find()
            .filter(chat::Column::OrganizationId.eq(actor.organization_id))
            .filter(chat::Column::Status.eq(status));
        let Principal::Operator { id, role, .. } = actor.principal else {
            return Ok(query);
        };
        if role.at_least(Role::Manager) {
            return Ok(query);
        }
        let queues: Vec<QueueId> = queue_member::Entity::find()
            .filter(queue_member::Column::OperatorId.eq(id))
            .all(&self.domain.db)
            .await?
            .into_iter()
            .map(|m| m.queue_id)
            .collect();
        Ok(query.filter(chat::Column::QueueId.is_in(queues)))
    }

    /// The queues whose waiting chats an operator sees (A2), by their role and memberships as
    /// stored now (`queueEvents` reads them again on each QUEUES_CHANGED): every queue of the
    /// organization for managers and above, their own queues for the others, none once they
    /// are archived.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn queues_seen_by(
        self, organization_id: OrganizationId, operator_id: OperatorId,
    ) -> Result<SeenQueues> {
        let db = &self.domain.db;
        let Some(role) = operator::Entity::find_by_id(operator_id)
            .select_only()
            .column(operator::Column::Role)
            .filter(operator::Column::OrganizationId.eq(organization_id))
            .filter(operator::Column::ArchivedAt.is_null())
            .into_tuple::<Role>()
            .one(db)
            .await?
        else {
            return Ok(SeenQueues {
                role: Role::Operator,
                queues: Vec::new(),
            });
        };
        let queues = if role.at_least(Role::Manager) {
            queue::Entity::find()
                .select_only()
                .column(queue::Column::Id)
                .filter(queue::Column::OrganizationId.eq(organization_id))
                .into_tuple()
                .all(db)
                .await?
        } else {
            queue_member::Entity::find()
                .select_only()
                .column(queue_member::Column::QueueId)
                .filter(queue_member::Column::OperatorId.eq(operator_id))
                .into_tuple()
                .all(db)
                .await?
        };
        Ok(SeenQueues { role, queues })
    }

    /// The organization's wrap-up reasons and results as a lookup (for lists of chats).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn wrap_up_reason_by_id(
        self, id: WrapUpReasonId,
    ) -> Result<Option<wrap_up_reason::Model>> {
        Ok(wrap_up_reason::Entity::find_by_id(id)
            .one(&self.domain.db)
            .await?)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn chat_result_by_id(self, id: ChatResultId) -> Result<Option<chat_result::Model>> {
        Ok(chat_result::Entity::find_by_id(id)
            .one(&self.domain.db)
            .await?)
    }

    /// The customer's other chats, newest first (D10).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn previous_chats(self, chat: &chat::Model) -> Result<Vec<chat::Model>> {
        Ok(chat::Entity::find()
            .filter(chat::Column::CustomerId.eq(chat.customer_id))
            .filter(chat::Column::Id.ne(chat.id))
            .filter(chat::Column::CreatedAt.lte(chat.created_at))
            .order_by_desc(chat::Column::CreatedAt)
            .all(&self.domain.db)
            .await?)
    }
}

/// The queues whose "Unassigned" lists an operator sees, and the role that decides how much of
/// their chats they see.
#[derive(Clone, Debug)]
pub struct SeenQueues {
    pub role: Role,
    pub queues: Vec<QueueId>,
}
