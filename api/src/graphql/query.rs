//! Queries.

use async_graphql::{Context, Object};

use super::types::*;
use super::types::{prime_operators, prime_queues};
use super::{Gql, actor, domain};

/// Identity and administration queries.
#[derive(Default)]
pub struct AdminQuery;

#[Object]
impl AdminQuery {
    /// The signed-in operator.
    async fn me(&self, ctx: &Context<'_>) -> async_graphql::Result<Operator> {
        domain(ctx)
            .identity()
            .me(actor(ctx)?)
            .await
            .gql()
            .map(Operator::of)
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

    /// Operators of the organization. By default only those who can take a chat now: READY and
    /// under their limit (E1). `search` matches name or e-mail.
    async fn operators(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = true)] only_available: bool,
        search: Option<String>,
    ) -> async_graphql::Result<Vec<Operator>> {
        let found = domain(ctx)
            .admin()
            .operators(actor(ctx)?, only_available, search.as_deref())
            .await
            .gql()?;
        prime_operators(ctx, found.iter().map(|o| o.id).collect()).await?;
        Ok(found.into_iter().map(Operator::of).collect())
    }

    /// Active queues. By default only those with room (not at their size limit; C6, E1).
    async fn queues(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = true)] only_available: bool,
    ) -> async_graphql::Result<Vec<Queue>> {
        let found = domain(ctx)
            .admin()
            .queues(actor(ctx)?, only_available)
            .await
            .gql()?;
        prime_queues(ctx, &found).await?;
        Ok(found.into_iter().map(Queue).collect())
    }

    /// Skills.
    async fn skills(
        &self,
        ctx: &Context<'_>,
        #[graphql(default)] include_archived: bool,
    ) -> async_graphql::Result<Vec<Skill>> {
        let found = domain(ctx)
            .admin()
            .skills(actor(ctx)?, include_archived)
            .await
            .gql()?;
        Ok(found.into_iter().map(Skill).collect())
    }

    /// Active quick replies; `search` matches the name (D5).
    async fn quick_replies(
        &self,
        ctx: &Context<'_>,
        search: Option<String>,
    ) -> async_graphql::Result<Vec<QuickReply>> {
        let found = domain(ctx)
            .admin()
            .quick_replies(actor(ctx)?, search.as_deref())
            .await
            .gql()?;
        Ok(found.into_iter().map(QuickReply).collect())
    }

    /// Wrap-up reasons operators may close with; the system's own only when asked.
    async fn wrap_up_reasons(
        &self,
        ctx: &Context<'_>,
        #[graphql(default)] include_archived: bool,
        #[graphql(default)] include_system: bool,
    ) -> async_graphql::Result<Vec<WrapUpReason>> {
        let found = domain(ctx)
            .admin()
            .wrap_up_reasons(actor(ctx)?, include_archived)
            .await
            .gql()?;
        Ok(found
            .into_iter()
            .filter(|r| include_system || !r.is_system)
            .map(WrapUpReason)
            .collect())
    }

    /// Chat results (D6).
    async fn chat_results(
        &self,
        ctx: &Context<'_>,
        #[graphql(default)] include_archived: bool,
    ) -> async_graphql::Result<Vec<ChatResult>> {
        let found = domain(ctx)
            .admin()
            .chat_results(actor(ctx)?, include_archived)
            .await
            .gql()?;
        Ok(found.into_iter().map(ChatResult).collect())
    }

    /// Top-level topics, each with its subtopics (D9).
    async fn topics(
        &self,
        ctx: &Context<'_>,
        #[graphql(default)] include_archived: bool,
    ) -> async_graphql::Result<Vec<Topic>> {
        let found = domain(ctx)
            .admin()
            .topics(actor(ctx)?, include_archived)
            .await
            .gql()?;
        Ok(found
            .into_iter()
            .filter(|t| t.parent_id.is_none())
            .map(Topic)
            .collect())
    }

    /// Custom statuses (B1).
    async fn custom_statuses(
        &self,
        ctx: &Context<'_>,
        #[graphql(default)] include_archived: bool,
    ) -> async_graphql::Result<Vec<CustomStatus>> {
        let found = domain(ctx)
            .admin()
            .custom_statuses(actor(ctx)?, include_archived)
            .await
            .gql()?;
        Ok(found.into_iter().map(CustomStatus).collect())
    }

    /// Bot schemes chats can be transferred to (E1).
    async fn bot_schemes(
        &self,
        ctx: &Context<'_>,
        #[graphql(default)] include_archived: bool,
    ) -> async_graphql::Result<Vec<BotScheme>> {
        let found = domain(ctx)
            .admin()
            .bot_schemes(actor(ctx)?, include_archived)
            .await
            .gql()?;
        Ok(found.into_iter().map(BotScheme).collect())
    }

    /// The organization's settings (N1).
    async fn settings(&self, ctx: &Context<'_>) -> async_graphql::Result<OrganizationSettings> {
        domain(ctx)
            .admin()
            .settings(actor(ctx)?)
            .await
            .gql()
            .map(OrganizationSettings)
    }

    /// The organization's API keys, without the keys (admins).
    async fn api_keys(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ApiKey>> {
        let found = domain(ctx).identity().api_keys(actor(ctx)?).await.gql()?;
        Ok(found.into_iter().map(ApiKey).collect())
    }
}
