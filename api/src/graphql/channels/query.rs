//! The organization's channels, and whom a new outgoing message may reach.

use async_graphql::{Context, Object};

use crate::graphql::channels::types::{Channel, RecipientCandidate};
use crate::graphql::context::call;

#[derive(Default)]
pub struct ChannelQuery;

#[Object]
impl ChannelQuery {
    /// The organization's channels.
    async fn channels(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Channel>> {
        let rows = call(ctx, |d, a| d.channels().channels(a)).await?;
        Ok(rows.into_iter().map(Channel).collect())
    }

    /// Every way to reach what was typed into "To": a phone number, a messenger id (digits
    /// only), a @username, or a contact's name in the CRM. Several candidates mean the
    /// operator confirms one (I1).
    async fn recipient_candidates(
        &self,
        ctx: &Context<'_>,
        to: String,
    ) -> async_graphql::Result<Vec<RecipientCandidate>> {
        let found = call(ctx, |d, a| d.conversation().recipient_candidates(a, &to)).await?;
        Ok(found.into_iter().map(RecipientCandidate).collect())
    }
}
