//! The CRM in GraphQL (H): records and the organization's connection as GraphQL shows them,
//! look-ups, the connection's settings, a chat's links, cases and activities made from a chat,
//! and the customer identified.

use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use omnipanel_domain::crm::{
    CreateActivityFromChatInput, CreateCaseFromChatInput, IdentifyCustomerInput, LinkChatInput,
    UpdateCrmConnectionInput,
};
use omnipanel_domain::entity::crm_connection;
use omnipanel_domain::enums::CrmKind;
use omnipanel_domain::ids::OrganizationId;

use crate::graphql::chat::types::Chat;
use crate::graphql::chat::types::ChatPayload;
use crate::graphql::context::{actor, call, call_each, domain, masking};
use crate::graphql::error::Gql;

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

#[derive(Default)]
pub struct CrmQuery;

#[Object]
impl CrmQuery {
    /// Contacts found in the organization's CRM by e-mail, phone number or name (at most 20).
    async fn crm_contacts(
        &self,
        ctx: &Context<'_>,
        search: String,
    ) -> async_graphql::Result<Vec<CrmContact>> {
        let actor = actor(ctx)?;
        let found = domain(ctx).crm().crm_contacts(actor, &search).await.gql()?;
        Ok(found
            .into_iter()
            .map(|contact| CrmContact {
                organization_id: actor.organization_id,
                contact,
            })
            .collect())
    }

    /// A contact's cases, newest first (H3: consulting on an existing case).
    async fn crm_cases(
        &self,
        ctx: &Context<'_>,
        contact_id: ID,
    ) -> async_graphql::Result<Vec<CrmCase>> {
        call_each(ctx, |d, a| d.crm().crm_cases(a, &contact_id), CrmCase).await
    }

    /// The CRM connection (administrators).
    async fn crm_connection(&self, ctx: &Context<'_>) -> async_graphql::Result<CrmConnection> {
        let connection = call(ctx, |d, a| d.crm().crm_connection(a)).await?;
        Ok(CrmConnection(connection))
    }
}

#[derive(SimpleObject)]
pub struct CrmConnectionPayload {
    pub crm_connection: CrmConnection,
}

impl From<omnipanel_domain::entity::crm_connection::Model> for CrmConnectionPayload {
    fn from(row: omnipanel_domain::entity::crm_connection::Model) -> Self {
        Self {
            crm_connection: CrmConnection(row),
        }
    }
}

/// What "Test the connection" found: the CRM answered (with a contact, if it has any), or the
/// call that failed and how.
#[derive(SimpleObject)]
pub struct CrmConnectionTestPayload {
    /// Whether the identity service gave a token and the CRM answered with it.
    pub ok: bool,
    /// Which call failed and the CRM's words; null when `ok`.
    pub failure: Option<String>,
    /// The contact read, when the CRM has any.
    pub contact: Option<CrmContact>,
}

#[derive(SimpleObject)]
pub struct CreateCaseFromChatPayload {
    pub chat: Chat,
    pub case: CrmCase,
}

#[derive(SimpleObject)]
pub struct CreateActivityFromChatPayload {
    pub chat: Chat,
    pub activity: CrmActivity,
}

#[derive(SimpleObject)]
pub struct IdentifyCustomerPayload {
    pub chat: Chat,
    pub contact: CrmContact,
}

#[derive(Default)]
pub struct CrmMutation;

#[Object]
impl CrmMutation {
    /// Changes the CRM connection (administrators). Omitted fields keep their value; an empty
    /// string clears an optional one; secrets are never returned.
    async fn update_crm_connection(
        &self,
        ctx: &Context<'_>,
        input: UpdateCrmConnectionInput,
    ) -> async_graphql::Result<CrmConnectionPayload> {
        call(ctx, |d, a| d.crm().update_crm_connection(a, input))
            .await
            .map(Into::into)
    }

    /// Checks the saved CRM connection (administrators): a token, then one contact read with
    /// it. A refusal is reported in `failure`, not as an error.
    async fn test_crm_connection(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<CrmConnectionTestPayload> {
        let organization_id = actor(ctx)?.organization_id;
        let test = call(ctx, |d, a| d.crm().test_crm_connection(a)).await?;
        Ok(CrmConnectionTestPayload {
            ok: test.failure.is_none(),
            failure: test.failure,
            contact: test.contact.map(|contact| CrmContact {
                organization_id,
                contact,
            }),
        })
    }

    /// Links a chat to a CRM contact, account, activity or case; each is checked in the CRM.
    async fn link_chat(
        &self,
        ctx: &Context<'_>,
        input: LinkChatInput,
    ) -> async_graphql::Result<ChatPayload> {
        call(ctx, |d, a| d.crm().link_chat(a, input))
            .await
            .map(Into::into)
    }

    /// Creates a CRM case from a chat, with its transcript, and links it (H2). Operators, and
    /// CRM business processes with a `CRM` key.
    async fn create_case_from_chat(
        &self,
        ctx: &Context<'_>,
        input: CreateCaseFromChatInput,
    ) -> async_graphql::Result<CreateCaseFromChatPayload> {
        let (chat, case) = call(ctx, |d, a| d.crm().create_case_from_chat(a, input)).await?;
        Ok(CreateCaseFromChatPayload {
            chat: Chat(chat),
            case: CrmCase(case),
        })
    }

    /// Creates a CRM activity for a chat and links it.
    async fn create_activity_from_chat(
        &self,
        ctx: &Context<'_>,
        input: CreateActivityFromChatInput,
    ) -> async_graphql::Result<CreateActivityFromChatPayload> {
        let (chat, activity) =
            call(ctx, |d, a| d.crm().create_activity_from_chat(a, input)).await?;
        Ok(CreateActivityFromChatPayload {
            chat: Chat(chat),
            activity: CrmActivity {
                id: ID(activity.id),
                title: activity.title,
            },
        })
    }

    /// Stores what the operator learned about the customer, then links the CRM contact with
    /// that phone or e-mail, or creates one (D10).
    async fn identify_customer(
        &self,
        ctx: &Context<'_>,
        input: IdentifyCustomerInput,
    ) -> async_graphql::Result<IdentifyCustomerPayload> {
        let actor = actor(ctx)?;
        let (chat, contact) = domain(ctx)
            .crm()
            .identify_customer(actor, input)
            .await
            .gql()?;
        Ok(IdentifyCustomerPayload {
            chat: Chat(chat),
            contact: CrmContact {
                organization_id: actor.organization_id,
                contact,
            },
        })
    }
}
