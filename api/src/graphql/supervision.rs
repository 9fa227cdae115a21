//! Supervision (O1): the live view of a supervisor's floor, and setting an operator's status
//! from it.

use std::time::Duration as Wait;

use async_graphql::{Context, Object, SimpleObject, Subscription};
use chrono::{DateTime, Duration, Utc};
use futures_util::Stream;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};

use omnipanel_domain::entity::operator;
use omnipanel_domain::enums::OperatorStatus;
use omnipanel_domain::presence::StatusTime;
use omnipanel_domain::supervision::{
    self, ReportGroup, ReportInput, ReportKind, SetOperatorStatusInput,
};
use omnipanel_domain::{Actor, Domain};

use crate::graphql::admin::mutation::OperatorPayload;
use crate::graphql::admin::types::{Operator, Queue};
use crate::graphql::chat::types::Chat;
use crate::graphql::context::{actor, call, domain};
use crate::graphql::error::Gql;
use crate::graphql::int::{int, secs};

/// A supervisor's floor at one moment (O1).
pub struct LiveOverview(supervision::LiveOverview);

#[Object]
impl LiveOverview {
    /// When the figures were taken.
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }
    /// The queues the caller oversees, by name.
    async fn queues(&self) -> Vec<QueueOverview> {
        self.0
            .queues
            .iter()
            .map(|q| QueueOverview(q.clone(), self.0.oldest_wait(q)))
            .collect()
    }
    /// Their operators who are signed in (any status but OFFLINE), by first name.
    async fn operators(&self) -> Vec<OperatorOverview> {
        self.0
            .operators
            .iter()
            .map(|op| OperatorOverview(op.clone(), self.0.time_in_status(op)))
            .collect()
    }
    /// Open chats (accepted, not closed) by traffic-light colour.
    async fn lights(&self) -> LightCounts {
        let l = self.0.lights;
        LightCounts {
            green: int(l.green),
            yellow: int(l.yellow),
            red: int(l.red),
            grey: int(l.grey),
        }
    }
    /// The red chats, the longest waiting first (at most 50; `lights.red` counts them all).
    async fn red_chats(&self) -> Vec<Chat> {
        self.0.red_chats.iter().cloned().map(Chat::from).collect()
    }
}

/// A queue on the live view, with how long its head has waited at the view's moment.
pub struct QueueOverview(supervision::QueueFigures, Option<Duration>);

#[Object]
impl QueueOverview {
    async fn queue(&self) -> Queue {
        Queue::from(self.0.queue.clone())
    }
    /// Chats waiting for an operator.
    async fn waiting_count(&self) -> i32 {
        int(self.0.waiting)
    }
    /// How long the chat at the head of the queue has waited; null when none waits.
    async fn oldest_wait_secs(&self) -> Option<i32> {
        self.1.map(secs)
    }
    /// What a chat arriving now should expect to wait, from how long the queue's recent chats
    /// waited (as the chatbot is told, X8); null without history.
    async fn estimated_wait_secs(&self) -> Option<i32> {
        self.0.estimated_wait.map(secs)
    }
    /// Members who are READY with room under their limit.
    async fn available_operators(&self) -> i32 {
        int(self.0.available_operators)
    }
    /// Chats of the queue operators are working (NEW or IN_PROGRESS).
    async fn active_chats(&self) -> i32 {
        int(self.0.active_chats)
    }
}

/// An operator on the live view, with their time in status at the view's moment.
pub struct OperatorOverview(operator::Model, Duration);

#[Object]
impl OperatorOverview {
    async fn operator(&self) -> Operator {
        Operator::of(self.0.clone())
    }
    async fn status(&self) -> OperatorStatus {
        self.0.status
    }
    async fn time_in_status_secs(&self) -> i32 {
        secs(self.1)
    }
    async fn active_chats(&self) -> i32 {
        self.0.active_chats
    }
    async fn max_chats(&self) -> i32 {
        self.0.max_chats
    }
    async fn on_call(&self) -> bool {
        self.0.on_call
    }
}

/// Open chats by traffic-light colour.
#[derive(SimpleObject)]
pub struct LightCounts {
    pub green: i32,
    pub yellow: i32,
    pub red: i32,
    pub grey: i32,
}

/// A report over the caller's floor (O2).
pub struct Report(pub supervision::Report);

#[Object]
impl Report {
    async fn kind(&self) -> ReportKind {
        self.0.input.kind
    }
    async fn group_by(&self) -> ReportGroup {
        self.0.input.group_by
    }
    async fn from(&self) -> DateTime<Utc> {
        self.0.input.from
    }
    async fn to(&self) -> DateTime<Utc> {
        self.0.input.to
    }
    /// The time zone periods are counted in.
    async fn time_zone(&self) -> String {
        self.0.time_zone.name().to_owned()
    }
    /// One row per group: by name for operators, queues and topics; every period in order,
    /// empty ones as zero; for WRAP_UP each reason, then each result, most used first.
    async fn rows(&self) -> Vec<ReportRow> {
        self.0.rows.iter().cloned().map(ReportRow).collect()
    }
    /// All groups together.
    async fn total(&self) -> ReportRow {
        ReportRow(self.0.total.clone())
    }
}

/// One group of a report. Times are in seconds; for CSAT the figures are the scores (1 to 5).
pub struct ReportRow(pub supervision::ReportRow);

