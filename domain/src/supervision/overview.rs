//! The live view (O1): per queue what waits and who can take it, per operator their status and
//! load, and the open chats by traffic light. A fixed number of statements whatever the size of
//! the floor: each figure is one grouped read over the floor's queues.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, JoinType, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait,
};

use crate::actor::Actor;
use crate::entity::{chat, operator, queue, queue_member};
use crate::enums::{ChatStatus, OperatorStatus, TrafficLight};
use crate::error::Result;
use crate::ids::QueueId;
use crate::routing::estimate;
use crate::service::Supervision;
use crate::store::{all_live, relation};
use crate::supervision::Floor;

/// How many red chats the view lists (the most overdue first); the count has them all.
const RED_CHATS: u64 = 50;

/// How many recent chats of a queue the wait estimate learns from, and how far back (as the
/// chatbot's estimate, X8).
const SAMPLE: u64 = 50;
const SAMPLE_HOURS: i64 = 24;

/// The chats an operator is working: accepted and not closed.
const WORKED: [ChatStatus; 2] = [ChatStatus::New, ChatStatus::InProgress];

/// The supervisor's floor at one moment.
#[derive(Clone, Debug)]
pub struct LiveOverview {
    pub at: DateTime<Utc>,
    /// The floor's queues, by name.
    pub queues: Vec<QueueFigures>,
    /// The floor's operators who are not OFFLINE, by first name: their status, load
    /// (`active_chats` of `max_chats`) and call state.
    pub operators: Vec<operator::Model>,
    /// The floor's open chats by traffic light.
    pub lights: LightCounts,
    /// The red chats, the longest waiting first (at most 50).
    pub red_chats: Vec<chat::Model>,
}

#[derive(Clone, Debug)]
pub struct QueueFigures {
    pub queue: queue::Model,
    /// Chats waiting for an operator.
    pub waiting: u64,
    /// When the chat at the head of the queue began to wait.
    pub oldest_queued_at: Option<DateTime<Utc>>,
    /// What a chat arriving now should expect to wait, from the queue's recent chats.
    pub estimated_wait: Option<Duration>,
    /// Members who are READY and have room for another chat.
    pub available_operators: u64,
    /// Chats of the queue operators are working.
    pub active_chats: u64,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LightCounts {
    pub green: u64,
    pub yellow: u64,
    pub red: u64,
    pub grey: u64,
}

impl Supervision<'_> {
    /// The caller's floor now (SUPERVISOR and above).
    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id))]
    pub async fn live_overview(self, actor: &Actor) -> Result<LiveOverview> {
        let db = &self.domain.db;
        let now = self.domain.now();
        let floor = Floor::of(db, actor).await?;
        let mut queues = all_live::<queue::Entity>(actor).order_by_asc(queue::Column::Name);
        if let Floor::Queues(mine) = &floor {
            queues = queues.filter(queue::Column::Id.is_in(mine.iter().copied()));
        }
        let queues = queues.all(db).await?;
        let ids: Vec<QueueId> = queues.iter().map(|q| q.id).collect();
        let chats = chats_by_queue(db, &ids).await?;
        let available = available_by_queue(db, &ids).await?;
        let waits = recent_waits(db, &ids, now - Duration::hours(SAMPLE_HOURS)).await?;
        let queues = queues
            .into_iter()
            .map(|queue| {
                let figures = chats.get(&queue.id).copied().unwrap_or_default();
                let recent = waits.get(&queue.id).map(Vec::as_slice).unwrap_or_default();
                QueueFigures {
                    waiting: figures.waiting,
                    oldest_queued_at: figures.oldest_queued_at,
                    estimated_wait: estimate(recent, figures.waiting + 1),
                    available_operators: available.get(&queue.id).copied().unwrap_or(0),
                    active_chats: figures.active,
                    queue,
                }
            })
            .collect();
        let operators = operators_on(db, actor, &floor, &ids).await?;
        let open = || {
            let chats = chat::Entity::find()
                .filter(chat::Column::OrganizationId.eq(actor.organization_id))
                .filter(chat::Column::Status.is_in(WORKED));
            match &floor {
                Floor::Organization => chats,
                Floor::Queues(_) => chats.filter(chat::Column::QueueId.is_in(ids.iter().copied())),
            }
        };
        let by_light: Vec<(TrafficLight, i64)> = open()
            .select_only()
            .column(chat::Column::TrafficLight)
            .column_as(chat::Column::Id.count(), "n")
            .group_by(chat::Column::TrafficLight)
            .into_tuple()
            .all(db)
            .await?;
        let mut lights = LightCounts::default();
        for (light, n) in by_light {
            let n = count(n);
            match light {
                TrafficLight::Green => lights.green = n,
                TrafficLight::Yellow => lights.yellow = n,
                TrafficLight::Red => lights.red = n,
                TrafficLight::Grey => lights.grey = n,
                TrafficLight::None => {}
            }
        }
        let red_chats = open()
            .filter(chat::Column::TrafficLight.eq(TrafficLight::Red))
            .order_by_asc(chat::Column::WaitingSince)
            .order_by_asc(chat::Column::Id)
            .limit(RED_CHATS)
            .all(db)
            .await?;
        Ok(LiveOverview {
            at: now,
            queues,
            operators,
            lights,
            red_chats,
        })
    }
}

