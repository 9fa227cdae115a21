//! The customer's side of a chat (C1, M1): the customer's and the bot's messages, joining the
//! customer's open chat or starting one with the bot.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};
use validator::{Validate, ValidationError};

use crate::actor::Actor;
use crate::conversation::said::Said;
use crate::customer::{self, CustomerInput};
use crate::entity::{chat, message, queue};
use crate::enums::{ApiKeyScope, AuthorKind, ChatDirection, ChatSource, ChatStatus, EventKind};
use crate::error::{DomainError, Result};
use crate::ids::*;
use crate::numbering::{Attempt, Numbers};
use crate::routing::rows::lock_chat;
use crate::service::Conversation;
use crate::store::find_own;
use crate::validate::check;

fn customer_or_bot(kind: &AuthorKind) -> Result<(), ValidationError> {
    match kind {
        AuthorKind::Customer | AuthorKind::Bot => Ok(()),
        _ => Err(ValidationError::new("author").with_message("must be CUSTOMER or BOT".into())),
    }
}

/// A message from the customer's side: the customer, or the bot while it has the chat.
#[derive(Clone, Debug, Validate)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct PostCustomerMessageInput {
    /// The chat; without it, the customer's open chat on this source, or a new one with the bot.
    pub chat_id: Option<ChatId>,
    /// Needed without `chatId`.
    pub source: Option<ChatSource>,
    pub channel_id: Option<ChannelId>,
    /// Needed without `chatId`: who is writing.
    #[validate(nested)]
    pub customer: Option<CustomerInput>,
    /// The queue the bot would hand the chat to (for a new chat).
    pub queue_id: Option<QueueId>,
    #[cfg_attr(feature = "graphql", graphql(default_with = "AuthorKind::Customer"))]
    #[validate(custom(function = "customer_or_bot"))]
    pub author_kind: AuthorKind,
    #[validate(length(min = 1, max = 4000))]
    pub text: String,
    /// The provider's message id: a repeated one is stored once.
    #[validate(length(min = 1, max = 200))]
    pub external_id: Option<String>,
}

