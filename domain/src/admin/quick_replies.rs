//! Quick replies (D5): short names, texts with the two parameters the panel fills in, approved
//! templates for channels that need them, and the queues whose chats may use them (001).

use sea_orm::ActiveValue::Set;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder,
};
use std::collections::{HashMap, HashSet};
use validator::{Validate, ValidationError};

use crate::actor::Actor;
use crate::admin::dictionaries::unique_name;
use crate::entity::{queue, queue_member, quick_reply, quick_reply_queue};
use crate::error::{DomainError, Result};
use crate::ids::{ChatId, QueueId, QuickReplyId};
use crate::service::Admin;
use crate::store::{all_live, find_own};
use crate::validate::{check_admin, single_line};

/// The template parameters a quick reply may contain (D5); `<` and `>` are otherwise reserved.
pub const QUICK_REPLY_PARAMETERS: [&str; 2] = ["<customer_name>", "<operator_name>"];

/// A quick reply's text may use `<` and `>` only in its known parameters.
fn quick_reply_text(value: &str) -> Result<(), ValidationError> {
    let mut rest = value.to_owned();
    for parameter in QUICK_REPLY_PARAMETERS {
        rest = rest.replace(parameter, "");
    }
    if rest.contains(['<', '>']) {
        Err(ValidationError::new("reserved").with_message(
            "may use < and > only in the parameters <customer_name> and <operator_name>".into(),
        ))
    } else {
        crate::validate::not_blank(value)
    }
}

#[derive(Clone, Debug, Validate)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct CreateQuickReplyInput {
    /// What operators search by; at most 30 characters (D5).
    #[validate(length(min = 1, max = 30), custom(function = "single_line"))]
    pub name: String,
    /// The reply; `<customer_name>` and `<operator_name>` are filled in on insertion.
    #[validate(length(min = 1, max = 1000), custom(function = "quick_reply_text"))]
    pub text: String,
    /// An approved message template (WhatsApp HSM): the only text that may open a WhatsApp
    /// conversation or reopen one after its 24-hour window (I3).
    #[cfg_attr(feature = "graphql", graphql(default))]
    pub approved_template: bool,
    /// The queues whose chats may use it (001); none: every queue's.
    #[validate(length(max = 100))]
    #[cfg_attr(feature = "graphql", graphql(default))]
    pub queue_ids: Vec<QueueId>,
}

#[derive(Clone, Debug, Validate)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct UpdateQuickReplyInput {
    pub id: QuickReplyId,
    #[validate(length(min = 1, max = 30), custom(function = "single_line"))]
    pub name: Option<String>,
    #[validate(length(min = 1, max = 1000), custom(function = "quick_reply_text"))]
    pub text: Option<String>,
    pub approved_template: Option<bool>,
    /// The queues after the change (replaces them; empty: every queue's).
    #[validate(length(max = 100))]
    pub queue_ids: Option<Vec<QueueId>>,
}

/// Whose quick replies a list holds: everyone's, or those of some queues (and the ones that
/// belong to no queue in particular).
enum ReplyScope {
    All,
    Queues(HashSet<QueueId>),
}

/// Whether a reply linked to `queues` (none: every queue's) serves a chat of a queue `allowed`
/// accepts (001).
fn fits(queues: Option<&Vec<QueueId>>, allowed: impl Fn(QueueId) -> bool) -> bool {
    queues.is_none_or(|queues| queues.iter().any(|q| allowed(*q)))
}

