//! Organization settings (N1).

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::EntityTrait;
use serde_json::json;
use validator::{Validate, ValidationError};

use crate::actor::Actor;
use crate::entity::organization_settings;
use crate::enums::Role;
use crate::error::{DomainError, Result};
use crate::ids::OrganizationId;
use crate::service::Admin;
use crate::validate::{check_admin, origin};

/// The greeting the customer gets when an operator takes a chat over from the bot (D1).
pub const DEFAULT_TAKEOVER_GREETING: &str =
    "<operator_name> has joined the chat and will help you now.";

/// Content types operators may upload unless an admin changes the list.
pub const DEFAULT_FILE_TYPES: [&str; 8] = [
    "image/png",
    "image/jpeg",
    "image/gif",
    "application/pdf",
    "text/plain",
    "text/csv",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
];

/// A new organization's settings: traffic light on at 180 s and 360 s, masking off.
pub fn defaults(
    organization_id: OrganizationId, now: DateTime<Utc>,
) -> organization_settings::ActiveModel {
    organization_settings::ActiveModel {
        organization_id: Set(organization_id),
        traffic_light_enabled: Set(true),
        yellow_after_secs: Set(180),
        red_after_secs: Set(360),
        count_from_operator_message: Set(false),
        masking_enabled: Set(false),
        unmasked_roles: Set(json!([])),
        away_after_minutes: Set(10),
        invitation_timeout_secs: Set(30),
        takeover_greeting_template: Set(DEFAULT_TAKEOVER_GREETING.into()),
        iframe_url_template: Set(None),
        frame_ancestors: Set(json!([])),
        default_max_chats: Set(3),
        after_chat_work_secs: Set(0),
        requeue_active_chats_on_away: Set(true),
        file_max_bytes: Set(10 * 1024 * 1024),
        file_allowed_types: Set(json!(DEFAULT_FILE_TYPES)),
        updated_at: Set(now),
        crm_chat_url_template: Set(None),
        event_retention_days: Set(30),
        delivery_log_retention_days: Set(90),
        receipt_retention_days: Set(7),
        status_log_retention_days: Set(400),
        chat_retention_days: Set(None),
    }
}

fn origins(values: &[String]) -> Result<(), ValidationError> {
    if values.len() > 20 {
        return Err(ValidationError::new("count").with_message("at most 20 origins".into()));
    }
    values.iter().try_for_each(|value| origin(value))
}

fn content_types(values: &[String]) -> Result<(), ValidationError> {
    let valid = |t: &String| {
        let mut parts = t.split('/');
        let ok = |p: Option<&str>| {
            p.is_some_and(|p| {
                !p.is_empty()
                    && p.len() <= 100
                    && p.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
            })
        };
        ok(parts.next()) && ok(parts.next()) && parts.next().is_none()
    };
    if values.len() <= 100 && values.iter().all(valid) {
        Ok(())
    } else {
        Err(ValidationError::new("content_type")
            .with_message("must be MIME types such as image/png".into()))
    }
}

/// A URL template: an http(s) URL whose origin is spelled out, with `{chatId}`,
/// `{contactId}`, `{caseId}` and `{phone}` placeholders only after it (L1, C5).
fn url_template(value: &str) -> Result<(), ValidationError> {
    if value.is_empty() || crate::crm::embedding::template_origin(value).is_some() {
        return Ok(());
    }
    Err(ValidationError::new("url").with_message(
        "must be an http(s) URL such as https://app.example.com/chat/{chatId}, placeholders after the host"
            .into(),
    ))
}

/// A change of settings; fields left out stay as they are.
#[derive(Clone, Debug, Default, Validate)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct UpdateSettingsInput {
    /// Whether chats show the SLA traffic light (F1).
    pub traffic_light_enabled: Option<bool>,
    /// Seconds of waiting before a chat turns YELLOW.
    #[validate(range(min = 1, max = 86400))]
    pub yellow_after_secs: Option<i32>,
    /// Seconds of waiting before a chat turns RED; more than the yellow threshold.
    #[validate(range(min = 2, max = 86400))]
    pub red_after_secs: Option<i32>,
    /// Count waiting from the operator's last message instead of the customer's.
    pub count_from_operator_message: Option<bool>,
    /// Mask card numbers, IBANs, social security numbers, e-mails and phones for operators (K1).
    pub masking_enabled: Option<bool>,
    /// Roles that see customer data unmasked.
    pub unmasked_roles: Option<Vec<Role>>,
    /// Minutes without activity before the server sets AWAY.
    #[validate(range(min = 1, max = 1440))]
    pub away_after_minutes: Option<i32>,
    /// Seconds an invitation waits for Accept before it is re-routed (RONA).
    #[validate(range(min = 5, max = 600))]
    pub invitation_timeout_secs: Option<i32>,
    /// The customer's message when an operator takes over; `<operator_name>` is filled in.
    #[validate(length(min = 1, max = 500))]
    pub takeover_greeting_template: Option<String>,
    /// The side iframe's URL with `{chatId}`, `{contactId}`, `{phone}`; empty to remove (L1).
    #[validate(length(max = 2000), custom(function = "url_template"))]
    pub iframe_url_template: Option<String>,
    /// The chat card in the CRM with `{chatId}`, `{contactId}`, `{caseId}`; an invitation's
    /// "Open" goes there (C5). Empty to remove.
    #[validate(length(max = 2000), custom(function = "url_template"))]
    pub crm_chat_url_template: Option<String>,
    /// CRM origins allowed to embed the panel (L2).
    #[validate(custom(function = "origins"))]
    pub frame_ancestors: Option<Vec<String>>,
    /// The concurrent-chat limit of new operators.
    #[validate(range(min = 1, max = 50))]
    pub default_max_chats: Option<i32>,
    /// Seconds of after-chat work after a close before returning to READY (X6).
    #[validate(range(min = 0, max = 3600))]
    pub after_chat_work_secs: Option<i32>,
    /// Whether an operator going AWAY or OFFLINE also hands back accepted chats (X7).
    pub requeue_active_chats_on_away: Option<bool>,
    /// The largest file an operator may upload, in bytes.
    #[validate(range(min = 1, max = 104857600))]
    pub file_max_bytes: Option<i64>,
    /// Content types operators may upload.
    #[validate(custom(function = "content_types"))]
    pub file_allowed_types: Option<Vec<String>>,
    /// Days the event outbox keeps events (S2). A panel still signed in can always catch up:
    /// events younger than the session lifetime are kept whatever this says.
    #[validate(range(min = 1, max = 3650))]
    pub event_retention_days: Option<i32>,
    /// Days the delivery log keeps finished deliveries; pending ones are never pruned.
    #[validate(range(min = 1, max = 3650))]
    pub delivery_log_retention_days: Option<i32>,
    /// Days inbound receipts are kept to drop a provider's repeated updates (at least the day
    /// Telegram keeps retrying).
    #[validate(range(min = 1, max = 365))]
    pub receipt_retention_days: Option<i32>,
    /// Days the status log keeps ended statuses (reports read them).
    #[validate(range(min = 1, max = 3650))]
    pub status_log_retention_days: Option<i32>,
    /// Days closed chats are kept, with their messages, notes and files; 0 keeps them for good
    /// (the default).
    #[validate(range(min = 0, max = 36500))]
    pub chat_retention_days: Option<i32>,
}

