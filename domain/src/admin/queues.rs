//! Queues (C2, C6): their skill, size limit and members.

use sea_orm::ActiveValue::Set;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use std::collections::HashSet;
use validator::Validate;

use crate::actor::Actor;
use crate::admin::dictionaries::unique_name;
use crate::admin::working_hours::{WorkingHours, check_week, time_zone};
use crate::entity::{chat, operator, queue, queue_member, skill};
use crate::enums::{ChatStatus, EventKind, Role};
use crate::error::{DomainError, Result};
use crate::ids::{OperatorId, QueueId, SkillId};
use crate::service::Admin;
use crate::store::{all_live, find_own};
use crate::validate::{change, check_admin, clean, not_blank, single_line};
use crate::work::Work;

#[derive(Clone, Debug, Validate)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct CreateQueueInput {
    /// 1 to 100 characters, unique among active queues.
    #[validate(length(min = 1, max = 100), custom(function = "single_line"))]
    pub name: String,
    /// The skill routing requires of the queue's operators.
    pub skill_id: Option<SkillId>,
    /// How many chats may wait in the queue; none for no limit (C6).
    #[validate(range(min = 1, max = 100000))]
    pub size_limit: Option<i32>,
    /// Seconds of after-chat work after closing this queue's chats (0 to 3600, X6); none
    /// keeps the organization's setting.
    #[validate(range(min = 0, max = 3600))]
    pub after_chat_work_secs: Option<i32>,
    /// Sent to a customer whose chat has to wait (001); `<customer_name>` is filled in.
    #[validate(length(min = 1, max = 1000), custom(function = "not_blank"))]
    pub queued_reply: Option<String>,
    /// Sent instead outside the working hours (001).
    #[validate(length(min = 1, max = 1000), custom(function = "not_blank"))]
    pub out_of_hours_reply: Option<String>,
    /// The queue's weekly hours; none: always open.
    #[validate(length(max = 21), nested)]
    pub working_hours: Option<Vec<WorkingHours>>,
    /// The IANA time zone of the working hours (`Europe/Warsaw`); UTC when none.
    #[validate(length(min = 1, max = 64))]
    pub time_zone: Option<String>,
}

#[derive(Clone, Debug, Validate)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct UpdateQueueInput {
    pub id: QueueId,
    #[validate(length(min = 1, max = 100), custom(function = "single_line"))]
    pub name: Option<String>,
    /// A new required skill.
    pub skill_id: Option<SkillId>,
    /// Remove the required skill.
    pub clear_skill: Option<bool>,
    /// A new size limit.
    #[validate(range(min = 1, max = 100000))]
    pub size_limit: Option<i32>,
    /// Remove the size limit.
    pub clear_size_limit: Option<bool>,
    /// This queue's own after-chat work, in seconds (0 to 3600, X6).
    #[validate(range(min = 0, max = 3600))]
    pub after_chat_work_secs: Option<i32>,
    /// Back to the organization's after-chat work.
    pub clear_after_chat_work: Option<bool>,
    /// A new reply to customers who wait (001).
    #[validate(length(min = 1, max = 1000), custom(function = "not_blank"))]
    pub queued_reply: Option<String>,
    /// No reply to customers who wait.
    pub clear_queued_reply: Option<bool>,
    /// A new out-of-hours reply (001).
    #[validate(length(min = 1, max = 1000), custom(function = "not_blank"))]
    pub out_of_hours_reply: Option<String>,
    /// No out-of-hours reply.
    pub clear_out_of_hours_reply: Option<bool>,
    /// The week's hours after the change (replaces them; empty: always open).
    #[validate(length(max = 21), nested)]
    pub working_hours: Option<Vec<WorkingHours>>,
    /// A new IANA time zone for the working hours.
    #[validate(length(min = 1, max = 64))]
    pub time_zone: Option<String>,
}

/// Archiving a queue (C2): chats still open in it move to another queue, never stranded (004).
#[derive(Clone, Debug)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct ArchiveQueueInput {
    pub id: QueueId,
    /// Where the queue's open chats go; needed when it has any. Waiting ones are routed there,
    /// their operators keep the others and are told.
    pub move_chats_to: Option<QueueId>,
}

#[derive(Clone, Debug, Validate)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct SetQueueMembersInput {
    pub queue_id: QueueId,
    /// The queue's operators after the change (replaces the current members).
    #[validate(length(max = 1000))]
    pub operator_ids: Vec<OperatorId>,
}

/// Working hours and their time zone checked together, as stored: none for an empty week.
fn checked_hours(
    hours: Option<&[WorkingHours]>, zone: Option<&str>,
) -> Result<Option<serde_json::Value>> {
    time_zone(zone)?;
    let Some(hours) = hours.filter(|h| !h.is_empty()) else {
        return Ok(None);
    };
    check_week(hours)?;
    Ok(Some(serde_json::to_value(hours).map_err(|e| {
        DomainError::Internal(format!("working hours: {e}"))
    })?))
}

