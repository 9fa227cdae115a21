//! Topics and their subtopics (D9), one level deep.

use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder,
};
use validator::Validate;

use crate::actor::Actor;
use crate::entity::topic;
use crate::error::{DomainError, Result};
use crate::ids::TopicId;
use crate::service::Admin;
use crate::store::find_own;
use crate::validate::{check_admin, clean, single_line};

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

impl Admin<'_> {
    /// Whether another active topic with the same parent has this name.
    async fn ensure_unique_topic(
        self, db: &impl ConnectionTrait, actor: &Actor, parent_id: Option<TopicId>, name: &str,
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

    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id))]
    pub async fn create_topic(
        self, actor: &Actor, input: CreateTopicInput,
    ) -> Result<topic::Model> {
        check_admin(actor, &input)?;
        let name = clean(&input.name);
        let work = self.domain.begin_now().await?;
        if let Some(parent_id) = input.parent_id {
            let parent = match find_own::<topic::Entity>(&work.tx, actor, parent_id).await {
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
        self.ensure_unique_topic(&work.tx, actor, input.parent_id, &name, None)
            .await?;
        let created = topic::ActiveModel {
            id: Set(TopicId::new()),
            organization_id: Set(actor.organization_id),
            name: Set(name),
            parent_id: Set(input.parent_id),
            created_at: Set(work.now),
            updated_at: Set(work.now),
            archived_at: Set(None),
        }
        .insert(&work.tx)
        .await?;
        self.domain.answer(work, created).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id))]
    pub async fn update_topic(
        self, actor: &Actor, input: UpdateTopicInput,
    ) -> Result<topic::Model> {
        check_admin(actor, &input)?;
        let name = clean(&input.name);
        let work = self.domain.begin_now().await?;
        let found = find_own::<topic::Entity>(&work.tx, actor, input.id).await?;
        self.ensure_unique_topic(&work.tx, actor, found.parent_id, &name, Some(found.id))
            .await?;
        let mut model: topic::ActiveModel = found.into();
        model.name = Set(name);
        let updated = work.save(model).await?;
        self.domain.answer(work, updated).await
    }

    /// Archives a topic and its subtopics.
    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id))]
    pub async fn archive_topic(self, actor: &Actor, id: TopicId) -> Result<topic::Model> {
        actor.require_admin()?;
        let work = self.domain.begin_now().await?;
        let found = find_own::<topic::Entity>(&work.tx, actor, id).await?;
        topic::Entity::update_many()
            .col_expr(topic::Column::ArchivedAt, Expr::value(work.now))
            .col_expr(topic::Column::UpdatedAt, Expr::value(work.now))
            .filter(topic::Column::ParentId.eq(found.id))
            .filter(topic::Column::ArchivedAt.is_null())
            .exec(&work.tx)
            .await?;
        let mut model: topic::ActiveModel = found.into();
        model.archived_at = Set(Some(work.now));
        let archived = work.save(model).await?;
        self.domain.answer(work, archived).await
    }

    /// Every topic and subtopic of the organization (active ones unless asked), by name.
    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id))]
    pub async fn topics(self, actor: &Actor, include_archived: bool) -> Result<Vec<topic::Model>> {
        let mut query =
            topic::Entity::find().filter(topic::Column::OrganizationId.eq(actor.organization_id));
        if !include_archived {
            query = query.filter(topic::Column::ArchivedAt.is_null());
        }
        Ok(query
            .order_by_asc(topic::Column::Name)
            .all(&self.domain.db)
            .await?)
    }
}
