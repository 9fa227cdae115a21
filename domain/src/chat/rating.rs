//! The customer's rating of a closed chat (G1), given through the chatbot or on the web chat
//! page.

use sea_orm::ActiveValue::Set;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use serde_json::json;
use validator::Validate;

use crate::actor::Actor;
use crate::entity::chat;
use crate::enums::{ApiKeyScope, ChatStatus, EventKind, WebhookEvent};
use crate::error::{DomainError, Result};
use crate::ids::{ChatId, OrganizationId};
use crate::service::Chats;
use crate::validate::check;

/// The highest score at which the customer's comment is kept (G1): a comment explains a bad
/// rating; on a good one it is dropped.
pub const COMMENT_KEPT_UP_TO: i32 = 2;

#[derive(Clone, Debug, Validate)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct RateChatInput {
    pub chat_id: ChatId,
    /// 1 (bad) to 5 (excellent).
    #[validate(range(min = 1, max = 5))]
    pub score: i32,
    /// Kept only when the score is 2 or lower.
    #[validate(length(max = 2000))]
    pub comment: Option<String>,
}

/// The comment stored with a score.
pub fn kept_comment(score: i32, comment: Option<&str>) -> Option<String> {
    comment
        .map(str::trim)
        .filter(|c| score <= COMMENT_KEPT_UP_TO && !c.is_empty())
        .map(str::to_owned)
}

impl Chats<'_> {
    /// Writes the customer's rating on a completed chat (chatbot key; once per chat).
    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id))]
    pub async fn rate_chat(self, actor: &Actor, input: RateChatInput) -> Result<chat::Model> {
        actor.require_scope(ApiKeyScope::Chatbot)?;
        self.rate(actor.organization_id, input).await
    }

    /// Rates a chat of the organization: completed, not rated before.
    pub(crate) async fn rate(
        self, organization_id: OrganizationId, input: RateChatInput,
    ) -> Result<chat::Model> {
        check(&input)?;
        let now = self.domain.now();
        let mut work = self.domain.begin(now).await?;
        let found = chat::Entity::find_by_id(input.chat_id)
            .filter(chat::Column::OrganizationId.eq(organization_id))
            .lock_exclusive()
            .one(&work.tx)
            .await?
            .ok_or(DomainError::not_found("chat"))?;
        if found.status != ChatStatus::Completed {
            return Err(DomainError::conflict(
                "Only a completed chat can be rated; this one is still open",
            ));
        }
        if found.rating.is_some() {
            return Err(DomainError::conflict("This chat has already been rated"));
        }
        let mut model: chat::ActiveModel = found.into();
        model.rating = Set(Some(i16::try_from(input.score).unwrap_or_default()));
        model.rating_comment = Set(kept_comment(input.score, input.comment.as_deref()));
        model.rated_at = Set(Some(now));
        let rated = work.save(model).await?;
        work.outbox.to_chat(
            rated.organization_id,
            rated.id,
            EventKind::ChatUpdated,
            json!({ "rating": rated.rating }),
            now,
        );
        self.domain
            .deliveries()
            .queue_webhooks(&mut work, WebhookEvent::ChatRated, &rated)
            .await?;
        self.domain.answer(work, rated).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_are_kept_only_on_low_scores() {
        assert_eq!(kept_comment(2, Some(" slow ")), Some("slow".into()));
        assert_eq!(kept_comment(1, Some("rude")), Some("rude".into()));
        assert_eq!(kept_comment(4, Some("great")), None);
        assert_eq!(kept_comment(2, Some("  ")), None);
        assert_eq!(kept_comment(1, None), None);
    }
}
