//! Operators as administrators see them: role, chat limit, skills with levels, the list.

use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use std::collections::HashSet;
use validator::Validate;

use crate::actor::Actor;
use crate::admin::queues::tell_queues_changed;
use crate::entity::{operator, operator_skill, queue_member, session};
use crate::enums::{OperatorStatus, Role};
use crate::error::{DomainError, Result};
use crate::identity::sessions::end_sessions;
use crate::ids::{OperatorId, SkillId};
use crate::presence::rules::change_status;
use crate::routing::rows::lock_operator;
use crate::service::Admin;
use crate::store::all_live;
use crate::validate::check_admin;

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

/// The caller's own role (an API key counts as an administrator's), if it is not below
/// `target`'s: nobody may `what` someone with a role above their own.
fn own_role_over(actor: &Actor, target: Role, what: &str) -> Result<Role> {
    let own = actor
        .operator()
        .map(|(_, role)| role)
        .unwrap_or(Role::Admin);
    if target.rank() > own.rank() {
        return Err(DomainError::forbidden(format!(
            "You cannot {what} someone with a role above your own"
        )));
    }
    Ok(own)
}

impl Admin<'_> {
    /// Changes an operator's role or chat limit (admins).
    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id))]
    pub async fn update_operator(
        self, actor: &Actor, input: UpdateOperatorInput,
    ) -> Result<operator::Model> {
        check_admin(actor, &input)?;
        let mut work = self.domain.begin_now().await?;
        let found = self.domain.identity().operator(actor, input.id).await?;
        let own_role = own_role_over(actor, found.role, "change")?;
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
            work.change_credentials();
            // The role decides which queues' waiting chats they see (managers and above: every
            // queue's) and how much of them (supervisors: every state).
            if role != found.role {
                tell_queues_changed(&mut work, actor, None, [found.id]);
            }
        }
        if let Some(max_chats) = input.max_chats {
            model.max_chats = Set(max_chats);
        }
        let updated = work.save(model).await?;
        self.domain.answer(work, updated).await
    }

    /// Deactivates an operator (admins; someone of a role up to their own, never themselves).
    /// In one transaction: they go OFFLINE, every chat they hold that has a queue goes back to
    /// it and is routed again (accepted ones too, whatever the organization's X7 setting), they
    /// leave their queues, and their sessions end; from then on they cannot sign in. Their
    /// closed chats, notes and messages stay as they were, under their name.
    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id, operator_id = %id))]
    pub async fn archive_operator(self, actor: &Actor, id: OperatorId) -> Result<operator::Model> {
        actor.require_admin()?;
        if actor.operator_id() == Some(id) {
            return Err(DomainError::validation(
                "id",
                "You cannot deactivate yourself",
            ));
        }
        self.domain
            .retry(|| self.archive_operator_once(actor, id))
            .await
    }

    async fn archive_operator_once(self, actor: &Actor, id: OperatorId) -> Result<operator::Model> {
        let now = self.domain.now();
        let mut work = self.domain.begin(now).await?;
        let target = lock_operator(&work.tx, id)
            .await?
            .filter(|op| op.organization_id == actor.organization_id && op.archived_at.is_none())
            .ok_or(DomainError::not_found("operator"))?;
        own_role_over(actor, target.role, "deactivate")?;
        let offline = change_status(&mut work, &target, OperatorStatus::Offline, None).await?;
        let mut model: operator::ActiveModel = offline.into();
        model.archived_at = Set(Some(now));
        model.next_status = Set(None);
        model.next_custom_status_id = Set(None);
        model.away_due_at = Set(None);
        model.after_work_until = Set(None);
        let archived = work.save(model).await?;
        self.domain
            .routing()
            .hand_back(&mut work, &archived, true)
            .await?;
        queue_member::Entity::delete_many()
            .filter(queue_member::Column::OperatorId.eq(id))
            .exec(&work.tx)
            .await?;
        end_sessions(&mut work, session::Column::OperatorId.eq(id)).await?;
        self.domain.commit(work).await?;
        tracing::info!(operator_id = %id, by = ?actor.operator_id(), "an operator was deactivated");
        Ok(archived)
    }

    /// Replaces an operator's skills and levels (admins).
    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id))]
    pub async fn set_operator_skills(
        self, actor: &Actor, input: SetOperatorSkillsInput,
    ) -> Result<operator::Model> {
        check_admin(actor, &input)?;
        let work = self.domain.begin_now().await?;
        let found = self
            .domain
            .identity()
            .operator(actor, input.operator_id)
            .await?;
        let mut seen = HashSet::new();
        for (index, entry) in input.skills.iter().enumerate() {
            if !seen.insert(entry.skill_id) {
                return Err(DomainError::validation(
                    format!("skills[{index}].skillId"),
                    "The skill is listed twice",
                ));
            }
            self.usable_skill(&work.tx, actor, entry.skill_id, "skills.skillId")
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
            .exec(&work.tx)
            .await?;
        if !input.skills.is_empty() {
            operator_skill::Entity::insert_many(input.skills.iter().map(|entry| {
                operator_skill::ActiveModel {
                    operator_id: Set(found.id),
                    skill_id: Set(entry.skill_id),
                    level: Set(entry.level as i16),
                }
            }))
            .exec(&work.tx)
            .await?;
        }
        self.domain.answer(work, found).await
    }

    /// Operators of the organization by name. `only_available`: those who may take a transfer
    /// (online or ready, 001) and are under their limit (E1).
    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id))]
    pub async fn operators(
        self, actor: &Actor, only_available: bool, search: Option<&str>,
    ) -> Result<Vec<operator::Model>> {
        let mut query = all_live::<operator::Entity>(actor);
        if only_available {
            query = query
                .filter(
                    operator::Column::Status.is_in([OperatorStatus::Ready, OperatorStatus::Online]),
                )
                .filter(
                    Expr::col(operator::Column::ActiveChats)
                        .lt(Expr::col(operator::Column::MaxChats)),
                );
        }
        let all = query
            .order_by_asc(operator::Column::FirstName)
            .order_by_asc(operator::Column::LastName)
            .all(&self.domain.db)
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
