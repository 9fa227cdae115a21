//! Routing (C4, C5, X2, X7): a chat is offered to the best free member of its queue, the decision
//! stored with every candidate; waiting chats are offered whenever capacity frees; chats are handed
//! back to their queues when their operator leaves.

use chrono::{DateTime, Duration, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait, IntoCondition, LockBehavior, LockType};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, JoinType,
    QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::json;
use std::collections::HashSet;

use crate::actor::Actor;
use crate::entity::{
    chat, chat_assignment, operator, operator_skill, organization_settings, queue, queue_member,
    routing_decision,
};
use crate::enums::{
    AssignmentEnd, AssignmentKind, ChatStatus, EventKind, OperatorStatus, Role, RoutingOutcome,
    RoutingTrigger,
};
use crate::error::{DomainError, Result};
use crate::ids::{ChatId, OperatorId, RoutingDecisionId};
use crate::routing::rank::{Candidate, SkipReason, can_take, rank};
use crate::routing::rows::{
    Contended, end_assignment, lock_chat, open_assignment, release_capacity,
    release_capacity_and_read, take_capacity,
};
use crate::service::Routing;
use crate::store::relation;
use crate::work::Work;

/// What routing did with a chat, and the chat as it left it (`None` when it was not waiting).
pub(crate) struct Routed {
    pub outcome: RoutingOutcome,
    pub chat: Option<chat::Model>,
}

/// A queue member as routing ranks them, with their level of the queue's skill.
#[derive(FromQueryResult)]
struct Member {
    id: OperatorId,
    status: OperatorStatus,
    on_call: bool,
    active_chats: i32,
    max_chats: i32,
    last_assigned_at: Option<DateTime<Utc>>,
    after_work_until: Option<DateTime<Utc>>,
    skill_level: Option<i16>,
}

