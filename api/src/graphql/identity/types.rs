//! API keys as administrators list them (never the key itself).

use async_graphql::Object;
use chrono::{DateTime, Utc};
use omnipanel_domain::entity::api_key;
use omnipanel_domain::enums::ApiKeyScope;
use omnipanel_domain::ids::*;

/// A machine client's key, without the key itself.
pub struct ApiKey(pub api_key::Model);

#[Object]
impl ApiKey {
    async fn id(&self) -> ApiKeyId {
        self.0.id
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn scope(&self) -> ApiKeyScope {
        self.0.scope
    }
    /// The key's first characters, to tell keys apart.
    async fn prefix(&self) -> &str {
        &self.0.key_prefix
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn last_used_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_used_at
    }
    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at
    }
}
