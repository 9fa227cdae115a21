//! Chat history (J1, G2): every chat the caller may see, newest first, narrowed by date range,
//! topic, subtopic, operator, rating, status, customer phone and free text, in keyset pages.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Query;
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use validator::Validate;

use crate::actor::{Actor, Principal};
use crate::customer::normalize_phone;
use crate::entity::{chat, chat_assignment, customer, message, queue_member};
use crate::enums::{ChatStatus, Role};
use crate::error::{DomainError, Result};
use crate::ids::{ChatId, OperatorId, TopicId};
use crate::page::{self, Order};
use crate::service::Chats;
use crate::store::contains_text;
use crate::validate::check;

/// What to narrow the history to; every field is optional.
#[derive(Clone, Debug, Default, Validate)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct ChatFilter {
    /// Chats created at or after.
    pub created_from: Option<DateTime<Utc>>,
    /// Chats created before.
    pub created_to: Option<DateTime<Utc>>,
    pub topic_id: Option<TopicId>,
    pub subtopic_id: Option<TopicId>,
    /// Chats this operator was responsible for.
    pub operator_id: Option<OperatorId>,
    /// The customer's score (G2).
    #[validate(range(min = 1, max = 5))]
    pub rating: Option<i32>,
    pub status: Option<ChatStatus>,
    /// The customer's phone, in any spelling.
    #[validate(length(min = 1, max = 32))]
    pub phone: Option<String>,
    /// Words in the conversation (case-insensitive).
    #[validate(length(min = 2, max = 200))]
    pub text: Option<String>,
}

/// The keyset position of a chat in the history: newest first.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct HistoryCursor {
    pub created_at: DateTime<Utc>,
    pub id: ChatId,
}

crate::page::keyset!(HistoryCursor);

impl HistoryCursor {
    /// Where a list continues after `row`.
    pub fn of(row: &chat::Model) -> Self {
        Self {
            created_at: row.created_at,
            id: row.id,
        }
    }
}

/// The chats an operator was ever responsible for.
fn handled_by(operator: OperatorId) -> sea_orm::sea_query::SimpleExpr {
    let handled = Query::select()
        .column(chat_assignment::Column::ChatId)
        .from(chat_assignment::Entity)
        .and_where(chat_assignment::Column::OperatorId.eq(operator))
        .to_owned();
    chat::Column::Id.in_subquery(handled)
}

/// A page of `query`'s chats, newest first, after `after`; and whether more follow.
pub(crate) async fn newest_first(
    db: &impl sea_orm::ConnectionTrait, query: sea_orm::Select<chat::Entity>, first: u64,
    after: Option<HistoryCursor>,
) -> Result<(Vec<chat::Model>, bool)> {
    page::read(
        db,
        query,
        (chat::Column::CreatedAt, chat::Column::Id),
        Order::NewestFirst,
        after,
        first,
    )
    .await
}

impl Chats<'_> {
    /// A page of the chats the caller may see, newest first: managers and above (and API
    /// keys) every chat; supervisors the chats of their queues and those they handled;
    /// operators those they handled.
    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id))]
    pub async fn chat_history(
        self, actor: &Actor, filter: ChatFilter, first: u64, after: Option<HistoryCursor>,
    ) -> Result<(Vec<chat::Model>, bool)> {
        check(&filter)?;
        let mut query =
            chat::Entity::find().filter(chat::Column::OrganizationId.eq(actor.organization_id));
        if let Principal::Operator { id, role, .. } = actor.principal
            && !role.at_least(Role::Manager)
        {
            let mut visible = Condition::any().add(handled_by(id));
            if role.at_least(Role::Supervisor) {
                let queues = Query::select()
                    .column(queue_member::Column::QueueId)
                    .from(queue_member::Entity)
                    .and_where(queue_member::Column::OperatorId.eq(id))
                    .to_owned();
                visible = visible.add(chat::Column::QueueId.in_subquery(queues));
            }
            query = query.filter(visible);
        }
        if let Some(from) = filter.created_from {
            query = query.filter(chat::Column::CreatedAt.gte(from));
        }
        if let Some(to) = filter.created_to {
            query = query.filter(chat::Column::CreatedAt.lt(to));
        }
        if let Some(topic) = filter.topic_id {
            query = query.filter(chat::Column::TopicId.eq(topic));
        }
        if let Some(subtopic) = filter.subtopic_id {
            query = query.filter(chat::Column::SubtopicId.eq(subtopic));
        }
        if let Some(operator) = filter.operator_id {
            query = query.filter(handled_by(operator));
        }
        if let Some(rating) = filter.rating {
            query = query.filter(chat::Column::Rating.eq(rating));
        }
        if let Some(status) = filter.status {
            query = query.filter(chat::Column::Status.eq(status));
        }
        if let Some(phone) = &filter.phone {
            let phone = normalize_phone(phone)
                .ok_or_else(|| DomainError::validation("phone", "must be a phone number"))?;
            let customers = Query::select()
                .column(customer::Column::Id)
                .from(customer::Entity)
                .and_where(customer::Column::OrganizationId.eq(actor.organization_id))
                .and_where(customer::Column::Phone.eq(phone))
                .to_owned();
            query = query.filter(chat::Column::CustomerId.in_subquery(customers));
        }
        if let Some(text) = &filter.text {
            let matching = Query::select()
                .column(message::Column::ChatId)
                .from(message::Entity)
                .and_where(message::Column::OrganizationId.eq(actor.organization_id))
                .and_where(message::Column::IsWhisper.eq(false))
                .and_where(contains_text(message::Column::Text, text))
                .to_owned();
            query = query.filter(chat::Column::Id.in_subquery(matching));
        }
        newest_first(&self.domain.db, query, first, after).await
    }
}