impl LiveOverview {
    /// How long the chat at the head of the queue has waited, at the view's moment.
    pub fn oldest_wait(&self, queue: &QueueFigures) -> Option<Duration> {
        queue.oldest_queued_at.map(|since| self.since(since))
    }

    /// How long the operator has been in their status, at the view's moment.
    pub fn time_in_status(&self, operator: &operator::Model) -> Duration {
        self.since(operator.status_since)
    }

    fn since(&self, instant: DateTime<Utc>) -> Duration {
        (self.at - instant).max(Duration::zero())
    }

    /// Whether the floor is as it was in `earlier`, leaving aside the clocks that run on their
    /// own (waits and time in status grow with `at`; a viewer counts them up itself).
    pub fn same_floor(&self, earlier: &LiveOverview) -> bool {
        let queue = |q: &QueueFigures| {
            (
                q.queue.id,
                q.queue.name.clone(),
                q.waiting,
                q.oldest_queued_at,
                q.estimated_wait,
                q.available_operators,
                q.active_chats,
            )
        };
        let operator = |op: &operator::Model| {
            (
                op.id,
                op.status,
                op.custom_status_id,
                op.status_since,
                op.active_chats,
                op.max_chats,
                op.on_call,
            )
        };
        let red = |c: &chat::Model| (c.id, c.operator_id, c.waiting_since);
        self.lights == earlier.lights
            && self
                .queues
                .iter()
                .map(queue)
                .eq(earlier.queues.iter().map(queue))
            && self
                .operators
                .iter()
                .map(operator)
                .eq(earlier.operators.iter().map(operator))
            && self
                .red_chats
                .iter()
                .map(red)
                .eq(earlier.red_chats.iter().map(red))
    }
}

/// What one queue's chats add up to.
#[derive(Clone, Copy, Debug, Default)]
struct ChatFigures {
    waiting: u64,
    oldest_queued_at: Option<DateTime<Utc>>,
    active: u64,
}

/// Waiting and worked chats of each queue, in one grouped read.
async fn chats_by_queue(
    db: &impl ConnectionTrait, ids: &[QueueId],
) -> Result<HashMap<QueueId, ChatFigures>> {
    type Row = (Option<QueueId>, ChatStatus, i64, Option<DateTime<Utc>>);
    let rows: Vec<Row> = chat::Entity::find()
        .select_only()
        .column(chat::Column::QueueId)
        .column(chat::Column::Status)
        .column_as(chat::Column::Id.count(), "n")
        .column_as(chat::Column::QueuedAt.min(), "oldest")
        .filter(chat::Column::QueueId.is_in(ids.iter().copied()))
        .filter(chat::Column::Status.is_in([
            ChatStatus::Queued,
            ChatStatus::New,
            ChatStatus::InProgress,
        ]))
        .group_by(chat::Column::QueueId)
        .group_by(chat::Column::Status)
        .into_tuple()
        .all(db)
        .await?;
    let mut figures: HashMap<QueueId, ChatFigures> = HashMap::new();
    for (queue_id, status, n, oldest) in rows {
        let Some(queue_id) = queue_id else { continue };
        let entry = figures.entry(queue_id).or_default();
        let n = count(n);
        if status == ChatStatus::Queued {
            entry.waiting = n;
            entry.oldest_queued_at = oldest;
        } else {
            entry.active += n;
        }
    }
    Ok(figures)
}

