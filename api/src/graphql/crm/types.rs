//! CRM records and the organization's CRM connection as GraphQL shows them.

use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};

use omnipanel_domain::entity::crm_connection;
use omnipanel_domain::enums::CrmKind;
use omnipanel_domain::ids::OrganizationId;

use crate::graphql::context::masking;

/// A CRM contact. Phone and e-mail are masked for operators when the organization says so (K1).
pub struct CrmContact {
    pub organization_id: OrganizationId,
    pub contact: omnipanel_domain::ports::CrmContact,
}

#[Object]
impl CrmContact {
    /// The contact's id in the CRM.
    async fn id(&self) -> ID {
        ID(self.contact.id.clone())
    }
    async fn name(&self) -> &str {
        &self.contact.name
    }
    async fn phone(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        Ok(masking(ctx, self.organization_id)
            .await?
            .apply_opt(self.contact.phone.as_deref()))
    }
    async fn email(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        Ok(masking(ctx, self.organization_id)
            .await?
            .apply_opt(self.contact.email.as_deref()))
    }
    /// The contact's account in the CRM.
    async fn account_id(&self) -> Option<ID> {
        self.contact.account_id.clone().map(ID)
    }
}

/// A CRM case.
pub struct CrmCase(pub omnipanel_domain::ports::CrmCase);

#[Object]
impl CrmCase {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    /// The number people quote.
    async fn number(&self) -> &str {
        &self.0.number
    }
    async fn subject(&self) -> &str {
        &self.0.subject
    }
    /// The status as the CRM names or identifies it.
    async fn status(&self) -> Option<&str> {
        self.0.status.as_deref()
    }
    async fn contact_id(&self) -> Option<ID> {
        self.0.contact_id.clone().map(ID)
    }
    async fn account_id(&self) -> Option<ID> {
        self.0.account_id.clone().map(ID)
    }
    async fn created_at(&self) -> Option<DateTime<Utc>> {
        self.0.created_at
    }
}

/// A CRM activity.
#[derive(SimpleObject)]
pub struct CrmActivity {
    pub id: ID,
    pub title: String,
}

/// The organization's CRM connection. Secrets are write-only: only whether one is set shows.
pub struct CrmConnection(pub crm_connection::Model);

#[Object]
impl CrmConnection {
    async fn kind(&self) -> CrmKind {
        self.0.kind
    }
    async fn base_url(&self) -> Option<&str> {
        self.0.base_url.as_deref()
    }
    /// The identity service; when unset, Creatio Cloud's `https://<tenant>-is.creatio.com`.
    async fn identity_url(&self) -> Option<&str> {
        self.0.identity_url.as_deref()
    }
    async fn odata_path(&self) -> Option<&str> {
        self.0.odata_path.as_deref()
    }
    async fn client_id(&self) -> Option<&str> {
        self.0.client_id.as_deref()
    }
    async fn has_client_secret(&self) -> bool {
        self.0.client_secret.is_some()
    }
    async fn case_origin_id(&self) -> Option<&str> {
        self.0.case_origin_id.as_deref()
    }
    async fn case_status_id(&self) -> Option<&str> {
        self.0.case_status_id.as_deref()
    }
    async fn oauth_client_id(&self) -> Option<&str> {
        self.0.oauth_client_id.as_deref()
    }
    async fn has_oauth_client_secret(&self) -> bool {
        self.0.oauth_client_secret.is_some()
    }
    /// Scopes asked for at sign-in through the CRM.
    async fn oauth_scopes(&self) -> Option<&str> {
        self.0.oauth_scopes.as_deref()
    }
    async fn close_process_name(&self) -> Option<&str> {
        self.0.close_process_name.as_deref()
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}
