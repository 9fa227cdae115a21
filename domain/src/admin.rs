//! Administration: the dictionaries of an organization (skills, queues, quick replies, wrap-up
//! reasons, results, topics, custom statuses, bot schemes) and operators' roles, limits, queues
//! and skills. Writes need an administrator; reads any signed-in caller of the organization.
//!
//! Dictionaries are archived, never deleted: chats keep pointing at what they were closed with.

use std::collections::HashSet;

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder,
};
use validator::{Validate, ValidationError};

use crate::actor::Actor;
use crate::entity::{
    bot_scheme, chat, chat_result, custom_status, operator, operator_skill, queue, queue_member,
    quick_reply, skill, topic, wrap_up_reason,
};
use crate::enums::{ChatStatus, OperatorStatus, Role};
use crate::error::{DomainError, Result};
use crate::ids::{
    BotSchemeId, ChatResultId, CustomStatusId, OperatorId, QueueId, QuickReplyId, SkillId, TopicId,
    WrapUpReasonId,
};
use crate::service::Domain;
use crate::validate::{check, clean, single_line};

/// The template parameters a quick reply may contain (D5); `<` and `>` are otherwise reserved.
pub const QUICK_REPLY_PARAMETERS: [&str; 2] = ["<customer_name>", "<operator_name>"];

/// A quick reply's text may use `<` and `>` only in its known parameters.
fn quick_reply_text(value: &str) -> Result<(), ValidationError> {
    let mut rest = value.to_owned();
    for parameter in QUICK_REPLY_PARAMETERS {
        rest = rest.replace(parameter, "");
    }
    if rest.contains(['<', '>']) {
        Err(ValidationError::new("reserved").with_message(
            "may use < and > only in the parameters <customer_name> and <operator_name>".into(),
        ))
    } else {
        crate::validate::not_blank(value)
    }
}

/// Refuses a name an active record of the same dictionary already has.
async fn ensure_unique_name<E, C>(
    db: &impl ConnectionTrait,
    organization: C,
    name: C,
    archived: C,
    id: C,
    (organization_id, value, except): (crate::ids::OrganizationId, &str, Option<uuid::Uuid>),
) -> Result<()>
where
    E: EntityTrait,
    E::Model: Sync,
    C: ColumnTrait,
{
    let mut query = E::find()
        .filter(organization.eq(organization_id))
        .filter(name.eq(value))
        .filter(archived.is_null());
    if let Some(except) = except {
        query = query.filter(id.ne(except));
    }
    if query.count(db).await? > 0 {
        Err(DomainError::validation(
            "name",
            "An active entry with this name already exists",
        ))
    } else {
        Ok(())
    }
}