/// Members of each queue who could take a chat now: READY, with room under their limit.
async fn available_by_queue(
    db: &impl ConnectionTrait, ids: &[QueueId],
) -> Result<HashMap<QueueId, u64>> {
    let rows: Vec<(QueueId, i64)> = queue_member::Entity::find()
        .select_only()
        .column(queue_member::Column::QueueId)
        .column_as(queue_member::Column::OperatorId.count(), "n")
        .join(
            JoinType::InnerJoin,
            relation(queue_member::Column::OperatorId, operator::Column::Id),
        )
        .filter(queue_member::Column::QueueId.is_in(ids.iter().copied()))
        .filter(operator::Column::Status.eq(OperatorStatus::Ready))
        .filter(operator::Column::ArchivedAt.is_null())
        .filter(
            Expr::col((operator::Entity, operator::Column::ActiveChats))
                .lt(Expr::col((operator::Entity, operator::Column::MaxChats))),
        )
        .group_by(queue_member::Column::QueueId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(queue, n)| (queue, count(n)))
        .collect())
}

/// How long each queue's most recent chats (at most [`SAMPLE`], accepted since `since`) waited
/// from queueing to acceptance, in one read ranked per queue.
async fn recent_waits(
    db: &impl ConnectionTrait, ids: &[QueueId], since: DateTime<Utc>,
) -> Result<HashMap<QueueId, Vec<Duration>>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let ranked = chat::Entity::find()
        .select_only()
        .column(chat::Column::QueueId)
        .column(chat::Column::QueuedAt)
        .column(chat::Column::AcceptedAt)
        .column_as(
            Expr::cust("ROW_NUMBER() OVER (PARTITION BY queue_id ORDER BY accepted_at DESC)"),
            "n",
        )
        .filter(chat::Column::QueueId.is_in(ids.iter().copied()))
        .filter(chat::Column::AcceptedAt.gte(since))
        .filter(chat::Column::QueuedAt.is_not_null())
        .into_query();
    let select = Query::select()
        .columns([
            Alias::new("queue_id"),
            Alias::new("queued_at"),
            Alias::new("accepted_at"),
        ])
        .from_subquery(ranked, Alias::new("ranked"))
        .and_where(Expr::col(Alias::new("n")).lte(SAMPLE as i64))
        .to_owned();
    let mut waits: HashMap<QueueId, Vec<Duration>> = HashMap::new();
    for row in db.query_all(&select).await? {
        let queue: QueueId = row.try_get("", "queue_id")?;
        let queued: DateTime<Utc> = row.try_get("", "queued_at")?;
        let accepted: DateTime<Utc> = row.try_get("", "accepted_at")?;
        waits.entry(queue).or_default().push(accepted - queued);
    }
    Ok(waits)
}

/// The floor's operators who are signed in: the whole organization's, or the members of the
/// supervisor's queues (`ids`, those on the view) and the supervisor.
async fn operators_on(
    db: &impl ConnectionTrait, actor: &Actor, floor: &Floor, ids: &[QueueId],
) -> Result<Vec<operator::Model>> {
    let mut operators = all_live::<operator::Entity>(actor)
        .filter(operator::Column::Status.ne(OperatorStatus::Offline))
        .order_by_asc(operator::Column::FirstName)
        .order_by_asc(operator::Column::Id);
    if let Some(members) = floor.members(ids) {
        operators = operators.filter(
            Condition::any()
                .add(operator::Column::Id.in_subquery(members))
                .add(operator::Column::Id.eq(actor.operator_id())),
        );
    }
    Ok(operators.all(db).await?)
}

/// A database count as a count.
fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}