impl Routing<'_> {
    /// Offers a waiting chat to the best operator, or leaves it waiting; records the decision.
    /// The chat is locked and read first.
    pub(crate) async fn route_chat(
        self, work: &mut Work, chat_id: ChatId, trigger: RoutingTrigger,
    ) -> Result<RoutingOutcome> {
        let Some(chat) = lock_chat(&work.tx, chat_id).await? else {
            return Ok(RoutingOutcome::Rejected);
        };
        Ok(self.route_held(work, chat, None, trigger).await?.outcome)
    }

    /// [`Self::route_chat`] for a chat the caller's transaction holds as it is written (one it
    /// has just created: no other transaction sees it, so it needs no lock and no second read),
    /// with its queue when the caller has it; answers the chat as routing left it.
    pub(crate) async fn route_held(
        self, work: &mut Work, chat: chat::Model, known_queue: Option<&queue::Model>,
        trigger: RoutingTrigger,
    ) -> Result<Routed> {
        if chat.status != ChatStatus::Queued {
            return Ok(Routed {
                outcome: RoutingOutcome::Rejected,
                chat: None,
            });
        }
        let read;
        let queue = match (chat.queue_id, known_queue) {
            (None, _) => None,
            (Some(id), Some(known)) if known.id == id => Some(known),
            (Some(id), _) => {
                read = queue::Entity::find_by_id(id).one(&work.tx).await?;
                read.as_ref()
            }
        };
        let Some(queue) = queue else {
            return Ok(Routed {
                outcome: RoutingOutcome::Queued,
                chat: Some(chat),
            });
        };
        let mut candidates = rank(
            self.candidates(&work.tx, &chat, queue, trigger, work.now)
                .await?,
            queue.skill_id.is_some(),
        );
        // Best first, passing by operators another hand-off is taking at this moment; only when
        // every free one was passed by does it wait for them, in order, so a chat never waits in
        // the queue while someone could take it.
        let mut chosen = None;
        for contended in [Contended::Skip, Contended::Wait] {
            for candidate in candidates.iter_mut() {
                let eligible = candidate.skipped.is_none()
                    || (contended == Contended::Wait
                        && candidate.skipped == Some(SkipReason::LostRace));
                if chosen.is_some() || !eligible {
                    if chosen.is_some() && candidate.skipped.is_none() {
                        candidate.skipped = Some(SkipReason::Outranked);
                    }
                    continue;
                }
                if take_capacity(&work.tx, candidate.operator_id, work.now, true, contended).await?
                {
                    chosen = Some(candidate.operator_id);
                    candidate.skipped = None;
                } else {
                    candidate.skipped = Some(SkipReason::LostRace);
                }
            }
            if chosen.is_some() {
                break;
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
            decided_at: Set(work.now),
        }
        .insert(&work.tx)
        .await?;
        let left = match chosen {
            Some(operator_id) => {
                self.invite(work, &chat, operator_id, AssignmentKind::Routed, None)
                    .await?
            }
            None => chat.clone(),
        };
        // The queue's "Unassigned" list shows the chat from when it starts waiting (it has just
        // come in, unless capacity freed) until it is offered to someone.
        let was_waiting = trigger == RoutingTrigger::CapacityFreed;
        let told = match (outcome, was_waiting) {
            (RoutingOutcome::Queued, false) => Some(EventKind::ChatQueued),
            (RoutingOutcome::Invited, true) => Some(EventKind::ChatDequeued),
            _ => None,
        };
        if let Some(kind) = told {
            self.domain.chats().tell_queue(work, &chat, kind);
        }
        Ok(Routed {
            outcome,
            chat: Some(left),
        })
    }

    /// Everyone routing considers for a chat: the queue's members, with their skill level.
    async fn candidates(
        self, db: &impl ConnectionTrait, chat: &chat::Model, queue: &queue::Model,
        trigger: RoutingTrigger, now: DateTime<Utc>,
    ) -> Result<Vec<Candidate>> {
        // The members with their level of the queue's skill, in one statement (a queue without
        // a skill matches no level).
        let skill_id = queue.skill_id;
        let members = operator::Entity::find()
            .select_only()
            .columns([
                operator::Column::Id,
                operator::Column::Status,
                operator::Column::OnCall,
                operator::Column::ActiveChats,
                operator::Column::MaxChats,
                operator::Column::LastAssignedAt,
                operator::Column::AfterWorkUntil,
            ])
            .column_as(operator_skill::Column::Level, "skill_level")
            .join(
                JoinType::InnerJoin,
                relation(operator::Column::Id, queue_member::Column::OperatorId),
            )
            .join(
                JoinType::LeftJoin,
                relation(operator::Column::Id, operator_skill::Column::OperatorId).on_condition(
                    move |_, skills| {
                        Expr::col((skills, operator_skill::Column::SkillId))
                            .eq(skill_id)
                            .into_condition()
                    },
                ),
            )
            .filter(queue_member::Column::QueueId.eq(queue.id))
            .filter(operator::Column::ArchivedAt.is_null())
            .into_model::<Member>()
            .all(db)
            .await?;
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
                skill_level: op.skill_level,
                last_assigned_at: op.last_assigned_at,
                in_after_chat_work: op.after_work_until.is_some_and(|until| until > now),
                already_offered: offered.contains(&op.id),
                skipped: None,
            })
            .collect())
    }

    /// Offers a chat to an operator whose capacity is already taken: INVITED with a deadline.
    pub(crate) async fn invite(
        self, work: &mut Work, chat: &chat::Model, operator_id: OperatorId, kind: AssignmentKind,
        by: Option<OperatorId>,
    ) -> Result<chat::Model> {
        let timeout = organization_settings::Entity::find_by_id(chat.organization_id)
            .one(&work.tx)
            .await?
            .map_or(30, |s| s.invitation_timeout_secs);
        let expires_at = work.now + Duration::seconds(i64::from(timeout));
        let mut model: chat::ActiveModel = chat.clone().into();
        model.status = Set(ChatStatus::Invited);
        model.operator_id = Set(Some(operator_id));
        model.invited_at = Set(Some(work.now));
        model.invitation_expires_at = Set(Some(expires_at));
        let invited = work.save(model).await?;
        // A wait in a queue (after a transfer there) ends when someone is offered the chat.
        chat_assignment::Entity::update_many()
            .col_expr(chat_assignment::Column::EndedAt, Expr::value(work.now))
            .col_expr(
                chat_assignment::Column::EndReason,
                Expr::value(AssignmentEnd::Routed),
            )
            .filter(chat_assignment::Column::ChatId.eq(chat.id))
            .filter(chat_assignment::Column::OperatorId.is_null())
            .filter(chat_assignment::Column::EndedAt.is_null())
            .exec(&work.tx)
            .await?;
        open_assignment(&work.tx, &invited, kind, Some(operator_id), by, work.now).await?;
        let payload = json!({ "status": ChatStatus::Invited, "expiresAt": expires_at });
        work.outbox.to_operator_and_chat(
            chat,
            operator_id,
            EventKind::ChatInvited,
            payload,
            work.now,
        );
        Ok(invited)
    }

    /// Puts a chat back in its queue (at the head when `to_head`), releasing its operator.
    pub(crate) async fn requeue(
        self, work: &mut Work, chat: &chat::Model, reason: AssignmentEnd, to_head: bool,
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
        let queued = work.save(model).await?;
        end_assignment(&work.tx, chat.id, reason, None, work.now).await?;
        if let Some(operator_id) = previous {
            release_capacity(&work.tx, operator_id).await?;
            let kind = if was_invited {
                EventKind::InvitationWithdrawn
            } else {
                EventKind::ChatUnassigned
            };
            work.outbox.to_operator(
                chat.organization_id,
                operator_id,
                kind,
                Some(chat.id),
                json!({ "reason": reason }),
                work.now,
            );
        }
        work.outbox.to_chat(
            chat.organization_id,
            chat.id,
            EventKind::ChatUpdated,
            json!({ "status": ChatStatus::Queued }),
            work.now,
        );
        Ok(queued)
    }

    /// Offers waiting chats of an operator's queues, oldest first, while the operator can take
    /// more (C4: capacity freed by a close, READY, a call's end, a raised limit).
    pub(crate) async fn route_waiting_for(
        self, work: &mut Work, operator_id: OperatorId,
    ) -> Result<()> {
        let queue_ids: Vec<_> = queue_member::Entity::find()
            .filter(queue_member::Column::OperatorId.eq(operator_id))
            .all(&work.tx)
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
            .all(&work.tx)
            .await?;
        for chat in waiting {
            let Some(op) = operator::Entity::find_by_id(operator_id)
                .one(&work.tx)
                .await?
            else {
                break;
            };
            if !can_take(&op, work.now) {
                break;
            }
            self.route_chat(work, chat.id, RoutingTrigger::CapacityFreed)
                .await?;
        }
        Ok(())
    }

    /// Gives back an operator's capacity for one chat that left them, then applies their
    /// scheduled status if it was their last chat (B2), or else offers them waiting chats,
    /// unless after-chat work holds them (X6).
    pub(crate) async fn free_capacity(
        self, work: &mut Work, operator_id: OperatorId,
    ) -> Result<()> {
        let Some(op) = release_capacity_and_read(&work.tx, operator_id).await? else {
            return Ok(());
        };
        if op.next_status.is_some() && op.active_chats == 0 {
            self.domain
                .presence()
                .apply_scheduled_status(work, &op)
                .await
        } else if op.after_work_until.is_none_or(|until| until <= work.now) {
            self.route_waiting_for(work, operator_id).await
        } else {
            Ok(())
        }
    }

    /// Hands an absent operator's chats back to the head of their queues and routes them again
    /// (X7). Invitations always go back; accepted chats when the organization says so.
    pub(crate) async fn hand_back_chats(self, work: &mut Work, op: &operator::Model) -> Result<()> {
        let include_active = organization_settings::Entity::find_by_id(op.organization_id)
            .one(&work.tx)
            .await?
            .is_none_or(|s| s.requeue_active_chats_on_away);
        self.hand_back(work, op, include_active).await
    }

    /// Puts an operator's invitations back in their queues and routes them, and their accepted
    /// chats too when `include_active`; chats with no queue stay where they are.
    pub(crate) async fn hand_back(
        self, work: &mut Work, op: &operator::Model, include_active: bool,
    ) -> Result<()> {
        let mut statuses = vec![ChatStatus::Invited];
        if include_active {
            statuses.extend([ChatStatus::New, ChatStatus::InProgress]);
        }
        let chats = chat::Entity::find()
            .filter(chat::Column::OperatorId.eq(op.id))
            .filter(chat::Column::Status.is_in(statuses))
            .filter(chat::Column::QueueId.is_not_null())
            .lock_exclusive()
            .all(&work.tx)
            .await?;
        for chat in chats {
            self.requeue(work, &chat, AssignmentEnd::Requeued, true)
                .await?;
            self.route_chat(work, chat.id, RoutingTrigger::Requeued)
                .await?;
        }
        Ok(())
    }

    /// A chat's routing decisions, newest first (supervisors and above; X2).
    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id, chat_id = %chat_id))]
    pub async fn routing_decisions(
        self, actor: &Actor, chat_id: ChatId,
    ) -> Result<Vec<routing_decision::Model>> {
        actor.require_role(Role::Supervisor)?;
        self.domain
            .chats()
            .visible_chat(&self.domain.db, actor, chat_id)
            .await?;
        Ok(routing_decision::Entity::find()
            .filter(routing_decision::Column::ChatId.eq(chat_id))
            .order_by_desc(routing_decision::Column::DecidedAt)
            .order_by_desc(routing_decision::Column::Id)
            .all(&self.domain.db)
            .await?)
    }
}