/// Create, rename, archive and list for a dictionary whose entries are just a name.
macro_rules! named_dictionary {
    (
        $entity:ident, $Id:ident, $what:literal,
        $Create:ident, $Update:ident,
        $create:ident, $update:ident, $archive:ident, $list:ident, $get:ident
    ) => {
        #[derive(Clone, Debug, Validate)]
        #[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
        pub struct $Create {
            /// Shown to operators; 1 to 100 characters, unique among active entries.
            #[validate(length(min = 1, max = 100), custom(function = "single_line"))]
            pub name: String,
        }

        #[derive(Clone, Debug, Validate)]
        #[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
        pub struct $Update {
            pub id: $Id,
            /// The new name.
            #[validate(length(min = 1, max = 100), custom(function = "single_line"))]
            pub name: String,
        }

        impl Domain {
            pub async fn $create(&self, actor: &Actor, input: $Create) -> Result<$entity::Model> {
                actor.require_admin()?;
                check(&input)?;
                let name = clean(&input.name);
                let tx = self.write().await?;
                ensure_unique_name::<$entity::Entity, _>(
                    &tx,
                    $entity::Column::OrganizationId,
                    $entity::Column::Name,
                    $entity::Column::ArchivedAt,
                    $entity::Column::Id,
                    (actor.organization_id, &name, None),
                )
                .await?;
                let now = self.now();
                let mut model = <$entity::ActiveModel as Default>::default();
                model.id = Set($Id::new());
                model.organization_id = Set(actor.organization_id);
                model.name = Set(name);
                model.created_at = Set(now);
                model.updated_at = Set(now);
                model.archived_at = Set(None);
                let created = model.insert(&tx).await?;
                tx.commit().await?;
                Ok(created)
            }

            pub async fn $update(&self, actor: &Actor, input: $Update) -> Result<$entity::Model> {
                actor.require_admin()?;
                check(&input)?;
                let name = clean(&input.name);
                let tx = self.write().await?;
                let found = self.$get(&tx, actor, input.id).await?;
                ensure_unique_name::<$entity::Entity, _>(
                    &tx,
                    $entity::Column::OrganizationId,
                    $entity::Column::Name,
                    $entity::Column::ArchivedAt,
                    $entity::Column::Id,
                    (actor.organization_id, &name, Some(input.id.0)),
                )
                .await?;
                let mut model: $entity::ActiveModel = found.into();
                model.name = Set(name);
                model.updated_at = Set(self.now());
                let updated = model.update(&tx).await?;
                tx.commit().await?;
                Ok(updated)
            }

            pub async fn $archive(&self, actor: &Actor, id: $Id) -> Result<$entity::Model> {
                actor.require_admin()?;
                let tx = self.write().await?;
                let found = self.$get(&tx, actor, id).await?;
                let mut model: $entity::ActiveModel = found.into();
                model.archived_at = Set(Some(self.now()));
                model.updated_at = Set(self.now());
                let archived = model.update(&tx).await?;
                tx.commit().await?;
                Ok(archived)
            }

            /// Active entries by name; archived ones too when asked.
            pub async fn $list(
                &self,
                actor: &Actor,
                include_archived: bool,
            ) -> Result<Vec<$entity::Model>> {
                let mut query = $entity::Entity::find()
                    .filter($entity::Column::OrganizationId.eq(actor.organization_id));
                if !include_archived {
                    query = query.filter($entity::Column::ArchivedAt.is_null());
                }
                Ok(query
                    .order_by_asc($entity::Column::Name)
                    .all(&self.db)
                    .await?)
            }

            /// One entry of the caller's organization, archived or not.
            pub async fn $get(
                &self,
                db: &impl ConnectionTrait,
                actor: &Actor,
                id: $Id,
            ) -> Result<$entity::Model> {
                $entity::Entity::find_by_id(id)
                    .filter($entity::Column::OrganizationId.eq(actor.organization_id))
                    .one(db)
                    .await?
                    .ok_or(DomainError::not_found($what))
            }
        }
    };
}

named_dictionary!(
    skill,
    SkillId,
    "skill",
    CreateSkillInput,
    UpdateSkillInput,
    create_skill,
    update_skill,
    archive_skill,
    skills,
    skill
);
named_dictionary!(
    wrap_up_reason,
    WrapUpReasonId,
    "wrap-up reason",
    CreateWrapUpReasonInput,
    UpdateWrapUpReasonInput,
    create_wrap_up_reason,
    update_wrap_up_reason,
    archive_wrap_up_reason,
    wrap_up_reasons,
    wrap_up_reason
);
named_dictionary!(
    chat_result,
    ChatResultId,
    "chat result",
    CreateChatResultInput,
    UpdateChatResultInput,
    create_chat_result,
    update_chat_result,
    archive_chat_result,
    chat_results,
    chat_result
);
named_dictionary!(
    custom_status,
    CustomStatusId,
    "custom status",
    CreateCustomStatusInput,
    UpdateCustomStatusInput,
    create_custom_status,
    update_custom_status,
    archive_custom_status,
    custom_statuses,
    custom_status
);
named_dictionary!(
    bot_scheme,
    BotSchemeId,
    "bot scheme",
    CreateBotSchemeInput,
    UpdateBotSchemeInput,
    create_bot_scheme,
    update_bot_scheme,
    archive_bot_scheme,
    bot_schemes,
    bot_scheme
);

// --- Queues -------------------------------------------------------------------------------------

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
}

#[derive(Clone, Debug, Validate)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct SetQueueMembersInput {
    pub queue_id: QueueId,
    /// The queue's operators after the change (replaces the current members).
    #[validate(length(max = 1000))]
    pub operator_ids: Vec<OperatorId>,
}

impl Domain {
    pub async fn queue(
        &self,
        db: &impl ConnectionTrait,
        actor: &Actor,
        id: QueueId,
    ) -> Result<queue::Model> {
        queue::Entity::find_by_id(id)
            .filter(queue::Column::OrganizationId.eq(actor.organization_id))
            .one(db)
            .await?
            .ok_or(DomainError::not_found("queue"))
    }

