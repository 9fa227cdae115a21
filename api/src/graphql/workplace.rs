//! The operator workplace in GraphQL: chats, messages, presence, routing decisions and the live
//! event streams (B, C, D, X1, X2).

use std::collections::VecDeque;

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{Context, Json, Object, SimpleObject, Subscription};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use futures_util::Stream;
use omnipanel_domain::chat::{
    AssignChatInput, ChatIdInput, ChatTab, CloseChatInput, HandOffChatInput, Variable,
    WaitingCursor,
};
use omnipanel_domain::chat::{ChatFilter, HistoryCursor};
use omnipanel_domain::chat::{InviteToConferenceInput, TransferChatInput};
use omnipanel_domain::conversation::SendMessageInput;
use omnipanel_domain::conversation::{
    AddNoteInput, MuteCustomerInput, PostCustomerMessageInput, SetChatTagsInput, SetChatTopicInput,
    UpdateNoteInput,
};
use omnipanel_domain::crm::{ChatUrlContext, fill_url};
use omnipanel_domain::entity::{
    chat, chat_assignment, chat_participant, customer, event, message, note, routing_decision,
};
use omnipanel_domain::enums::*;
use omnipanel_domain::events;
use omnipanel_domain::ids::*;
use omnipanel_domain::presence::{ScheduleMyNextStatusInput, SetCallStateInput, SetMyStatusInput};
use omnipanel_domain::routing::{Candidate, SkipReason};
use omnipanel_domain::{Actor, Domain, DomainError};
use tokio::sync::broadcast::error::RecvError;

use super::loaders::{ChatsOf, FilesOfChat, HistoryOf, NotesOf, ParticipantsOf, TagsOf};
use super::types::{ChatResult, Operator, Queue, Topic, WrapUpReason};
use super::{Gql, actor, domain, loader, masking, to_gql};

/// The most items one page of a connection returns.
const MAX_PAGE: i32 = 100;

pub(super) fn page_size(first: Option<i32>, default: i32) -> async_graphql::Result<u64> {
    match first.unwrap_or(default) {
        n if (1..=MAX_PAGE).contains(&n) => Ok(n as u64),
        _ => Err(to_gql(DomainError::validation(
            "first",
            "must be between 1 and 100",
        ))),
    }
}

pub(super) fn encode_cursor<T: serde::Serialize>(value: &T) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap_or_default())
}

pub(super) fn decode_cursor<T: serde::de::DeserializeOwned>(
    cursor: &str,
) -> async_graphql::Result<T> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| {
            to_gql(DomainError::validation(
                "after",
                "is not a cursor this list gave out",
            ))
        })
}

/// A customer as operators see them: masked when the organization says so (K1).
pub struct Customer(pub customer::Model);

impl Customer {
    async fn masked(
        &self,
        ctx: &Context<'_>,
        value: Option<&str>,
    ) -> async_graphql::Result<Option<String>> {
        Ok(masking(ctx, self.0.organization_id).await?.apply_opt(value))
    }
}

#[Object]
impl Customer {
    async fn id(&self) -> CustomerId {
        self.0.id
    }
    /// "Client #N" numbering within the organization.
    async fn number(&self) -> i64 {
        self.0.number
    }
    /// The phone, or else "Client #N" (D3).
    async fn display_name(&self, ctx: &Context<'_>) -> async_graphql::Result<String> {
        let name = omnipanel_domain::customer::display_name(&self.0);
        Ok(self.masked(ctx, Some(&name)).await?.unwrap_or(name))
    }
    /// The name the customer gave; a name that is a phone number is masked like one.
    async fn name(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        self.masked(ctx, self.0.name.as_deref()).await
    }
    async fn phone(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        self.masked(ctx, self.0.phone.as_deref()).await
    }
    async fn email(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        self.masked(ctx, self.0.email.as_deref()).await
    }
    /// The CRM contact the customer is linked to.
    async fn crm_contact_id(&self) -> Option<&str> {
        self.0.crm_contact_id.as_deref()
    }
}

/// An operator's part in a chat.
pub struct Participant(pub chat_participant::Model);

