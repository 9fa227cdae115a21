//! The chat's vocabulary and rules, free of services: operator text, titles, the statuses that
//! count as active, the traffic light (D1), quick-reply filling (D5), a new chat's row, and the
//! inputs several operations share.

use chrono::{DateTime, Duration, Utc};
use sea_orm::ActiveValue::Set;

use sea_orm::{ColumnTrait, Condition};
use serde::{Deserialize, Serialize};
use serde_json::json;
use validator::{Validate, ValidationError};

use crate::entity::{chat, organization_settings};
use crate::enums::{
    AuthorKind, ChatDirection, ChatSource, ChatStatus, OperatorStatus, TrafficLight,
};
use crate::error::{DomainError, Result};
use crate::ids::*;

/// A chat being worked: accepted and not closed (`CONFLICT` otherwise).
pub(crate) fn accepted_and_open(chat: &chat::Model) -> Result<()> {
    if matches!(chat.status, ChatStatus::New | ChatStatus::InProgress) {
        Ok(())
    } else {
        Err(DomainError::conflict("The chat must be accepted and open"))
    }
}

/// A chat whose conversation may go on: [`accepted_and_open`], and its channel not archived
/// under it (004).
pub(crate) fn takes_messages(chat: &chat::Model) -> Result<()> {
    accepted_and_open(chat)?;
    if chat.interrupted_at.is_some() {
        return Err(DomainError::conflict(
            "The chat's channel was archived: the conversation cannot go on, close the chat",
        ));
    }
    Ok(())
}

/// The most characters an operator's message may have (D4).
pub const MAX_MESSAGE_CHARS: usize = 1000;

/// An operator's message text: 1 to 1000 characters, not only spaces, and no `<` or `>`
/// (reserved for template parameters; D4). Emoji are fine.
pub fn check_operator_text(text: &str) -> Result<(), ValidationError> {
    if text.trim().is_empty() {
        return Err(ValidationError::new("blank").with_message("must not be empty".into()));
    }
    if text.chars().count() > MAX_MESSAGE_CHARS {
        return Err(ValidationError::new("length")
            .with_message("must be at most 1000 characters long".into()));
    }
    if text.contains(['<', '>']) {
        return Err(ValidationError::new("reserved").with_message(
            "must not contain < or >, which are reserved for template parameters".into(),
        ));
    }
    Ok(())
}

/// "Chat-1042" or "OutgoingChat-17" (D3).
pub fn title(direction: ChatDirection, number: i64) -> String {
    match direction {
        ChatDirection::Inbound => format!("Chat-{number}"),
        ChatDirection::Outbound => format!("OutgoingChat-{number}"),
    }
}

/// Statuses in which a chat is someone's work.
pub const ACTIVE: [ChatStatus; 3] = [ChatStatus::Invited, ChatStatus::New, ChatStatus::InProgress];

/// A bot variable (C1).
#[derive(Clone, Debug, Validate, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(
    feature = "graphql",
    derive(async_graphql::InputObject, async_graphql::SimpleObject)
)]
#[cfg_attr(feature = "graphql", graphql(input_name = "VariableInput"))]
pub struct Variable {
    #[validate(length(min = 1, max = 100))]
    pub key: String,
    #[validate(length(max = 2000))]
    pub value: String,
}

fn bot_or_customer(kind: &AuthorKind) -> Result<(), ValidationError> {
    match kind {
        AuthorKind::Customer | AuthorKind::Bot => Ok(()),
        _ => Err(ValidationError::new("author").with_message("must be CUSTOMER or BOT".into())),
    }
}

/// One message of the bot's conversation so far.
#[derive(Clone, Debug, Validate, Serialize)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct TranscriptEntryInput {
    #[validate(custom(function = "bot_or_customer"))]
    pub author_kind: AuthorKind,
    #[validate(length(min = 1, max = 4000))]
    pub text: String,
    /// When it was sent; defaults to the hand-off time.
    pub sent_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, Validate)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct ChatIdInput {
    pub chat_id: ChatId,
}

/// Which of an operator's lists (D2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
pub enum ChatTab {
    /// Invitations and accepted chats.
    Active,
    /// The last 10 closed chats.
    Closed,
}

/// A page of waiting chats, with the key of the last one.
pub struct WaitingPage {
    pub chats: Vec<chat::Model>,
    pub has_next: bool,
}