    /// A skill that may be required: of this organization and not archived.
    async fn usable_skill(
        &self,
        db: &impl ConnectionTrait,
        actor: &Actor,
        id: SkillId,
        field: &'static str,
    ) -> Result<()> {
        match self.skill(db, actor, id).await {
            Ok(found) if found.archived_at.is_none() => Ok(()),
            Ok(_) => Err(DomainError::validation(field, "The skill is archived")),
            Err(DomainError::NotFound { .. }) => {
                Err(DomainError::validation(field, "No such skill"))
            }
            Err(other) => Err(other),
        }
    }

    pub async fn create_queue(
        &self,
        actor: &Actor,
        input: CreateQueueInput,
    ) -> Result<queue::Model> {
        actor.require_admin()?;
        check(&input)?;
        let name = clean(&input.name);
        let tx = self.write().await?;
        if let Some(skill_id) = input.skill_id {
            self.usable_skill(&tx, actor, skill_id, "skillId").await?;
        }
        ensure_unique_name::<queue::Entity, _>(
            &tx,
            queue::Column::OrganizationId,
            queue::Column::Name,
            queue::Column::ArchivedAt,
            queue::Column::Id,
            (actor.organization_id, &name, None),
        )
        .await?;
        let now = self.now();
        let created = queue::ActiveModel {
            id: Set(QueueId::new()),
            organization_id: Set(actor.organization_id),
            name: Set(name),
            skill_id: Set(input.skill_id),
            size_limit: Set(input.size_limit),
            created_at: Set(now),
            updated_at: Set(now),
            archived_at: Set(None),
        }
        .insert(&tx)
        .await?;
        tx.commit().await?;
        Ok(created)
    }

    pub async fn update_queue(
        &self,
        actor: &Actor,
        input: UpdateQueueInput,
    ) -> Result<queue::Model> {
        actor.require_admin()?;
        check(&input)?;
        let tx = self.write().await?;
        let found = self.queue(&tx, actor, input.id).await?;
        let mut model: queue::ActiveModel = found.into();
        if let Some(name) = &input.name {
            let name = clean(name);
            ensure_unique_name::<queue::Entity, _>(
                &tx,
                queue::Column::OrganizationId,
                queue::Column::Name,
                queue::Column::ArchivedAt,
                queue::Column::Id,
                (actor.organization_id, &name, Some(input.id.0)),
            )
            .await?;
            model.name = Set(name);
        }
        if input.clear_skill == Some(true) {
            model.skill_id = Set(None);
        } else if let Some(skill_id) = input.skill_id {
            self.usable_skill(&tx, actor, skill_id, "skillId").await?;
            model.skill_id = Set(Some(skill_id));
        }
        if input.clear_size_limit == Some(true) {
            model.size_limit = Set(None);
        } else if let Some(limit) = input.size_limit {
            model.size_limit = Set(Some(limit));
        }
        model.updated_at = Set(self.now());
        let updated = model.update(&tx).await?;
        tx.commit().await?;
        Ok(updated)
    }

    /// Archives a queue; chats still waiting in it are refused by no one, they stay until routed.
    pub async fn archive_queue(&self, actor: &Actor, id: QueueId) -> Result<queue::Model> {
        actor.require_admin()?;
        let tx = self.write().await?;
        let found = self.queue(&tx, actor, id).await?;
        let mut model: queue::ActiveModel = found.into();
        model.archived_at = Set(Some(self.now()));
        model.updated_at = Set(self.now());
        let archived = model.update(&tx).await?;
        tx.commit().await?;
        Ok(archived)
    }

