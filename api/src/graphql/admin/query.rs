//! Administration's reads: operators, queues, dictionaries and settings.

use async_graphql::{Context, Object};

use crate::graphql::admin::types::{
    BotScheme, ChatResult, CustomStatus, Operator, OrganizationSettings, Queue, QuickReply, Skill,
    Topic, WrapUpReason, prime_operators, prime_queues,
};
use crate::graphql::context::{call, call_each};

#[derive(Default)]
pub struct AdminQuery;

#[Object]
impl AdminQuery {
    /// Operators of the organization. By default only those who can take a chat now: online or
    /// ready and under their limit (E1, 001). `search` matches name or e-mail.
    async fn operators(
        &self, ctx: &Context<'_>, #[graphql(default = true)] only_available: bool,
        search: Option<String>,
    ) -> async_graphql::Result<Vec<Operator>> {
        let found = call(ctx, |d, a| {
            d.admin().operators(a, only_available, search.as_deref())
        })
        .await?;
        prime_operators(ctx, found.iter().map(|o| o.id).collect()).await?;
        Ok(found.into_iter().map(Operator::of).collect())
    }

    /// Active queues. By default only those with room (not at their size limit; C6, E1).
    async fn queues(
        &self, ctx: &Context<'_>, #[graphql(default = true)] only_available: bool,
    ) -> async_graphql::Result<Vec<Queue>> {
        let found = call(ctx, |d, a| d.admin().queues(a, only_available)).await?;
        prime_queues(ctx, &found).await?;
        Ok(found.into_iter().map(Queue::from).collect())
    }

    /// Skills.
    async fn skills(
        &self, ctx: &Context<'_>, #[graphql(default)] include_archived: bool,
    ) -> async_graphql::Result<Vec<Skill>> {
        call_each(ctx, |d, a| d.admin().skills(a, include_archived)).await
    }

    /// Active quick replies; `search` matches the name (D5). With `chatId`, those the chat's
    /// queue may use; without, every one for administrators and those of the caller's queues
    /// for operators (001).
    async fn quick_replies(
        &self, ctx: &Context<'_>, search: Option<String>,
        chat_id: Option<omnipanel_domain::ids::ChatId>,
    ) -> async_graphql::Result<Vec<QuickReply>> {
        call_each(ctx, |d, a| {
            d.admin().quick_replies(a, search.as_deref(), chat_id)
        })
        .await
    }

    /// Wrap-up reasons operators may close with; the system's own only when asked.
    async fn wrap_up_reasons(
        &self, ctx: &Context<'_>, #[graphql(default)] include_archived: bool,
        #[graphql(default)] include_system: bool,
    ) -> async_graphql::Result<Vec<WrapUpReason>> {
        let found = call(ctx, |d, a| d.admin().wrap_up_reasons(a, include_archived)).await?;
        Ok(found
            .into_iter()
            .filter(|r| include_system || !r.is_system)
            .map(WrapUpReason::from)
            .collect())
    }

    /// Chat results (D6).
    async fn chat_results(
        &self, ctx: &Context<'_>, #[graphql(default)] include_archived: bool,
    ) -> async_graphql::Result<Vec<ChatResult>> {
        call_each(ctx, |d, a| d.admin().chat_results(a, include_archived)).await
    }

    /// Top-level topics, each with its subtopics (D9).
    async fn topics(
        &self, ctx: &Context<'_>, #[graphql(default)] include_archived: bool,
    ) -> async_graphql::Result<Vec<Topic>> {
        let found = call(ctx, |d, a| d.admin().topics(a, include_archived)).await?;
        Ok(found
            .into_iter()
            .filter(|t| t.parent_id.is_none())
            .map(Topic::from)
            .collect())
    }

    /// Custom statuses (B1).
    async fn custom_statuses(
        &self, ctx: &Context<'_>, #[graphql(default)] include_archived: bool,
    ) -> async_graphql::Result<Vec<CustomStatus>> {
        call_each(ctx, |d, a| d.admin().custom_statuses(a, include_archived)).await
    }

    /// Bot schemes chats can be transferred to (E1).
    async fn bot_schemes(
        &self, ctx: &Context<'_>, #[graphql(default)] include_archived: bool,
    ) -> async_graphql::Result<Vec<BotScheme>> {
        call_each(ctx, |d, a| d.admin().bot_schemes(a, include_archived)).await
    }

    /// The organization's settings (N1).
    async fn settings(&self, ctx: &Context<'_>) -> async_graphql::Result<OrganizationSettings> {
        call(ctx, |d, a| d.admin().settings(a))
            .await
            .map(OrganizationSettings::from)
    }
}