/// The keyset position of a waiting chat: priority first, then age, then id.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct WaitingCursor {
    pub priority: i32,
    pub queued_at: DateTime<Utc>,
    pub id: ChatId,
}

impl WaitingCursor {
    pub fn of(chat: &chat::Model) -> Self {
        Self {
            priority: chat.queue_priority,
            queued_at: chat.queued_at.unwrap_or(chat.created_at),
            id: chat.id,
        }
    }

    /// Waiting chats served after this one.
    pub fn behind(&self) -> Condition {
        self.served(true)
    }

    /// Waiting chats served before this one.
    pub fn ahead(&self) -> Condition {
        self.served(false)
    }

    /// Waiting chats served after this one (`later`) or before it. A queue serves a higher
    /// priority first, then the longest waiting, then the lower id.
    fn served(&self, later: bool) -> Condition {
        let past = |column: chat::Column, value: sea_orm::Value, served_later_when_greater| {
            if served_later_when_greater == later {
                column.gt(value)
            } else {
                column.lt(value)
            }
        };
        let same_priority = chat::Column::QueuePriority.eq(self.priority);
        Condition::any()
            .add(past(
                chat::Column::QueuePriority,
                self.priority.into(),
                false,
            ))
            .add(Condition::all().add(same_priority.clone()).add(past(
                chat::Column::QueuedAt,
                self.queued_at.into(),
                true,
            )))
            .add(
                Condition::all()
                    .add(same_priority)
                    .add(chat::Column::QueuedAt.eq(self.queued_at))
                    .add(past(chat::Column::Id, self.id.into(), true)),
            )
    }
}

/// What a new message's effect on its chat depends on besides the chat itself: the
/// organization's traffic-light settings and the channel's auto-close time (F5); and who is
/// told of it: the operators joined in or invited to the chat.
#[derive(Clone, Debug)]
pub(crate) struct MessageRules {
    pub settings: organization_settings::Model,
    pub auto_close_after_secs: Option<i32>,
    pub participants: Vec<OperatorId>,
}

/// The SLA colour of a chat at `now` (F1): GREEN while the customer waits for a reply, YELLOW
/// and RED past the thresholds, GREY when the operator replied and the customer is silent, NONE
/// when the light is off or the chat is not being worked.
pub fn traffic_light(
    chat: &chat::Model, settings: &organization_settings::Model, now: DateTime<Utc>,
) -> (TrafficLight, Option<DateTime<Utc>>) {
    if !settings.traffic_light_enabled
        || !matches!(chat.status, ChatStatus::New | ChatStatus::InProgress)
    {
        return (TrafficLight::None, None);
    }
    let since = if settings.count_from_operator_message {
        chat.last_operator_message_at.or(chat.accepted_at)
    } else {
        chat.waiting_since
    };
    let Some(since) = since.filter(|_| chat.waiting_since.is_some()) else {
        return (TrafficLight::Grey, None);
    };
    let yellow = since + Duration::seconds(i64::from(settings.yellow_after_secs));
    let red = since + Duration::seconds(i64::from(settings.red_after_secs));
    if now >= red {
        (TrafficLight::Red, None)
    } else if now >= yellow {
        (TrafficLight::Yellow, Some(red))
    } else {
        (TrafficLight::Green, Some(yellow))
    }
}

/// A new chat row with everything unset but what every chat has.
#[allow(clippy::too_many_arguments)]
pub(crate) fn new_chat(
    organization_id: OrganizationId, number: i64, direction: ChatDirection, status: ChatStatus,
    source: ChatSource, channel_id: Option<ChannelId>, queue_id: Option<QueueId>,
    customer: &crate::entity::customer::Model, now: DateTime<Utc>,
) -> chat::ActiveModel {
    chat::ActiveModel {
        id: Set(ChatId::new()),
        organization_id: Set(organization_id),
        number: Set(number),
        direction: Set(direction),
        status: Set(status),
        source: Set(source),
        channel_id: Set(channel_id),
        queue_id: Set(queue_id),
        customer_id: Set(customer.id),
        operator_id: Set(None),
        topic_id: Set(None),
        subtopic_id: Set(None),
        variables: Set(json!({})),
        crm_contact_id: Set(customer.crm_contact_id.clone()),
        crm_account_id: Set(customer.crm_account_id.clone()),
        crm_activity_id: Set(None),
        crm_case_id: Set(None),
        crm_case_number: Set(None),
        crm_case_claimed_at: Set(None),
        rating: Set(None),
        rating_comment: Set(None),
        rated_at: Set(None),
        wrap_up_reason_id: Set(None),
        result_id: Set(None),
        result_detail: Set(None),
        closed_by_kind: Set(None),
        closed_by_operator_id: Set(None),
        muted: Set(false),
        bot_scheme_id: Set(None),
        queue_priority: Set(0),
        created_at: Set(now),
        queued_at: Set(None),
        invited_at: Set(None),
        invitation_expires_at: Set(None),
        accepted_at: Set(None),
        first_response_at: Set(None),
        closed_at: Set(None),
        waiting_since: Set(None),
        last_customer_message_at: Set(None),
        last_operator_message_at: Set(None),
        last_message_at: Set(None),
        last_message_text: Set(None),
        last_message_author_kind: Set(None),
        last_message_operator_id: Set(None),
        traffic_light: Set(TrafficLight::None),
        traffic_light_changes_at: Set(None),
        auto_close_at: Set(None),
        reply_window_expires_at: Set(None),
        updated_at: Set(now),
        interrupted_at: Set(None),
    }
}