impl Admin<'_> {
    /// A skill that may be required: of this organization and not archived.
    pub(crate) async fn usable_skill(
        self, db: &impl ConnectionTrait, actor: &Actor, id: SkillId, field: &'static str,
    ) -> Result<()> {
        match find_own::<skill::Entity>(db, actor, id).await {
            Ok(found) if found.archived_at.is_none() => Ok(()),
            Ok(_) => Err(DomainError::validation(field, "The skill is archived")),
            Err(DomainError::NotFound { .. }) => {
                Err(DomainError::validation(field, "No such skill"))
            }
            Err(other) => Err(other),
        }
    }

    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id))]
    pub async fn create_queue(
        self, actor: &Actor, input: CreateQueueInput,
    ) -> Result<queue::Model> {
        check_admin(actor, &input)?;
        let hours = checked_hours(input.working_hours.as_deref(), input.time_zone.as_deref())?;
        let mut work = self.domain.begin_now().await?;
        if let Some(skill_id) = input.skill_id {
            self.usable_skill(&work.tx, actor, skill_id, "skillId")
                .await?;
        }
        let name = unique_name::<queue::Entity>(&work.tx, actor, &input.name, None).await?;
        let created = queue::ActiveModel {
            id: Set(QueueId::new()),
            organization_id: Set(actor.organization_id),
            name: Set(name),
            skill_id: Set(input.skill_id),
            size_limit: Set(input.size_limit),
            after_chat_work_secs: Set(input.after_chat_work_secs),
            created_at: Set(work.now),
            updated_at: Set(work.now),
            archived_at: Set(None),
            queued_reply: Set(input.queued_reply.as_deref().map(clean)),
            out_of_hours_reply: Set(input.out_of_hours_reply.as_deref().map(clean)),
            working_hours: Set(hours),
            time_zone: Set(input.time_zone),
        }
        .insert(&work.tx)
        .await?;
        // Managers and above see every queue's waiting chats: theirs now include this one's.
        let managers: Vec<OperatorId> = operator::Entity::find()
            .select_only()
            .column(operator::Column::Id)
            .filter(operator::Column::OrganizationId.eq(actor.organization_id))
            .filter(operator::Column::Role.is_in(Role::from_up(Role::Manager)))
            .filter(operator::Column::ArchivedAt.is_null())
            .into_tuple()
            .all(&work.tx)
            .await?;
        tell_queues_changed(&mut work, actor, Some(created.id), managers);
        self.domain.answer(work, created).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id))]
    pub async fn update_queue(
        self, actor: &Actor, input: UpdateQueueInput,
    ) -> Result<queue::Model> {
        check_admin(actor, &input)?;
        let hours = checked_hours(input.working_hours.as_deref(), input.time_zone.as_deref())?;
        let work = self.domain.begin_now().await?;
        let found = find_own::<queue::Entity>(&work.tx, actor, input.id).await?;
        let mut model: queue::ActiveModel = found.into();
        if let Some(name) = &input.name {
            let name =
                unique_name::<queue::Entity>(&work.tx, actor, name, Some(input.id.0)).await?;
            model.name = Set(name);
        }
        if let Some(skill_id) = change(input.clear_skill, input.skill_id) {
            if let Some(id) = skill_id {
                self.usable_skill(&work.tx, actor, id, "skillId").await?;
            }
            model.skill_id = Set(skill_id);
        }
        if let Some(limit) = change(input.clear_size_limit, input.size_limit) {
            model.size_limit = Set(limit);
        }
        if let Some(secs) = change(input.clear_after_chat_work, input.after_chat_work_secs) {
            model.after_chat_work_secs = Set(secs);
        }
        let queued_reply = input.queued_reply.as_deref().map(clean);
        if let Some(reply) = change(input.clear_queued_reply, queued_reply) {
            model.queued_reply = Set(reply);
        }
        let out_of_hours_reply = input.out_of_hours_reply.as_deref().map(clean);
        if let Some(reply) = change(input.clear_out_of_hours_reply, out_of_hours_reply) {
            model.out_of_hours_reply = Set(reply);
        }
        if input.working_hours.is_some() {
            model.working_hours = Set(hours);
        }
        if input.time_zone.is_some() {
            model.time_zone = Set(input.time_zone.clone());
        }
        let updated = work.save(model).await?;
        self.domain.answer(work, updated).await
    }

    /// Archives a queue. Its open chats move to `move_chats_to` (needed when it has any):
    /// waiting ones are routed there, their operators keep the others and are told (004).
    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id))]
    pub async fn archive_queue(
        self, actor: &Actor, input: ArchiveQueueInput,
    ) -> Result<queue::Model> {
        actor.require_admin()?;
        let now = self.domain.now();
        let mut work = self.domain.begin(now).await?;
        let found = find_own::<queue::Entity>(&work.tx, actor, input.id).await?;
        if found.archived_at.is_some() {
            return Err(DomainError::conflict("The queue is already archived"));
        }
        let open = self.domain.chats().open_in_queue(&work.tx, &found).await?;
        let target = match input.move_chats_to {
            Some(id) => Some(self.other_live_queue(&work.tx, actor, id, found.id).await?),
            None if open.is_empty() => None,
            None => {
                return Err(DomainError::validation(
                    "moveChatsTo",
                    format!(
                        "{} open chats are in this queue: choose the queue they move to",
                        open.len()
                    ),
                ));
            }
        };
        let mut model: queue::ActiveModel = found.clone().into();
        model.archived_at = Set(Some(now));
        let archived = work.save(model).await?;
        if let Some(target) = target {
            self.domain
                .chats()
                .move_to_queue(&mut work, open, &found, &target, actor.operator_id())
                .await?;
        }
        self.domain.answer(work, archived).await
    }

    /// A queue chats may move to: of the caller's organization, live, not `from`.
    async fn other_live_queue(
        self, db: &impl ConnectionTrait, actor: &Actor, id: QueueId, from: QueueId,
    ) -> Result<queue::Model> {
        let refused = |message: &'static str| DomainError::validation("moveChatsTo", message);
        match find_own::<queue::Entity>(db, actor, id).await {
            Ok(_) if id == from => Err(refused("Choose another queue than the one archived")),
            Ok(found) if found.archived_at.is_some() => Err(refused("The queue is archived")),
            Ok(found) => Ok(found),
            Err(DomainError::NotFound { .. }) => Err(refused("No such queue")),
            Err(other) => Err(other),
        }
    }

    /// Queues by name. `only_available` leaves out archived queues and full ones (C6, E1).
    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id))]
    pub async fn queues(self, actor: &Actor, only_available: bool) -> Result<Vec<queue::Model>> {
        let all = all_live::<queue::Entity>(actor)
            .order_by_asc(queue::Column::Name)
            .all(&self.domain.db)
            .await?;
        if !only_available {
            return Ok(all);
        }
        let mut available = Vec::with_capacity(all.len());
        for q in all {
            match q.size_limit {
                Some(limit)
                    if self.waiting_count(q.id).await? >= u64::try_from(limit).unwrap_or(0) => {}
                _ => available.push(q),
            }
        }
        Ok(available)
    }

    /// How many chats wait in a queue.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn waiting_count(self, queue_id: QueueId) -> Result<u64> {
        Ok(chat::Entity::find()
            .filter(chat::Column::QueueId.eq(queue_id))
            .filter(chat::Column::Status.eq(ChatStatus::Queued))
            .count(&self.domain.db)
            .await?)
    }

    /// Replaces a queue's members.
    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id))]
    pub async fn set_queue_members(
        self, actor: &Actor, input: SetQueueMembersInput,
    ) -> Result<queue::Model> {
        check_admin(actor, &input)?;
        let mut work = self.domain.begin_now().await?;
        let found = find_own::<queue::Entity>(&work.tx, actor, input.queue_id).await?;
        let wanted: HashSet<OperatorId> = input.operator_ids.iter().copied().collect();
        let known = operator::Entity::find()
            .filter(operator::Column::OrganizationId.eq(actor.organization_id))
            .filter(operator::Column::Id.is_in(wanted.iter().copied()))
            .count(&work.tx)
            .await?;
        if known != wanted.len() as u64 {
            return Err(DomainError::validation(
                "operatorIds",
                "One or more operators do not exist",
            ));
        }
        let before: HashSet<OperatorId> = queue_member::Entity::find()
            .select_only()
            .column(queue_member::Column::OperatorId)
            .filter(queue_member::Column::QueueId.eq(found.id))
            .into_tuple()
            .all(&work.tx)
            .await?
            .into_iter()
            .collect();
        let changed = before.symmetric_difference(&wanted).copied();
        tell_queues_changed(&mut work, actor, Some(found.id), changed);
        queue_member::Entity::delete_many()
            .filter(queue_member::Column::QueueId.eq(found.id))
            .exec(&work.tx)
            .await?;
        if !wanted.is_empty() {
            queue_member::Entity::insert_many(wanted.into_iter().map(|operator_id| {
                queue_member::ActiveModel {
                    queue_id: Set(found.id),
                    operator_id: Set(operator_id),
                }
            }))
            .exec(&work.tx)
            .await?;
        }
        self.domain.answer(work, found).await
    }
}

/// Tells `operators` that the queues whose waiting chats they see changed (`QUEUES_CHANGED`,
/// naming the queue when one did): their `queueEvents` follows the new set, their panels read
/// the lists again.
pub(crate) fn tell_queues_changed(
    work: &mut Work, actor: &Actor, queue_id: Option<QueueId>,
    operators: impl IntoIterator<Item = OperatorId>,
) {
    for operator_id in operators {
        work.outbox.to_operator(
            actor.organization_id,
            operator_id,
            EventKind::QueuesChanged,
            None,
            serde_json::json!({ "queueId": queue_id }),
            work.now,
        );
    }
}
