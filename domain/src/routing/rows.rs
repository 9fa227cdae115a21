//! The row-level steps routing is made of, each inside the caller's transaction: locking chats and
//! operators, taking and releasing capacity, opening and ending responsibilities.

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait, LockBehavior, LockType, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
};

use crate::entity::{chat, chat_assignment, chat_participant, operator};
use crate::enums::{AssignmentEnd, AssignmentKind, OperatorStatus, ParticipantState};
use crate::error::{DomainError, Result};
use crate::ids::{AssignmentId, ChatId, OperatorId, WrapUpReasonId};

/// Locks and reads an operator row (`FOR UPDATE`; SQLite's write transaction already excludes
/// other writers).
pub async fn lock_operator(
    db: &impl ConnectionTrait, id: OperatorId,
) -> Result<Option<operator::Model>> {
    Ok(operator::Entity::find_by_id(id)
        .lock_exclusive()
        .one(db)
        .await?)
}

/// Locks and reads a chat row.
pub async fn lock_chat(db: &impl ConnectionTrait, id: ChatId) -> Result<Option<chat::Model>> {
    Ok(chat::Entity::find_by_id(id)
        .lock_exclusive()
        .one(db)
        .await?)
}

/// How [`take_capacity`] treats an operator row another transaction holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Contended {
    /// Wait for it, then check again.
    Wait,
    /// Pass it by at once (PostgreSQL's `SKIP LOCKED`), so concurrent hand-offs spread over the
    /// queue's free operators instead of queuing behind the best-ranked one.
    Skip,
}

/// Takes one unit of an operator's capacity if, checked under the row lock, they can still take
/// a chat (`require_ready`: READY, not on a call, not in after-chat work). Returns whether it
/// was taken.
pub(crate) async fn take_capacity(
    db: &impl ConnectionTrait, id: OperatorId, now: DateTime<Utc>, require_ready: bool,
    contended: Contended,
) -> Result<bool> {
    let mut update = operator::Entity::update_many()
        .col_expr(
            operator::Column::ActiveChats,
            Expr::col(operator::Column::ActiveChats).add(1),
        )
        .col_expr(operator::Column::LastAssignedAt, Expr::value(now))
        .filter(operator::Column::Id.eq(id))
        .filter(Expr::col(operator::Column::ActiveChats).lt(Expr::col(operator::Column::MaxChats)));
    if require_ready {
        update = update
            .filter(operator::Column::Status.eq(OperatorStatus::Ready))
            .filter(operator::Column::OnCall.eq(false))
            .filter(
                operator::Column::AfterWorkUntil
                    .is_null()
                    .or(operator::Column::AfterWorkUntil.lte(now)),
            );
    }
    if contended == Contended::Skip {
        // SQLite has one writer at a time and no row locks; the clause is left out there.
        update = update.filter(
            operator::Column::Id.in_subquery(
                Query::select()
                    .column(operator::Column::Id)
                    .from(operator::Entity)
                    .and_where(operator::Column::Id.eq(id))
                    .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
                    .to_owned(),
            ),
        );
    }
    Ok(update.exec(db).await?.rows_affected == 1)
}

/// Gives back one unit of an operator's capacity.
pub(crate) async fn release_capacity(db: &impl ConnectionTrait, id: OperatorId) -> Result<()> {
    operator::Entity::update_many()
        .col_expr(
            operator::Column::ActiveChats,
            Expr::col(operator::Column::ActiveChats).sub(1),
        )
        .filter(operator::Column::Id.eq(id))
        .filter(operator::Column::ActiveChats.gt(0))
        .exec(db)
        .await?;
    Ok(())
}

