//! The chat and its lifecycle (D, C1, C4, C5, X6): hand-off, invitation, accept, decline and
//! RONA, assignment, messages, close with wrap-up, and what each operator may see.
//!
//! Legal status moves: BOT → QUEUED (hand-off) → INVITED (routed) → NEW (accepted) →
//! IN_PROGRESS (first operator message) → COMPLETED (closed). INVITED goes back to QUEUED on a
//! decline, a missed invitation or an operator leaving; NEW and IN_PROGRESS go back when an
//! operator leaves (X7) or transfers.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use validator::{Validate, ValidationError};

use crate::actor::{Actor, Principal};
use crate::crm::Matching;
use crate::customer::{self, CustomerInput};
use crate::entity::{
    channel, chat, chat_assignment, chat_participant, chat_result, message, operator, organization,
    organization_settings, queue, queue_member, routing_decision, topic, wrap_up_reason,
};
use crate::enums::{
    ApiKeyScope, AssignmentEnd, AssignmentKind, AuthorKind, ChatDirection, ChatSource, ChatStatus,
    ClosedByKind, DeliveryState, EventKind, OperatorStatus, ParticipantRole, ParticipantState,
    Role, RoutingOutcome, RoutingTrigger, TrafficLight, WebhookEvent,
};
use crate::error::{DomainError, Result};
use crate::events::Outbox;
use crate::history::HistoryCursor;
use crate::ids::*;
use crate::routing::{end_assignment, leave_chat, lock_chat, lock_operator, open_assignment};
use crate::service::Domain;
use crate::validate::check;

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

/// A conversation the chatbot hands to operators (C1).
#[derive(Clone, Debug, Validate)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct HandOffChatInput {
    /// The queue the chat waits in.
    pub queue_id: QueueId,
    pub source: ChatSource,
    /// The channel the conversation runs on, if Omnipanel delivers its messages.
    pub channel_id: Option<ChannelId>,
    #[validate(nested)]
    pub customer: CustomerInput,
    pub topic_id: Option<TopicId>,
    pub subtopic_id: Option<TopicId>,
    /// Free key/value pairs from the bot.
    #[validate(length(max = 50), nested)]
    #[cfg_attr(feature = "graphql", graphql(default))]
    pub variables: Vec<Variable>,
    /// The bot's conversation so far, oldest first.
    #[validate(length(max = 500), nested)]
    #[cfg_attr(feature = "graphql", graphql(default))]
    pub transcript: Vec<TranscriptEntryInput>,
}

#[derive(Clone, Debug, Validate)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct ChatIdInput {
    pub chat_id: ChatId,
}

#[derive(Clone, Debug, Validate)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct AssignChatInput {
    pub chat_id: ChatId,
    /// Whom to give the chat; operators may only take chats for themselves.
    pub operator_id: OperatorId,
}

#[derive(Clone, Debug, Validate)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct SendMessageInput {
    pub chat_id: ChatId,
    /// 1 to 1000 characters; `<` and `>` are refused (D4).
    #[validate(custom(function = "check_operator_text"))]
    pub text: String,
    /// Operators only: never sent to the customer (X5).
    #[cfg_attr(feature = "graphql", graphql(default))]
    pub whisper: bool,
    /// The quick reply the text came from, if any (it may have been edited).
    pub quick_reply_id: Option<QuickReplyId>,
    /// A file uploaded to this chat (`POST /files`) to send with the text; one per message,
    /// as messengers send them.
    #[validate(length(max = 1))]
    #[cfg_attr(feature = "graphql", graphql(default))]
    pub attachment_ids: Vec<AttachmentId>,
}

#[derive(Clone, Debug, Validate)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct CloseChatInput {
    pub chat_id: ChatId,
    /// Required (D6).
    pub wrap_up_reason_id: WrapUpReasonId,
    pub result_id: Option<ChatResultId>,
    /// Free text about the result.
    #[validate(length(max = 1000))]
    pub result_detail: Option<String>,
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
        Condition::any()
            .add(chat::Column::QueuePriority.lt(self.priority))
            .add(
                Condition::all()
                    .add(chat::Column::QueuePriority.eq(self.priority))
                    .add(chat::Column::QueuedAt.gt(self.queued_at)),
            )
            .add(
                Condition::all()
                    .add(chat::Column::QueuePriority.eq(self.priority))
                    .add(chat::Column::QueuedAt.eq(self.queued_at))
                    .add(chat::Column::Id.gt(self.id)),
            )
    }

    /// Waiting chats served before this one.
    pub fn ahead(&self) -> Condition {
        Condition::any()
            .add(chat::Column::QueuePriority.gt(self.priority))
            .add(
                Condition::all()
                    .add(chat::Column::QueuePriority.eq(self.priority))
                    .add(chat::Column::QueuedAt.lt(self.queued_at)),
            )
            .add(
                Condition::all()
                    .add(chat::Column::QueuePriority.eq(self.priority))
                    .add(chat::Column::QueuedAt.eq(self.queued_at))
                    .add(chat::Column::Id.lt(self.id)),
            )
    }
}

/// The SLA colour of a chat at `now` (F1): GREEN while the customer waits for a reply, YELLOW
/// and RED past the thresholds, GREY when the operator replied and the customer is silent, NONE
/// when the light is off or the chat is not being worked.
pub fn traffic_light(
    chat: &chat::Model,
    settings: &organization_settings::Model,
    now: DateTime<Utc>,
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
    organization_id: OrganizationId,
    number: i64,
    direction: ChatDirection,
    status: ChatStatus,
    source: ChatSource,
    channel_id: Option<ChannelId>,
    queue_id: Option<QueueId>,
    customer: &crate::entity::customer::Model,
    now: DateTime<Utc>,
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
    }
}

