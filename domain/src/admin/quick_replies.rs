//! Quick replies (D5): short names, texts with the two parameters the panel fills in, approved
//! templates for channels that need them.

use sea_orm::ActiveValue::Set;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};
use validator::{Validate, ValidationError};

use crate::actor::Actor;
use crate::admin::dictionaries::ensure_unique_name;
use crate::entity::quick_reply;
use crate::error::{DomainError, Result};
use crate::ids::QuickReplyId;
use crate::service::Admin;
use crate::validate::{check, clean, single_line};

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
}

impl Admin<'_> {
    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id))]
    pub async fn quick_reply(
        self,
        db: &impl ConnectionTrait,
        actor: &Actor,
        id: QuickReplyId,
    ) -> Result<quick_reply::Model> {
        quick_reply::Entity::find_by_id(id)
            .filter(quick_reply::Column::OrganizationId.eq(actor.organization_id))
            .one(db)
            .await?
            .ok_or(DomainError::not_found("quick reply"))
    }

    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id))]
    pub async fn create_quick_reply(
        self,
        actor: &Actor,
        input: CreateQuickReplyInput,
    ) -> Result<quick_reply::Model> {
        actor.require_admin()?;
        check(&input)?;
        let name = clean(&input.name);
        let tx = self.domain.write().await?;
        ensure_unique_name::<quick_reply::Entity>(&tx, actor.organization_id, &name, None).await?;
        let now = self.domain.now();
        let created = quick_reply::ActiveModel {
            id: Set(QuickReplyId::new()),
            organization_id: Set(actor.organization_id),
            name: Set(name),
            text: Set(input.text),
            created_at: Set(now),
            updated_at: Set(now),
            archived_at: Set(None),
            is_template: Set(input.approved_template),
        }
        .insert(&tx)
        .await?;
        tx.commit().await?;
        Ok(created)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id))]
    pub async fn update_quick_reply(
        self,
        actor: &Actor,
        input: UpdateQuickReplyInput,
    ) -> Result<quick_reply::Model> {
        actor.require_admin()?;
        check(&input)?;
        let tx = self.domain.write().await?;
        let found = self.quick_reply(&tx, actor, input.id).await?;
        let mut model: quick_reply::ActiveModel = found.into();
        if let Some(name) = &input.name {
            let name = clean(name);
            ensure_unique_name::<quick_reply::Entity>(
                &tx,
                actor.organization_id,
                &name,
                Some(input.id.0),
            )
            .await?;
            model.name = Set(name);
        }
        if let Some(text) = input.text {
            model.text = Set(text);
        }
        if let Some(template) = input.approved_template {
            model.is_template = Set(template);
        }
        model.updated_at = Set(self.domain.now());
        let updated = model.update(&tx).await?;
        tx.commit().await?;
        Ok(updated)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id))]
    pub async fn archive_quick_reply(
        self,
        actor: &Actor,
        id: QuickReplyId,
    ) -> Result<quick_reply::Model> {
        actor.require_admin()?;
        let tx = self.domain.write().await?;
        let found = self.quick_reply(&tx, actor, id).await?;
        let mut model: quick_reply::ActiveModel = found.into();
        model.archived_at = Set(Some(self.domain.now()));
        model.updated_at = Set(self.domain.now());
        let archived = model.update(&tx).await?;
        tx.commit().await?;
        Ok(archived)
    }

    /// Active quick replies, optionally those whose name contains `search` (any case; D5).
    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id))]
    pub async fn quick_replies(
        self,
        actor: &Actor,
        search: Option<&str>,
    ) -> Result<Vec<quick_reply::Model>> {
        let all = quick_reply::Entity::find()
            .filter(quick_reply::Column::OrganizationId.eq(actor.organization_id))
            .filter(quick_reply::Column::ArchivedAt.is_null())
            .order_by_asc(quick_reply::Column::Name)
            .all(&self.domain.db)
            .await?;
        let needle = search
            .map(|s| s.trim().to_lowercase())
            .filter(|s| !s.is_empty());
        Ok(match needle {
            Some(needle) => all
                .into_iter()
                .filter(|r| r.name.to_lowercase().contains(&needle))
                .collect(),
            None => all,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quick_reply_text_allows_only_known_parameters() {
        assert!(quick_reply_text("Hello <customer_name>, I am <operator_name>.").is_ok());
        assert!(quick_reply_text("Hello 😊").is_ok());
        assert!(quick_reply_text("a < b").is_err());
        assert!(quick_reply_text("<script>").is_err());
        assert!(quick_reply_text("  ").is_err());
    }
}