impl Admin<'_> {
    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id))]
    pub async fn create_quick_reply(
        self, actor: &Actor, input: CreateQuickReplyInput,
    ) -> Result<quick_reply::Model> {
        check_admin(actor, &input)?;
        let work = self.domain.begin_now().await?;
        let name = unique_name::<quick_reply::Entity>(&work.tx, actor, &input.name, None).await?;
        let created = quick_reply::ActiveModel {
            id: Set(QuickReplyId::new()),
            organization_id: Set(actor.organization_id),
            name: Set(name),
            text: Set(input.text),
            created_at: Set(work.now),
            updated_at: Set(work.now),
            archived_at: Set(None),
            is_template: Set(input.approved_template),
        }
        .insert(&work.tx)
        .await?;
        self.link_queues(&work.tx, actor, created.id, &input.queue_ids)
            .await?;
        self.domain.answer(work, created).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id))]
    pub async fn update_quick_reply(
        self, actor: &Actor, input: UpdateQuickReplyInput,
    ) -> Result<quick_reply::Model> {
        check_admin(actor, &input)?;
        let work = self.domain.begin_now().await?;
        let found = find_own::<quick_reply::Entity>(&work.tx, actor, input.id).await?;
        let mut model: quick_reply::ActiveModel = found.into();
        if let Some(name) = &input.name {
            let name =
                unique_name::<quick_reply::Entity>(&work.tx, actor, name, Some(input.id.0)).await?;
            model.name = Set(name);
        }
        if let Some(text) = input.text {
            model.text = Set(text);
        }
        if let Some(template) = input.approved_template {
            model.is_template = Set(template);
        }
        if let Some(queue_ids) = &input.queue_ids {
            self.link_queues(&work.tx, actor, input.id, queue_ids)
                .await?;
        }
        let updated = work.save(model).await?;
        self.domain.answer(work, updated).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id))]
    pub async fn archive_quick_reply(
        self, actor: &Actor, id: QuickReplyId,
    ) -> Result<quick_reply::Model> {
        actor.require_admin()?;
        let work = self.domain.begin_now().await?;
        let found = find_own::<quick_reply::Entity>(&work.tx, actor, id).await?;
        let mut model: quick_reply::ActiveModel = found.into();
        model.archived_at = Set(Some(work.now));
        let archived = work.save(model).await?;
        self.domain.answer(work, archived).await
    }

    /// Replaces the queues a quick reply belongs to; each must be a live queue of the caller's.
    async fn link_queues(
        self, db: &impl ConnectionTrait, actor: &Actor, id: QuickReplyId, queue_ids: &[QueueId],
    ) -> Result<()> {
        let wanted: HashSet<QueueId> = queue_ids.iter().copied().collect();
        let live = all_live::<queue::Entity>(actor)
            .filter(queue::Column::Id.is_in(wanted.iter().copied()))
            .count(db)
            .await?;
        if live != wanted.len() as u64 {
            return Err(DomainError::validation("queueIds", "No such queue"));
        }
        quick_reply_queue::Entity::delete_many()
            .filter(quick_reply_queue::Column::QuickReplyId.eq(id))
            .exec(db)
            .await?;
        if !wanted.is_empty() {
            quick_reply_queue::Entity::insert_many(wanted.into_iter().map(|queue_id| {
                quick_reply_queue::ActiveModel {
                    quick_reply_id: Set(id),
                    queue_id: Set(queue_id),
                }
            }))
            .exec(db)
            .await?;
        }
        Ok(())
    }

    /// The queues each of `replies` belongs to (absent: every queue's), in one query.
    async fn quick_reply_queues(
        self, db: &impl ConnectionTrait, replies: &[QuickReplyId],
    ) -> Result<HashMap<QuickReplyId, Vec<QueueId>>> {
        let mut out: HashMap<QuickReplyId, Vec<QueueId>> = HashMap::new();
        for link in quick_reply_queue::Entity::find()
            .filter(quick_reply_queue::Column::QuickReplyId.is_in(replies.iter().copied()))
            .all(db)
            .await?
        {
            out.entry(link.quick_reply_id)
                .or_default()
                .push(link.queue_id);
        }
        Ok(out)
    }

    /// Whether a quick reply may be used in a chat of `queue_id` (001).
    pub(crate) async fn reply_fits_queue(
        self, db: &impl ConnectionTrait, reply: QuickReplyId, queue_id: Option<QueueId>,
    ) -> Result<bool> {
        let links = self.quick_reply_queues(db, &[reply]).await?;
        Ok(fits(links.get(&reply), |q| queue_id == Some(q)))
    }

    /// Active quick replies, optionally those whose name contains `search` (any case; D5).
    /// For a chat: those of its queue (001). Otherwise administrators see every one, operators
    /// those of their own queues; replies of no queue in particular are everyone's.
    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id))]
    pub async fn quick_replies(
        self, actor: &Actor, search: Option<&str>, chat_id: Option<ChatId>,
    ) -> Result<Vec<quick_reply::Model>> {
        let scope = match chat_id {
            Some(id) => {
                let chat = self
                    .domain
                    .chats()
                    .visible_chat(&self.domain.db, actor, id)
                    .await?;
                ReplyScope::Queues(chat.queue_id.into_iter().collect())
            }
            None if actor.require_admin().is_ok() => ReplyScope::All,
            None => match actor.operator_id() {
                Some(me) => ReplyScope::Queues(
                    queue_member::Entity::find()
                        .filter(queue_member::Column::OperatorId.eq(me))
                        .all(&self.domain.db)
                        .await?
                        .into_iter()
                        .map(|m| m.queue_id)
                        .collect(),
                ),
                None => ReplyScope::All,
            },
        };
        let all = all_live::<quick_reply::Entity>(actor)
            .order_by_asc(quick_reply::Column::Name)
            .all(&self.domain.db)
            .await?;
        let needle = search
            .map(|s| s.trim().to_lowercase())
            .filter(|s| !s.is_empty());
        let matching: Vec<_> = all
            .into_iter()
            .filter(|r| {
                needle
                    .as_ref()
                    .is_none_or(|needle| r.name.to_lowercase().contains(needle))
            })
            .collect();
        let ReplyScope::Queues(mine) = scope else {
            return Ok(matching);
        };
        let ids: Vec<_> = matching.iter().map(|r| r.id).collect();
        let links = self.quick_reply_queues(&self.domain.db, &ids).await?;
        Ok(matching
            .into_iter()
            .filter(|r| fits(links.get(&r.id), |q| mine.contains(&q)))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::assert_rule;

    #[test]
    fn quick_reply_text_allows_only_known_parameters() {
        assert_rule(
            quick_reply_text,
            &["Hello <customer_name>, I am <operator_name>.", "Hello 😊"],
            &["a < b", "<script>", "  "],
        );
    }
}