    /// Queues by name. `only_available` leaves out archived queues and full ones (C6, E1).
    pub async fn queues(&self, actor: &Actor, only_available: bool) -> Result<Vec<queue::Model>> {
        let all = queue::Entity::find()
            .filter(queue::Column::OrganizationId.eq(actor.organization_id))
            .filter(queue::Column::ArchivedAt.is_null())
            .order_by_asc(queue::Column::Name)
            .all(&self.db)
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
    pub async fn waiting_count(&self, queue_id: QueueId) -> Result<u64> {
        Ok(chat::Entity::find()
            .filter(chat::Column::QueueId.eq(queue_id))
            .filter(chat::Column::Status.eq(ChatStatus::Queued))
            .count(&self.db)
            .await?)
    }

    /// Replaces a queue's members.
    pub async fn set_queue_members(
        &self,
        actor: &Actor,
        input: SetQueueMembersInput,
    ) -> Result<queue::Model> {
        actor.require_admin()?;
        check(&input)?;
        let tx = self.write().await?;
        let found = self.queue(&tx, actor, input.queue_id).await?;
        let wanted: HashSet<OperatorId> = input.operator_ids.iter().copied().collect();
        let known = operator::Entity::find()
            .filter(operator::Column::OrganizationId.eq(actor.organization_id))
            .filter(operator::Column::Id.is_in(wanted.iter().copied()))
            .count(&tx)
            .await?;
        if known != wanted.len() as u64 {
            return Err(DomainError::validation(
                "operatorIds",
                "One or more operators do not exist",
            ));
        }
        queue_member::Entity::delete_many()
            .filter(queue_member::Column::QueueId.eq(found.id))
            .exec(&tx)
            .await?;
        if !wanted.is_empty() {
            queue_member::Entity::insert_many(wanted.into_iter().map(|operator_id| {
                queue_member::ActiveModel {
                    queue_id: Set(found.id),
                    operator_id: Set(operator_id),
                }
            }))
            .exec(&tx)
            .await?;
        }
        tx.commit().await?;
        Ok(found)
    }
}

// --- Quick replies --------------------------------------------------------------------------------

#[derive(Clone, Debug, Validate)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct CreateQuickReplyInput {
    /// What operators search by; at most 30 characters (D5).
    #[validate(length(min = 1, max = 30), custom(function = "single_line"))]
    pub name: String,
    /// The reply; `<customer_name>` and `<operator_name>` are filled in on insertion.
    #[validate(length(min = 1, max = 1000), custom(function = "quick_reply_text"))]
    pub text: String,
    /// An approved message template (WhatsApp HSM): the only text that may open a WhatsApp
    /// conversation or reopen one after its 24-hour window (I3).
    #[cfg_attr(feature = "graphql", graphql(default))]
    pub approved_template: bool,
}

#[derive(Clone, Debug, Validate)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct UpdateQuickReplyInput {
    pub id: QuickReplyId,
    #[validate(length(min = 1, max = 30), custom(function = "single_line"))]
    pub name: Option<String>,
    #[validate(length(min = 1, max = 1000), custom(function = "quick_reply_text"))]
    pub text: Option<String>,
    pub approved_template: Option<bool>,
}

impl Domain {
    pub async fn quick_reply(
        &self,
        db: &impl ConnectionTrait,
        actor: &Actor,
        id: QuickReplyId,
    ) -> Result<quick_reply::Model> {
        quick_reply::Entity::find_by_id(id)
            .filter(quick_reply::Column::OrganizationId.eq(actor.organization_id))
            .one(db)
            .await?
            .ok_or(DomainError::not_found("quick reply"))
    }

    pub async fn create_quick_reply(
        &self,
        actor: &Actor,
        input: CreateQuickReplyInput,
    ) -> Result<quick_reply::Model> {
        actor.require_admin()?;
        check(&input)?;
        let name = clean(&input.name);
        let tx = self.write().await?;
        ensure_unique_name::<quick_reply::Entity, _>(
            &tx,
            quick_reply::Column::OrganizationId,
            quick_reply::Column::Name,
            quick_reply::Column::ArchivedAt,
            quick_reply::Column::Id,
            (actor.organization_id, &name, None),
        )
        .await?;
        let now = self.now();
        let created = quick_reply::ActiveModel {
            id: Set(QuickReplyId::new()),
            organization_id: Set(actor.organization_id),
            name: Set(name),
            text: Set(input.text),
            created_at: Set(now),
            updated_at: Set(now),
            archived_at: Set(None),
            is_template: Set(input.approved_template),
        }
        .insert(&tx)
        .await?;
        tx.commit().await?;
        Ok(created)
    }

