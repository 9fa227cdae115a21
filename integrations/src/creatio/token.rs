//! Access tokens, cached per organization and renewed shortly before they expire.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Utc};

use omnipanel_domain::ids::OrganizationId;

use super::settings::CreatioSettings;

/// Renew a token this long before it expires.
pub(super) const TOKEN_MARGIN_SECS: i64 = 60;

/// Creatio's default token lifetime, used when the answer has no `expires_in`.
pub(super) const DEFAULT_TOKEN_SECS: i64 = 3600;

/// A cached access token and what it was issued for.
#[derive(Clone)]
pub(super) struct CachedToken {
    /// The settings the token belongs to: a changed connection never uses an old token.
    pub(super) issued_for: CreatioSettings,
    pub(super) access_token: String,
    pub(super) renew_at: DateTime<Utc>,
}

/// Access tokens per organization, shared by every connector this server builds.
#[derive(Default)]
pub struct TokenCache {
    pub(super) tokens: Mutex<HashMap<OrganizationId, CachedToken>>,
}

impl TokenCache {
    pub(super) fn get(
        &self, organization_id: OrganizationId, settings: &CreatioSettings, now: DateTime<Utc>,
    ) -> Option<String> {
        let tokens = self.tokens.lock().unwrap_or_else(|e| e.into_inner());
        tokens
            .get(&organization_id)
            .filter(|t| &t.issued_for == settings && now < t.renew_at)
            .map(|t| t.access_token.clone())
    }

    pub(super) fn put(&self, organization_id: OrganizationId, token: CachedToken) {
        let mut tokens = self.tokens.lock().unwrap_or_else(|e| e.into_inner());
        tokens.insert(organization_id, token);
    }

    pub(super) fn forget(&self, organization_id: OrganizationId) {
        let mut tokens = self.tokens.lock().unwrap_or_else(|e| e.into_inner());
        tokens.remove(&organization_id);
    }
}