/// Sets each field of `$model` that `$input` gives (`Some`), as given or through a conversion.
macro_rules! set_given {
    ($model:ident, $input:ident, { $($field:ident $(=> $convert:path)?),* $(,)? }) => {
        $(if let Some(value) = $input.$field {
            $model.$field = Set(set_given!(@value value $(, $convert)?));
        })*
    };
    (@value $value:ident) => { $value };
    (@value $value:ident, $convert:path) => { $convert($value) };
}

fn as_json<T: serde::Serialize>(value: T) -> serde_json::Value {
    json!(value)
}

fn trimmed(text: String) -> String {
    text.trim().to_owned()
}

/// An optional text setting: blank clears it.
fn trimmed_or_none(text: String) -> Option<String> {
    Some(trimmed(text)).filter(|text| !text.is_empty())
}

/// A retention in days where 0 means for good (stored as none).
fn zero_for_good(days: i32) -> Option<i32> {
    Some(days).filter(|days| *days > 0)
}

impl Admin<'_> {
    /// The organization's settings; every signed-in caller may read them.
    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id))]
    pub async fn settings(self, actor: &Actor) -> Result<organization_settings::Model> {
        self.settings_of(&self.domain.db, actor.organization_id)
            .await
    }

    /// The settings of an organization, read on `db` (the caller's transaction, if it has one:
    /// a transaction never waits for a second pooled connection).
    #[tracing::instrument(level = "debug", skip_all, fields(org = %organization_id))]
    pub async fn settings_of(
        self, db: &impl sea_orm::ConnectionTrait, organization_id: OrganizationId,
    ) -> Result<organization_settings::Model> {
        organization_settings::Entity::find_by_id(organization_id)
            .one(db)
            .await?
            .ok_or(DomainError::not_found("settings"))
    }

    /// Changes settings (admins). Thresholds are checked against each other after the merge.
    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id))]
    pub async fn update_settings(
        self, actor: &Actor, input: UpdateSettingsInput,
    ) -> Result<organization_settings::Model> {
        check_admin(actor, &input)?;
        let now = self.domain.now();
        let mut work = self.domain.begin(now).await?;
        let current = organization_settings::Entity::find_by_id(actor.organization_id)
            .one(&work.tx)
            .await?
            .ok_or(DomainError::not_found("settings"))?;
        let yellow = input.yellow_after_secs.unwrap_or(current.yellow_after_secs);
        let red = input.red_after_secs.unwrap_or(current.red_after_secs);
        if red <= yellow {
            let field = if input.red_after_secs.is_some() {
                "redAfterSecs"
            } else {
                "yellowAfterSecs"
            };
            return Err(DomainError::validation(
                field,
                "The red threshold must be above the yellow one",
            ));
        }
        let mut model: organization_settings::ActiveModel = current.into();
        model.yellow_after_secs = Set(yellow);
        model.red_after_secs = Set(red);
        set_given!(model, input, {
            traffic_light_enabled,
            count_from_operator_message,
            masking_enabled,
            unmasked_roles => as_json,
            away_after_minutes,
            invitation_timeout_secs,
            takeover_greeting_template => trimmed,
            iframe_url_template => trimmed_or_none,
            crm_chat_url_template => trimmed_or_none,
            frame_ancestors => as_json,
            default_max_chats,
            after_chat_work_secs,
            requeue_active_chats_on_away,
            file_max_bytes,
            file_allowed_types => as_json,
            event_retention_days,
            delivery_log_retention_days,
            receipt_retention_days,
            status_log_retention_days,
            chat_retention_days => zero_for_good,
        });
        let updated = work.save(model).await?;
        // Thresholds moved: every open chat's light and its next change move with them.
        self.domain
            .conversation()
            .refresh_all_lights(&mut work, actor.organization_id)
            .await?;
        self.domain.answer(work, updated).await
    }
}