#[Object]
impl Participant {
    async fn operator(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Operator>> {
        Ok(loader(ctx)
            .load_one(self.0.operator_id)
            .await?
            .map(Operator::of))
    }
    async fn role(&self) -> ParticipantRole {
        self.0.role
    }
    /// INVITED ("requested"), JOINED or LEFT.
    async fn state(&self) -> ParticipantState {
        self.0.state
    }
    async fn invited_at(&self) -> DateTime<Utc> {
        self.0.invited_at
    }
    async fn joined_at(&self) -> Option<DateTime<Utc>> {
        self.0.joined_at
    }
    async fn left_at(&self) -> Option<DateTime<Utc>> {
        self.0.left_at
    }
}

/// A note an operator left on a chat (D8).
pub struct Note(pub note::Model);

#[Object]
impl Note {
    async fn id(&self) -> NoteId {
        self.0.id
    }
    async fn text(&self) -> &str {
        &self.0.text
    }
    async fn author(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Operator>> {
        Ok(loader(ctx)
            .load_one(self.0.operator_id)
            .await?
            .map(Operator::of))
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// A message in a chat.
pub struct Message(pub message::Model);

#[Object]
impl Message {
    async fn id(&self) -> MessageId {
        self.0.id
    }
    async fn chat_id(&self) -> ChatId {
        self.0.chat_id
    }
    async fn author_kind(&self) -> AuthorKind {
        self.0.author_kind
    }
    /// The operator who wrote it (OPERATOR messages).
    async fn author(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Operator>> {
        match self.0.author_operator_id {
            Some(id) => Ok(loader(ctx).load_one(id).await?.map(Operator::of)),
            None => Ok(None),
        }
    }
    /// The text; what the customer's side wrote is masked for operators when the organization
    /// says so (K1).
    async fn text(&self, ctx: &Context<'_>) -> async_graphql::Result<String> {
        if matches!(self.0.author_kind, AuthorKind::Customer | AuthorKind::Bot) {
            Ok(masking(ctx, self.0.organization_id)
                .await?
                .apply(&self.0.text))
        } else {
            Ok(self.0.text.clone())
        }
    }
    /// Seen by operators only (X5).
    async fn is_whisper(&self) -> bool {
        self.0.is_whisper
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// How far the message got to the customer (M2).
    /// The files the message carries (D4).
    async fn attachments(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<super::files::Attachment>> {
        let rows = loader(ctx)
            .load_one(FilesOfChat(self.0.chat_id))
            .await?
            .unwrap_or_default();
        Ok(rows
            .into_iter()
            .filter(|file| file.message_id == Some(self.0.id))
            .map(super::files::Attachment)
            .collect())
    }
    async fn delivery_state(&self) -> DeliveryState {
        self.0.delivery_state
    }
    /// Why delivery failed, when it did.
    async fn delivery_error(&self) -> Option<&str> {
        self.0.delivery_error.as_deref()
    }
}

/// One entry of a chat's responsibility history (E3).
pub struct Responsibility(pub chat_assignment::Model);

#[Object]
impl Responsibility {
    async fn kind(&self) -> AssignmentKind {
        self.0.kind
    }
    /// The responsible operator; none while the chat waited in a queue.
    async fn operator(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Operator>> {
        match self.0.operator_id {
            Some(id) => Ok(loader(ctx).load_one(id).await?.map(Operator::of)),
            None => Ok(None),
        }
    }
    async fn queue(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Queue>> {
        match self.0.queue_id {
            Some(id) => Ok(loader(ctx).load_one(id).await?.map(Queue)),
            None => Ok(None),
        }
    }
    /// Who made the assignment, for manual ones.
    async fn assigned_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Operator>> {
        match self.0.by_operator_id {
            Some(id) => Ok(loader(ctx).load_one(id).await?.map(Operator::of)),
            None => Ok(None),
        }
    }
    async fn started_at(&self) -> DateTime<Utc> {
        self.0.started_at
    }
    async fn accepted_at(&self) -> Option<DateTime<Utc>> {
        self.0.accepted_at
    }
    async fn ended_at(&self) -> Option<DateTime<Utc>> {
        self.0.ended_at
    }
    async fn end_reason(&self) -> Option<AssignmentEnd> {
        self.0.end_reason
    }
}

/// An operator as a routing decision saw them (X2).
pub struct RoutingCandidate(Candidate);

#[Object]
impl RoutingCandidate {
    async fn operator(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Operator>> {
        Ok(loader(ctx)
            .load_one(self.0.operator_id)
            .await?
            .map(Operator::of))
    }
    async fn status(&self) -> OperatorStatus {
        self.0.status
    }
    async fn on_call(&self) -> bool {
        self.0.on_call
    }
    /// Chats the operator had.
    async fn load(&self) -> i32 {
        self.0.load
    }
    async fn max_chats(&self) -> i32 {
        self.0.max_chats
    }
    /// Level in the queue's skill.
    async fn skill_level(&self) -> Option<i32> {
        self.0.skill_level.map(i32::from)
    }
    /// Why this operator was not chosen; null for the chosen one.
    async fn skipped(&self) -> Option<SkipReason> {
        self.0.skipped
    }
}

/// Why a chat went where it went (X2).
pub struct RoutingDecision(routing_decision::Model);

#[Object]
impl RoutingDecision {
    async fn trigger(&self) -> RoutingTrigger {
        self.0.trigger
    }
    async fn outcome(&self) -> RoutingOutcome {
        self.0.outcome
    }
    async fn decided_at(&self) -> DateTime<Utc> {
        self.0.decided_at
    }
    async fn chosen_operator(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Operator>> {
        match self.0.chosen_operator_id {
            Some(id) => Ok(loader(ctx).load_one(id).await?.map(Operator::of)),
            None => Ok(None),
        }
    }
    /// Every operator considered, best first.
    async fn candidates(&self) -> Vec<RoutingCandidate> {
        serde_json::from_value::<Vec<Candidate>>(self.0.candidates.clone())
            .unwrap_or_default()
            .into_iter()
            .map(RoutingCandidate)
            .collect()
    }
}

/// A conversation (D3).
pub struct Chat(pub chat::Model);

impl Chat {
    fn reply_policy(&self, ctx: &Context<'_>) -> omnipanel_domain::conversation::ReplyPolicy {
        omnipanel_domain::conversation::reply_policy(
            self.0.source,
            self.0.status,
            self.0.last_customer_message_at,
            domain(ctx).now(),
        )
    }
}

#[Object]
impl Chat {
    async fn id(&self) -> ChatId {
        self.0.id
    }
    async fn number(&self) -> i64 {
        self.0.number
    }
    /// "Chat-1042" or "OutgoingChat-17".
    async fn title(&self) -> String {
        omnipanel_domain::chat::title(self.0.direction, self.0.number)
    }
    async fn status(&self) -> ChatStatus {
        self.0.status
    }
    async fn direction(&self) -> ChatDirection {
        self.0.direction
    }
    async fn source(&self) -> ChatSource {
        self.0.source
    }
    async fn queue(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Queue>> {
        match self.0.queue_id {
            Some(id) => Ok(loader(ctx).load_one(id).await?.map(Queue)),
            None => Ok(None),
        }
    }
    async fn customer(&self, ctx: &Context<'_>) -> async_graphql::Result<Customer> {
        loader(ctx)
            .load_one(self.0.customer_id)
            .await?
            .map(Customer)
            .ok_or_else(|| to_gql(DomainError::not_found("customer")))
    }
    /// The responsible (or invited) operator.
    async fn operator(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Operator>> {
        match self.0.operator_id {
            Some(id) => Ok(loader(ctx).load_one(id).await?.map(Operator::of)),
            None => Ok(None),
        }
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When the chat last started waiting in its queue.
    async fn queued_at(&self) -> Option<DateTime<Utc>> {
        self.0.queued_at
    }
    /// Until when the current invitation may be accepted.
    async fn invitation_expires_at(&self) -> Option<DateTime<Utc>> {
        self.0.invitation_expires_at
    }
    async fn accepted_at(&self) -> Option<DateTime<Utc>> {
        self.0.accepted_at
    }
    async fn closed_at(&self) -> Option<DateTime<Utc>> {
        self.0.closed_at
    }
    /// Who closed the chat, when an operator did.
    async fn closed_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Operator>> {
        match self.0.closed_by_operator_id {
            Some(id) => Ok(loader(ctx).load_one(id).await?.map(Operator::of)),
            None => Ok(None),
        }
    }
    async fn closed_by_kind(&self) -> Option<ClosedByKind> {
        self.0.closed_by_kind
    }
    /// The last message's text (a preview), masked like the message.
    async fn last_message(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        let text = self.0.last_message_text.as_deref();
        if matches!(
            self.0.last_message_author_kind,
            Some(AuthorKind::Customer | AuthorKind::Bot)
        ) {
            Ok(masking(ctx, self.0.organization_id).await?.apply_opt(text))
        } else {
            Ok(text.map(str::to_owned))
        }
    }
    /// Who wrote the last message.
    async fn last_message_by(&self) -> Option<AuthorKind> {
        self.0.last_message_author_kind
    }
    async fn last_message_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_message_at
    }
    /// Since when the customer has been waiting for an answer; null when answered.
    async fn waiting_since(&self) -> Option<DateTime<Utc>> {
        self.0.waiting_since
    }
    /// The SLA colour now (F1), computed from the server's clock.
    async fn traffic_light(&self, ctx: &Context<'_>) -> async_graphql::Result<TrafficLight> {
        let settings = loader(ctx)
            .load_one(self.0.organization_id)
            .await?
            .ok_or_else(|| to_gql(DomainError::not_found("settings")))?;
        Ok(omnipanel_domain::chat::traffic_light(&self.0, &settings, domain(ctx).now()).0)
    }
    async fn topic(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Topic>> {
        match self.0.topic_id {
            Some(id) => Ok(loader(ctx).load_one(id).await?.map(Topic)),
            None => Ok(None),
        }
    }
    async fn subtopic(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Topic>> {
        match self.0.subtopic_id {
            Some(id) => Ok(loader(ctx).load_one(id).await?.map(Topic)),
            None => Ok(None),
        }
    }
    /// The bot's key/value variables (C1), values masked like messages.
    async fn variables(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Variable>> {
        let masking = masking(ctx, self.0.organization_id).await?;
        Ok(self
            .0
            .variables
            .as_object()
            .map(|map| {
                map.iter()
                    .map(|(key, value)| Variable {
                        key: key.clone(),
                        value: masking.apply(value.as_str().unwrap_or_default()),
                    })
                    .collect()
            })
            .unwrap_or_default())
    }
    /// Free tags (D9).
    async fn tags(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<String>> {
        Ok(loader(ctx)
            .load_one(TagsOf(self.0.id))
            .await?
            .unwrap_or_default())
    }
    /// Notes operators left, oldest first (D8).
    async fn notes(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Note>> {
        let rows = loader(ctx)
            .load_one(NotesOf(self.0.id))
            .await?
            .unwrap_or_default();
        Ok(rows.into_iter().map(Note).collect())
    }
    /// The customer's earlier chats, newest first (D10).
    async fn previous_chats(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Chat>> {
        let rows = loader(ctx)
            .load_one(ChatsOf(self.0.customer_id))
            .await?
            .unwrap_or_default();
        Ok(rows
            .into_iter()
            .filter(|c| c.id != self.0.id && c.created_at <= self.0.created_at)
            .map(Chat)
            .collect())
    }
    /// Whether the operator may type free text now (X4): the chat is open and its channel
    /// takes free text (WhatsApp: within 24 hours of the customer's last message).
    async fn can_reply(&self, ctx: &Context<'_>) -> bool {
        self.reply_policy(ctx).can_reply
    }
    /// When free text stops being accepted (WhatsApp's 24-hour window).
    async fn reply_window_expires_at(&self, ctx: &Context<'_>) -> Option<DateTime<Utc>> {
        self.reply_policy(ctx).reply_window_expires_at
    }
    /// Whether only an approved template may be sent now (X4).
    async fn requires_template(&self, ctx: &Context<'_>) -> bool {
        self.reply_policy(ctx).requires_template
    }
    /// Whether the customer is muted (D7).
    async fn muted(&self) -> bool {
        self.0.muted
    }
    /// The customer's score, 1 to 5 (G1).
    async fn rating(&self) -> Option<i32> {
        self.0.rating.map(i32::from)
    }
    async fn rating_comment(&self) -> Option<&str> {
        self.0.rating_comment.as_deref()
    }
    async fn wrap_up_reason(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<WrapUpReason>> {
        match self.0.wrap_up_reason_id {
            Some(id) => Ok(loader(ctx).load_one(id).await?.map(WrapUpReason)),
            None => Ok(None),
        }
    }
    async fn result(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<ChatResult>> {
        match self.0.result_id {
            Some(id) => Ok(loader(ctx).load_one(id).await?.map(ChatResult)),
            None => Ok(None),
        }
    }
    async fn result_detail(&self) -> Option<&str> {
        self.0.result_detail.as_deref()
    }
    /// The conversation, oldest first.
    async fn messages(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, Message, EmptyFields, EmptyFields>> {
        let first = page_size(first, 50)?;
        let after = after
            .map(|c| decode_cursor::<(DateTime<Utc>, MessageId)>(&c))
            .transpose()?;
        let has_previous = after.is_some();
        // Whispers are for operators only (X5); machine clients never see them.
        let include_whispers = actor(ctx)?.operator_id().is_some();
        let (rows, has_next) = domain(ctx)
            .conversation()
            .messages(self.0.id, first, after, include_whispers)
            .await
            .gql()?;
        let mut connection = Connection::new(has_previous, has_next);
        connection.edges.extend(
            rows.into_iter()
                .map(|row| Edge::new(encode_cursor(&(row.created_at, row.id)), Message(row))),
        );
        Ok(connection)
    }
    /// Every file of the chat, oldest first (D4).
    async fn attachments(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<super::files::Attachment>> {
        let rows = loader(ctx)
            .load_one(FilesOfChat(self.0.id))
            .await?
            .unwrap_or_default();
        Ok(rows.into_iter().map(super::files::Attachment).collect())
    }
    /// Operators in the chat: the owner, conference members, silent monitors (E2, X5).
    async fn participants(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Participant>> {
        let rows = loader(ctx)
            .load_one(ParticipantsOf(self.0.id))
            .await?
            .unwrap_or_default();
        Ok(rows.into_iter().map(Participant).collect())
    }
    /// The linked CRM contact (found from the customer's phone, e-mail or messenger id, or
    /// linked by an operator; H1).
    async fn contact_id(&self) -> Option<async_graphql::ID> {
        self.0.crm_contact_id.clone().map(async_graphql::ID)
    }
    /// The linked CRM account.
    async fn account_id(&self) -> Option<async_graphql::ID> {
        self.0.crm_account_id.clone().map(async_graphql::ID)
    }
    /// The linked CRM activity.
    async fn activity_id(&self) -> Option<async_graphql::ID> {
        self.0.crm_activity_id.clone().map(async_graphql::ID)
    }
    /// The linked CRM case (H2, H3).
    async fn case_id(&self) -> Option<async_graphql::ID> {
        self.0.crm_case_id.clone().map(async_graphql::ID)
    }
    /// The linked case's number.
    async fn case_number(&self) -> Option<&str> {
        self.0.crm_case_number.as_deref()
    }
    /// The chat card in the CRM, from the organization's template: what an invitation's
    /// "Open" opens (C5).
    async fn crm_url(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        let settings = loader(ctx)
            .load_one(self.0.organization_id)
            .await?
            .ok_or_else(|| to_gql(DomainError::not_found("settings")))?;
        Ok(settings.crm_chat_url_template.map(|template| {
            fill_url(
                &template,
                &ChatUrlContext {
                    chat_id: Some(self.0.id),
                    contact_id: self.0.crm_contact_id.as_deref(),
                    case_id: self.0.crm_case_id.as_deref(),
                    phone: None,
                },
            )
        }))
    }
    /// Every responsible operator and queue so far (E3).
    async fn responsible_history(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<Responsibility>> {
        let rows = loader(ctx)
            .load_one(HistoryOf(self.0.id))
            .await?
            .unwrap_or_default();
        Ok(rows.into_iter().map(Responsibility).collect())
    }
    /// Why the chat went where it went (supervisors and above; X2).
    async fn routing_decisions(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<RoutingDecision>> {
        let rows = domain(ctx)
            .routing()
            .routing_decisions(actor(ctx)?, self.0.id)
            .await
            .gql()?;
        Ok(rows.into_iter().map(RoutingDecision).collect())
    }
}

/// Something the signed-in operator's panel must redraw (X1).
pub struct WorkplaceEvent(event::Model);

#[Object]
impl WorkplaceEvent {
    /// The operator's own, gap-free sequence: ask `workplaceEventsSince(after:)` with the last
    /// one seen to catch up after a reconnect.
    async fn seq(&self) -> i64 {
        self.0.seq
    }
    /// What happened.
    async fn kind(&self) -> async_graphql::Result<EventKind> {
        event_kind(&self.0)
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn chat_id(&self) -> Option<ChatId> {
        self.0.chat_id
    }
    /// The chat as it is now, if the operator may still see it.
    async fn chat(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Chat>> {
        visible_chat(ctx, self.0.chat_id).await
    }
    /// The message as it is now, for MESSAGE_CREATED and MESSAGE_UPDATED.
    async fn message(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Message>> {
        event_message(ctx, &self.0).await
    }
    /// The signed-in operator as they are now (for status changes).
    async fn operator(&self, ctx: &Context<'_>) -> async_graphql::Result<Operator> {
        domain(ctx)
            .identity()
            .me(actor(ctx)?)
            .await
            .gql()
            .map(Operator::own)
    }
    /// Details of the change (status, reason, deadline).
    async fn payload(&self) -> Json<serde_json::Value> {
        Json(self.0.payload.clone())
    }
}

/// The message an event names (`payload.messageId`), within the event's organization.
async fn event_message(
    ctx: &Context<'_>,
    event: &event::Model,
) -> async_graphql::Result<Option<Message>> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let Some(id) = event
        .payload
        .get("messageId")
        .and_then(|v| v.as_str())
        .and_then(|s| s.parse::<MessageId>().ok())
    else {
        return Ok(None);
    };
    Ok(message::Entity::find_by_id(id)
        .filter(message::Column::OrganizationId.eq(event.organization_id))
        .one(&domain(ctx).db)
        .await
        .map_err(|e| to_gql(e.into()))?
        .map(Message))
}

/// A change of one chat (`chatEvents`).
pub struct ChatEvent(event::Model);

#[Object]
impl ChatEvent {
    /// The chat's own, gap-free sequence.
    async fn seq(&self) -> i64 {
        self.0.seq
    }
    /// What happened.
    async fn kind(&self) -> async_graphql::Result<EventKind> {
        event_kind(&self.0)
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn chat(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Chat>> {
        visible_chat(ctx, self.0.chat_id).await
    }
    /// The message, for MESSAGE_CREATED and MESSAGE_UPDATED.
    async fn message(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Message>> {
        event_message(ctx, &self.0).await
    }
    async fn payload(&self) -> Json<serde_json::Value> {
        Json(self.0.payload.clone())
    }
}

/// Loads every relation a list of chats may ask for, one query per relation, before the fields
/// resolve: the DataLoader batches by time, which a slow moment can split; priming cannot.
async fn prime(ctx: &Context<'_>, chats: &[chat::Model]) -> async_graphql::Result<()> {
    let loader = loader(ctx);
    // Keys are collected first: iterator closures held across an await are not `Send`.
    let queue_ids: Vec<QueueId> = chats.iter().filter_map(|c| c.queue_id).collect();
    let histories: Vec<HistoryOf> = chats.iter().map(|c| HistoryOf(c.id)).collect();
    let customers: Vec<CustomerId> = chats.iter().map(|c| c.customer_id).collect();
    let organizations: Vec<OrganizationId> = chats.iter().map(|c| c.organization_id).collect();
    let topics: Vec<TopicId> = chats
        .iter()
        .flat_map(|c| [c.topic_id, c.subtopic_id])
        .flatten()
        .collect();
    let reasons: Vec<WrapUpReasonId> = chats.iter().filter_map(|c| c.wrap_up_reason_id).collect();
    let results: Vec<ChatResultId> = chats.iter().filter_map(|c| c.result_id).collect();
    let (queues, histories, ..) = futures_util::try_join!(
        loader.load_many(queue_ids),
        loader.load_many(histories),
        loader.load_many(customers),
        loader.load_many(organizations),
        loader.load_many(topics),
        loader.load_many(reasons),
        loader.load_many(results),
        loader.load_many(chats.iter().map(|c| TagsOf(c.id)).collect::<Vec<_>>()),
    )?;
    let history: Vec<_> = histories.into_values().flatten().collect();
    let operators: Vec<OperatorId> = chats
        .iter()
        .flat_map(|c| [c.operator_id, c.closed_by_operator_id])
        .chain(
            history
                .iter()
                .flat_map(|h| [h.operator_id, h.by_operator_id]),
        )
        .flatten()
        .collect();
    let more_queues: Vec<QueueId> = history.iter().filter_map(|h| h.queue_id).collect();
    let skills: Vec<SkillId> = queues.values().filter_map(|q| q.skill_id).collect();
    futures_util::try_join!(
        loader.load_many(operators),
        loader.load_many(more_queues),
        loader.load_many(skills)
    )?;
    Ok(())
}

/// An outbox event's kind as the enum it was written from.
fn event_kind(event: &event::Model) -> async_graphql::Result<EventKind> {
    use sea_orm::ActiveEnum;
    EventKind::try_from_value(&event.kind).map_err(|e| to_gql(DomainError::Db(e)))
}

async fn visible_chat(
    ctx: &Context<'_>,
    id: Option<ChatId>,
) -> async_graphql::Result<Option<Chat>> {
    let Some(id) = id else { return Ok(None) };
    let domain = domain(ctx);
    match domain
        .chats()
        .visible_chat(&domain.db, actor(ctx)?, id)
        .await
    {
        Ok(found) => Ok(Some(Chat(found))),
        Err(DomainError::NotFound { .. }) => Ok(None),
        Err(other) => Err(to_gql(other)),
    }
}

#[derive(Default)]
pub struct WorkplaceQuery;

#[Object]
impl WorkplaceQuery {
    /// A chat the caller may see; null otherwise (A1, A2).
    async fn chat(&self, ctx: &Context<'_>, id: ChatId) -> async_graphql::Result<Option<Chat>> {
        visible_chat(ctx, Some(id)).await
    }

    /// The caller's Active list (invitations and open chats) or Closed list (the last 10; D2).
    async fn my_chats(&self, ctx: &Context<'_>, tab: ChatTab) -> async_graphql::Result<Vec<Chat>> {
        let rows = domain(ctx).chats().my_chats(actor(ctx)?, tab).await.gql()?;
        prime(ctx, &rows).await?;
        Ok(rows.into_iter().map(Chat).collect())
    }

    /// Chats waiting in the queues the caller sees, head of the queue first (D2, A2).
    async fn unassigned_chats(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, Chat, EmptyFields, EmptyFields>> {
        let first = page_size(first, 20)?;
        let after = after
            .map(|c| decode_cursor::<WaitingCursor>(&c))
            .transpose()?;
        let has_previous = after.is_some();
        let page = domain(ctx)
            .chats()
            .unassigned_chats(actor(ctx)?, first, after)
            .await
            .gql()?;
        prime(ctx, &page.chats).await?;
        let mut connection = Connection::new(has_previous, page.has_next);
        connection.edges.extend(
            page.chats
                .into_iter()
                .map(|chat| Edge::new(encode_cursor(&WaitingCursor::of(&chat)), Chat(chat))),
        );
        Ok(connection)
    }

    /// Chats the bot is still handling in the queues the caller sees, newest first: those an
    /// operator may take over (D1).
    async fn bot_chats(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, Chat, EmptyFields, EmptyFields>> {
        let first = page_size(first, 20)?;
        let after = after
            .map(|c| decode_cursor::<HistoryCursor>(&c))
            .transpose()?;
        let has_previous = after.is_some();
        let (rows, has_next) = domain(ctx)
            .chats()
            .bot_chats(actor(ctx)?, first, after)
            .await
            .gql()?;
        newest_first(ctx, rows, has_previous, has_next).await
    }

    /// Chat history, newest first: every chat the caller may see, with filters (J1, G2).
    async fn chats(
        &self,
        ctx: &Context<'_>,
        filter: Option<ChatFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, Chat, EmptyFields, EmptyFields>> {
        let first = page_size(first, 20)?;
        let after = after
            .map(|c| decode_cursor::<HistoryCursor>(&c))
            .transpose()?;
        let has_previous = after.is_some();
        let (rows, has_next) = domain(ctx)
            .chats()
            .chat_history(actor(ctx)?, filter.unwrap_or_default(), first, after)
            .await
            .gql()?;
        newest_first(ctx, rows, has_previous, has_next).await
    }

    /// A chat's routing decisions, newest first (supervisors and above; X2).
    async fn routing_decisions(
        &self,
        ctx: &Context<'_>,
        chat_id: ChatId,
    ) -> async_graphql::Result<Vec<RoutingDecision>> {
        let rows = domain(ctx)
            .routing()
            .routing_decisions(actor(ctx)?, chat_id)
            .await
            .gql()?;
        Ok(rows.into_iter().map(RoutingDecision).collect())
    }

    /// The caller's latest workplace event sequence number (0 before the first). A panel reads
    /// it, then loads its lists, then follows `workplaceEvents(after:)` from it: nothing that
    /// happens in between is missed.
    async fn workplace_event_seq(&self, ctx: &Context<'_>) -> async_graphql::Result<i64> {
        let (me, _) = actor(ctx)?.operator().gql()?;
        events::latest_seq(&domain(ctx).db, RecipientKind::Operator, me.0)
            .await
            .gql()
    }

    /// The caller's events after sequence `after`, oldest first (at most 500): what a
    /// reconnecting panel missed (X1).
    async fn workplace_events_since(
        &self,
        ctx: &Context<'_>,
        after: i64,
    ) -> async_graphql::Result<Vec<WorkplaceEvent>> {
        let (me, _) = actor(ctx)?.operator().gql()?;
        let rows = events::since(&domain(ctx).db, RecipientKind::Operator, me.0, after, 500)
            .await
            .gql()?;
        Ok(rows.into_iter().map(WorkplaceEvent).collect())
    }

    /// The side iframe for a chat the caller sees: the administrator's URL template filled with
    /// the chat's context (L1); null when the organization has none.
    async fn integration_slot(
        &self,
        ctx: &Context<'_>,
        chat_id: ChatId,
    ) -> async_graphql::Result<Option<IntegrationSlot>> {
        let slot = domain(ctx)
            .crm()
            .integration_slot(actor(ctx)?, chat_id)
            .await
            .gql()?;
        Ok(slot.map(|slot| IntegrationSlot {
            url: slot.url,
            origin: slot.origin,
        }))
    }
}

/// A page of chats listed newest first, their relations primed, each with its keyset cursor.
async fn newest_first(
    ctx: &Context<'_>,
    rows: Vec<chat::Model>,
    has_previous: bool,
    has_next: bool,
) -> async_graphql::Result<Connection<String, Chat, EmptyFields, EmptyFields>> {
    prime(ctx, &rows).await?;
    let mut connection = Connection::new(has_previous, has_next);
    connection.edges.extend(rows.into_iter().map(|chat| {
        let cursor = encode_cursor(&HistoryCursor {
            created_at: chat.created_at,
            id: chat.id,
        });
        Edge::new(cursor, Chat(chat))
    }));
    Ok(connection)
}

/// The integration slot of a chat (L1).
#[derive(SimpleObject)]
pub struct IntegrationSlot {
    /// The URL to frame, with the chat id, CRM contact id, case id and phone filled in.
    pub url: String,
    /// The origin it belongs to (the panel frames nothing else).
    pub origin: String,
}

#[derive(SimpleObject)]
pub struct ChatPayload {
    pub chat: Chat,
}

#[derive(SimpleObject)]
pub struct MessagePayload {
    pub message: Message,
}

#[derive(SimpleObject)]
pub struct NotePayload {
    pub note: Note,
}

#[derive(SimpleObject)]
pub struct StatusPayload {
    pub operator: Operator,
}

#[derive(Default)]
pub struct WorkplaceMutation;

#[Object]
impl WorkplaceMutation {
    /// The chatbot hands a conversation to operators (chatbot API key; C1). The chat is routed
    /// at once or waits in its queue.
    async fn hand_off_chat(
        &self,
        ctx: &Context<'_>,
        input: HandOffChatInput,
    ) -> async_graphql::Result<ChatPayload> {
        let chat = domain(ctx)
            .chats()
            .hand_off_chat(actor(ctx)?, input)
            .await
            .gql()?;
        Ok(ChatPayload { chat: Chat(chat) })
    }

    /// Accepts an invitation (C5).
    async fn accept_chat(
        &self,
        ctx: &Context<'_>,
        input: ChatIdInput,
    ) -> async_graphql::Result<ChatPayload> {
        let chat = domain(ctx)
            .chats()
            .accept_chat(actor(ctx)?, input)
            .await
            .gql()?;
        Ok(ChatPayload { chat: Chat(chat) })
    }

    /// Declines an invitation; the chat is offered to someone else (C5).
    async fn decline_chat(
        &self,
        ctx: &Context<'_>,
        input: ChatIdInput,
    ) -> async_graphql::Result<ChatPayload> {
        let chat = domain(ctx)
            .chats()
            .decline_chat(actor(ctx)?, input)
            .await
            .gql()?;
        Ok(ChatPayload { chat: Chat(chat) })
    }

    /// Assigns a waiting chat: supervisors and above to anyone, operators to themselves (C4).
    async fn assign_chat(
        &self,
        ctx: &Context<'_>,
        input: AssignChatInput,
    ) -> async_graphql::Result<ChatPayload> {
        let chat = domain(ctx)
            .chats()
            .assign_chat(actor(ctx)?, input)
            .await
            .gql()?;
        Ok(ChatPayload { chat: Chat(chat) })
    }

    /// Writes to the customer (D4).
    async fn send_message(
        &self,
        ctx: &Context<'_>,
        input: SendMessageInput,
    ) -> async_graphql::Result<MessagePayload> {
        let message = domain(ctx)
            .conversation()
            .send_message(actor(ctx)?, input)
            .await
            .gql()?;
        Ok(MessagePayload {
            message: Message(message),
        })
    }

    /// Closes a chat with a wrap-up reason and optionally a result (D6).
    async fn close_chat(
        &self,
        ctx: &Context<'_>,
        input: CloseChatInput,
    ) -> async_graphql::Result<ChatPayload> {
        let chat = domain(ctx)
            .chats()
            .close_chat(actor(ctx)?, input)
            .await
            .gql()?;
        Ok(ChatPayload { chat: Chat(chat) })
    }

    /// A message from the customer's side: the chatbot posts the customer's messages and its
    /// own while it has the chat (chatbot API key).
    async fn post_customer_message(
        &self,
        ctx: &Context<'_>,
        input: PostCustomerMessageInput,
    ) -> async_graphql::Result<MessagePayload> {
        let message = domain(ctx)
            .conversation()
            .post_customer_message(actor(ctx)?, input)
            .await
            .gql()?;
        Ok(MessagePayload {
            message: Message(message),
        })
    }

    /// Takes a chat over from the bot (D1); the customer is greeted with the admin's template.
    async fn take_over_chat(
        &self,
        ctx: &Context<'_>,
        input: ChatIdInput,
    ) -> async_graphql::Result<ChatPayload> {
        let chat = domain(ctx)
            .chats()
            .take_over_chat(actor(ctx)?, input.chat_id)
            .await
            .gql()?;
        Ok(ChatPayload { chat: Chat(chat) })
    }

    /// Mutes or unmutes a spamming customer (D7).
    async fn mute_customer(
        &self,
        ctx: &Context<'_>,
        input: MuteCustomerInput,
    ) -> async_graphql::Result<ChatPayload> {
        let chat = domain(ctx)
            .conversation()
            .mute_customer(actor(ctx)?, input)
            .await
            .gql()?;
        Ok(ChatPayload { chat: Chat(chat) })
    }

    /// Adds the caller's note to a chat assigned to them (D8).
    async fn add_note(
        &self,
        ctx: &Context<'_>,
        input: AddNoteInput,
    ) -> async_graphql::Result<NotePayload> {
        let note = domain(ctx)
            .conversation()
            .add_note(actor(ctx)?, input)
            .await
            .gql()?;
        Ok(NotePayload { note: Note(note) })
    }

    /// Edits the caller's note while the chat is still theirs (D8).
    async fn update_note(
        &self,
        ctx: &Context<'_>,
        input: UpdateNoteInput,
    ) -> async_graphql::Result<NotePayload> {
        let note = domain(ctx)
            .conversation()
            .update_note(actor(ctx)?, input)
            .await
            .gql()?;
        Ok(NotePayload { note: Note(note) })
    }

    /// Sets or clears a chat's topic and subtopic (D9).
    async fn set_chat_topic(
        &self,
        ctx: &Context<'_>,
        input: SetChatTopicInput,
    ) -> async_graphql::Result<ChatPayload> {
        let chat = domain(ctx)
            .conversation()
            .set_chat_topic(actor(ctx)?, input)
            .await
            .gql()?;
        Ok(ChatPayload { chat: Chat(chat) })
    }

    /// Replaces a chat's tags (D9).
    async fn set_chat_tags(
        &self,
        ctx: &Context<'_>,
        input: SetChatTagsInput,
    ) -> async_graphql::Result<ChatPayload> {
        let chat_id = input.chat_id;
        domain(ctx)
            .conversation()
            .set_chat_tags(actor(ctx)?, input)
            .await
            .gql()?;
        let domain = domain(ctx);
        let chat = domain
            .chats()
            .visible_chat(&domain.db, actor(ctx)?, chat_id)
            .await
            .gql()?;
        Ok(ChatPayload { chat: Chat(chat) })
    }

    /// Transfers an accepted chat to an operator, a queue or a bot scheme (E1).
    async fn transfer_chat(
        &self,
        ctx: &Context<'_>,
        input: TransferChatInput,
    ) -> async_graphql::Result<ChatPayload> {
        let chat = domain(ctx)
            .chats()
            .transfer_chat(actor(ctx)?, input)
            .await
            .gql()?;
        Ok(ChatPayload { chat: Chat(chat) })
    }

    /// Invites a colleague into the chat (E2).
    async fn invite_to_conference(
        &self,
        ctx: &Context<'_>,
        input: InviteToConferenceInput,
    ) -> async_graphql::Result<ChatPayload> {
        let chat = domain(ctx)
            .chats()
            .invite_to_conference(actor(ctx)?, input)
            .await
            .gql()?;
        Ok(ChatPayload { chat: Chat(chat) })
    }

    /// Joins a conference the caller was invited to (E2).
    async fn accept_conference(
        &self,
        ctx: &Context<'_>,
        input: ChatIdInput,
    ) -> async_graphql::Result<ChatPayload> {
        let chat = domain(ctx)
            .chats()
            .accept_conference(actor(ctx)?, input.chat_id)
            .await
            .gql()?;
        Ok(ChatPayload { chat: Chat(chat) })
    }

    /// Ends the conference (the owner) or leaves it (a member) (E2).
    async fn end_conference(
        &self,
        ctx: &Context<'_>,
        input: ChatIdInput,
    ) -> async_graphql::Result<ChatPayload> {
        let chat = domain(ctx)
            .chats()
            .end_conference(actor(ctx)?, input.chat_id)
            .await
            .gql()?;
        Ok(ChatPayload { chat: Chat(chat) })
    }

    /// Listens to a chat silently (supervisors and above; X5).
    async fn monitor_chat(
        &self,
        ctx: &Context<'_>,
        input: ChatIdInput,
    ) -> async_graphql::Result<ChatPayload> {
        let chat = domain(ctx)
            .chats()
            .monitor_chat(actor(ctx)?, input.chat_id)
            .await
            .gql()?;
        Ok(ChatPayload { chat: Chat(chat) })
    }

    /// Sets the caller's status (B1).
    async fn set_my_status(
        &self,
        ctx: &Context<'_>,
        input: SetMyStatusInput,
    ) -> async_graphql::Result<StatusPayload> {
        let op = domain(ctx)
            .presence()
            .set_my_status(actor(ctx)?, input)
            .await
            .gql()?;
        Ok(StatusPayload {
            operator: Operator::own(op),
        })
    }

    /// Schedules the status to take when the current chats are done (B2).
    async fn schedule_my_next_status(
        &self,
        ctx: &Context<'_>,
        input: ScheduleMyNextStatusInput,
    ) -> async_graphql::Result<StatusPayload> {
        let op = domain(ctx)
            .presence()
            .schedule_my_next_status(actor(ctx)?, input)
            .await
            .gql()?;
        Ok(StatusPayload {
            operator: Operator::own(op),
        })
    }

    /// Leaves BLOCKED (after a missed invitation) for READY.
    async fn unblock_me(&self, ctx: &Context<'_>) -> async_graphql::Result<StatusPayload> {
        let op = domain(ctx).presence().unblock_me(actor(ctx)?).await.gql()?;
        Ok(StatusPayload {
            operator: Operator::own(op),
        })
    }

    /// Tells the server the operator is at the panel (restarts the AWAY timer).
    async fn report_activity(&self, ctx: &Context<'_>) -> async_graphql::Result<StatusPayload> {
        let op = domain(ctx)
            .presence()
            .report_activity(actor(ctx)?)
            .await
            .gql()?;
        Ok(StatusPayload {
            operator: Operator::own(op),
        })
    }

    /// The telephony side reports a call starting or ending (C3).
    async fn set_call_state(
        &self,
        ctx: &Context<'_>,
        input: SetCallStateInput,
    ) -> async_graphql::Result<StatusPayload> {
        let op = domain(ctx)
            .presence()
            .set_call_state(actor(ctx)?, input)
            .await
            .gql()?;
        Ok(StatusPayload {
            operator: Operator::own(op),
        })
    }
}

/// Streams a recipient's events from `after`: first what is in the outbox, then each new one as
/// it commits. Notices only wake the stream; events are always read from the outbox, in order,
/// so nothing is skipped or repeated.
fn event_stream(
    domain: Domain,
    kind: RecipientKind,
    recipient: sea_orm::prelude::Uuid,
    after: i64,
) -> impl Stream<Item = event::Model> {
    struct State {
        domain: Domain,
        receiver: tokio::sync::broadcast::Receiver<omnipanel_domain::ports::Notice>,
        last: i64,
        buffer: VecDeque<event::Model>,
    }
    let receiver = domain.bus.subscribe();
    let state = State {
        domain,
        receiver,
        last: after,
        buffer: VecDeque::new(),
    };
    futures_util::stream::unfold(state, move |mut state| async move {
        loop {
            if let Some(next) = state.buffer.pop_front() {
                state.last = next.seq;
                return Some((next, state));
            }
            match events::since(&state.domain.db, kind, recipient, state.last, 100).await {
                Ok(rows) if !rows.is_empty() => {
                    state.buffer.extend(rows);
                    continue;
                }
                Ok(_) => {}
                Err(error) => {
                    tracing::error!(?error, "reading events failed");
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                    continue;
                }
            }
            loop {
                match state.receiver.recv().await {
                    Ok(notice)
                        if notice.recipient_kind == kind
                            && notice.recipient_id == recipient
                            && notice.seq > state.last =>
                    {
                        break;
                    }
                    Ok(_) => {}
                    Err(RecvError::Lagged(_)) => break,
                    Err(RecvError::Closed) => return None,
                }
            }
        }
    })
}

/// The current sequence of an operator or chat (a stream without `after` starts there).
async fn current_seq(
    domain: &Domain,
    kind: RecipientKind,
    id: sea_orm::prelude::Uuid,
) -> Result<i64, DomainError> {
    use omnipanel_domain::entity::event as ev;
    use sea_orm::{ColumnTrait, QueryFilter};
    use sea_orm::{EntityTrait, QueryOrder, QuerySelect};
    Ok(ev::Entity::find()
        .select_only()
        .column(ev::Column::Seq)
        .filter(ev::Column::RecipientKind.eq(kind))
        .filter(ev::Column::RecipientId.eq(id))
        .order_by_desc(ev::Column::Seq)
        .into_tuple::<i64>()
        .one(&domain.db)
        .await?
        .unwrap_or(0))
}

#[derive(Default)]
pub struct Subscription;

#[Subscription]
impl Subscription {
    /// Everything the signed-in operator's panel must redraw (X1). With `after`, first replays
    /// what came after that sequence number.
    async fn workplace_events(
        &self,
        ctx: &Context<'_>,
        after: Option<i64>,
    ) -> async_graphql::Result<impl Stream<Item = WorkplaceEvent> + use<>> {
        let actor: Actor = actor(ctx)?.clone();
        let (me, _) = actor.operator().gql()?;
        let domain = domain(ctx).clone();
        let start = match after {
            Some(after) => after,
            None => current_seq(&domain, RecipientKind::Operator, me.0)
                .await
                .gql()?,
        };
        Ok(futures_util::StreamExt::map(
            event_stream(domain, RecipientKind::Operator, me.0, start),
            WorkplaceEvent,
        ))
    }

    /// One chat's messages and changes, for those who may see the chat.
    async fn chat_events(
        &self,
        ctx: &Context<'_>,
        chat_id: ChatId,
        after: Option<i64>,
    ) -> async_graphql::Result<impl Stream<Item = ChatEvent> + use<>> {
        let actor: Actor = actor(ctx)?.clone();
        let domain = domain(ctx).clone();
        domain
            .chats()
            .visible_chat(&domain.db, &actor, chat_id)
            .await
            .gql()?;
        let start = match after {
            Some(after) => after,
            None => current_seq(&domain, RecipientKind::Chat, chat_id.0)
                .await
                .gql()?,
        };
        Ok(futures_util::StreamExt::map(
            event_stream(domain, RecipientKind::Chat, chat_id.0, start),
            ChatEvent,
        ))
    }
}
