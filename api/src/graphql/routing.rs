//! Routing as supervisors and the chatbot see it: a chat's decisions with every candidate, and a
//! waiting customer's place in the queue.

use async_graphql::{Context, Object, SimpleObject};

use chrono::{DateTime, Utc};

use omnipanel_domain::entity::routing_decision;
use omnipanel_domain::enums::*;
use omnipanel_domain::ids::ChatId;

use omnipanel_domain::routing::{Candidate, SkipReason};

use crate::graphql::admin::types::Operator;
use crate::graphql::context::{call, call_each, load};
use crate::graphql::int::{int, secs};

/// An operator as a routing decision saw them (X2).
pub struct RoutingCandidate(pub Candidate);

#[Object]
impl RoutingCandidate {
    async fn operator(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Operator>> {
        load(ctx, Some(self.0.operator_id), Operator::of).await
    }
    async fn status(&self) -> OperatorStatus {
        self.0.status
    }
    async fn on_call(&self) -> bool {
        self.0.on_call
    }
    /// Chats the operator had.
    async fn load(&self) -> i32 {
        self.0.load
    }
    async fn max_chats(&self) -> i32 {
        self.0.max_chats
    }
    /// Level in the queue's skill.
    async fn skill_level(&self) -> Option<i32> {
        self.0.skill_level.map(i32::from)
    }
    /// Why this operator was not chosen; null for the chosen one.
    async fn skipped(&self) -> Option<SkipReason> {
        self.0.skipped
    }
}

/// Why a chat went where it went (X2).
pub struct RoutingDecision(pub routing_decision::Model);

#[Object]
impl RoutingDecision {
    async fn trigger(&self) -> RoutingTrigger {
        self.0.trigger
    }
    async fn outcome(&self) -> RoutingOutcome {
        self.0.outcome
    }
    async fn decided_at(&self) -> DateTime<Utc> {
        self.0.decided_at
    }
    async fn chosen_operator(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Operator>> {
        load(ctx, self.0.chosen_operator_id, Operator::of).await
    }
    /// Every operator considered, best first.
    async fn candidates(&self) -> Vec<RoutingCandidate> {
        serde_json::from_value::<Vec<Candidate>>(self.0.candidates.clone())
            .unwrap_or_default()
            .into_iter()
            .map(RoutingCandidate)
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
        &self,
        ctx: &Context<'_>,
        chat_id: ChatId,
    ) -> async_graphql::Result<Vec<RoutingDecision>> {
        call_each(
            ctx,
            |d, a| d.routing().routing_decisions(a, chat_id),
            RoutingDecision,
        )
        .await
    }

    /// A waiting chat's place in its queue and the expected wait; null once it no longer
    /// waits (the chatbot's key, or an operator who sees the chat).
    async fn queue_position(
        &self,
        ctx: &Context<'_>,
        chat_id: ChatId,
    ) -> async_graphql::Result<Option<QueuePosition>> {
        let found = call(ctx, |d, a| d.routing().queue_position(a, chat_id)).await?;
        Ok(found.map(|p| QueuePosition {
            position: int(p.position),
            waiting: int(p.waiting),
            estimated_wait_secs: p.estimated_wait.map(secs),
        }))
    }
}
