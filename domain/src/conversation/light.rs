//! The traffic light (D1) kept current: recomputed on every change and at its stored next change.

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Select};
use serde_json::json;

use crate::chat::rules::ACTIVE;
use crate::entity::{chat, organization_settings};
use crate::enums::{ChatStatus, EventKind};
use crate::error::{DomainError, Result};
use crate::ids::*;

use crate::service::{Conversation, Domain};
use crate::sweep::Timer;
use crate::work::Work;

impl Conversation<'_> {
    /// Recomputes a chat's traffic light and its next change, telling the panels on a change.
    pub(crate) async fn refresh_light(
        self, work: &mut Work, chat: &chat::Model,
    ) -> Result<chat::Model> {
        let lit = self.lit(&work.tx, chat.clone(), work.now).await?;
        if lit.traffic_light == chat.traffic_light
            && lit.traffic_light_changes_at == chat.traffic_light_changes_at
        {
            return Ok(lit);
        }
        let mut model: chat::ActiveModel = chat.clone().into();
        model.traffic_light = Set(lit.traffic_light);
        model.traffic_light_changes_at = Set(lit.traffic_light_changes_at);
        let updated = model.update(&work.tx).await?;
        self.tell_light(work, chat, &updated).await?;
        Ok(updated)
    }

    /// `next`, a chat about to be written, with its traffic light and next change at `now`
    /// (by the organization's thresholds), so one update writes both.
    pub(crate) async fn lit(
        self, db: &impl ConnectionTrait, mut next: chat::Model, now: DateTime<Utc>,
    ) -> Result<chat::Model> {
        let settings = organization_settings::Entity::find_by_id(next.organization_id)
            .one(db)
            .await?
            .ok_or(DomainError::not_found("settings"))?;
        let (light, changes_at) = crate::chat::rules::traffic_light(&next, &settings, now);
        next.traffic_light = light;
        next.traffic_light_changes_at = changes_at;
        Ok(next)
    }

    /// Tells the chat's panels that its light changed colour from `before`'s, if it did.
    pub(crate) async fn tell_light(
        self, work: &mut Work, before: &chat::Model, after: &chat::Model,
    ) -> Result<()> {
        if after.traffic_light == before.traffic_light {
            return Ok(());
        }
        self.domain
            .chats()
            .tell_chat(
                work,
                after,
                EventKind::TrafficLightChanged,
                json!({ "trafficLight": after.traffic_light }),
            )
            .await
    }

    /// Recomputes the lights of an organization's open chats after its thresholds change.
    pub(crate) async fn refresh_all_lights(
        self, work: &mut Work, organization_id: OrganizationId,
    ) -> Result<()> {
        let open = chat::Entity::find()
            .filter(chat::Column::OrganizationId.eq(organization_id))
            .filter(chat::Column::Status.is_in([ChatStatus::New, ChatStatus::InProgress]))
            .all(&work.tx)
            .await?;
        for chat in open {
            self.refresh_light(work, &chat).await?;
        }
        Ok(())
    }
}

/// Moves traffic lights whose next change is due and tells the panels (F2; the scheduler).
pub(crate) struct TrafficLightChange;

impl Timer for TrafficLightChange {
    type Entity = chat::Entity;

    fn due(now: DateTime<Utc>) -> Select<chat::Entity> {
        chat::Entity::find()
            .filter(chat::Column::TrafficLightChangesAt.lte(now))
            .filter(chat::Column::Status.is_in(ACTIVE))
    }

    async fn fire(domain: &Domain, chat: chat::Model, work: &mut Work) -> Result<bool> {
        if chat.traffic_light_changes_at.is_none_or(|at| at > work.now) {
            return Ok(false);
        }
        domain.conversation().refresh_light(work, &chat).await?;
        Ok(true)
    }
}