impl Domain {
    /// A chat the caller may see (A1, A2); anything else is `NOT_FOUND`.
    pub async fn visible_chat(
        &self,
        db: &impl ConnectionTrait,
        actor: &Actor,
        id: ChatId,
    ) -> Result<chat::Model> {
        let found = chat::Entity::find_by_id(id)
            .filter(chat::Column::OrganizationId.eq(actor.organization_id))
            .one(db)
            .await?
            .ok_or(DomainError::not_found("chat"))?;
        if self.can_see(db, actor, &found).await? {
            Ok(found)
        } else {
            Err(DomainError::not_found("chat"))
        }
    }

    pub(crate) async fn can_see(
        &self,
        db: &impl ConnectionTrait,
        actor: &Actor,
        chat: &chat::Model,
    ) -> Result<bool> {
        let (me, role) = match actor.principal {
            Principal::ApiKey { .. } => return Ok(true),
            Principal::Operator { id, role, .. } => (id, role),
        };
        if role.at_least(Role::Manager) || chat.operator_id == Some(me) {
            return Ok(true);
        }
        let in_my_queue = match chat.queue_id {
            Some(queue_id) => queue_member::Entity::find_by_id((queue_id, me))
                .one(db)
                .await?
                .is_some(),
            None => false,
        };
        if in_my_queue
            && (role.at_least(Role::Supervisor)
                || matches!(chat.status, ChatStatus::Queued | ChatStatus::Bot))
        {
            return Ok(true);
        }
        let participated = chat_participant::Entity::find()
            .filter(chat_participant::Column::ChatId.eq(chat.id))
            .filter(chat_participant::Column::OperatorId.eq(me))
            .count(db)
            .await?
            > 0;
        let responsible = chat_assignment::Entity::find()
            .filter(chat_assignment::Column::ChatId.eq(chat.id))
            .filter(chat_assignment::Column::OperatorId.eq(me))
            .filter(chat_assignment::Column::AcceptedAt.is_not_null())
            .count(db)
            .await?
            > 0;
        Ok(participated || responsible)
    }

    /// A queue of the caller's organization that is not archived, or `VALIDATION` on `field`.
    async fn usable_queue(
        &self,
        db: &impl ConnectionTrait,
        actor: &Actor,
        id: QueueId,
        field: &'static str,
    ) -> Result<queue::Model> {
        match self.queue(db, actor, id).await {
            Ok(found) if found.archived_at.is_none() => Ok(found),
            Ok(_) => Err(DomainError::validation(field, "The queue is archived")),
            Err(DomainError::NotFound { .. }) => {
                Err(DomainError::validation(field, "No such queue"))
            }
            Err(other) => Err(other),
        }
    }