/// Fills a quick reply's parameters (D5). A name nobody knows is left out with the comma or
/// space before it, so "Hello, <customer_name>!" reads "Hello!", not "Hello, !".
pub fn fill_template(text: &str, customer_name: &str, operator_name: &str) -> String {
    let mut filled = text.to_owned();
    for (parameter, value) in [
        ("<customer_name>", customer_name.trim()),
        ("<operator_name>", operator_name.trim()),
    ] {
        if value.is_empty() {
            for lead in [", ", " "] {
                filled = filled.replace(&format!("{lead}{parameter}"), "");
            }
        }
        filled = filled.replace(parameter, value);
    }
    filled
}

/// The refusal of a transfer or invitation to an operator who may not take it, on `field`.
pub(crate) fn unavailable(field: &'static str, status: OperatorStatus) -> DomainError {
    let state = match status {
        OperatorStatus::Break => "on a break",
        OperatorStatus::Leaving => "leaving",
        OperatorStatus::Away => "away",
        OperatorStatus::Unavailable => "unavailable",
        OperatorStatus::Blocked => "blocked after a missed invitation",
        OperatorStatus::Offline => "not signed in",
        OperatorStatus::Ready | OperatorStatus::Online => "not taking chats",
    };
    DomainError::validation(
        field,
        format!("The operator is {state}; pick someone online or ready"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_leave_out_names_nobody_knows() {
        let text = "Hello, <customer_name>! I am <operator_name>.";
        assert_eq!(
            fill_template(text, "Anna", "Piotr"),
            "Hello, Anna! I am Piotr."
        );
        assert_eq!(fill_template(text, "", "Piotr"), "Hello! I am Piotr.");
        assert_eq!(
            fill_template("Hello <customer_name>, welcome", " ", "x"),
            "Hello, welcome"
        );
        assert_eq!(fill_template("<customer_name>", "", ""), "");
    }
    use crate::enums::ChatDirection;

    #[test]
    fn operator_text_rules() {
        assert!(check_operator_text("Hello 👋 how can I help?").is_ok());
        assert!(check_operator_text(&"x".repeat(1000)).is_ok());
        assert!(
            check_operator_text(&"😀".repeat(1000)).is_ok(),
            "characters, not bytes"
        );
        assert!(check_operator_text(&"x".repeat(1001)).is_err());
        assert!(check_operator_text("   ").is_err());
        assert!(check_operator_text("a <b> c").is_err());
        assert!(check_operator_text("2 > 1").is_err());
    }

    #[test]
    fn titles() {
        assert_eq!(title(ChatDirection::Inbound, 1042), "Chat-1042");
        assert_eq!(title(ChatDirection::Outbound, 17), "OutgoingChat-17");
    }

    #[test]
    fn only_online_or_ready_operators_take_transfers() {
        use OperatorStatus::*;
        for status in [Ready, Online] {
            assert!(status.takes_transfers());
        }
        for status in [Break, Leaving, Away, Unavailable, Blocked, Offline] {
            assert!(!status.takes_transfers());
            let error = unavailable("toOperatorId", status);
            assert!(
                matches!(error, DomainError::Validation { ref field, .. } if field == "toOperatorId")
            );
        }
        assert_eq!(
            unavailable("operatorId", Break).to_string(),
            "The operator is on a break; pick someone online or ready"
        );
    }
}
