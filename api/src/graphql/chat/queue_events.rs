//! The queues' stream (L, #13): chats that start or stop waiting in the queues an operator sees,
//! and the bot's chats there. A queue's change is one event on the queue's own stream, however
//! many members it has; each follower reads it from this instance's tail of the queue.
//!
//! It has no catch-up. Its first event is QUEUES_CHANGED, sent once the queues are followed:
//! a panel reads its "Unassigned" lists then, and again on every later QUEUES_CHANGED (the
//! operator's memberships or role changed, or a queue was created) and after a reconnect, and
//! misses nothing in between.

use std::collections::HashMap;

use async_graphql::{ComplexObject, Context, Json, SimpleObject, Subscription};
use chrono::{DateTime, Utc};
use futures_util::stream::{AbortHandle, BoxStream, SelectAll};
use futures_util::{Stream, StreamExt};
use serde_json::json;

use omnipanel_domain::chat::SeenQueues;
use omnipanel_domain::entity::event;
use omnipanel_domain::enums::*;
use omnipanel_domain::error::Result;
use omnipanel_domain::ids::*;
use omnipanel_domain::{Domain, events};

use crate::graphql::chat::events::{event_kind, event_stream};
use crate::graphql::chat::types::Chat;
use crate::graphql::context::{actor, domain, loader};
use crate::graphql::error::Gql;

/// A change of the "Unassigned" lists of the queues the operator sees (`queueEvents`).
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct QueueEvent {
    created_at: DateTime<Utc>,
    chat_id: Option<ChatId>,
    #[graphql(skip)]
    row: event::Model,
    /// The follower's role, as read when their queues were last read.
    #[graphql(skip)]
    role: Role,
}