    /// Checks a topic and subtopic pair: both of the organization, active, the subtopic under
    /// the topic.
    pub(crate) async fn check_topics(
        &self,
        db: &impl ConnectionTrait,
        actor: &Actor,
        topic_id: Option<TopicId>,
        subtopic_id: Option<TopicId>,
    ) -> Result<()> {
        let load = |id: TopicId, field: &'static str| async move {
            match topic::Entity::find_by_id(id)
                .filter(topic::Column::OrganizationId.eq(actor.organization_id))
                .filter(topic::Column::ArchivedAt.is_null())
                .one(db)
                .await?
            {
                Some(found) => Ok(found),
                None => Err(DomainError::validation(field, "No such topic")),
            }
        };
        if let Some(id) = topic_id {
            let found = load(id, "topicId").await?;
            if found.parent_id.is_some() {
                return Err(DomainError::validation(
                    "topicId",
                    "This is a subtopic; pass it as subtopicId",
                ));
            }
        }
        if let Some(id) = subtopic_id {
            let found = load(id, "subtopicId").await?;
            if topic_id.is_none() || found.parent_id != topic_id {
                return Err(DomainError::validation(
                    "subtopicId",
                    "The subtopic does not belong to the topic",
                ));
            }
        }
        Ok(())
    }

    /// Takes the organization's next chat number for a direction.
    pub(crate) async fn next_chat_number(
        &self,
        db: &impl ConnectionTrait,
        organization_id: OrganizationId,
        direction: ChatDirection,
    ) -> Result<i64> {
        let column = match direction {
            ChatDirection::Inbound => organization::Column::ChatSeq,
            ChatDirection::Outbound => organization::Column::OutgoingChatSeq,
        };
        organization::Entity::update_many()
            .col_expr(column, Expr::col(column).add(1))
            .filter(organization::Column::Id.eq(organization_id))
            .exec(db)
            .await?;
        organization::Entity::find_by_id(organization_id)
            .select_only()
            .column(column)
            .into_tuple()
            .one(db)
            .await?
            .ok_or(DomainError::not_found("organization"))
    }

    /// The chatbot hands a conversation to operators (C1, C2): the chat is created with its
    /// customer, transcript and variables, and routed at once or left waiting in its queue. A
    /// full queue with nobody free refuses the hand-off (`LIMIT_EXCEEDED`; C6).
    async fn hand_off_chat_once(
        &self,
        actor: &Actor,
        input: HandOffChatInput,
        matching: &Matching,
    ) -> Result<chat::Model> {
        let now = self.now();
        let tx = self.write().await?;
        let queue = self
            .usable_queue(&tx, actor, input.queue_id, "queueId")
            .await?;
        self.check_topics(&tx, actor, input.topic_id, input.subtopic_id)
            .await?;
        if let Some(channel_id) = input.channel_id {
            channel::Entity::find_by_id(channel_id)
                .filter(channel::Column::OrganizationId.eq(actor.organization_id))
                .filter(channel::Column::ArchivedAt.is_null())
                .one(&tx)
                .await?
                .ok_or_else(|| DomainError::validation("channelId", "No such channel"))?;
        }
        let customer = customer::find_or_create(
            &tx,
            actor.organization_id,
            input.source,
            &input.customer,
            now,
        )
        .await
        .map_err(|e| match e {
            DomainError::Validation { field, message } if field == "customer" => {
                DomainError::validation(field, message)
            }
            other => other,
        })?;
        let customer = self
            .link_matched(&tx, customer, matching, &input.customer, now)
            .await?;
        let number = self
            .next_chat_number(&tx, actor.organization_id, ChatDirection::Inbound)
            .await?;
        let variables: serde_json::Map<String, serde_json::Value> = input
            .variables
            .iter()
            .map(|v| (v.key.clone(), json!(v.value)))
            .collect();
        let last = input.transcript.last();
        let mut model = new_chat(
            actor.organization_id,
            number,
            ChatDirection::Inbound,
            ChatStatus::Queued,
            input.source,
            input.channel_id,
            Some(queue.id),
            &customer,
            now,
        );
        model.topic_id = Set(input.topic_id);
        model.subtopic_id = Set(input.subtopic_id);
        model.variables = Set(serde_json::Value::Object(variables));
        model.queued_at = Set(Some(now));
        model.waiting_since = Set(Some(now));
        model.last_customer_message_at = Set(input
            .transcript
            .iter()
            .rev()
            .find(|m| m.author_kind == AuthorKind::Customer)
            .map(|m| m.sent_at.unwrap_or(now)));
        model.last_message_at = Set(last.map(|m| m.sent_at.unwrap_or(now)));
        model.last_message_text = Set(last.map(|m| m.text.clone()));
        model.last_message_author_kind = Set(last.map(|m| m.author_kind));
        let created = model.insert(&tx).await?;
        if !input.transcript.is_empty() {
            message::Entity::insert_many(input.transcript.iter().map(|entry| {
                message::ActiveModel {
                    id: Set(MessageId::new()),
                    organization_id: Set(actor.organization_id),
                    chat_id: Set(created.id),
                    author_kind: Set(entry.author_kind),
                    author_operator_id: Set(None),
                    text: Set(entry.text.clone()),
                    is_whisper: Set(false),
                    quick_reply_id: Set(None),
                    delivery_state: Set(DeliveryState::Delivered),
                    delivery_error: Set(None),
                    channel_id: Set(input.channel_id),
                    external_id: Set(None),
                    created_at: Set(entry.sent_at.unwrap_or(now)),
                    delivered_at: Set(Some(entry.sent_at.unwrap_or(now))),
                }
            }))
            .exec(&tx)
            .await?;
        }
        let mut outbox = Outbox::new();
        let chat = self
            .offer_new_chat(&tx, &mut outbox, &created, &queue, true, now)
            .await?;
        self.commit(tx, outbox).await?;
        Ok(chat)
    }

    /// Offers a chat that has just arrived in `queue` to its operators (C2, C4): routed at once,
    /// or left waiting and announced to the queue's members. With `enforce_limit`, a full queue
    /// with nobody free refuses it (`LIMIT_EXCEEDED`; C6); the caller's transaction then rolls
    /// back. Returns the
    /// chat as routing left it, with its `CHAT_CREATED` webhooks queued.
    pub(crate) async fn offer_new_chat(
        &self,
        db: &impl ConnectionTrait,
        outbox: &mut Outbox,
        created: &chat::Model,
        queue: &queue::Model,
        enforce_limit: bool,
        now: DateTime<Utc>,
    ) -> Result<chat::Model> {
        let outcome = self
            .route_chat(db, outbox, created.id, RoutingTrigger::HandOff, now)
            .await?;
        if outcome == RoutingOutcome::Queued
            && enforce_limit
            && let Some(limit) = queue.size_limit
        {
            let waiting = chat::Entity::find()
                .filter(chat::Column::QueueId.eq(queue.id))
                .filter(chat::Column::Status.eq(ChatStatus::Queued))
                .count(db)
                .await?;
            if waiting > u64::try_from(limit).unwrap_or(0) {
                return Err(DomainError::LimitExceeded(
                    format!(
                        "The queue {} is full ({limit} waiting) and nobody is free",
                        queue.name
                    )
                    .into(),
                ));
            }
        }
        let chat = chat::Entity::find_by_id(created.id)
            .one(db)
            .await?
            .ok_or(DomainError::not_found("chat"))?;
        self.queue_webhooks(db, outbox, WebhookEvent::ChatCreated, &chat, now)
            .await?;
        Ok(chat)
    }

    /// Tells the members of the chat's queue that it started waiting there (`CHAT_QUEUED`), that
    /// the bot has it there (`CHAT_WITH_BOT`), or that it left their "Unassigned" list
    /// (`CHAT_DEQUEUED`).
    pub(crate) async fn tell_queue(
        &self,
        db: &impl ConnectionTrait,
        outbox: &mut Outbox,
        chat: &chat::Model,
        kind: EventKind,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let Some(queue_id) = chat.queue_id else {
            return Ok(());
        };
        let members = queue_member::Entity::find()
            .filter(queue_member::Column::QueueId.eq(queue_id))
            .all(db)
            .await?;
        for member in members {
            outbox
                .to_operator(
                    db,
                    chat.organization_id,
                    member.operator_id,
                    kind,
                    Some(chat.id),
                    json!({ "queueId": queue_id }),
                    now,
                )
                .await?;
        }
        Ok(())
    }

    /// The invitation of a chat to the caller, locked: anything else is `NOT_FOUND` (another
    /// organization, not visible) or `CONFLICT` (the invitation is gone or someone else's).
    async fn my_invitation(
        &self,
        db: &impl ConnectionTrait,
        actor: &Actor,
        chat_id: ChatId,
    ) -> Result<chat::Model> {
        let (me, _) = actor.operator()?;
        let chat = lock_chat(db, chat_id)
            .await?
            .filter(|c| c.organization_id == actor.organization_id)
            .ok_or(DomainError::not_found("chat"))?;
        if chat.status == ChatStatus::Invited && chat.operator_id == Some(me) {
            return Ok(chat);
        }
        // Whoever was offered the chat before learns that the invitation is gone; anyone else
        // may not even know the chat exists.
        let was_offered = chat_assignment::Entity::find()
            .filter(chat_assignment::Column::ChatId.eq(chat.id))
            .filter(chat_assignment::Column::OperatorId.eq(me))
            .count(db)
            .await?
            > 0;
        if was_offered || self.can_see(db, actor, &chat).await? {
            Err(DomainError::conflict(
                "This chat is not waiting for you to accept it",
            ))
        } else {
            Err(DomainError::not_found("chat"))
        }
    }

    /// Accepts an invitation (C5): the chat becomes the caller's, status NEW.
    async fn accept_chat_once(&self, actor: &Actor, input: ChatIdInput) -> Result<chat::Model> {
        let now = self.now();
        let (me, _) = actor.operator()?;
        let tx = self.write().await?;
        let chat = self.my_invitation(&tx, actor, input.chat_id).await?;
        let mut outbox = Outbox::new();
        let accepted = self.make_owner(&tx, &mut outbox, &chat, me, now).await?;
        self.commit(tx, outbox).await?;
        Ok(accepted)
    }

    /// Makes an operator (whose capacity is already taken) the chat's owner: NEW, accepted.
    pub(crate) async fn make_owner(
        &self,
        db: &impl ConnectionTrait,
        outbox: &mut Outbox,
        chat: &chat::Model,
        operator_id: OperatorId,
        now: DateTime<Utc>,
    ) -> Result<chat::Model> {
        let mut model: chat::ActiveModel = chat.clone().into();
        model.status = Set(ChatStatus::New);
        model.operator_id = Set(Some(operator_id));
        model.accepted_at = Set(Some(now));
        model.invitation_expires_at = Set(None);
        model.updated_at = Set(now);
        let accepted = model.update(db).await?;
        let accepted = self.refresh_light(db, outbox, &accepted, now).await?;
        chat_assignment::Entity::update_many()
            .col_expr(chat_assignment::Column::AcceptedAt, Expr::value(now))
            .filter(chat_assignment::Column::ChatId.eq(chat.id))
            .filter(chat_assignment::Column::EndedAt.is_null())
            .exec(db)
            .await?;
        chat_participant::ActiveModel {
            id: Set(ParticipantId::new()),
            chat_id: Set(chat.id),
            operator_id: Set(operator_id),
            role: Set(ParticipantRole::Owner),
            state: Set(ParticipantState::Joined),
            invited_by: Set(None),
            invited_at: Set(chat.invited_at.unwrap_or(now)),
            joined_at: Set(Some(now)),
            left_at: Set(None),
        }
        .insert(db)
        .await?;
        let payload = json!({ "status": ChatStatus::New, "operatorId": operator_id });
        outbox
            .to_operator(
                db,
                chat.organization_id,
                operator_id,
                EventKind::ChatAssigned,
                Some(chat.id),
                payload.clone(),
                now,
            )
            .await?;
        outbox
            .to_chat(
                db,
                chat.organization_id,
                chat.id,
                EventKind::ChatUpdated,
                payload,
                now,
            )
            .await?;
        self.queue_webhooks(db, outbox, WebhookEvent::ChatAccepted, &accepted, now)
            .await?;
        Ok(accepted)
    }

    /// Declines an invitation (C5): the chat goes back to its place in the queue and is offered
    /// to someone else.
    async fn decline_chat_once(&self, actor: &Actor, input: ChatIdInput) -> Result<chat::Model> {
        let now = self.now();
        let tx = self.write().await?;
        let chat = self.my_invitation(&tx, actor, input.chat_id).await?;
        let mut outbox = Outbox::new();
        self.requeue(&tx, &mut outbox, &chat, AssignmentEnd::Declined, false, now)
            .await?;
        self.route_chat(&tx, &mut outbox, chat.id, RoutingTrigger::Declined, now)
            .await?;
        let chat = chat::Entity::find_by_id(chat.id)
            .one(&tx)
            .await?
            .ok_or(DomainError::not_found("chat"))?;
        self.commit(tx, outbox).await?;
        Ok(chat)
    }

    /// Re-routes invitations nobody accepted in time and blocks their operators (RONA; C5).
    pub async fn expire_invitations(&self) -> Result<usize> {
        let now = self.now();
        let due = crate::routing::find_due(
            &self.db,
            chat::Entity::find()
                .filter(chat::Column::Status.eq(ChatStatus::Invited))
                .filter(chat::Column::InvitationExpiresAt.lte(now)),
        )
        .await?;
        let mut count = 0;
        for candidate in due {
            let tx = self.write().await?;
            let Some(chat) = lock_chat(&tx, candidate.id).await? else {
                continue;
            };
            let (ChatStatus::Invited, Some(operator_id), Some(expires)) =
                (chat.status, chat.operator_id, chat.invitation_expires_at)
            else {
                continue;
            };
            if expires > now {
                continue;
            }
            let mut outbox = Outbox::new();
            self.requeue(&tx, &mut outbox, &chat, AssignmentEnd::Expired, false, now)
                .await?;
            if let Some(op) = lock_operator(&tx, operator_id).await?
                && op.status != OperatorStatus::Blocked
            {
                let blocked = crate::presence::change_status(
                    &tx,
                    &mut outbox,
                    &op,
                    OperatorStatus::Blocked,
                    None,
                    now,
                )
                .await?;
                self.after_presence_change(&tx, &mut outbox, &op, blocked, now)
                    .await?;
            }
            self.route_chat(
                &tx,
                &mut outbox,
                chat.id,
                RoutingTrigger::InvitationExpired,
                now,
            )
            .await?;
            self.commit(tx, outbox).await?;
            count += 1;
        }
        Ok(count)
    }

    /// Gives a waiting (or invited) chat to an operator (C4). Supervisors and above assign to
    /// anyone signed in; operators take chats of their own queues for themselves. The limit holds.
    async fn assign_chat_once(&self, actor: &Actor, input: AssignChatInput) -> Result<chat::Model> {
        let (me, role) = actor.operator()?;
        let now = self.now();
        let tx = self.write().await?;
        self.visible_chat(&tx, actor, input.chat_id).await?;
        if input.operator_id != me && !role.at_least(Role::Supervisor) {
            return Err(DomainError::forbidden(
                "Only supervisors and above assign chats to others",
            ));
        }
        let chat = lock_chat(&tx, input.chat_id)
            .await?
            .ok_or(DomainError::not_found("chat"))?;
        if !matches!(chat.status, ChatStatus::Queued | ChatStatus::Invited) {
            return Err(DomainError::conflict("Only a waiting chat can be assigned"));
        }
        let target = self
            .operator(actor, input.operator_id)
            .await
            .map_err(|e| match e {
                DomainError::NotFound { .. } => {
                    DomainError::validation("operatorId", "No such operator")
                }
                other => other,
            })?;
        if target.archived_at.is_some() || target.status == OperatorStatus::Offline {
            return Err(DomainError::validation(
                "operatorId",
                "The operator is not signed in",
            ));
        }
        if target.id == me && role == Role::Operator {
            let member = match chat.queue_id {
                Some(queue_id) => queue_member::Entity::find_by_id((queue_id, me))
                    .one(&tx)
                    .await?
                    .is_some(),
                None => false,
            };
            if !member {
                return Err(DomainError::forbidden(
                    "You can take chats of your own queues only",
                ));
            }
        }
        let mut outbox = Outbox::new();
        let chat = if chat.status == ChatStatus::Invited {
            self.requeue(&tx, &mut outbox, &chat, AssignmentEnd::Requeued, false, now)
                .await?
        } else {
            chat
        };
        lock_operator(&tx, target.id).await?;
        crate::routing::take_capacity_for_assignment(&tx, target.id, now).await?;
        end_assignment(&tx, chat.id, AssignmentEnd::Requeued, None, now).await?;
        open_assignment(
            &tx,
            &chat,
            AssignmentKind::Assigned,
            Some(target.id),
            Some(me),
            now,
        )
        .await?;
        let assigned = self
            .make_owner(&tx, &mut outbox, &chat, target.id, now)
            .await?;
        if chat.status == ChatStatus::Queued {
            self.tell_queue(&tx, &mut outbox, &chat, EventKind::ChatDequeued, now)
                .await?;
        }
        self.commit(tx, outbox).await?;
        Ok(assigned)
    }

    /// The chat of which the caller is the owner (or, for closing, a supervisor above it).
    pub(crate) async fn owned_chat(
        &self,
        db: &impl ConnectionTrait,
        actor: &Actor,
        chat_id: ChatId,
        supervisors_too: bool,
    ) -> Result<chat::Model> {
        let (me, role) = actor.operator()?;
        self.visible_chat(db, actor, chat_id).await?;
        let chat = lock_chat(db, chat_id)
            .await?
            .ok_or(DomainError::not_found("chat"))?;
        let allowed =
            chat.operator_id == Some(me) || (supervisors_too && role.at_least(Role::Supervisor));
        if !allowed {
            return Err(DomainError::forbidden("This chat is not yours"));
        }
        if !matches!(chat.status, ChatStatus::New | ChatStatus::InProgress) {
            return Err(DomainError::conflict("The chat must be accepted and open"));
        }
        Ok(chat)
    }

    /// An operator writes to the customer (D4). The first message moves NEW to IN_PROGRESS;
    /// the traffic light turns GREY until the customer answers.
    async fn send_message_once(
        &self,
        actor: &Actor,
        input: SendMessageInput,
    ) -> Result<message::Model> {
        actor.operator()?;
        check(&input)?;
        let (me, _) = actor.operator()?;
        let now = self.now();
        let tx = self.write().await?;
        if input.whisper {
            if !input.attachment_ids.is_empty() {
                return Err(DomainError::validation(
                    "attachmentIds",
                    "Whispers carry no files",
                ));
            }
            drop(tx);
            return self.whisper(actor, input.chat_id, &input.text).await;
        }
        self.visible_chat(&tx, actor, input.chat_id).await?;
        let chat = lock_chat(&tx, input.chat_id)
            .await?
            .ok_or(DomainError::not_found("chat"))?;
        if !self.may_write(&tx, &chat, me).await? {
            return Err(DomainError::forbidden("This chat is not yours"));
        }
        if !matches!(chat.status, ChatStatus::New | ChatStatus::InProgress) {
            return Err(DomainError::conflict("The chat must be accepted and open"));
        }
        if let Some(id) = input.quick_reply_id {
            match self.quick_reply(&tx, actor, id).await {
                Ok(reply) if reply.archived_at.is_none() => {}
                Ok(_) | Err(DomainError::NotFound { .. }) => {
                    return Err(DomainError::validation(
                        "quickReplyId",
                        "No such quick reply",
                    ));
                }
                Err(other) => return Err(other),
            }
        }
        // Outside WhatsApp's 24-hour window only an approved template goes, as approved (X4).
        let policy = crate::outgoing::reply_policy(
            chat.source,
            chat.status,
            chat.last_customer_message_at,
            now,
        );
        let text = if policy.requires_template {
            let template = self
                .approved_template(&tx, actor, input.quick_reply_id)
                .await?;
            let customer = crate::entity::customer::Entity::find_by_id(chat.customer_id)
                .one(&tx)
                .await?
                .ok_or(DomainError::not_found("customer"))?;
            crate::conversation::fill_template(
                &template.text,
                &customer.name.unwrap_or_default(),
                &self.first_name(&tx, me).await?,
            )
        } else {
            input.text.clone()
        };
        let mut outbox = Outbox::new();
        let (_, created) = self
            .append_operator_message(
                &tx,
                &mut outbox,
                &chat,
                me,
                &text,
                input.quick_reply_id,
                now,
            )
            .await?;
        self.attach(&tx, &chat, me, created.id, &input.attachment_ids)
            .await?;
        self.commit(tx, outbox).await?;
        Ok(created)
    }

    /// Appends an operator's message, noting the quick reply it came from.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn append_operator_message(
        &self,
        db: &impl ConnectionTrait,
        outbox: &mut Outbox,
        chat: &chat::Model,
        me: OperatorId,
        text: &str,
        quick_reply_id: Option<QuickReplyId>,
        now: DateTime<Utc>,
    ) -> Result<(chat::Model, message::Model)> {
        let (chat, created) = self
            .append_message(
                db,
                outbox,
                chat,
                AuthorKind::Operator,
                Some(me),
                text,
                None,
                now,
            )
            .await?;
        if quick_reply_id.is_none() {
            return Ok((chat, created));
        }
        let mut model: message::ActiveModel = created.into();
        model.quick_reply_id = Set(quick_reply_id);
        Ok((chat, model.update(db).await?))
    }

    /// Sends an event to a chat's stream and to every operator working it.
    pub(crate) async fn tell_chat(
        &self,
        db: &impl ConnectionTrait,
        outbox: &mut Outbox,
        chat: &chat::Model,
        kind: EventKind,
        payload: serde_json::Value,
        now: DateTime<Utc>,
    ) -> Result<()> {
        outbox
            .to_chat(
                db,
                chat.organization_id,
                chat.id,
                kind,
                payload.clone(),
                now,
            )
            .await?;
        let participants = chat_participant::Entity::find()
            .filter(chat_participant::Column::ChatId.eq(chat.id))
            .filter(chat_participant::Column::State.eq(ParticipantState::Joined))
            .all(db)
            .await?;
        for participant in participants {
            outbox
                .to_operator(
                    db,
                    chat.organization_id,
                    participant.operator_id,
                    kind,
                    Some(chat.id),
                    payload.clone(),
                    now,
                )
                .await?;
        }
        Ok(())
    }

    /// Closes a chat with a wrap-up reason and optionally a result (D6). The owner's capacity
    /// frees after the after-chat work period (X6); a scheduled status applies when the last
    /// chat is done (B2).
    async fn close_chat_once(&self, actor: &Actor, input: CloseChatInput) -> Result<chat::Model> {
        actor.operator()?;
        check(&input)?;
        let (me, _) = actor.operator()?;
        let now = self.now();
        let tx = self.write().await?;
        let chat = self.owned_chat(&tx, actor, input.chat_id, true).await?;
        match self
            .wrap_up_reason(&tx, actor, input.wrap_up_reason_id)
            .await
        {
            Ok(reason) if reason.archived_at.is_none() && !reason.is_system => {}
            Ok(_) | Err(DomainError::NotFound { .. }) => {
                return Err(DomainError::validation(
                    "wrapUpReasonId",
                    "No such wrap-up reason",
                ));
            }
            Err(other) => return Err(other),
        }
        if let Some(result_id) = input.result_id {
            match self.chat_result(&tx, actor, result_id).await {
                Ok(result) if result.archived_at.is_none() => {}
                Ok(_) | Err(DomainError::NotFound { .. }) => {
                    return Err(DomainError::validation("resultId", "No such chat result"));
                }
                Err(other) => return Err(other),
            }
        }
        let mut outbox = Outbox::new();
        let closed = self
            .complete(
                &tx,
                &mut outbox,
                &chat,
                ClosedByKind::Operator,
                Some(me),
                input.wrap_up_reason_id,
                input.result_id,
                input.result_detail,
                now,
            )
            .await?;
        self.commit(tx, outbox).await?;
        Ok(closed)
    }

    /// Completes a chat and frees its owner.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn complete(
        &self,
        db: &impl ConnectionTrait,
        outbox: &mut Outbox,
        chat: &chat::Model,
        by_kind: ClosedByKind,
        by: Option<OperatorId>,
        wrap_up_reason_id: WrapUpReasonId,
        result_id: Option<ChatResultId>,
        result_detail: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<chat::Model> {
        let mut model: chat::ActiveModel = chat.clone().into();
        model.status = Set(ChatStatus::Completed);
        model.closed_at = Set(Some(now));
        model.closed_by_kind = Set(Some(by_kind));
        model.closed_by_operator_id = Set(by);
        model.wrap_up_reason_id = Set(Some(wrap_up_reason_id));
        model.result_id = Set(result_id);
        model.result_detail = Set(result_detail
            .map(|d| d.trim().to_owned())
            .filter(|d| !d.is_empty()));
        model.traffic_light = Set(TrafficLight::None);
        model.traffic_light_changes_at = Set(None);
        model.waiting_since = Set(None);
        model.auto_close_at = Set(None);
        model.updated_at = Set(now);
        let closed = model.update(db).await?;
        if matches!(chat.status, ChatStatus::Queued | ChatStatus::Bot) {
            self.tell_queue(db, outbox, chat, EventKind::ChatDequeued, now)
                .await?;
        }
        end_assignment(
            db,
            chat.id,
            AssignmentEnd::Closed,
            Some(wrap_up_reason_id),
            now,
        )
        .await?;
        self.tell_chat(
            db,
            outbox,
            &closed,
            EventKind::ChatUpdated,
            json!({ "status": ChatStatus::Completed }),
            now,
        )
        .await?;
        leave_chat(db, chat.id, now).await?;
        if let Some(owner) = chat.operator_id {
            outbox
                .to_operator(
                    db,
                    chat.organization_id,
                    owner,
                    EventKind::ChatUnassigned,
                    Some(chat.id),
                    json!({ "reason": "CLOSED" }),
                    now,
                )
                .await?;
            let settings = self.settings_of(db, chat.organization_id).await?;
            if settings.after_chat_work_secs > 0 {
                let until = now + Duration::seconds(i64::from(settings.after_chat_work_secs));
                operator::Entity::update_many()
                    .col_expr(operator::Column::AfterWorkUntil, Expr::value(until))
                    .filter(operator::Column::Id.eq(owner))
                    .exec(db)
                    .await?;
            }
            self.free_capacity(db, outbox, owner, now).await?;
        }
        self.queue_webhooks(db, outbox, WebhookEvent::ChatClosed, &closed, now)
            .await?;
        self.queue_close_process(db, outbox, &closed, now).await?;
        Ok(closed)
    }

    /// Ends after-chat work whose time is up and offers waiting chats (X6; run by the scheduler).
    pub async fn end_after_chat_work(&self) -> Result<usize> {
        let now = self.now();
        let due = crate::routing::find_due(
            &self.db,
            operator::Entity::find().filter(operator::Column::AfterWorkUntil.lte(now)),
        )
        .await?;
        let mut count = 0;
        for candidate in due {
            let tx = self.write().await?;
            let Some(op) = lock_operator(&tx, candidate.id).await? else {
                continue;
            };
            if op.after_work_until.is_none_or(|until| until > now) {
                continue;
            }
            let mut model: operator::ActiveModel = op.clone().into();
            model.after_work_until = Set(None);
            model.update(&tx).await?;
            let mut outbox = Outbox::new();
            outbox
                .to_operator(
                    &tx,
                    op.organization_id,
                    op.id,
                    EventKind::OperatorUpdated,
                    None,
                    json!({ "afterChatWork": false }),
                    now,
                )
                .await?;
            self.route_waiting_for(&tx, &mut outbox, op.id, now).await?;
            self.commit(tx, outbox).await?;
            count += 1;
        }
        Ok(count)
    }

    /// The caller's Active list (invitations and open chats) or Closed list (the last 10; D2).
    pub async fn my_chats(&self, actor: &Actor, tab: ChatTab) -> Result<Vec<chat::Model>> {
        let (me, _) = actor.operator()?;
        let query =
            chat::Entity::find().filter(chat::Column::OrganizationId.eq(actor.organization_id));
        Ok(match tab {
            ChatTab::Active => {
                query
                    .filter(chat::Column::OperatorId.eq(me))
                    .filter(chat::Column::Status.is_in(ACTIVE))
                    .order_by_asc(chat::Column::CreatedAt)
                    .all(&self.db)
                    .await?
            }
            ChatTab::Closed => {
                query
                    .filter(chat::Column::Status.eq(ChatStatus::Completed))
                    .filter(
                        Condition::any()
                            .add(chat::Column::OperatorId.eq(me))
                            .add(chat::Column::ClosedByOperatorId.eq(me)),
                    )
                    .order_by_desc(chat::Column::ClosedAt)
                    .order_by_desc(chat::Column::Id)
                    .limit(10)
                    .all(&self.db)
                    .await?
            }
        })
    }

    /// Chats waiting in queues the caller sees (A2): operators and supervisors their own
    /// queues', managers and above every queue's. Head of the queue first.
    pub async fn unassigned_chats(
        &self,
        actor: &Actor,
        first: u64,
        after: Option<WaitingCursor>,
    ) -> Result<WaitingPage> {
        let mut query = self.in_queues_seen_by(actor, ChatStatus::Queued).await?;
        if let Some(cursor) = after {
            query = query.filter(cursor.behind());
        }
        let mut chats = query
            .order_by_desc(chat::Column::QueuePriority)
            .order_by_asc(chat::Column::QueuedAt)
            .order_by_asc(chat::Column::Id)
            .limit(first + 1)
            .all(&self.db)
            .await?;
        let has_next = chats.len() as u64 > first;
        chats.truncate(first as usize);
        Ok(WaitingPage { chats, has_next })
    }

    /// Chats the bot is still handling in queues the caller sees, newest first: those an
    /// operator may take over (D1).
    pub async fn bot_chats(
        &self,
        actor: &Actor,
        first: u64,
        after: Option<HistoryCursor>,
    ) -> Result<(Vec<chat::Model>, bool)> {
        actor.operator()?;
        let query = self.in_queues_seen_by(actor, ChatStatus::Bot).await?;
        crate::history::newest_first(&self.db, query, first, after).await
    }

    /// The organization's chats in `status` in the queues the caller sees (A2): operators and
    /// supervisors their own queues', managers and above (and API keys) every queue's.
    async fn in_queues_seen_by(
        &self,
        actor: &Actor,
        status: ChatStatus,
    ) -> Result<sea_orm::Select<chat::Entity>> {
        let query = chat::Entity::find()
            .filter(chat::Column::OrganizationId.eq(actor.organization_id))
            .filter(chat::Column::Status.eq(status));
        let Principal::Operator { id, role, .. } = actor.principal else {
            return Ok(query);
        };
        if role.at_least(Role::Manager) {
            return Ok(query);
        }
        let queues: Vec<QueueId> = queue_member::Entity::find()
            .filter(queue_member::Column::OperatorId.eq(id))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|m| m.queue_id)
            .collect();
        Ok(query.filter(chat::Column::QueueId.is_in(queues)))
    }

    /// A chat's routing decisions, newest first (supervisors and above; X2).
    pub async fn routing_decisions(
        &self,
        actor: &Actor,
        chat_id: ChatId,
    ) -> Result<Vec<routing_decision::Model>> {
        actor.require_role(Role::Supervisor)?;
        self.visible_chat(&self.db, actor, chat_id).await?;
        Ok(routing_decision::Entity::find()
            .filter(routing_decision::Column::ChatId.eq(chat_id))
            .order_by_desc(routing_decision::Column::DecidedAt)
            .order_by_desc(routing_decision::Column::Id)
            .all(&self.db)
            .await?)
    }

    /// A page of a chat's messages, oldest first; whispers only for operators (X5).
    pub async fn messages(
        &self,
        chat_id: ChatId,
        first: u64,
        after: Option<(DateTime<Utc>, MessageId)>,
        include_whispers: bool,
    ) -> Result<(Vec<message::Model>, bool)> {
        let mut query = message::Entity::find().filter(message::Column::ChatId.eq(chat_id));
        if !include_whispers {
            query = query.filter(message::Column::IsWhisper.eq(false));
        }
        if let Some((at, id)) = after {
            query = query.filter(crate::page::after(
                message::Column::CreatedAt,
                message::Column::Id,
                at,
                id,
                crate::page::Order::OldestFirst,
            ));
        }
        crate::page::read(
            &self.db,
            query,
            (message::Column::CreatedAt, message::Column::Id),
            crate::page::Order::OldestFirst,
            first,
        )
        .await
    }

    /// Runs every due timer once: missed invitations, after-chat work, idle operators, traffic
    /// lights, auto-close.
    pub async fn run_due(&self) -> Result<usize> {
        let fired = self.expire_invitations().await?
            + self.end_after_chat_work().await?
            + self.expire_idle_operators().await?
            + self.advance_traffic_lights().await?
            + self.auto_close_chats().await?;
        // Retries of outbound deliveries may have come due too.
        self.deliveries_due.notify_one();
        Ok(fired)
    }

    /// The organization's wrap-up reasons and results as a lookup (for lists of chats).
    pub async fn wrap_up_reason_by_id(
        &self,
        id: WrapUpReasonId,
    ) -> Result<Option<wrap_up_reason::Model>> {
        Ok(wrap_up_reason::Entity::find_by_id(id).one(&self.db).await?)
    }

    pub async fn chat_result_by_id(&self, id: ChatResultId) -> Result<Option<chat_result::Model>> {
        Ok(chat_result::Entity::find_by_id(id).one(&self.db).await?)
    }
}