    pub async fn update_quick_reply(
        &self,
        actor: &Actor,
        input: UpdateQuickReplyInput,
    ) -> Result<quick_reply::Model> {
        actor.require_admin()?;
        check(&input)?;
        let tx = self.write().await?;
        let found = self.quick_reply(&tx, actor, input.id).await?;
        let mut model: quick_reply::ActiveModel = found.into();
        if let Some(name) = &input.name {
            let name = clean(name);
            ensure_unique_name::<quick_reply::Entity, _>(
                &tx,
                quick_reply::Column::OrganizationId,
                quick_reply::Column::Name,
                quick_reply::Column::ArchivedAt,
                quick_reply::Column::Id,
                (actor.organization_id, &name, Some(input.id.0)),
            )
            .await?;
            model.name = Set(name);
        }
        if let Some(text) = input.text {
            model.text = Set(text);
        }
        if let Some(template) = input.approved_template {
            model.is_template = Set(template);
        }
        model.updated_at = Set(self.now());
        let updated = model.update(&tx).await?;
        tx.commit().await?;
        Ok(updated)
    }

    pub async fn archive_quick_reply(
        &self,
        actor: &Actor,
        id: QuickReplyId,
    ) -> Result<quick_reply::Model> {
        actor.require_admin()?;
        let tx = self.write().await?;
        let found = self.quick_reply(&tx, actor, id).await?;
        let mut model: quick_reply::ActiveModel = found.into();
        model.archived_at = Set(Some(self.now()));
        model.updated_at = Set(self.now());
        let archived = model.update(&tx).await?;
        tx.commit().await?;
        Ok(archived)
    }

    /// Active quick replies, optionally those whose name contains `search` (any case; D5).
    pub async fn quick_replies(
        &self,
        actor: &Actor,
        search: Option<&str>,
    ) -> Result<Vec<quick_reply::Model>> {
        let all = quick_reply::Entity::find()
            .filter(quick_reply::Column::OrganizationId.eq(actor.organization_id))
            .filter(quick_reply::Column::ArchivedAt.is_null())
            .order_by_asc(quick_reply::Column::Name)
            .all(&self.db)
            .await?;
        let needle = search
            .map(|s| s.trim().to_lowercase())
            .filter(|s| !s.is_empty());
        Ok(match needle {
            Some(needle) => all
                .into_iter()
                .filter(|r| r.name.to_lowercase().contains(&needle))
                .collect(),
            None => all,
        })
    }
}

// --- Topics ---------------------------------------------------------------------------------------

#[derive(Clone, Debug, Validate)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct CreateTopicInput {
    #[validate(length(min = 1, max = 100), custom(function = "single_line"))]
    pub name: String,
    /// The topic this is a subtopic of; subtopics have no subtopics of their own.
    pub parent_id: Option<TopicId>,
}

#[derive(Clone, Debug, Validate)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct UpdateTopicInput {
    pub id: TopicId,
    #[validate(length(min = 1, max = 100), custom(function = "single_line"))]
    pub name: String,
}

impl Domain {
    pub async fn topic(
        &self,
        db: &impl ConnectionTrait,
        actor: &Actor,
        id: TopicId,
    ) -> Result<topic::Model> {
        topic::Entity::find_by_id(id)
            .filter(topic::Column::OrganizationId.eq(actor.organization_id))
            .one(db)
            .await?
            .ok_or(DomainError::not_found("topic"))
    }

    /// Whether another active topic with the same parent has this name.
    async fn ensure_unique_topic(
        &self,
        db: &impl ConnectionTrait,
        actor: &Actor,
        parent_id: Option<TopicId>,
        name: &str,
        except: Option<TopicId>,
    ) -> Result<()> {
        let mut query = topic::Entity::find()
            .filter(topic::Column::OrganizationId.eq(actor.organization_id))
            .filter(topic::Column::Name.eq(name))
            .filter(topic::Column::ArchivedAt.is_null());
        query = match parent_id {
            Some(parent) => query.filter(topic::Column::ParentId.eq(parent)),
            None => query.filter(topic::Column::ParentId.is_null()),
        };
        if let Some(except) = except {
            query = query.filter(topic::Column::Id.ne(except));
        }
        if query.count(db).await? > 0 {
            return Err(DomainError::validation(
                "name",
                "An active topic with this name already exists here",
            ));
        }
        Ok(())
    }

