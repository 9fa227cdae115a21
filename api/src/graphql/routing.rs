//! Routing as supervisors and the chatbot see it: a chat's decisions with every candidate, and a
//! waiting customer's place in the queue.

use async_graphql::{ComplexObject, Context, Object, SimpleObject};

use chrono::{DateTime, Utc};

use omnipanel_domain::entity::routing_decision;
use omnipanel_domain::enums::*;
use omnipanel_domain::ids::ChatId;

use omnipanel_domain::routing::{Candidate, SkipReason};

use crate::graphql::admin::types::Operator;
use crate::graphql::context::{call, call_each, load};
use crate::graphql::int::{int, secs};
use crate::graphql::projection::projection;

projection!(
    /// An operator as a routing decision saw them (X2).
    RoutingCandidate(Candidate) + complex {
        status: OperatorStatus,
        on_call: bool,
        /// Chats the operator had.
        load: i32,
        max_chats: i32,
        /// Why this operator was not chosen; null for the chosen one.
        skipped: Option<SkipReason>,
    }
);

#[ComplexObject]
impl RoutingCandidate {
    async fn operator(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Operator>> {
        load(ctx, Some(self.row.operator_id), Operator::of).await
    }
    /// Level in the queue's skill.
    async fn skill_level(&self) -> Option<i32> {
        self.row.skill_level.map(i32::from)
    }
}

projection!(
    /// Why a chat went where it went (X2).
    RoutingDecision(routing_decision::Model) + complex {
        trigger: RoutingTrigger,
        outcome: RoutingOutcome,
        decided_at: DateTime<Utc>,
    }
);

#[ComplexObject]
impl RoutingDecision {
    async fn chosen_operator(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Operator>> {
        load(ctx, self.row.chosen_operator_id, Operator::of).await
    }
    /// Every operator considered, best first.
    async fn candidates(&self) -> Vec<RoutingCandidate> {
        serde_json::from_value::<Vec<Candidate>>(self.row.candidates.clone())
            .unwrap_or_default()
            .into_iter()
            .map(RoutingCandidate::from)
            .collect()
    }
}

/// Where a waiting chat stands (X8).
#[derive(SimpleObject)]
pub struct QueuePosition {
    /// 1 for the next chat to be offered.
    pub position: i32,
    /// Chats waiting in the queue, this one included.
    pub waiting: i32,
    /// The expected wait in seconds, from how long the queue's recent chats waited; null
    /// without history.
    pub estimated_wait_secs: Option<i32>,
}

#[derive(Default)]
pub struct RoutingQuery;

#[Object]
impl RoutingQuery {
    /// A chat's routing decisions, newest first (supervisors and above; X2).
    async fn routing_decisions(
        &self, ctx: &Context<'_>, chat_id: ChatId,
    ) -> async_graphql::Result<Vec<RoutingDecision>> {
        call_each(ctx, |d, a| d.routing().routing_decisions(a, chat_id)).await
    }

    /// A waiting chat's place in its queue and the expected wait; null once it no longer
    /// waits (the chatbot's key, or an operator who sees the chat).
    async fn queue_position(
        &self, ctx: &Context<'_>, chat_id: ChatId,
    ) -> async_graphql::Result<Option<QueuePosition>> {
        let found = call(ctx, |d, a| d.routing().queue_position(a, chat_id)).await?;
        Ok(found.map(|p| QueuePosition {
            position: int(p.position),
            waiting: int(p.waiting),
            estimated_wait_secs: p.estimated_wait.map(secs),
        }))
    }
}
