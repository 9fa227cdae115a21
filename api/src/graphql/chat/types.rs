//! A chat as GraphQL shows it, with its customer, participants and responsible operators.

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{ComplexObject, Context, SimpleObject};

use chrono::{DateTime, NaiveDate, Utc};

use omnipanel_domain::chat::Variable;

use omnipanel_domain::conversation::{MessageCursor, MessageWindow};
use omnipanel_domain::crm::{ChatUrlContext, fill_url};
use omnipanel_domain::entity::{chat, chat_assignment, chat_participant, customer};
use omnipanel_domain::enums::*;
use omnipanel_domain::ids::*;

use omnipanel_domain::DomainError;

use crate::graphql::admin::types::{ChatResult, Operator, Queue, Topic, WrapUpReason};
use crate::graphql::context::{actor, call_each, domain, load, load_each, loader, masking};
use crate::graphql::conversation::types::{Message, Note};
use crate::graphql::error::{Gql, to_gql};
use crate::graphql::projection::projection;

use crate::graphql::loaders::{ChatsOf, FilesOfChat, HistoryOf, NotesOf, ParticipantsOf, TagsOf};
use crate::graphql::page::{decode_cursor, encode_cursor, page_size, page_size_of};
use crate::graphql::routing::RoutingDecision;

impl Customer {
    async fn masked(
        &self, ctx: &Context<'_>, value: Option<&str>,
    ) -> async_graphql::Result<Option<String>> {
        Ok(masking(ctx, self.row.organization_id)
            .await?
            .apply_opt(value))
    }
}

projection!(
    /// A customer as operators see them: masked when the organization says so (K1).
    Customer(customer::Model) + complex {
        id: CustomerId,
        /// "Client #N" numbering within the organization.
        number: i64,
        /// What operators wrote of the customer (D10), shown on each of their chats.
        description: Option<String>,
        /// The CRM contact the customer is linked to.
        crm_contact_id: Option<String>,
    }
);

#[ComplexObject]
impl Customer {
    /// The phone, or else "Client #N" (D3).
    async fn display_name(&self, ctx: &Context<'_>) -> async_graphql::Result<String> {
        let name = omnipanel_domain::customer::display_name(&self.row);
        Ok(self.masked(ctx, Some(&name)).await?.unwrap_or(name))
    }
    /// The name the customer gave; a name that is a phone number is masked like one.
    async fn name(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        self.masked(ctx, self.row.name.as_deref()).await
    }
    async fn phone(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        self.masked(ctx, self.row.phone.as_deref()).await
    }
    async fn email(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        self.masked(ctx, self.row.email.as_deref()).await
    }
}

projection!(
    /// An operator's part in a chat.
    Participant(chat_participant::Model) + complex {
        role: ParticipantRole,
        /// INVITED ("requested"), JOINED or LEFT.
        state: ParticipantState,
        invited_at: DateTime<Utc>,
        joined_at: Option<DateTime<Utc>>,
        left_at: Option<DateTime<Utc>>,
    }
);