    pub async fn create_topic(
        &self,
        actor: &Actor,
        input: CreateTopicInput,
    ) -> Result<topic::Model> {
        actor.require_admin()?;
        check(&input)?;
        let name = clean(&input.name);
        let tx = self.write().await?;
        if let Some(parent_id) = input.parent_id {
            let parent = match self.topic(&tx, actor, parent_id).await {
                Err(DomainError::NotFound { .. }) => {
                    return Err(DomainError::validation("parentId", "No such topic"));
                }
                other => other?,
            };
            if parent.parent_id.is_some() {
                return Err(DomainError::validation(
                    "parentId",
                    "A subtopic cannot have subtopics",
                ));
            }
            if parent.archived_at.is_some() {
                return Err(DomainError::validation("parentId", "The topic is archived"));
            }
        }
        self.ensure_unique_topic(&tx, actor, input.parent_id, &name, None)
            .await?;
        let now = self.now();
        let created = topic::ActiveModel {
            id: Set(TopicId::new()),
            organization_id: Set(actor.organization_id),
            name: Set(name),
            parent_id: Set(input.parent_id),
            created_at: Set(now),
            updated_at: Set(now),
            archived_at: Set(None),
        }
        .insert(&tx)
        .await?;
        tx.commit().await?;
        Ok(created)
    }

    pub async fn update_topic(
        &self,
        actor: &Actor,
        input: UpdateTopicInput,
    ) -> Result<topic::Model> {
        actor.require_admin()?;
        check(&input)?;
        let name = clean(&input.name);
        let tx = self.write().await?;
        let found = self.topic(&tx, actor, input.id).await?;
        self.ensure_unique_topic(&tx, actor, found.parent_id, &name, Some(found.id))
            .await?;
        let mut model: topic::ActiveModel = found.into();
        model.name = Set(name);
        model.updated_at = Set(self.now());
        let updated = model.update(&tx).await?;
        tx.commit().await?;
        Ok(updated)
    }

    /// Archives a topic and its subtopics.
    pub async fn archive_topic(&self, actor: &Actor, id: TopicId) -> Result<topic::Model> {
        actor.require_admin()?;
        let tx = self.write().await?;
        let found = self.topic(&tx, actor, id).await?;
        let now = self.now();
        topic::Entity::update_many()
            .col_expr(topic::Column::ArchivedAt, Expr::value(now))
            .col_expr(topic::Column::UpdatedAt, Expr::value(now))
            .filter(topic::Column::ParentId.eq(found.id))
            .filter(topic::Column::ArchivedAt.is_null())
            .exec(&tx)
            .await?;
        let mut model: topic::ActiveModel = found.into();
        model.archived_at = Set(Some(now));
        model.updated_at = Set(now);
        let archived = model.update(&tx).await?;
        tx.commit().await?;
        Ok(archived)
    }

    /// Every topic and subtopic of the organization (active ones unless asked), by name.
    pub async fn topics(&self, actor: &Actor, include_archived: bool) -> Result<Vec<topic::Model>> {
        let mut query =
            topic::Entity::find().filter(topic::Column::OrganizationId.eq(actor.organization_id));
        if !include_archived {
            query = query.filter(topic::Column::ArchivedAt.is_null());
        }
        Ok(query
            .order_by_asc(topic::Column::Name)
            .all(&self.db)
            .await?)
    }
}

// --- Operators ------------------------------------------------------------------------------------

#[derive(Clone, Debug, Validate)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct UpdateOperatorInput {
    pub id: OperatorId,
    /// A new role, at most the caller's own; nobody changes their own role.
    pub role: Option<Role>,
    /// The concurrent-chat limit (C2).
    #[validate(range(min = 1, max = 50))]
    pub max_chats: Option<i32>,
}

#[derive(Clone, Debug, Validate, serde::Serialize)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct SkillLevelInput {
    pub skill_id: SkillId,
    /// Proficiency from 1 (basic) to 5 (expert); routing prefers the higher (X3).
    #[validate(range(min = 1, max = 5))]
    pub level: i32,
}

#[derive(Clone, Debug, Validate)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct SetOperatorSkillsInput {
    pub operator_id: OperatorId,
    /// The operator's skills after the change (replaces the current ones).
    #[validate(length(max = 200), nested)]
    pub skills: Vec<SkillLevelInput>,
}