/// Gives back one chat's capacity and reads the operator as that leaves them, their row locked
/// until the transaction ends: on PostgreSQL one `UPDATE … RETURNING` (the update takes the
/// lock), on SQLite the update and a read.
pub(crate) async fn release_capacity_and_read(
    db: &impl ConnectionTrait, id: OperatorId,
) -> Result<Option<operator::Model>> {
    let active = || Expr::col(operator::Column::ActiveChats);
    let release = operator::Entity::update_many()
        .col_expr(
            operator::Column::ActiveChats,
            Expr::case(active().gt(0), active().sub(1))
                .finally(0)
                .into(),
        )
        .filter(operator::Column::Id.eq(id));
    if db.support_returning() {
        Ok(release.exec_with_returning(db).await?.into_iter().next())
    } else {
        release.exec(db).await?;
        Ok(operator::Entity::find_by_id(id).one(db).await?)
    }
}

/// Takes capacity for a manual assignment (C4): any signed-in status, but never over the limit.
pub(crate) async fn take_capacity_for_assignment(
    db: &impl ConnectionTrait, id: OperatorId, now: DateTime<Utc>,
) -> Result<()> {
    if take_capacity(db, id, now, false, Contended::Wait).await? {
        Ok(())
    } else {
        Err(DomainError::LimitExceeded(
            "The operator is at their concurrent-chat limit".into(),
        ))
    }
}

/// Opens a responsibility-history entry (E3).
pub(crate) async fn open_assignment(
    db: &impl ConnectionTrait, chat: &chat::Model, kind: AssignmentKind,
    operator_id: Option<OperatorId>, by: Option<OperatorId>, now: DateTime<Utc>,
) -> Result<chat_assignment::Model> {
    Ok(chat_assignment::ActiveModel {
        id: Set(AssignmentId::new()),
        organization_id: Set(chat.organization_id),
        chat_id: Set(chat.id),
        kind: Set(kind),
        operator_id: Set(operator_id),
        queue_id: Set(chat.queue_id),
        bot_scheme_id: Set(None),
        from_operator_id: Set(None),
        by_operator_id: Set(by),
        wrap_up_reason_id: Set(None),
        started_at: Set(now),
        accepted_at: Set(None),
        ended_at: Set(None),
        end_reason: Set(None),
    }
    .insert(db)
    .await?)
}

/// Closes the open responsibility-history entry of a chat.
pub(crate) async fn end_assignment(
    db: &impl ConnectionTrait, chat_id: ChatId, reason: AssignmentEnd,
    wrap_up_reason_id: Option<WrapUpReasonId>, now: DateTime<Utc>,
) -> Result<()> {
    let mut update = chat_assignment::Entity::update_many()
        .col_expr(chat_assignment::Column::EndedAt, Expr::value(now))
        .col_expr(chat_assignment::Column::EndReason, Expr::value(reason));
    if let Some(wrap_up) = wrap_up_reason_id {
        update = update.col_expr(
            chat_assignment::Column::WrapUpReasonId,
            Expr::value(wrap_up),
        );
    }
    update
        .filter(chat_assignment::Column::ChatId.eq(chat_id))
        .filter(chat_assignment::Column::EndedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Marks everyone still in a chat (joined or invited) as having left it; returns the operators
/// who were in. One statement where the database returns what it updated (PostgreSQL).
pub(crate) async fn leave_chat(
    db: &impl ConnectionTrait, chat_id: ChatId, now: DateTime<Utc>,
) -> Result<Vec<OperatorId>> {
    let present = || {
        chat_participant::Entity::find()
            .filter(chat_participant::Column::ChatId.eq(chat_id))
            .filter(chat_participant::Column::State.ne(ParticipantState::Left))
    };
    let leave = chat_participant::Entity::update_many()
        .col_expr(
            chat_participant::Column::State,
            Expr::value(ParticipantState::Left),
        )
        .col_expr(chat_participant::Column::LeftAt, Expr::value(now))
        .filter(chat_participant::Column::ChatId.eq(chat_id))
        .filter(chat_participant::Column::State.ne(ParticipantState::Left));
    let left = if db.support_returning() {
        leave.exec_with_returning(db).await?
    } else {
        let present = present().all(db).await?;
        leave.exec(db).await?;
        present
    };
    Ok(left.into_iter().map(|p| p.operator_id).collect())
}