#[ComplexObject]
impl Participant {
    async fn operator(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Operator>> {
        load(ctx, Some(self.row.operator_id), Operator::of).await
    }
}

projection!(
    /// One entry of a chat's responsibility history (E3).
    Responsibility(chat_assignment::Model) + complex {
        kind: AssignmentKind,
        started_at: DateTime<Utc>,
        accepted_at: Option<DateTime<Utc>>,
        ended_at: Option<DateTime<Utc>>,
        end_reason: Option<AssignmentEnd>,
    }
);

#[ComplexObject]
impl Responsibility {
    /// The responsible operator; none while the chat waited in a queue.
    async fn operator(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Operator>> {
        load(ctx, self.row.operator_id, Operator::of).await
    }
    async fn queue(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Queue>> {
        load(ctx, self.row.queue_id, Queue::from).await
    }
    /// Who made the assignment, for manual ones.
    async fn assigned_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Operator>> {
        load(ctx, self.row.by_operator_id, Operator::of).await
    }
}

impl Chat {
    fn reply_policy(&self, ctx: &Context<'_>) -> omnipanel_domain::conversation::ReplyPolicy {
        omnipanel_domain::conversation::chat_reply_policy(&self.row, domain(ctx).now())
    }
}

projection!(
    /// A conversation (D3).
    Chat(chat::Model) + complex {
        id: ChatId,
        number: i64,
        status: ChatStatus,
        direction: ChatDirection,
        source: ChatSource,
        created_at: DateTime<Utc>,
        /// When the chat last started waiting in its queue.
        queued_at: Option<DateTime<Utc>>,
        /// Until when the current invitation may be accepted.
        invitation_expires_at: Option<DateTime<Utc>>,
        accepted_at: Option<DateTime<Utc>>,
        closed_at: Option<DateTime<Utc>>,
        closed_by_kind: Option<ClosedByKind>,
        /// Who wrote the last message.
        #[graphql(name = "lastMessageBy")]
        last_message_author_kind: Option<AuthorKind>,
        last_message_at: Option<DateTime<Utc>>,
        /// Since when the customer has been waiting for an answer; null when answered.
        waiting_since: Option<DateTime<Utc>>,
        /// Whether the customer is muted (D7).
        muted: bool,
        rating_comment: Option<String>,
        result_detail: Option<String>,
        /// The linked case's number.
        #[graphql(name = "caseNumber")]
        crm_case_number: Option<String>,
    }
);

#[ComplexObject]
impl Chat {
    /// "Chat-1042" or "OutgoingChat-17".
    async fn title(&self) -> String {
        omnipanel_domain::chat::title(self.row.direction, self.row.number)
    }
    async fn queue(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Queue>> {
        load(ctx, self.row.queue_id, Queue::from).await
    }
    async fn customer(&self, ctx: &Context<'_>) -> async_graphql::Result<Customer> {
        loader(ctx)
            .load_one(self.row.customer_id)
            .await?
            .map(Customer::from)
            .ok_or_else(|| to_gql(DomainError::not_found("customer")))
    }
    /// The responsible (or invited) operator.
    async fn operator(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Operator>> {
        load(ctx, self.row.operator_id, Operator::of).await
    }
    /// Who closed the chat, when an operator did.
    async fn closed_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Operator>> {
        load(ctx, self.row.closed_by_operator_id, Operator::of).await
    }
    /// The last message's text (a preview), masked like the message.
    async fn last_message(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        let text = self.row.last_message_text.as_deref();
        if matches!(
            self.row.last_message_author_kind,
            Some(AuthorKind::Customer | AuthorKind::Bot)
        ) {
            Ok(masking(ctx, self.row.organization_id)
                .await?
                .apply_opt(text))
        } else {
            Ok(text.map(str::to_owned))
        }
    }
    /// The SLA colour now (F1), computed from the server's clock.
    async fn traffic_light(&self, ctx: &Context<'_>) -> async_graphql::Result<TrafficLight> {
        let settings = loader(ctx)
            .load_one(self.row.organization_id)
            .await?
            .ok_or_else(|| to_gql(DomainError::not_found("settings")))?;
        Ok(omnipanel_domain::chat::traffic_light(&self.row, &settings, domain(ctx).now()).0)
    }
    async fn topic(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Topic>> {
        load(ctx, self.row.topic_id, Topic::from).await
    }
    async fn subtopic(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Topic>> {
        load(ctx, self.row.subtopic_id, Topic::from).await
    }
    /// The bot's key/value variables (C1), values masked like messages.
    async fn variables(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Variable>> {
        let masking = masking(ctx, self.row.organization_id).await?;
        Ok(self
            .row
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
            .load_one(TagsOf(self.row.id))
            .await?
            .unwrap_or_default())
    }
    /// Notes operators left, oldest first (D8).
    async fn notes(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Note>> {
        load_each(ctx, NotesOf(self.row.id), Note::from).await
    }
    /// The customer's earlier chats, newest first (D10).
    async fn previous_chats(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Chat>> {
        let rows = loader(ctx)
            .load_one(ChatsOf(self.row.customer_id))
            .await?
            .unwrap_or_default();
        Ok(rows
            .into_iter()
            .filter(|c| c.id != self.row.id && c.created_at <= self.row.created_at)
            .map(Chat::from)
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
    /// The customer's score, 1 to 5 (G1).
    async fn rating(&self) -> Option<i32> {
        self.row.rating.map(i32::from)
    }
    async fn wrap_up_reason(
        &self, ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<WrapUpReason>> {
        load(ctx, self.row.wrap_up_reason_id, WrapUpReason::from).await
    }
    async fn result(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<ChatResult>> {
        load(ctx, self.row.result_id, ChatResult::from).await
    }
    /// The conversation, oldest first: `first` after `after` reads forwards, `last` before
    /// `before` backwards from the end; `from` keeps only messages written since then (a date
    /// to jump to).
    async fn messages(
        &self, ctx: &Context<'_>, first: Option<i32>, after: Option<String>, last: Option<i32>,
        before: Option<String>, from: Option<DateTime<Utc>>,
    ) -> async_graphql::Result<Connection<String, Message, EmptyFields, EmptyFields>> {
        let refused = |field: &'static str, message: &'static str| {
            Err(to_gql(DomainError::validation(field, message)))
        };
        match (&first, &after, &last, &before) {
            (Some(_), _, Some(_), _) => return refused("last", "Give first or last, not both"),
            (_, Some(_), Some(_), _) => return refused("after", "With last, page by before"),
            (Some(_), _, _, Some(_)) => return refused("before", "With first, page by after"),
            _ => {}
        }
        let cursor = |c: Option<String>| c.map(|c| decode_cursor::<MessageCursor>(&c)).transpose();
        let from_end = last.is_some() || before.is_some();
        let window = MessageWindow {
            count: if from_end {
                page_size_of("last", last, 50)?
            } else {
                page_size(first, 50)?
            },
            from_end,
            after: cursor(after)?,
            before: cursor(before)?,
            since: from,
        };
        // Whispers are for operators only (X5); machine clients never see them.
        let include_whispers = actor(ctx)?.operator_id().is_some();
        let (rows, more) = domain(ctx)
            .conversation()
            .messages(self.row.id, window, include_whispers)
            .await
            .gql()?;
        let mut connection = if from_end {
            Connection::new(more, window.before.is_some())
        } else {
            Connection::new(window.after.is_some(), more)
        };
        connection
            .edges
            .extend(rows.into_iter().map(|row| {
                Edge::new(encode_cursor(&(row.created_at, row.id)), Message::from(row))
            }));
        Ok(connection)
    }
    /// The days that have messages, oldest first, as dates in `timeZone` (an IANA name; UTC
    /// when none): what "jump to a date" offers (001).
    async fn message_days(
        &self, ctx: &Context<'_>, time_zone: Option<String>,
    ) -> async_graphql::Result<Vec<NaiveDate>> {
        let include_whispers = actor(ctx)?.operator_id().is_some();
        domain(ctx)
            .conversation()
            .message_days(self.row.id, time_zone.as_deref(), include_whispers)
            .await
            .gql()
    }
    /// The last `count` messages (1 to 10), oldest first: the conversation so far, as an
    /// invitation card shows it (004).
    async fn recent_messages(
        &self, ctx: &Context<'_>, #[graphql(default = 3)] count: i32,
    ) -> async_graphql::Result<Vec<Message>> {
        if !(1..=10).contains(&count) {
            return Err(to_gql(DomainError::validation("count", "1 to 10")));
        }
        let include_whispers = actor(ctx)?.operator_id().is_some();
        let rows = domain(ctx)
            .conversation()
            .recent_messages(self.row.id, count as u64, include_whispers)
            .await
            .gql()?;
        Ok(rows.into_iter().map(Message::from).collect())
    }
    /// Every file of the chat, oldest first (D4).
    async fn attachments(
        &self, ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<crate::graphql::files::Attachment>> {
        load_each(
            ctx,
            FilesOfChat(self.row.id),
            crate::graphql::files::Attachment::from,
        )
        .await
    }
    /// Operators in the chat: the owner, conference members, silent monitors (E2, X5).
    async fn participants(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Participant>> {
        load_each(ctx, ParticipantsOf(self.row.id), Participant::from).await
    }
    /// The linked CRM contact (found from the customer's phone, e-mail or messenger id, or
    /// linked by an operator; H1).
    async fn contact_id(&self) -> Option<async_graphql::ID> {
        self.row.crm_contact_id.clone().map(async_graphql::ID)
    }
    /// The linked CRM account.
    async fn account_id(&self) -> Option<async_graphql::ID> {
        self.row.crm_account_id.clone().map(async_graphql::ID)
    }
    /// The linked CRM activity.
    async fn activity_id(&self) -> Option<async_graphql::ID> {
        self.row.crm_activity_id.clone().map(async_graphql::ID)
    }
    /// The linked CRM case (H2, H3).
    async fn case_id(&self) -> Option<async_graphql::ID> {
        self.row.crm_case_id.clone().map(async_graphql::ID)
    }
    /// The chat card in the CRM, from the organization's template: what an invitation's
    /// "Open" opens (C5).
    async fn crm_url(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        let settings = loader(ctx)
            .load_one(self.row.organization_id)
            .await?
            .ok_or_else(|| to_gql(DomainError::not_found("settings")))?;
        Ok(settings.crm_chat_url_template.map(|template| {
            fill_url(
                &template,
                &ChatUrlContext {
                    chat_id: Some(self.row.id),
                    contact_id: self.row.crm_contact_id.as_deref(),
                    case_id: self.row.crm_case_id.as_deref(),
                    phone: None,
                },
            )
        }))
    }
    /// Every responsible operator and queue so far (E3).
    async fn responsible_history(
        &self, ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<Responsibility>> {
        load_each(ctx, HistoryOf(self.row.id), Responsibility::from).await
    }
    /// Why the chat went where it went (supervisors and above; X2).
    async fn routing_decisions(
        &self, ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<RoutingDecision>> {
        call_each(ctx, |d, a| d.routing().routing_decisions(a, self.row.id)).await
    }
}

/// Loads every relation a list of chats may ask for, one query per relation, before the fields
/// resolve: the DataLoader batches by time, which a slow moment can split; priming cannot.
pub(crate) async fn prime(ctx: &Context<'_>, chats: &[chat::Model]) -> async_graphql::Result<()> {
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

pub(crate) async fn visible_chat(
    ctx: &Context<'_>, id: Option<ChatId>,
) -> async_graphql::Result<Option<Chat>> {
    let Some(id) = id else { return Ok(None) };
    let domain = domain(ctx);
    match domain
        .chats()
        .visible_chat(&domain.db, actor(ctx)?, id)
        .await
    {
        Ok(found) => Ok(Some(Chat::from(found))),
        Err(DomainError::NotFound { .. }) => Ok(None),
        Err(other) => Err(to_gql(other)),
    }
}

#[derive(SimpleObject)]
pub struct ChatPayload {
    pub chat: Chat,
}

impl From<omnipanel_domain::entity::chat::Model> for ChatPayload {
    fn from(row: omnipanel_domain::entity::chat::Model) -> Self {
        Self {
            chat: Chat::from(row),
        }
    }
}
