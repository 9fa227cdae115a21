//! The CRM in GraphQL (H): records and the organization's connection as GraphQL shows them,
//! look-ups, the connection's settings, a chat's links, cases and activities made from a chat,
//! and the customer identified.

use async_graphql::{ComplexObject, Context, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use omnipanel_domain::crm::{
    CreateActivityFromChatInput, CreateCaseFromChatInput, IdentifyCustomerInput, LinkChatInput,
    UpdateCrmConnectionInput,
};
use omnipanel_domain::entity::crm_connection;
use omnipanel_domain::enums::CrmKind;
use omnipanel_domain::ids::OrganizationId;

use crate::graphql::chat::types::{Chat, ChatPayload};
use crate::graphql::context::{actor, call, call_each, domain, masking};
use crate::graphql::error::Gql;
use crate::graphql::projection::projection;

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

projection!(
    /// A CRM case.
    CrmCase(omnipanel_domain::ports::CrmCase) + complex {
        /// The number people quote.
        number: String,
        subject: String,
        /// The status as the CRM names or identifies it.
        status: Option<String>,
        created_at: Option<DateTime<Utc>>,
    }
);

#[ComplexObject]
impl CrmCase {
    async fn id(&self) -> ID {
        ID(self.row.id.clone())
    }
    async fn contact_id(&self) -> Option<ID> {
        self.row.contact_id.clone().map(ID)
    }
    async fn account_id(&self) -> Option<ID> {
        self.row.account_id.clone().map(ID)
    }
}

/// A CRM activity.
#[derive(SimpleObject)]
pub struct CrmActivity {
    pub id: ID,
    pub title: String,
}

projection!(
    /// The organization's CRM connection. Secrets are write-only: only whether one is set shows.
    CrmConnection(crm_connection::Model) + complex {
        kind: CrmKind,
        base_url: Option<String>,
        /// The identity service; when unset, Creatio Cloud's `https://<tenant>-is.creatio.com`.
        identity_url: Option<String>,
        odata_path: Option<String>,
        client_id: Option<String>,
        case_origin_id: Option<String>,
        case_status_id: Option<String>,
        oauth_client_id: Option<String>,
        /// Scopes asked for at sign-in through the CRM.
        oauth_scopes: Option<String>,
        close_process_name: Option<String>,
        updated_at: DateTime<Utc>,
    }
);

#[ComplexObject]
impl CrmConnection {
    async fn has_client_secret(&self) -> bool {
        self.row.client_secret.is_some()
    }
    async fn has_oauth_client_secret(&self) -> bool {
        self.row.oauth_client_secret.is_some()
    }
}

#[derive(Default)]
pub struct CrmQuery;

#[Object]
impl CrmQuery {
    /// Contacts found in the organization's CRM by e-mail, phone number or name (at most 20).
    async fn crm_contacts(
        &self, ctx: &Context<'_>, search: String,
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
        &self, ctx: &Context<'_>, contact_id: ID,
    ) -> async_graphql::Result<Vec<CrmCase>> {
        call_each(ctx, |d, a| d.crm().crm_cases(a, &contact_id)).await
    }

    /// The CRM connection (administrators).
    async fn crm_connection(&self, ctx: &Context<'_>) -> async_graphql::Result<CrmConnection> {
        let connection = call(ctx, |d, a| d.crm().crm_connection(a)).await?;
        Ok(CrmConnection::from(connection))
    }
}

#[derive(SimpleObject)]
pub struct CrmConnectionPayload {
    pub crm_connection: CrmConnection,
}

impl From<omnipanel_domain::entity::crm_connection::Model> for CrmConnectionPayload {
    fn from(row: omnipanel_domain::entity::crm_connection::Model) -> Self {
        Self {
            crm_connection: CrmConnection::from(row),
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
        &self, ctx: &Context<'_>, input: UpdateCrmConnectionInput,
    ) -> async_graphql::Result<CrmConnectionPayload> {
        call(ctx, |d, a| d.crm().update_crm_connection(a, input))
            .await
            .map(Into::into)
    }

    /// Checks the saved CRM connection (administrators): a token, then one contact read with
    /// it. A refusal is reported in `failure`, not as an error.
    async fn test_crm_connection(
        &self, ctx: &Context<'_>,
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
        &self, ctx: &Context<'_>, input: LinkChatInput,
    ) -> async_graphql::Result<ChatPayload> {
        call(ctx, |d, a| d.crm().link_chat(a, input))
            .await
            .map(Into::into)
    }

    /// Creates a CRM case from a chat, with its transcript, and links it (H2). Operators, and
    /// CRM business processes with a `CRM` key.
    async fn create_case_from_chat(
        &self, ctx: &Context<'_>, input: CreateCaseFromChatInput,
    ) -> async_graphql::Result<CreateCaseFromChatPayload> {
        let (chat, case) = call(ctx, |d, a| d.crm().create_case_from_chat(a, input)).await?;
        Ok(CreateCaseFromChatPayload {
            chat: Chat::from(chat),
            case: CrmCase::from(case),
        })
    }

    /// Creates a CRM activity for a chat and links it.
    async fn create_activity_from_chat(
        &self, ctx: &Context<'_>, input: CreateActivityFromChatInput,
    ) -> async_graphql::Result<CreateActivityFromChatPayload> {
        let (chat, activity) =
            call(ctx, |d, a| d.crm().create_activity_from_chat(a, input)).await?;
        Ok(CreateActivityFromChatPayload {
            chat: Chat::from(chat),
            activity: CrmActivity {
                id: ID(activity.id),
                title: activity.title,
            },
        })
    }

    /// Stores what the operator learned about the customer, then links the CRM contact with
    /// that phone or e-mail, or creates one (D10).
    async fn identify_customer(
        &self, ctx: &Context<'_>, input: IdentifyCustomerInput,
    ) -> async_graphql::Result<IdentifyCustomerPayload> {
        let actor = actor(ctx)?;
        let (chat, contact) = domain(ctx)
            .crm()
            .identify_customer(actor, input)
            .await
            .gql()?;
        Ok(IdentifyCustomerPayload {
            chat: Chat::from(chat),
            contact: CrmContact {
                organization_id: actor.organization_id,
                contact,
            },
        })
    }
}