impl Conversation<'_> {
    /// A message from the customer's side (the chatbot or a channel adapter). Without a chat id
    /// it goes to the customer's open chat on that source, or starts a chat with the bot, whose
    /// numbers it takes before its change (`numbering.rs`).
    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id))]
    pub async fn post_customer_message(
        self, actor: &Actor, input: PostCustomerMessageInput,
    ) -> Result<message::Model> {
        self.domain
            .with_numbers(actor.organization_id, ChatDirection::Inbound, |numbers| {
                self.post_customer_message_once(actor, input.clone(), numbers)
            })
            .await
    }

    /// One attempt of [`Self::post_customer_message`].
    async fn post_customer_message_once(
        self, actor: &Actor, input: PostCustomerMessageInput, numbers: Numbers,
    ) -> Result<Attempt<message::Model>> {
        actor.require_scope(ApiKeyScope::Chatbot)?;
        check(&input)?;
        let now = self.domain.now();
        let mut work = self.domain.begin(now).await?;
        // The channel is the caller's own, or nothing is read or written through it.
        if let Some(channel_id) = input.channel_id {
            self.domain
                .channels()
                .usable_channel(&work.tx, actor, channel_id, "channelId")
                .await?;
        }
        // A repeat on a known channel is answered before anything else (no empty chat for it).
        if let (Some(channel_id), Some(external_id)) = (input.channel_id, &input.external_id)
            && let Some(found) = message::Entity::find()
                .filter(message::Column::ChannelId.eq(channel_id))
                .filter(message::Column::ExternalId.eq(external_id.as_str()))
                .one(&work.tx)
                .await?
        {
            return Ok(Attempt::Done(found));
        }
        let (chat, rules, new_with_bot) = match input.chat_id {
            Some(id) => {
                let (found, rules) = self
                    .domain
                    .chats()
                    .locked_for_message(&work.tx, actor, id)
                    .await?;
                if found.status == ChatStatus::Completed {
                    return Err(DomainError::conflict("The chat is closed"));
                }
                (found, Some(rules), false)
            }
            None => match self
                .open_chat_for(&work.tx, actor, &input, now, numbers)
                .await?
            {
                Attempt::Done((found, new_with_bot)) => (found, None, new_with_bot),
                Attempt::Needs { customer } => return Ok(Attempt::Needs { customer }),
            },
        };
        // A provider's message id is stored once: per channel, or per chat without one.
        if let Some(external_id) = &input.external_id {
            let mut existing = message::Entity::find()
                .filter(message::Column::ExternalId.eq(external_id.as_str()));
            existing = match input.channel_id.or(chat.channel_id) {
                Some(channel_id) => existing.filter(message::Column::ChannelId.eq(channel_id)),
                None => existing.filter(message::Column::ChatId.eq(chat.id)),
            };
            if let Some(found) = existing.one(&work.tx).await? {
                return Ok(Attempt::Done(found));
            }
        }
        if !new_with_bot {
            // Nothing after it reads the message (a new chat with the bot tells its queue).
            work.write_message_last();
        }
        let (_, created) = self
            .append_message(
                &mut work,
                &chat,
                rules,
                Said {
                    external_id: input.external_id.as_deref(),
                    ..Said::by(input.author_kind, &input.text)
                },
            )
            .await?;
        if new_with_bot {
            self.domain
                .chats()
                .tell_queue(&mut work, &chat, EventKind::ChatWithBot);
        }
        self.domain.answer(work, Attempt::Done(created)).await
    }

    /// The customer's open chat on a source, or a new chat with the bot (then `true`), numbered
    /// with `numbers`: without them, a chat that would be new is not opened, and neither is a
    /// new customer created.
    async fn open_chat_for(
        self, db: &impl ConnectionTrait, actor: &Actor, input: &PostCustomerMessageInput,
        now: DateTime<Utc>, numbers: Numbers,
    ) -> Result<Attempt<(chat::Model, bool)>> {
        let source = input
            .source
            .ok_or_else(|| DomainError::validation("source", "is required without chatId"))?;
        let who = input
            .customer
            .as_ref()
            .ok_or_else(|| DomainError::validation("customer", "is required without chatId"))?;
        let customer = customer::find_or_create_numbered(
            db,
            actor.organization_id,
            source,
            who,
            now,
            numbers.new_customer(),
        )
        .await?;
        if let Some(customer) = &customer
            && let Some(open) = chat::Entity::find()
                .filter(chat::Column::CustomerId.eq(customer.id))
                .filter(chat::Column::Source.eq(source))
                .filter(chat::Column::Status.ne(ChatStatus::Completed))
                .order_by_desc(chat::Column::CreatedAt)
                .one(db)
                .await?
        {
            let open = lock_chat(db, open.id)
                .await?
                .ok_or(DomainError::not_found("chat"))?;
            return Ok(Attempt::Done((open, false)));
        }
        // A new chat: its input is checked before any number is taken for it.
        if let Some(queue_id) = input.queue_id {
            find_own::<queue::Entity>(db, actor, queue_id)
                .await
                .map_err(|_| DomainError::validation("queueId", "No such queue"))?;
        }
        // Without numbers nothing new is made, nor a new customer (`NewNumber::NotYet`).
        let (Some(customer), Some(number)) = (&customer, numbers.chat) else {
            return Ok(Attempt::Needs {
                customer: customer.is_none(),
            });
        };
        let created = crate::chat::rules::new_chat(
            actor.organization_id,
            number,
            ChatDirection::Inbound,
            ChatStatus::Bot,
            source,
            input.channel_id,
            input.queue_id,
            customer,
            now,
        )
        .insert(db)
        .await?;
        Ok(Attempt::Done((created, true)))
    }
}
