//! Routing (C, X2, X3, X7): which operator a waiting chat goes to, made safe under concurrency.
//!
//! The choice is a pure function ([`rank`]): READY members of the queue, with the queue's skill,
//! not on a call, not in after-chat work, under their limit, and who have not already declined
//! or missed this chat; least loaded first, then the best skill level, then whoever has waited
//! longest since their last assignment. Every decision is stored with every candidate and why
//! each lost.
//!
//! Safety does not depend on one process's memory: the chat row is locked (`FOR UPDATE` on
//! PostgreSQL; SQLite has one writer), and capacity is taken with a conditional update
//! (`active_chats < max_chats AND status = 'READY' …`) that the database re-checks under the
//! operator row's lock, so a chat is never assigned twice and a limit is never exceeded, also
//! with several instances on one PostgreSQL.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, LockBehavior, LockType};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Select,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::entity::{
    chat, chat_assignment, chat_participant, operator, operator_skill, organization_settings,
    queue, queue_member, routing_decision,
};
use crate::enums::{
    AssignmentEnd, AssignmentKind, ChatStatus, EventKind, OperatorStatus, ParticipantState,
    RoutingOutcome, RoutingTrigger,
};
use crate::error::{DomainError, Result};
use crate::events::Outbox;
use crate::ids::{AssignmentId, ChatId, OperatorId, RoutingDecisionId, WrapUpReasonId};
use crate::presence::takes_new_chats;
use crate::service::Domain;

/// Why a candidate was not chosen (X2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
pub enum SkipReason {
    /// Not READY.
    NotReady,
    /// On a phone call (C3).
    OnCall,
    /// At the concurrent-chat limit.
    AtLimit,
    /// Lacks the queue's skill.
    LacksSkill,
    /// Declined or missed this very chat just before.
    AlreadyOffered,
    /// In after-chat work (X6).
    AfterChatWork,
    /// Eligible, but another candidate ranked higher.
    Outranked,
    /// Eligible, but their capacity was taken by a concurrent assignment.
    LostRace,
}

/// One operator as routing saw them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Candidate {
    pub operator_id: OperatorId,
    pub status: OperatorStatus,
    pub on_call: bool,
    pub load: i32,
    pub max_chats: i32,
    /// The operator's level in the queue's skill, if the queue has one.
    pub skill_level: Option<i16>,
    pub last_assigned_at: Option<DateTime<Utc>>,
    pub in_after_chat_work: bool,
    pub already_offered: bool,
    /// Why they were not chosen; none for the chosen one.
    pub skipped: Option<SkipReason>,
}

impl Candidate {
    fn ineligibility(&self, queue_needs_skill: bool) -> Option<SkipReason> {
        if !takes_new_chats(self.status) {
            Some(SkipReason::NotReady)
        } else if self.on_call {
            Some(SkipReason::OnCall)
        } else if self.in_after_chat_work {
            Some(SkipReason::AfterChatWork)
        } else if self.load >= self.max_chats {
            Some(SkipReason::AtLimit)
        } else if queue_needs_skill && self.skill_level.is_none() {
            Some(SkipReason::LacksSkill)
        } else if self.already_offered {
            Some(SkipReason::AlreadyOffered)
        } else {
            None
        }
    }
}

/// Orders candidates: eligible ones first, least loaded, then best skill level, then longest
/// since their last assignment (never assigned counts as longest); ineligible ones get their
/// reason. Ties beyond that go by id, so the order is deterministic.
pub fn rank(mut candidates: Vec<Candidate>, queue_needs_skill: bool) -> Vec<Candidate> {
    for candidate in &mut candidates {
        candidate.skipped = candidate.ineligibility(queue_needs_skill);
    }
    candidates.sort_by(|a, b| {
        a.skipped
            .is_some()
            .cmp(&b.skipped.is_some())
            .then(a.load.cmp(&b.load))
            .then(b.skill_level.cmp(&a.skill_level))
            .then(a.last_assigned_at.cmp(&b.last_assigned_at))
            .then(a.operator_id.cmp(&b.operator_id))
    });
    candidates
}

