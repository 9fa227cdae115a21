//! API keys for machine clients (the chatbot, CRM processes, administration scripts): shown once,
//! kept as digests, revocable.

use sea_orm::ActiveValue::Set;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter};
use validator::Validate;

use crate::actor::Actor;
use crate::entity::{api_key, organization};
use crate::enums::ApiKeyScope;
use crate::error::{DomainError, Result};
use crate::ids::{ApiKeyId, OperatorId, OrganizationId};
use crate::secret::{self, prefix};
use crate::service::Identity;
use crate::store::find_own;
use crate::validate::{check, check_admin, clean, single_line};

#[derive(Clone, Debug, Validate)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct CreateApiKeyInput {
    pub scope: ApiKeyScope,
    /// A label to tell keys apart ("Chatbot production").
    #[validate(length(min = 1, max = 100), custom(function = "single_line"))]
    pub name: String,
}

/// A new API key: the key (shown once) and its record.
pub struct CreatedApiKey {
    pub key: String,
    pub record: api_key::Model,
}

impl Identity<'_> {
    /// Creates an API key (A5). The key is returned once; only its digest is kept.
    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id))]
    pub async fn create_api_key(
        self, actor: &Actor, input: CreateApiKeyInput,
    ) -> Result<CreatedApiKey> {
        check_admin(actor, &input)?;
        self.insert_api_key(actor.organization_id, input, actor.operator_id())
            .await
    }

    /// Creates an API key without a caller (the `omnipanel api-key create` command).
    #[tracing::instrument(level = "debug", skip_all, fields(org = %organization_id))]
    pub async fn insert_api_key(
        self, organization_id: OrganizationId, input: CreateApiKeyInput,
        created_by: Option<OperatorId>,
    ) -> Result<CreatedApiKey> {
        check(&input)?;
        organization::Entity::find_by_id(organization_id)
            .one(&self.domain.db)
            .await?
            .ok_or(DomainError::not_found("organization"))?;
        let key = secret::generate_token(prefix::API_KEY);
        let record = api_key::ActiveModel {
            id: Set(ApiKeyId::new()),
            organization_id: Set(organization_id),
            name: Set(clean(&input.name)),
            scope: Set(input.scope),
            key_hash: Set(secret::token_digest(&key)),
            key_prefix: Set(key.chars().take(10).collect()),
            created_by: Set(created_by),
            created_at: Set(self.domain.now()),
            last_used_at: Set(None),
            revoked_at: Set(None),
        }
        .insert(&self.domain.db)
        .await?;
        Ok(CreatedApiKey { key, record })
    }

    /// The organization's API keys (never the keys themselves).
    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id))]
    pub async fn api_keys(self, actor: &Actor) -> Result<Vec<api_key::Model>> {
        actor.require_admin()?;
        Ok(api_key::Entity::find()
            .filter(api_key::Column::OrganizationId.eq(actor.organization_id))
            .all(&self.domain.db)
            .await?)
    }

    /// Revokes an API key.
    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id))]
    pub async fn revoke_api_key(self, actor: &Actor, id: ApiKeyId) -> Result<api_key::Model> {
        actor.require_admin()?;
        let mut work = self.domain.begin_now().await?;
        let found = find_own::<api_key::Entity>(&work.tx, actor, id).await?;
        let mut model: api_key::ActiveModel = found.into();
        model.revoked_at = Set(Some(work.now));
        let revoked = model.update(&work.tx).await?;
        work.change_credentials();
        self.domain.answer(work, revoked).await
    }
}
