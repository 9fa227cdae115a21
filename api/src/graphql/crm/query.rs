//! Looking things up in the CRM, and the connection's settings.

use async_graphql::{Context, ID, Object};

use crate::graphql::context::{actor, call, domain};
use crate::graphql::crm::types::{CrmCase, CrmConnection, CrmContact};
use crate::graphql::error::Gql;

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
        let found = call(ctx, |d, a| d.crm().crm_cases(a, &contact_id)).await?;
        Ok(found.into_iter().map(CrmCase).collect())
    }

    /// The CRM connection (administrators).
    async fn crm_connection(&self, ctx: &Context<'_>) -> async_graphql::Result<CrmConnection> {
        let connection = call(ctx, |d, a| d.crm().crm_connection(a)).await?;
        Ok(CrmConnection(connection))
    }
}
