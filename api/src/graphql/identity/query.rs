//! Who is asking: the signed-in operator, the server's time, the organization's API keys.

use async_graphql::{Context, Object};

use crate::graphql::admin::types::Operator;
use crate::graphql::context::{actor, call, domain};

use crate::graphql::identity::types::ApiKey;

#[derive(Default)]
pub struct IdentityQuery;

#[Object]
impl IdentityQuery {
    /// The signed-in operator.
    async fn me(&self, ctx: &Context<'_>) -> async_graphql::Result<Operator> {
        call(ctx, |d, a| d.identity().me(a)).await.map(Operator::of)
    }

    /// The server's clock now. Panels show their timers (time in status, waiting, an
    /// invitation's countdown) against it rather than the browser's own.
    async fn server_time(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<chrono::DateTime<chrono::Utc>> {
        actor(ctx)?;
        Ok(domain(ctx).now())
    }

    /// The organization's API keys, without the keys (admins).
    async fn api_keys(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ApiKey>> {
        let found = call(ctx, |d, a| d.identity().api_keys(a)).await?;
        Ok(found.into_iter().map(ApiKey).collect())
    }
}
