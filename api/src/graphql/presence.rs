//! Operators' presence (B): one's status, the next one, unblocking, activity and call state.

use async_graphql::{Context, Object, SimpleObject};

use omnipanel_domain::presence::{ScheduleMyNextStatusInput, SetCallStateInput, SetMyStatusInput};

use crate::graphql::admin::types::Operator;
use crate::graphql::context::call;

#[derive(SimpleObject)]
pub struct StatusPayload {
    pub operator: Operator,
}

/// The caller as they are after the change, as seen by themself.
impl From<omnipanel_domain::entity::operator::Model> for StatusPayload {
    fn from(me: omnipanel_domain::entity::operator::Model) -> Self {
        Self {
            operator: Operator::own(me),
        }
    }
}

#[derive(Default)]
pub struct PresenceMutation;

#[Object]
impl PresenceMutation {
    /// Sets the caller's status (B1).
    async fn set_my_status(
        &self, ctx: &Context<'_>, input: SetMyStatusInput,
    ) -> async_graphql::Result<StatusPayload> {
        call(ctx, |d, a| d.presence().set_my_status(a, input))
            .await
            .map(Into::into)
    }

    /// Schedules the status to take when the current chats are done (B2).
    async fn schedule_my_next_status(
        &self, ctx: &Context<'_>, input: ScheduleMyNextStatusInput,
    ) -> async_graphql::Result<StatusPayload> {
        call(ctx, |d, a| d.presence().schedule_my_next_status(a, input))
            .await
            .map(Into::into)
    }

    /// Leaves BLOCKED (after a missed invitation) for READY.
    async fn unblock_me(&self, ctx: &Context<'_>) -> async_graphql::Result<StatusPayload> {
        call(ctx, |d, a| d.presence().unblock_me(a))
            .await
            .map(Into::into)
    }

    /// Ends the caller's after-chat work now (X6 "Finish"); `CONFLICT` outside it.
    async fn finish_after_chat_work(
        &self, ctx: &Context<'_>,
    ) -> async_graphql::Result<StatusPayload> {
        call(ctx, |d, a| d.presence().finish_after_chat_work(a))
            .await
            .map(Into::into)
    }

    /// Tells the server the operator is at the panel (restarts the AWAY timer).
    async fn report_activity(&self, ctx: &Context<'_>) -> async_graphql::Result<StatusPayload> {
        call(ctx, |d, a| d.presence().report_activity(a))
            .await
            .map(Into::into)
    }

    /// The telephony side reports a call starting or ending (C3).
    async fn set_call_state(
        &self, ctx: &Context<'_>, input: SetCallStateInput,
    ) -> async_graphql::Result<StatusPayload> {
        call(ctx, |d, a| d.presence().set_call_state(a, input))
            .await
            .map(Into::into)
    }
}