impl Domain {
    /// Changes an operator's role or chat limit (admins).
    pub async fn update_operator(
        &self,
        actor: &Actor,
        input: UpdateOperatorInput,
    ) -> Result<operator::Model> {
        actor.require_admin()?;
        check(&input)?;
        let tx = self.write().await?;
        let found = self.operator(actor, input.id).await?;
        let own_role = actor
            .operator()
            .map(|(_, role)| role)
            .unwrap_or(Role::Admin);
        if found.role.rank() > own_role.rank() {
            return Err(DomainError::forbidden(
                "You cannot change someone with a role above your own",
            ));
        }
        let mut model: operator::ActiveModel = found.clone().into();
        if let Some(role) = input.role {
            if actor.operator_id() == Some(found.id) {
                return Err(DomainError::validation(
                    "role",
                    "You cannot change your own role",
                ));
            }
            if !own_role.at_least(role) {
                return Err(DomainError::validation(
                    "role",
                    "You cannot grant a role above your own",
                ));
            }
            model.role = Set(role);
        }
        if let Some(max_chats) = input.max_chats {
            model.max_chats = Set(max_chats);
        }
        model.updated_at = Set(self.now());
        let updated = model.update(&tx).await?;
        tx.commit().await?;
        Ok(updated)
    }

    /// Replaces an operator's skills and levels (admins).
    pub async fn set_operator_skills(
        &self,
        actor: &Actor,
        input: SetOperatorSkillsInput,
    ) -> Result<operator::Model> {
        actor.require_admin()?;
        check(&input)?;
        let tx = self.write().await?;
        let found = self.operator(actor, input.operator_id).await?;
        let mut seen = HashSet::new();
        for (index, entry) in input.skills.iter().enumerate() {
            if !seen.insert(entry.skill_id) {
                return Err(DomainError::validation(
                    format!("skills[{index}].skillId"),
                    "The skill is listed twice",
                ));
            }
            self.usable_skill(&tx, actor, entry.skill_id, "skills.skillId")
                .await
                .map_err(|e| match e {
                    DomainError::Validation { message, .. } => {
                        DomainError::validation(format!("skills[{index}].skillId"), message)
                    }
                    other => other,
                })?;
        }
        operator_skill::Entity::delete_many()
            .filter(operator_skill::Column::OperatorId.eq(found.id))
            .exec(&tx)
            .await?;
        if !input.skills.is_empty() {
            operator_skill::Entity::insert_many(input.skills.iter().map(|entry| {
                operator_skill::ActiveModel {
                    operator_id: Set(found.id),
                    skill_id: Set(entry.skill_id),
                    level: Set(entry.level as i16),
                }
            }))
            .exec(&tx)
            .await?;
        }
        tx.commit().await?;
        Ok(found)
    }

    /// Operators of the organization by name. `only_available`: READY and under their limit (E1).
    pub async fn operators(
        &self,
        actor: &Actor,
        only_available: bool,
        search: Option<&str>,
    ) -> Result<Vec<operator::Model>> {
        let mut query = operator::Entity::find()
            .filter(operator::Column::OrganizationId.eq(actor.organization_id))
            .filter(operator::Column::ArchivedAt.is_null());
        if only_available {
            query = query
                .filter(operator::Column::Status.eq(OperatorStatus::Ready))
                .filter(
                    Expr::col(operator::Column::ActiveChats)
                        .lt(Expr::col(operator::Column::MaxChats)),
                );
        }
        let all = query
            .order_by_asc(operator::Column::FirstName)
            .order_by_asc(operator::Column::LastName)
            .all(&self.db)
            .await?;
        let needle = search
            .map(|s| s.trim().to_lowercase())
            .filter(|s| !s.is_empty());
        Ok(match needle {
            Some(needle) => all
                .into_iter()
                .filter(|o| {
                    format!("{} {} {}", o.first_name, o.last_name, o.email)
                        .to_lowercase()
                        .contains(&needle)
                })
                .collect(),
            None => all,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quick_reply_text_allows_only_known_parameters() {
        assert!(quick_reply_text("Hello <customer_name>, I am <operator_name>.").is_ok());
        assert!(quick_reply_text("Hello 😊").is_ok());
        assert!(quick_reply_text("a < b").is_err());
        assert!(quick_reply_text("<script>").is_err());
        assert!(quick_reply_text("  ").is_err());
    }
}
