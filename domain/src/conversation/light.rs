//! The traffic light (D1) kept current: recomputed on every change and at its stored next change.

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
};
use serde_json::json;

use crate::chat::rules::ACTIVE;
use crate::entity::{chat, organization_settings};
use crate::enums::{ChatStatus, EventKind};
use crate::error::{DomainError, Result};
use crate::events::Outbox;
use crate::ids::*;

use crate::service::Conversation;
use crate::service::Domain;
use crate::sweep::Timer;
use sea_orm::Select;

impl Conversation<'_> {
    /// Recomputes a chat's traffic light and its next change, telling the panels on a change.
    pub(crate) async fn refresh_light(
        self,
        db: &impl ConnectionTrait,
        outbox: &mut Outbox,
        chat: &chat::Model,
        now: DateTime<Utc>,
    ) -> Result<chat::Model> {
        let settings = organization_settings::Entity::find_by_id(chat.organization_id)
            .one(db)
            .await?
            .ok_or(DomainError::not_found("settings"))?;
        let (light, changes_at) = crate::chat::rules::traffic_light(chat, &settings, now);
        if light == chat.traffic_light && changes_at == chat.traffic_light_changes_at {
            return Ok(chat.clone());
        }
        let mut model: chat::ActiveModel = chat.clone().into();
        model.traffic_light = Set(light);
        model.traffic_light_changes_at = Set(changes_at);
        let updated = model.update(db).await?;
        if light != chat.traffic_light {
            self.domain
                .chats()
                .tell_chat(
                    db,
                    outbox,
                    &updated,
                    EventKind::TrafficLightChanged,
                    json!({ "trafficLight": light }),
                    now,
                )
                .await?;
        }
        Ok(updated)
    }

    /// Recomputes the lights of an organization's open chats after its thresholds change.
    pub(crate) async fn refresh_all_lights(
        self,
        db: &impl ConnectionTrait,
        outbox: &mut Outbox,
        organization_id: OrganizationId,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let open = chat::Entity::find()
            .filter(chat::Column::OrganizationId.eq(organization_id))
            .filter(chat::Column::Status.is_in([ChatStatus::New, ChatStatus::InProgress]))
            .all(db)
            .await?;
        for chat in open {
            self.refresh_light(db, outbox, &chat, now).await?;
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

    async fn fire(
        domain: &Domain,
        tx: &DatabaseTransaction,
        outbox: &mut Outbox,
        chat: chat::Model,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        if chat.traffic_light_changes_at.is_none_or(|at| at > now) {
            return Ok(false);
        }
        domain
            .conversation()
            .refresh_light(tx, outbox, &chat, now)
            .await?;
        Ok(true)
    }
}
