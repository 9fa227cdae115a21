//! Live events (L): the operator's and a chat's streams from the outbox, followed over WebSocket and
//! caught up after a reconnect.

use async_graphql::{ComplexObject, Context, Json, Object, Subscription};

use chrono::{DateTime, Utc};
use futures_util::Stream;

use omnipanel_domain::entity::{event, message};
use omnipanel_domain::enums::*;
use omnipanel_domain::ids::*;

use omnipanel_domain::event_tails::Followed;
use omnipanel_domain::{Actor, Domain, DomainError, events};
use std::collections::VecDeque;

use crate::graphql::admin::types::Operator;
use crate::graphql::chat::types::{Chat, visible_chat};
use crate::graphql::context::{actor, call, domain};
use crate::graphql::conversation::types::Message;
use crate::graphql::error::{Gql, to_gql};
use crate::graphql::projection::projection;

projection!(
    /// Something the signed-in operator's panel must redraw (X1).
    WorkplaceEvent(event::Model) + complex {
        /// The operator's own, gap-free sequence: ask `workplaceEventsSince(after:)` with the last
        /// one seen to catch up after a reconnect.
        seq: i64,
        created_at: DateTime<Utc>,
        chat_id: Option<ChatId>,
    }
);

#[ComplexObject]
impl WorkplaceEvent {
    /// What happened.
    async fn kind(&self) -> async_graphql::Result<EventKind> {
        event_kind(&self.row)
    }
    /// The chat as it is now, if the operator may still see it.
    async fn chat(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Chat>> {
        visible_chat(ctx, self.row.chat_id).await
    }
    /// The message as it is now, for MESSAGE_CREATED and MESSAGE_UPDATED.
    async fn message(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Message>> {
        event_message(ctx, &self.row).await
    }
    /// The signed-in operator as they are now (for status changes).
    async fn operator(&self, ctx: &Context<'_>) -> async_graphql::Result<Operator> {
        call(ctx, |d, a| d.identity().me(a))
            .await
            .map(Operator::own)
    }
    /// Details of the change (status, reason, deadline).
    async fn payload(&self) -> Json<serde_json::Value> {
        Json(self.row.payload.clone())
    }
}

/// The message an event names (`payload.messageId`), within the event's organization.
pub(crate) async fn event_message(
    ctx: &Context<'_>, event: &event::Model,
) -> async_graphql::Result<Option<Message>> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let Some(id) = event
        .payload
        .get("messageId")
        .and_then(|v| v.as_str())
        .and_then(|s| s.parse::<MessageId>().ok())
    else {
        return Ok(None);
    };
    Ok(message::Entity::find_by_id(id)
        .filter(message::Column::OrganizationId.eq(event.organization_id))
        .one(&domain(ctx).db)
        .await
        .map_err(|e| to_gql(e.into()))?
        .map(Message::from))
}

projection!(
    /// A change of one chat (`chatEvents`).
    ChatEvent(event::Model) + complex {
        /// The chat's own, gap-free sequence.
        seq: i64,
        created_at: DateTime<Utc>,
    }
);

#[ComplexObject]
impl ChatEvent {
    /// What happened.
    async fn kind(&self) -> async_graphql::Result<EventKind> {
        event_kind(&self.row)
    }
    async fn chat(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Chat>> {
        visible_chat(ctx, self.row.chat_id).await
    }
    /// The message, for MESSAGE_CREATED and MESSAGE_UPDATED.
    async fn message(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Message>> {
        event_message(ctx, &self.row).await
    }
    async fn payload(&self) -> Json<serde_json::Value> {
        Json(self.row.payload.clone())
    }
}

/// An outbox event's kind as the enum it was written from.
pub(crate) fn event_kind(event: &event::Model) -> async_graphql::Result<EventKind> {
    use sea_orm::ActiveEnum;
    EventKind::try_from_value(&event.kind).map_err(|e| to_gql(DomainError::Db(e)))
}

/// Streams a recipient's events from `after`: first what is in the outbox, then each new one as
/// it commits. Notices only wake the stream; events are read in order from the outbox, or from
/// the recipient's tail of newest events on this instance (`event_tails.rs`), so nothing is
/// skipped or repeated. After the first read, the stream reads only when a notice announces an
/// event it has not seen: a notice lost on its way from another instance is announced again
/// by the bus's reconciliation (`ports/events.rs`).
pub(crate) fn event_stream(
    domain: Domain, kind: RecipientKind, recipient: sea_orm::prelude::Uuid, after: i64,
) -> impl Stream<Item = event::Model> {
    struct State {
        domain: Domain,
        latest: tokio::sync::watch::Receiver<i64>,
        tail: Followed,
        last: i64,
        buffer: VecDeque<event::Model>,
        caught_up: bool,
    }
    let latest = domain.bus.watch(kind, recipient);
    let tail = domain.event_tails.follow(kind, recipient);
    let state = State {
        domain,
        latest,
        tail,
        last: after,
        buffer: VecDeque::new(),
        caught_up: false,
    };
    futures_util::stream::unfold(state, move |mut state| async move {
        loop {
            if let Some(next) = state.buffer.pop_front() {
                state.last = next.seq;
                return Some((next, state));
            }
            // Seen before reading: a notice that lands during the read wakes the wait below.
            let announced = *state.latest.borrow_and_update();
            if !state.caught_up || announced > state.last {
                match state.tail.since(&state.domain.db, state.last, 100).await {
                    Ok(rows) if !rows.is_empty() => {
                        state.buffer.extend(rows);
                        continue;
                    }
                    Ok(_) => state.caught_up = true,
                    Err(error) => {
                        tracing::error!(?error, "reading events failed");
                        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                        continue;
                    }
                }
            }
            loop {
                if state.latest.changed().await.is_err() {
                    return None;
                }
                if *state.latest.borrow_and_update() > state.last {
                    break;
                }
            }
        }
    })
}

#[derive(Default)]
pub struct ChatSubscription;

#[Subscription]
impl ChatSubscription {
    /// Everything the signed-in operator's panel must redraw (X1), but for the queues'
    /// "Unassigned" lists, which `queueEvents` carries. With `after`, first replays what came
    /// after that sequence number.
    async fn workplace_events(
        &self, ctx: &Context<'_>, after: Option<i64>,
    ) -> async_graphql::Result<impl Stream<Item = WorkplaceEvent> + use<>> {
        let actor: Actor = actor(ctx)?.clone();
        let (me, _) = actor.operator().gql()?;
        let domain = domain(ctx).clone();
        let start = match after {
            Some(after) => after,
            None => events::latest_seq(&domain.db, RecipientKind::Operator, me.0)
                .await
                .gql()?,
        };
        Ok(futures_util::StreamExt::map(
            event_stream(domain, RecipientKind::Operator, me.0, start),
            WorkplaceEvent::from,
        ))
    }

    /// One chat's messages and changes, for those who may see the chat.
    async fn chat_events(
        &self, ctx: &Context<'_>, chat_id: ChatId, after: Option<i64>,
    ) -> async_graphql::Result<impl Stream<Item = ChatEvent> + use<>> {
        let actor: Actor = actor(ctx)?.clone();
        let domain = domain(ctx).clone();
        domain
            .chats()
            .visible_chat(&domain.db, &actor, chat_id)
            .await
            .gql()?;
        let start = match after {
            Some(after) => after,
            None => events::latest_seq(&domain.db, RecipientKind::Chat, chat_id.0)
                .await
                .gql()?,
        };
        Ok(futures_util::StreamExt::map(
            event_stream(domain, RecipientKind::Chat, chat_id.0, start),
            ChatEvent::from,
        ))
    }
}

#[derive(Default)]
pub struct EventsQuery;

#[Object]
impl EventsQuery {
    /// The caller's latest workplace event sequence number (0 before the first). A panel reads
    /// it, then loads its lists, then follows `workplaceEvents(after:)` from it: nothing that
    /// happens in between is missed.
    async fn workplace_event_seq(&self, ctx: &Context<'_>) -> async_graphql::Result<i64> {
        let (me, _) = actor(ctx)?.operator().gql()?;
        events::latest_seq(&domain(ctx).db, RecipientKind::Operator, me.0)
            .await
            .gql()
    }

    /// The caller's events after sequence `after`, oldest first (at most 500): what a
    /// reconnecting panel missed (X1).
    async fn workplace_events_since(
        &self, ctx: &Context<'_>, after: i64,
    ) -> async_graphql::Result<Vec<WorkplaceEvent>> {
        let (me, _) = actor(ctx)?.operator().gql()?;
        let rows = events::since(&domain(ctx).db, RecipientKind::Operator, me.0, after, 500)
            .await
            .gql()?;
        Ok(rows.into_iter().map(WorkplaceEvent::from).collect())
    }
}