/// The public calls, each retried when it lost a race (see [`Domain::retry`]).
impl Domain {
    /// The chatbot hands a conversation over; the customer is matched to a CRM contact first,
    /// outside the transaction (H1).
    pub async fn hand_off_chat(
        &self,
        actor: &Actor,
        input: HandOffChatInput,
    ) -> Result<chat::Model> {
        actor.require_scope(ApiKeyScope::Chatbot)?;
        check(&input)?;
        let matching = self
            .match_contact(actor.organization_id, input.source, &input.customer)
            .await;
        self.retry(|| self.hand_off_chat_once(actor, input.clone(), &matching))
            .await
    }

    pub async fn accept_chat(&self, actor: &Actor, input: ChatIdInput) -> Result<chat::Model> {
        self.retry(|| self.accept_chat_once(actor, input.clone()))
            .await
    }

    pub async fn decline_chat(&self, actor: &Actor, input: ChatIdInput) -> Result<chat::Model> {
        self.retry(|| self.decline_chat_once(actor, input.clone()))
            .await
    }

    pub async fn assign_chat(&self, actor: &Actor, input: AssignChatInput) -> Result<chat::Model> {
        self.retry(|| self.assign_chat_once(actor, input.clone()))
            .await
    }

    pub async fn send_message(
        &self,
        actor: &Actor,
        input: SendMessageInput,
    ) -> Result<message::Model> {
        self.retry(|| self.send_message_once(actor, input.clone()))
            .await
    }

    pub async fn close_chat(&self, actor: &Actor, input: CloseChatInput) -> Result<chat::Model> {
        self.retry(|| self.close_chat_once(actor, input.clone()))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