/// How a presence change affects capacity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CapacityChange {
    None,
    /// The operator can take chats now and could not before: offer waiting chats.
    Freed,
    /// The operator left (OFFLINE or AWAY): hand their chats back (X7).
    Gone,
}

fn can_take(op: &operator::Model, now: DateTime<Utc>) -> bool {
    takes_new_chats(op.status)
        && !op.on_call
        && op.active_chats < op.max_chats
        && op.after_work_until.is_none_or(|until| until <= now)
}

impl CapacityChange {
    pub fn between(before: &operator::Model, after: &operator::Model, now: DateTime<Utc>) -> Self {
        let gone = |status| matches!(status, OperatorStatus::Offline | OperatorStatus::Away);
        if gone(after.status) && !gone(before.status) {
            CapacityChange::Gone
        } else if can_take(after, now)
            && (!can_take(before, now) || after.max_chats > before.max_chats)
        {
            CapacityChange::Freed
        } else {
            CapacityChange::None
        }
    }
}

/// Locks and reads an operator row (`FOR UPDATE`; SQLite's write transaction already excludes
/// other writers).
pub async fn lock_operator(
    db: &impl ConnectionTrait,
    id: OperatorId,
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

/// Rows whose timer is due, at most a batch. Each is then handled in its own transaction that
/// locks and re-checks it, so two instances never fire one timer twice.
pub async fn find_due<E: EntityTrait>(
    db: &impl ConnectionTrait,
    select: Select<E>,
) -> Result<Vec<E::Model>>
where
    E::Model: Sync,
{
    Ok(select.limit(100).all(db).await?)
}

/// Takes one unit of an operator's capacity if, checked under the row lock, they can still take
/// a chat. Returns whether it was taken.
async fn take_capacity(
    db: &impl ConnectionTrait,
    id: OperatorId,
    now: DateTime<Utc>,
    require_ready: bool,
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

/// Takes capacity for a manual assignment (C4): any signed-in status, but never over the limit.
pub(crate) async fn take_capacity_for_assignment(
    db: &impl ConnectionTrait,
    id: OperatorId,
    now: DateTime<Utc>,
) -> Result<()> {
    if take_capacity(db, id, now, false).await? {
        Ok(())
    } else {
        Err(DomainError::LimitExceeded(
            "The operator is at their concurrent-chat limit".into(),
        ))
    }
}

/// Opens a responsibility-history entry (E3).
pub(crate) async fn open_assignment(
    db: &impl ConnectionTrait,
    chat: &chat::Model,
    kind: AssignmentKind,
    operator_id: Option<OperatorId>,
    by: Option<OperatorId>,
    now: DateTime<Utc>,
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
    db: &impl ConnectionTrait,
    chat_id: ChatId,
    reason: AssignmentEnd,
    wrap_up_reason_id: Option<WrapUpReasonId>,
    now: DateTime<Utc>,
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

/// Marks everyone still in a chat as having left it; returns who was in.
pub(crate) async fn leave_chat(
    db: &impl ConnectionTrait,
    chat_id: ChatId,
    now: DateTime<Utc>,
) -> Result<Vec<chat_participant::Model>> {
    let present = chat_participant::Entity::find()
        .filter(chat_participant::Column::ChatId.eq(chat_id))
        .filter(chat_participant::Column::State.ne(ParticipantState::Left))
        .all(db)
        .await?;
    chat_participant::Entity::update_many()
        .col_expr(
            chat_participant::Column::State,
            Expr::value(ParticipantState::Left),
        )
        .col_expr(chat_participant::Column::LeftAt, Expr::value(now))
        .filter(chat_participant::Column::ChatId.eq(chat_id))
        .filter(chat_participant::Column::State.ne(ParticipantState::Left))
        .exec(db)
        .await?;
    Ok(present)
}

impl Domain {
    /// Offers a waiting chat to the best operator, or leaves it waiting; records the decision.
    pub(crate) async fn route_chat(
        &self,
        db: &impl ConnectionTrait,
        outbox: &mut Outbox,
        chat_id: ChatId,
        trigger: RoutingTrigger,
        now: DateTime<Utc>,
    ) -> Result<RoutingOutcome> {
        let Some(chat) = lock_chat(db, chat_id).await? else {
            return Ok(RoutingOutcome::Rejected);
        };
        if chat.status != ChatStatus::Queued {
            return Ok(RoutingOutcome::Rejected);
        }
        let Some(queue_id) = chat.queue_id else {
            return Ok(RoutingOutcome::Queued);
        };
        let Some(queue) = queue::Entity::find_by_id(queue_id).one(db).await? else {
            return Ok(RoutingOutcome::Queued);
        };
        let mut candidates = rank(
            self.candidates(db, &chat, &queue, trigger, now).await?,
            queue.skill_id.is_some(),
        );
        let mut chosen = None;
        for candidate in candidates.iter_mut().filter(|c| c.skipped.is_none()) {
            if chosen.is_some() {
                candidate.skipped = Some(SkipReason::Outranked);
            } else if take_capacity(db, candidate.operator_id, now, true).await? {
                chosen = Some(candidate.operator_id);
            } else {
                candidate.skipped = Some(SkipReason::LostRace);
            }
        }
        let outcome = if chosen.is_some() {
            RoutingOutcome::Invited
        } else {
            RoutingOutcome::Queued
        };
        routing_decision::ActiveModel {
            id: Set(RoutingDecisionId::new()),
            organization_id: Set(chat.organization_id),
            chat_id: Set(chat.id),
            queue_id: Set(Some(queue.id)),
            trigger: Set(trigger),
            outcome: Set(outcome),
            chosen_operator_id: Set(chosen),
            candidates: Set(serde_json::to_value(&candidates)
                .map_err(|e| DomainError::Internal(e.to_string()))?),
            decided_at: Set(now),
        }
        .insert(db)
        .await?;
        if let Some(operator_id) = chosen {
            self.invite(
                db,
                outbox,
                &chat,
                operator_id,
                AssignmentKind::Routed,
                None,
                now,
            )
            .await?;
        }
        // The queue's members see the chat in "Unassigned" from when it starts waiting (it has
        // just come in, unless capacity freed) until it is offered to someone.
        let was_waiting = trigger == RoutingTrigger::CapacityFreed;
        match (outcome, was_waiting) {
            (RoutingOutcome::Queued, false) => {
                self.tell_queue(db, outbox, &chat, EventKind::ChatQueued, now)
                    .await?;
            }
            (RoutingOutcome::Invited, true) => {
                self.tell_queue(db, outbox, &chat, EventKind::ChatDequeued, now)
                    .await?;
            }
            _ => {}
        }
        Ok(outcome)
    }

    /// Everyone routing considers for a chat: the queue's members, with their skill level.
    async fn candidates(
        &self,
        db: &impl ConnectionTrait,
        chat: &chat::Model,
        queue: &queue::Model,
        trigger: RoutingTrigger,
        now: DateTime<Utc>,
    ) -> Result<Vec<Candidate>> {
        let member_ids: Vec<OperatorId> = queue_member::Entity::find()
            .filter(queue_member::Column::QueueId.eq(queue.id))
            .all(db)
            .await?
            .into_iter()
            .map(|m| m.operator_id)
            .collect();
        let members = operator::Entity::find()
            .filter(operator::Column::Id.is_in(member_ids.iter().copied()))
            .filter(operator::Column::ArchivedAt.is_null())
            .all(db)
            .await?;
        let levels: HashMap<OperatorId, i16> = match queue.skill_id {
            Some(skill_id) => operator_skill::Entity::find()
                .filter(operator_skill::Column::SkillId.eq(skill_id))
                .filter(operator_skill::Column::OperatorId.is_in(member_ids.iter().copied()))
                .all(db)
                .await?
                .into_iter()
                .map(|s| (s.operator_id, s.level))
                .collect(),
            None => HashMap::new(),
        };
        // Right after a decline or a missed invitation, the chat goes to someone else; later
        // routings (capacity freed) may offer it to that operator again, so it never sticks.
        let offered: HashSet<OperatorId> = if matches!(
            trigger,
            RoutingTrigger::Declined | RoutingTrigger::InvitationExpired
        ) {
            chat_assignment::Entity::find()
                .filter(chat_assignment::Column::ChatId.eq(chat.id))
                .filter(
                    chat_assignment::Column::EndReason
                        .is_in([AssignmentEnd::Declined, AssignmentEnd::Expired]),
                )
                .order_by_desc(chat_assignment::Column::EndedAt)
                .order_by_desc(chat_assignment::Column::Id)
                .one(db)
                .await?
                .and_then(|a| a.operator_id)
                .into_iter()
                .collect()
        } else {
            HashSet::new()
        };
        Ok(members
            .into_iter()
            .map(|op| Candidate {
                operator_id: op.id,
                status: op.status,
                on_call: op.on_call,
                load: op.active_chats,
                max_chats: op.max_chats,
                skill_level: levels.get(&op.id).copied(),
                last_assigned_at: op.last_assigned_at,
                in_after_chat_work: op.after_work_until.is_some_and(|until| until > now),
                already_offered: offered.contains(&op.id),
                skipped: None,
            })
            .collect())
    }

    /// Offers a chat to an operator whose capacity is already taken: INVITED with a deadline.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn invite(
        &self,
        db: &impl ConnectionTrait,
        outbox: &mut Outbox,
        chat: &chat::Model,
        operator_id: OperatorId,
        kind: AssignmentKind,
        by: Option<OperatorId>,
        now: DateTime<Utc>,
    ) -> Result<chat::Model> {
        let timeout = organization_settings::Entity::find_by_id(chat.organization_id)
            .one(db)
            .await?
            .map_or(30, |s| s.invitation_timeout_secs);
        let expires_at = now + Duration::seconds(i64::from(timeout));
        let mut model: chat::ActiveModel = chat.clone().into();
        model.status = Set(ChatStatus::Invited);
        model.operator_id = Set(Some(operator_id));
        model.invited_at = Set(Some(now));
        model.invitation_expires_at = Set(Some(expires_at));
        model.updated_at = Set(now);
        let invited = model.update(db).await?;
        // A wait in a queue (after a transfer there) ends when someone is offered the chat.
        chat_assignment::Entity::update_many()
            .col_expr(chat_assignment::Column::EndedAt, Expr::value(now))
            .col_expr(
                chat_assignment::Column::EndReason,
                Expr::value(AssignmentEnd::Routed),
            )
            .filter(chat_assignment::Column::ChatId.eq(chat.id))
            .filter(chat_assignment::Column::OperatorId.is_null())
            .filter(chat_assignment::Column::EndedAt.is_null())
            .exec(db)
            .await?;
        open_assignment(db, &invited, kind, Some(operator_id), by, now).await?;
        let payload = json!({ "status": ChatStatus::Invited, "expiresAt": expires_at });
        outbox
            .to_operator(
                db,
                chat.organization_id,
                operator_id,
                EventKind::ChatInvited,
                Some(chat.id),
                payload.clone(),
                now,
            )
            .await?;
        outbox
            .to_chat(
                db,
                chat.organization_id,
                chat.id,
                EventKind::ChatUpdated,
                payload,
                now,
            )
            .await?;
        Ok(invited)
    }

    /// Puts a chat back in its queue (at the head when `to_head`), releasing its operator.
    pub(crate) async fn requeue(
        &self,
        db: &impl ConnectionTrait,
        outbox: &mut Outbox,
        chat: &chat::Model,
        reason: AssignmentEnd,
        to_head: bool,
        now: DateTime<Utc>,
    ) -> Result<chat::Model> {
        let previous = chat.operator_id;
        let was_invited = chat.status == ChatStatus::Invited;
        let mut model: chat::ActiveModel = chat.clone().into();
        model.status = Set(ChatStatus::Queued);
        model.operator_id = Set(None);
        model.invited_at = Set(None);
        model.invitation_expires_at = Set(None);
        model.accepted_at = Set(None);
        if to_head {
            model.queue_priority = Set(Ord::max(chat.queue_priority, 1));
        }
        model.updated_at = Set(now);
        let queued = model.update(db).await?;
        end_assignment(db, chat.id, reason, None, now).await?;
        if let Some(operator_id) = previous {
            release_capacity(db, operator_id).await?;
            let kind = if was_invited {
                EventKind::InvitationWithdrawn
            } else {
                EventKind::ChatUnassigned
            };
            outbox
                .to_operator(
                    db,
                    chat.organization_id,
                    operator_id,
                    kind,
                    Some(chat.id),
                    json!({ "reason": reason }),
                    now,
                )
                .await?;
        }
        outbox
            .to_chat(
                db,
                chat.organization_id,
                chat.id,
                EventKind::ChatUpdated,
                json!({ "status": ChatStatus::Queued }),
                now,
            )
            .await?;
        Ok(queued)
    }

    /// Offers waiting chats of an operator's queues, oldest first, while the operator can take
    /// more (C4: capacity freed by a close, READY, a call's end, a raised limit).
    pub(crate) async fn route_waiting_for(
        &self,
        db: &impl ConnectionTrait,
        outbox: &mut Outbox,
        operator_id: OperatorId,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let queue_ids: Vec<_> = queue_member::Entity::find()
            .filter(queue_member::Column::OperatorId.eq(operator_id))
            .all(db)
            .await?
            .into_iter()
            .map(|m| m.queue_id)
            .collect();
        if queue_ids.is_empty() {
            return Ok(());
        }
        let waiting = chat::Entity::find()
            .filter(chat::Column::QueueId.is_in(queue_ids))
            .filter(chat::Column::Status.eq(ChatStatus::Queued))
            .order_by_desc(chat::Column::QueuePriority)
            .order_by_asc(chat::Column::QueuedAt)
            .order_by_asc(chat::Column::Id)
            .limit(20)
            .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
            .all(db)
            .await?;
        for chat in waiting {
            let Some(op) = operator::Entity::find_by_id(operator_id).one(db).await? else {
                break;
            };
            if !can_take(&op, now) {
                break;
            }
            self.route_chat(db, outbox, chat.id, RoutingTrigger::CapacityFreed, now)
                .await?;
        }
        Ok(())
    }

    /// Gives back an operator's capacity for one chat that left them, then applies their
    /// scheduled status if it was their last chat (B2), or else offers them waiting chats,
    /// unless after-chat work holds them (X6).
    pub(crate) async fn free_capacity(
        &self,
        db: &impl ConnectionTrait,
        outbox: &mut Outbox,
        operator_id: OperatorId,
        now: DateTime<Utc>,
    ) -> Result<()> {
        lock_operator(db, operator_id).await?;
        release_capacity(db, operator_id).await?;
        let Some(op) = operator::Entity::find_by_id(operator_id).one(db).await? else {
            return Ok(());
        };
        if op.next_status.is_some() && op.active_chats == 0 {
            self.apply_scheduled_status(db, outbox, &op, now).await
        } else if op.after_work_until.is_none_or(|until| until <= now) {
            self.route_waiting_for(db, outbox, operator_id, now).await
        } else {
            Ok(())
        }
    }

    /// Hands an absent operator's chats back to the head of their queues and routes them again
    /// (X7). Invitations always go back; accepted chats when the organization says so.
    pub(crate) async fn hand_back_chats(
        &self,
        db: &impl ConnectionTrait,
        outbox: &mut Outbox,
        op: &operator::Model,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let include_active = organization_settings::Entity::find_by_id(op.organization_id)
            .one(db)
            .await?
            .is_none_or(|s| s.requeue_active_chats_on_away);
        let mut statuses = vec![ChatStatus::Invited];
        if include_active {
            statuses.extend([ChatStatus::New, ChatStatus::InProgress]);
        }
        let chats = chat::Entity::find()
            .filter(chat::Column::OperatorId.eq(op.id))
            .filter(chat::Column::Status.is_in(statuses))
            .filter(chat::Column::QueueId.is_not_null())
            .lock_exclusive()
            .all(db)
            .await?;
        for chat in chats {
            self.requeue(db, outbox, &chat, AssignmentEnd::Requeued, true, now)
                .await?;
            self.route_chat(db, outbox, chat.id, RoutingTrigger::Requeued, now)
                .await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(load: i32, level: Option<i16>, last: Option<i64>) -> Candidate {
        Candidate {
            operator_id: OperatorId::new(),
            status: OperatorStatus::Ready,
            on_call: false,
            load,
            max_chats: 3,
            skill_level: level,
            last_assigned_at: last.map(|s| DateTime::from_timestamp(s, 0).unwrap()),
            in_after_chat_work: false,
            already_offered: false,
            skipped: None,
        }
    }

    #[test]
    fn least_loaded_wins_then_best_skill_then_longest_idle() {
        let busy = candidate(2, Some(5), None);
        let expert = candidate(1, Some(5), Some(100));
        let novice = candidate(1, Some(1), Some(0));
        let ranked = rank(vec![busy.clone(), novice.clone(), expert.clone()], true);
        let order: Vec<_> = ranked.iter().map(|c| c.operator_id).collect();
        assert_eq!(
            order,
            vec![expert.operator_id, novice.operator_id, busy.operator_id]
        );

        let long_idle = candidate(1, Some(3), Some(10));
        let recent = candidate(1, Some(3), Some(500));
        let never = candidate(1, Some(3), None);
        let ranked = rank(vec![recent.clone(), long_idle.clone(), never.clone()], true);
        let order: Vec<_> = ranked.iter().map(|c| c.operator_id).collect();
        assert_eq!(
            order,
            vec![never.operator_id, long_idle.operator_id, recent.operator_id]
        );
    }

    #[test]
    fn ineligible_candidates_carry_their_reason_and_come_last() {
        let mut on_break = candidate(0, Some(3), None);
        on_break.status = OperatorStatus::Break;
        let mut calling = candidate(0, Some(3), None);
        calling.on_call = true;
        let full = candidate(3, Some(3), None);
        let unskilled = candidate(0, None, None);
        let mut declined = candidate(0, Some(3), None);
        declined.already_offered = true;
        let mut wrapping = candidate(0, Some(3), None);
        wrapping.in_after_chat_work = true;
        let ok = candidate(2, Some(1), None);
        let ranked = rank(
            vec![
                on_break,
                calling,
                full,
                unskilled,
                declined,
                wrapping,
                ok.clone(),
            ],
            true,
        );
        assert_eq!(ranked[0].operator_id, ok.operator_id);
        assert_eq!(ranked[0].skipped, None);
        let reasons: HashSet<_> = ranked[1..].iter().map(|c| c.skipped.unwrap()).collect();
        assert_eq!(
            reasons,
            HashSet::from([
                SkipReason::NotReady,
                SkipReason::OnCall,
                SkipReason::AtLimit,
                SkipReason::LacksSkill,
                SkipReason::AlreadyOffered,
                SkipReason::AfterChatWork,
            ])
        );
    }

    #[test]
    fn a_queue_without_a_skill_takes_anyone() {
        let ranked = rank(vec![candidate(0, None, None)], false);
        assert_eq!(ranked[0].skipped, None);
    }
}