#[Object]
impl ReportRow {
    /// An id, `none` (no operator, queue or topic), `reason:<id>` or `result:<id>`, the
    /// period's start (RFC 3339), or `total`.
    async fn key(&self) -> &str {
        &self.0.key
    }
    async fn label(&self) -> &str {
        &self.0.label
    }
    async fn count(&self) -> i32 {
        int(self.0.count)
    }
    async fn average(&self) -> Option<f64> {
        self.0.average
    }
    async fn p50(&self) -> Option<f64> {
        self.0.p50
    }
    async fn p90(&self) -> Option<f64> {
        self.0.p90
    }
    /// CSAT: how many ratings of 1, 2, 3, 4 and 5; empty for other kinds.
    async fn distribution(&self) -> Vec<i32> {
        self.0.distribution.iter().copied().map(int).collect()
    }
    /// STATUS_TIME: the seconds in each status.
    async fn statuses(&self) -> Vec<StatusTime> {
        self.0.statuses.clone()
    }
}

#[derive(Default)]
pub struct SupervisionQuery;

#[Object]
impl SupervisionQuery {
    /// The caller's floor now: a supervisor's queues and their operators, or the whole
    /// organization for managers and above (and API keys of scope ADMIN).
    async fn live_overview(&self, ctx: &Context<'_>) -> async_graphql::Result<LiveOverview> {
        call(ctx, |d, a| d.supervision().live_overview(a))
            .await
            .map(LiveOverview)
    }

    /// A report over the caller's floor (SUPERVISOR and above; O2): chats closed in the
    /// period (time in status: the operators' log), grouped as asked.
    async fn report(&self, ctx: &Context<'_>, input: ReportInput) -> async_graphql::Result<Report> {
        call(ctx, |d, a| d.supervision().report(a, input))
            .await
            .map(Report)
    }
}

#[derive(Default)]
pub struct SupervisionMutation;

#[Object]
impl SupervisionMutation {
    /// Sets the status of an operator on the caller's floor (SUPERVISOR and above, for lower
    /// roles), recorded with who set it. OFFLINE hands their chats back to their queues (X7).
    async fn set_operator_status(
        &self, ctx: &Context<'_>, input: SetOperatorStatusInput,
    ) -> async_graphql::Result<OperatorPayload> {
        call(ctx, |d, a| d.supervision().set_operator_status(a, input))
            .await
            .map(Into::into)
    }
}

/// How long the live view gathers changes before it looks again: a burst of hand-offs is one
/// update, a few times a second at most.
const COALESCE: Wait = Wait::from_millis(250);

/// The live view as pushed to a supervisor.
pub struct LiveOverviewEvent {
    seq: i64,
    overview: LiveOverview,
}

#[Object]
impl LiveOverviewEvent {
    /// 1 for the view sent on subscribing, then one more for each change. Every event is the
    /// whole view, so a client that reconnects is caught up by the first event it receives.
    async fn seq(&self) -> i64 {
        self.seq
    }
    async fn overview(&self) -> &LiveOverview {
        &self.overview
    }
}

#[derive(Default)]
pub struct SupervisionSubscription;

#[Subscription]
impl SupervisionSubscription {
    /// The caller's live view (as `liveOverview`): now, then again whenever something on the
    /// floor changed (chats, lights, operators' statuses and loads), on any instance; changes
    /// are gathered for a quarter of a second, and a view equal to the last one is not sent.
    async fn live_overview_events(
        &self, ctx: &Context<'_>,
    ) -> async_graphql::Result<impl Stream<Item = LiveOverviewEvent> + use<>> {
        let actor: Actor = actor(ctx)?.clone();
        let domain = domain(ctx).clone();
        let notices = domain.bus.subscribe();
        let first = domain.supervision().live_overview(&actor).await.gql()?;
        Ok(overview_stream(domain, actor, notices, first))
    }
}

fn overview_stream(
    domain: Domain, actor: Actor,
    notices: tokio::sync::broadcast::Receiver<omnipanel_domain::ports::Notice>,
    first: supervision::LiveOverview,
) -> impl Stream<Item = LiveOverviewEvent> {
    struct State {
        domain: Domain,
        actor: Actor,
        notices: tokio::sync::broadcast::Receiver<omnipanel_domain::ports::Notice>,
        /// Events sent so far; `last` is the view sent with the latest (or, before any, the
        /// view to send first).
        seq: i64,
        last: supervision::LiveOverview,
    }
    let state = State {
        domain,
        actor,
        notices,
        seq: 0,
        last: first,
    };
    futures_util::stream::unfold(state, |mut state| async move {
        if state.seq > 0 {
            state.last =
                next_view(&mut state.notices, &state.domain, &state.actor, &state.last).await?;
        }
        state.seq += 1;
        let event = LiveOverviewEvent {
            seq: state.seq,
            overview: LiveOverview(state.last.clone()),
        };
        Some((event, state))
    })
}

/// The next view that differs from `last`, after a change on the floor; `None` when the
/// notices end or the caller may no longer look (a changed role).
async fn next_view(
    notices: &mut tokio::sync::broadcast::Receiver<omnipanel_domain::ports::Notice>,
    domain: &Domain, actor: &Actor, last: &supervision::LiveOverview,
) -> Option<supervision::LiveOverview> {
    let organization = actor.organization_id.0;
    loop {
        // A change in the organization (or a notice that does not say whose it is, or notices
        // missed because this follower fell behind) is worth a look.
        match notices.recv().await {
            Ok(notice) if notice.organization_id.is_some_and(|o| o != organization) => continue,
            Ok(_) | Err(RecvError::Lagged(_)) => {}
            Err(RecvError::Closed) => return None,
        }
        tokio::time::sleep(COALESCE).await;
        while let Ok(_) | Err(TryRecvError::Lagged(_)) = notices.try_recv() {}
        match domain.supervision().live_overview(actor).await {
            Ok(now) if now.same_floor(last) => {}
            Ok(now) => return Some(now),
            Err(omnipanel_domain::DomainError::Forbidden(_)) => return None,
            Err(error) => tracing::error!(?error, "reading the live overview failed"),
        }
    }
}