#[ComplexObject]
impl QueueEvent {
    /// What happened: CHAT_QUEUED, CHAT_DEQUEUED, CHAT_WITH_BOT, or QUEUES_CHANGED (read the
    /// lists again).
    async fn kind(&self) -> async_graphql::Result<EventKind> {
        event_kind(&self.row)
    }
    /// The queue the chat waits in (none for QUEUES_CHANGED).
    async fn queue_id(&self) -> Option<QueueId> {
        self.queue()
    }
    /// The chat as it is now, while the lists of the queues the operator sees show it: waiting
    /// in this queue or with its bot there; for supervisors of the queue, in any state; for
    /// managers and above, anywhere; and their own. Otherwise none: it has left the lists.
    async fn chat(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Chat>> {
        let Some(id) = self.row.chat_id else {
            return Ok(None);
        };
        let (me, _) = actor(ctx)?.operator().gql()?;
        // Through the loader every connection shares: the followers of the queue resolving this
        // event read the chat once between them.
        let Some(chat) = loader(ctx).load_one(id).await? else {
            return Ok(None);
        };
        let listed = self
            .queue()
            .is_some_and(|queue| chat.queue_id == Some(queue))
            && (self.role.at_least(Role::Supervisor)
                || matches!(chat.status, ChatStatus::Queued | ChatStatus::Bot));
        let shown = chat.organization_id == self.row.organization_id
            && (self.role.at_least(Role::Manager) || chat.operator_id == Some(me) || listed);
        Ok(shown.then(|| Chat::from(chat)))
    }
    /// Details: for QUEUES_CHANGED, the queues followed from this event on (`queueIds`).
    async fn payload(&self) -> Json<serde_json::Value> {
        Json(self.row.payload.clone())
    }
}

impl QueueEvent {
    fn queue(&self) -> Option<QueueId> {
        (self.row.recipient_kind == RecipientKind::Queue).then_some(QueueId(self.row.recipient_id))
    }
}

#[derive(Default)]
pub struct QueueSubscription;

#[Subscription]
impl QueueSubscription {
    /// Chats that start or stop waiting, or are with the bot, in the queues whose "Unassigned"
    /// lists the signed-in operator sees (their own queues; every queue for managers and
    /// above). The first event is QUEUES_CHANGED: read the lists then, and on every later one.
    async fn queue_events(
        &self, ctx: &Context<'_>,
    ) -> async_graphql::Result<impl Stream<Item = QueueEvent> + use<>> {
        let actor = actor(ctx)?;
        let (me, _) = actor.operator().gql()?;
        let domain = domain(ctx).clone();
        // The operator's own stream is followed from before their queues are read: a change of
        // them that commits in between is seen.
        let own = events::latest_seq(&domain.db, RecipientKind::Operator, me.0)
            .await
            .gql()?;
        Ok(queue_stream(domain, actor.organization_id, me, own))
    }
}

/// The events of the queues `me` sees, from now; QUEUES_CHANGED first and whenever the operator's
/// own stream (followed from `own`) says those queues changed, once the new set is followed.
fn queue_stream(
    domain: Domain, organization: OrganizationId, me: OperatorId, own: i64,
) -> impl Stream<Item = QueueEvent> {
    let own = event_stream(domain.clone(), RecipientKind::Operator, me.0, own)
        .filter(|event| std::future::ready(event.kind == EventKind::QueuesChanged.as_str()))
        .boxed();
    let state = Followed {
        domain,
        organization,
        me,
        own,
        queues: SelectAll::new(),
        handles: HashMap::new(),
        role: Role::Operator,
        changed: true,
    };
    futures_util::stream::unfold(state, |mut state| async move {
        loop {
            if state.changed {
                match state.follow_seen().await {
                    Ok(marker) => {
                        state.changed = false;
                        let marker = state.event(marker);
                        return Some((marker, state));
                    }
                    Err(error) => {
                        tracing::error!(?error, "reading the operator's queues failed");
                        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                        continue;
                    }
                }
            }
            tokio::select! {
                changed = state.own.next() => match changed {
                    Some(_) => state.changed = true,
                    None => return None,
                },
                Some(event) = state.queues.next() => {
                    let event = state.event(event);
                    return Some((event, state));
                }
            }
        }
    })
}

/// What a `queueEvents` subscription follows.
struct Followed {
    domain: Domain,
    organization: OrganizationId,
    me: OperatorId,
    /// The operator's QUEUES_CHANGED events.
    own: BoxStream<'static, event::Model>,
    /// The queues' streams, each ended by its handle when the operator no longer sees it.
    queues: SelectAll<futures_util::stream::Abortable<BoxStream<'static, event::Model>>>,
    handles: HashMap<QueueId, AbortHandle>,
    /// The operator's role when the queues were last read.
    role: Role,
    /// Whether the queues are to be read (again).
    changed: bool,
}

impl Followed {
    /// An event as this follower sees it.
    fn event(&self, row: event::Model) -> QueueEvent {
        QueueEvent {
            created_at: row.created_at,
            chat_id: row.chat_id,
            role: self.role,
            row,
        }
    }

    /// Follows the queues the operator sees now, from their latest events, and stops following
    /// the others; returns the QUEUES_CHANGED event that says so.
    async fn follow_seen(&mut self) -> Result<event::Model> {
        let SeenQueues { role, queues: seen } = self
            .domain
            .chats()
            .queues_seen_by(self.organization, self.me)
            .await?;
        self.role = role;
        self.handles.retain(|queue, handle| {
            let kept = seen.contains(queue);
            if !kept {
                handle.abort();
            }
            kept
        });
        let new: Vec<_> = seen
            .iter()
            .filter(|queue| !self.handles.contains_key(queue))
            .map(|queue| queue.0)
            .collect();
        let seqs = events::latest_seqs(&self.domain.db, RecipientKind::Queue, &new).await?;
        for (queue, after) in seqs {
            let stream = event_stream(self.domain.clone(), RecipientKind::Queue, queue, after);
            let (stream, handle) = futures_util::stream::abortable(stream.boxed());
            self.queues.push(stream);
            self.handles.insert(QueueId(queue), handle);
        }
        Ok(event::Model {
            id: EventId::new(),
            organization_id: self.organization,
            recipient_kind: RecipientKind::Operator,
            recipient_id: self.me.0,
            seq: 0,
            kind: EventKind::QueuesChanged.as_str().to_owned(),
            chat_id: None,
            payload: json!({ "queueIds": seen }),
            created_at: self.domain.now(),
        })
    }
}
