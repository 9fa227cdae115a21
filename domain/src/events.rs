//! The event outbox and its fan-out (ARCHITECTURE.md 3, X1).
//!
//! A service appends events in its own transaction; each event names its recipient (an operator
//! or a chat) and carries that recipient's next sequence number, taken with an
//! `UPDATE … SET event_seq = event_seq + 1 RETURNING event_seq` on the recipient's row, so a
//! recipient's events are gap-free and ordered even when transactions commit out of order.
//!
//! After commit the service publishes notices on the in-process bus; on PostgreSQL the
//! transaction also runs `pg_notify`, delivered to every instance at commit. A notice is only a
//! wake-up: subscribers read the events themselves from the outbox, from the last sequence they
//! saw, so a lost or duplicated notice never loses or repeats an event.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Statement,
};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use uuid::Uuid;

use crate::entity::{chat, event, operator};
use crate::enums::{EventKind, RecipientKind};
use crate::error::{DomainError, Result};
use crate::ids::{ChatId, EventId, OperatorId, OrganizationId};

/// The PostgreSQL channel events are announced on.
pub const PG_CHANNEL: &str = "omnipanel_events";

/// "Recipient X has events up to `seq`": a wake-up for subscribers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub recipient_kind: RecipientKind,
    pub recipient_id: Uuid,
    pub seq: i64,
}

/// The in-process fan-out of notices.
#[derive(Clone)]
pub struct EventBus {
    sender: broadcast::Sender<Notice>,
}

impl EventBus {
    pub fn new() -> Self {
        Self {
            sender: broadcast::channel(4096).0,
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Notice> {
        self.sender.subscribe()
    }

    pub fn publish(&self, notice: Notice) {
        // No subscriber is fine: the events are in the outbox for whoever comes later.
        let _ = self.sender.send(notice);
    }
}

impl Default for EventBus {
    fn default() -> Self {
        Self::new()
    }
}

/// Events appended in one transaction, published once it commits.
#[must_use = "publish the outbox after the transaction commits"]
#[derive(Debug, Default)]
pub struct Outbox {
    notices: Vec<Notice>,
}

impl Outbox {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends an event for an operator's panel.
    #[allow(clippy::too_many_arguments)]
    pub async fn to_operator(
        &mut self,
        db: &impl ConnectionTrait,
        organization_id: OrganizationId,
        operator_id: OperatorId,
        kind: EventKind,
        chat_id: Option<ChatId>,
        payload: serde_json::Value,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let seq = next_seq::<operator::Entity, _>(
            db,
            operator::Column::Id,
            operator::Column::EventSeq,
            operator_id.0,
        )
        .await?;
        self.append(
            db,
            organization_id,
            RecipientKind::Operator,
            operator_id.0,
            seq,
            kind,
            chat_id,
            payload,
            now,
        )
        .await
    }

    /// Appends an event to a chat's own stream (`chatEvents`).
    pub async fn to_chat(
        &mut self,
        db: &impl ConnectionTrait,
        organization_id: OrganizationId,
        chat_id: ChatId,
        kind: EventKind,
        payload: serde_json::Value,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let seq =
            next_seq::<chat::Entity, _>(db, chat::Column::Id, chat::Column::EventSeq, chat_id.0)
                .await?;
        self.append(
            db,
            organization_id,
            RecipientKind::Chat,
            chat_id.0,
            seq,
            kind,
            Some(chat_id),
            payload,
            now,
        )
        .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn append(
        &mut self,
        db: &impl ConnectionTrait,
        organization_id: OrganizationId,
        recipient_kind: RecipientKind,
        recipient_id: Uuid,
        seq: i64,
        kind: EventKind,
        chat_id: Option<ChatId>,
        payload: serde_json::Value,
        now: DateTime<Utc>,
    ) -> Result<()> {
        event::ActiveModel {
            id: Set(EventId::new()),
            organization_id: Set(organization_id),
            recipient_kind: Set(recipient_kind),
            recipient_id: Set(recipient_id),
            seq: Set(seq),
            kind: Set(kind.as_str().to_owned()),
            chat_id: Set(chat_id),
            payload: Set(payload),
            created_at: Set(now),
        }
        .insert(db)
        .await?;
        let notice = Notice {
            recipient_kind,
            recipient_id,
            seq,
        };
        if db.get_database_backend() == DatabaseBackend::Postgres {
            let text =
                serde_json::to_string(&notice).map_err(|e| DomainError::Internal(e.to_string()))?;
            db.execute_raw(Statement::from_sql_and_values(
                DatabaseBackend::Postgres,
                "SELECT pg_notify($1, $2)",
                [PG_CHANNEL.into(), text.into()],
            ))
            .await?;
        }
        self.notices.push(notice);
        Ok(())
    }

    /// Announces the events on this instance; call after the commit.
    pub fn publish(self, bus: &EventBus) {
        for notice in self.notices {
            bus.publish(notice);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.notices.is_empty()
    }

    /// Takes over another outbox's events (a service calling another inside its transaction).
    pub fn absorb(&mut self, other: Outbox) {
        self.notices.extend(other.notices);
    }
}

/// Increments a recipient's sequence and returns the new value. The update locks the row, so
/// concurrent transactions for one recipient take consecutive numbers.
async fn next_seq<E, C>(db: &impl ConnectionTrait, id: C, seq: C, value: Uuid) -> Result<i64>
where
    E: EntityTrait,
    C: ColumnTrait,
{
    E::update_many()
        .col_expr(seq, Expr::col(seq).add(1))
        .filter(id.eq(value))
        .exec(db)
        .await?;
    let row = E::find()
        .select_only()
        .column(seq)
        .filter(id.eq(value))
        .into_tuple::<i64>()
        .one(db)
        .await?;
    row.ok_or(DomainError::not_found("event recipient"))
}

/// A recipient's events after `after`, oldest first, at most `limit`.
pub async fn since(
    db: &impl ConnectionTrait,
    recipient_kind: RecipientKind,
    recipient_id: Uuid,
    after: i64,
    limit: u64,
) -> Result<Vec<event::Model>> {
    Ok(event::Entity::find()
        .filter(event::Column::RecipientKind.eq(recipient_kind))
        .filter(event::Column::RecipientId.eq(recipient_id))
        .filter(event::Column::Seq.gt(after))
        .order_by_asc(event::Column::Seq)
        .limit(limit)
        .all(db)
        .await?)
}

/// Forwards PostgreSQL notifications (from every instance, this one included) to the local bus,
/// reconnecting when the connection drops. Returns at once on SQLite.
pub async fn forward_postgres_notices(db: sea_orm::DatabaseConnection, bus: EventBus) {
    use sea_orm::sqlx::postgres::PgListener;
    if db.get_database_backend() != DatabaseBackend::Postgres {
        return;
    }
    loop {
        match PgListener::connect_with(db.get_postgres_connection_pool()).await {
            Ok(mut listener) => match listener.listen(PG_CHANNEL).await {
                Ok(()) => loop {
                    match listener.recv().await {
                        Ok(notification) => {
                            match serde_json::from_str::<Notice>(notification.payload()) {
                                Ok(notice) => bus.publish(notice),
                                Err(error) => {
                                    tracing::warn!(%error, "ignoring a malformed event notice")
                                }
                            }
                        }
                        Err(error) => {
                            tracing::warn!(%error, "event listener lost its connection");
                            break;
                        }
                    }
                },
                Err(error) => tracing::warn!(%error, "cannot LISTEN for events"),
            },
            Err(error) => tracing::warn!(%error, "cannot connect the event listener"),
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
}
