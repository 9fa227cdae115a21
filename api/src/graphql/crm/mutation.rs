//! The CRM connection, a chat's links, cases and activities made from a chat, the customer
//! identified.

use async_graphql::{Context, ID, Object, SimpleObject};

use omnipanel_domain::crm::{
    CreateActivityFromChatInput, CreateCaseFromChatInput, IdentifyCustomerInput, LinkChatInput,
    UpdateCrmConnectionInput,
};

use crate::graphql::chat::mutation::ChatPayload;
use crate::graphql::chat::types::Chat;
use crate::graphql::context::{actor, call, domain};
use crate::graphql::crm::types::{CrmActivity, CrmCase, CrmConnection, CrmContact};
use crate::graphql::error::Gql;

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
