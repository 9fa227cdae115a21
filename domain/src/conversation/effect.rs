//! What a new message does to its chat, worked out before anything is written: the one
//! computation behind a message written alone (`messages.rs`) and one written in a batch
//! (`batched.rs`).

use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use crate::chat::rules::MessageRules;
use crate::conversation::said::Said;
use crate::deliveries::queue::Pending;
use crate::entity::{chat, delivery, message};
use crate::enums::{AuthorKind, ChatStatus, DeliveryKind, DeliveryState, EventKind};
use crate::ids::DeliveryId;

/// What a new message does, worked out before anything is written: its row, its chat after it
/// (traffic light included), its delivery to the customer if it goes to one, and the events it
/// causes on the chat's stream and its operators'. One message or many are written from it.
pub(crate) struct Effect {
    pub message: message::Model,
    pub chat: chat::Model,
    pub delivery: Option<delivery::Model>,
    pub events: Vec<(EventKind, serde_json::Value)>,
}

impl Effect {
    /// `said` in `chat` at `now`, under `rules`.
    pub(crate) fn of(
        chat: &chat::Model, rules: &MessageRules, said: Said<'_>, now: DateTime<Utc>,
    ) -> Self {
        let to_customer = said.goes_to_customer(chat);
        let state = if to_customer {
            DeliveryState::Pending
        } else {
            DeliveryState::Delivered
        };
        let message = said.model(chat, false, state, now);
        let author_kind = said.author_kind;
        let mut next = chat.clone();
        next.last_message_at = Some(now);
        next.last_message_text = Some(said.text.to_owned());
        next.last_message_author_kind = Some(author_kind);
        next.last_message_operator_id = said.author;
        match author_kind {
            AuthorKind::Customer => {
                next.last_customer_message_at = Some(now);
                // A muted customer raises no alert and does not restart the SLA clock (D7).
                if !chat.muted && chat.waiting_since.is_none() {
                    next.waiting_since = Some(now);
                }
            }
            AuthorKind::Operator => {
                next.last_operator_message_at = Some(now);
                next.waiting_since = None;
                if chat.status == ChatStatus::New {
                    next.status = ChatStatus::InProgress;
                    next.first_response_at = Some(now);
                }
            }
            AuthorKind::Bot | AuthorKind::System => {}
        }
        if let Some(secs) = rules.auto_close_after_secs {
            next.auto_close_at = Some(now + Duration::seconds(i64::from(secs)));
        }
        next.updated_at = now;
        let (light, changes_at) = crate::chat::rules::traffic_light(&next, &rules.settings, now);
        next.traffic_light = light;
        next.traffic_light_changes_at = changes_at;
        let delivery = to_customer.then(|| {
            Pending::new(DeliveryKind::ChannelMessage, json!({ "text": said.text }))
                .on_channel(chat.channel_id, message.id)
                .model(DeliveryId::new(), chat, now)
        });
        let mut events = vec![(
            EventKind::MessageCreated,
            json!({ "messageId": message.id, "authorKind": author_kind }),
        )];
        if light != chat.traffic_light {
            events.push((
                EventKind::TrafficLightChanged,
                json!({ "trafficLight": light }),
            ));
        }
        Self {
            message,
            chat: next,
            delivery,
            events,
        }
    }
}
