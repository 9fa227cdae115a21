//! Messages from channels (M1, M2): a customer's message joins their open chat on the channel or
//! starts one (in the channel's queue, routed at once, or with the bot); a repeated one is stored once.

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::channels::config::{config_of, source_of};
use crate::conversation::said::Said;
use crate::crm::matching::Matching;
use crate::customer::{self, CustomerInput};
use crate::deliveries::queue::Pending;
use crate::entity::{channel, chat, inbound_receipt, message, queue};
use crate::enums::{AuthorKind, ChatDirection, ChatStatus, EventKind};
use crate::error::{DomainError, Result};
use crate::ids::*;
use crate::numbering::{Attempt, Numbers};
use crate::routing::rows::lock_chat;
use crate::service::Channels;

/// A file a customer sent, to fetch from the provider.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InboundFile {
    /// The provider's id or address for fetching it (Telegram's `file_id`, a generic
    /// channel's URL).
    pub provider_file_id: String,
    pub name: String,
    pub content_type: String,
}

/// A customer's message as a channel adapter normalized it.
#[derive(Clone, Debug)]
pub struct InboundMessage {
    /// The provider's update id: a repeated one is stored once (Telegram's `update_id`).
    pub receipt: Option<String>,
    /// The message's id at the provider, unique within the channel.
    pub external_id: String,
    pub customer: CustomerInput,
    pub text: String,
    pub sent_at: Option<DateTime<Utc>>,
    /// Files to fetch and keep with the message.
    pub files: Vec<InboundFile>,
}

/// The longest inbound text kept (Telegram allows 4096 characters).
const MAX_INBOUND_CHARS: usize = 10_000;

impl Channels<'_> {
    /// Stores a customer's message from a channel: the customer is found or created, the message
    /// joins the customer's open chat on the channel or starts one (straight to the channel's
    /// queue, or with the bot). Returns `None` for an update already received.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn receive_inbound(
        self, found: &channel::Model, inbound: InboundMessage,
    ) -> Result<Option<message::Model>> {
        if inbound.text.trim().is_empty() {
            return Err(DomainError::validation("text", "The message has no text"));
        }
        let source = source_of(found.kind);
        let matching = self
            .domain
            .crm()
            .match_contact(found.organization_id, source, &inbound.customer)
            .await;
        // A message that opens a chat takes its numbers before its change (`numbering.rs`).
        self.domain
            .with_numbers(found.organization_id, ChatDirection::Inbound, |numbers| {
                self.receive_inbound_once(found, &inbound, &matching, numbers)
            })
            .await
    }

    async fn receive_inbound_once(
        self, found: &channel::Model, inbound: &InboundMessage, matching: &Matching,
        numbers: Numbers,
    ) -> Result<Attempt<Option<message::Model>>> {
        let now = self.domain.now();
        let mut work = self.domain.begin(now).await?;
        if let Some(receipt) = &inbound.receipt {
            let inserted = inbound_receipt::Entity::insert(inbound_receipt::ActiveModel {
                channel_id: Set(found.id),
                external_id: Set(receipt.clone()),
                received_at: Set(now),
            })
            .on_conflict_do_nothing_on([
                inbound_receipt::Column::ChannelId,
                inbound_receipt::Column::ExternalId,
            ])
            .exec_without_returning(&work.tx)
            .await?;
            if !matches!(inserted, sea_orm::TryInsertResult::Inserted(rows) if rows > 0) {
                return Ok(Attempt::Done(None));
            }
        }
        if message::Entity::find()
            .filter(message::Column::ChannelId.eq(found.id))
            .filter(message::Column::ExternalId.eq(&inbound.external_id))
            .one(&work.tx)
            .await?
            .is_some()
        {
            return Ok(Attempt::Done(None));
        }
        let source = source_of(found.kind);
        let Some(customer) = customer::find_or_create_numbered(
            &work.tx,
            found.organization_id,
            source,
            &inbound.customer,
            now,
            numbers.new_customer(),
        )
        .await?
        else {
            // A new customer has no open chat: the chat's number is needed too.
            return Ok(Attempt::Needs { customer: true });
        };
        let customer = self
            .domain
            .crm()
            .link_matched(&work.tx, customer, matching, &inbound.customer, now)
            .await?;
        let open = chat::Entity::find()
            .filter(chat::Column::CustomerId.eq(customer.id))
            .filter(chat::Column::ChannelId.eq(found.id))
            .filter(chat::Column::Status.ne(ChatStatus::Completed))
            .order_by_desc(chat::Column::CreatedAt)
            .one(&work.tx)
            .await?;
        let (chat, queue) = match open {
            Some(open) => (
                lock_chat(&work.tx, open.id)
                    .await?
                    .ok_or(DomainError::not_found("chat"))?,
                None,
            ),
            None => {
                let config = config_of(found);
                let live_queue = |id: Option<QueueId>| {
                    let tx = &work.tx;
                    async move {
                        match id {
                            Some(id) => {
                                queue::Entity::find_by_id(id)
                                    .filter(queue::Column::ArchivedAt.is_null())
                                    .one(tx)
                                    .await
                            }
                            None => Ok(None),
                        }
                    }
                };
                let queue = live_queue(config.queue_id).await?;
                // With the bot, the chat is in the bot queue, whose members may take it over.
                let bot_queue = match &queue {
                    Some(_) => None,
                    None => live_queue(config.bot_queue_id).await?,
                };
                let Some(number) = numbers.chat else {
                    return Ok(Attempt::Needs { customer: false });
                };
                let mut model = crate::chat::rules::new_chat(
                    found.organization_id,
                    number,
                    ChatDirection::Inbound,
                    if queue.is_some() {
                        ChatStatus::Queued
                    } else {
                        ChatStatus::Bot
                    },
                    source,
                    Some(found.id),
                    queue.as_ref().or(bot_queue.as_ref()).map(|q| q.id),
                    &customer,
                    now,
                );
                if queue.is_some() {
                    model.queued_at = Set(Some(now));
                    model.waiting_since = Set(Some(now));
                }
                let created = model.insert(&work.tx).await?;
                if bot_queue.is_some() {
                    self.domain
                        .chats()
                        .tell_queue(&mut work, &created, EventKind::ChatWithBot);
                }
                (created, queue)
            }
        };
        let text: String = inbound.text.chars().take(MAX_INBOUND_CHARS).collect();
        let (chat, created) = self
            .domain
            .conversation()
            .append_message(
                &mut work,
                &chat,
                None,
                Said {
                    external_id: Some(&inbound.external_id),
                    ..Said::by(AuthorKind::Customer, &text)
                },
            )
            .await?;
        for file in &inbound.files {
            Pending::new(crate::enums::DeliveryKind::ChannelFile, json!(file))
                .on_channel(Some(found.id), created.id)
                .row(DeliveryId::new(), &chat, now)
                .insert(&work.tx)
                .await?;
            work.outbox.wake_deliveries();
        }
        if let Some(queue) = queue {
            // A customer's message is never refused: a full queue still takes it.
            self.domain
                .chats()
                .offer_new_chat(&mut work, &chat, &queue, false)
                .await?;
        }
        self.domain.answer(work, Attempt::Done(Some(created))).await
    }
}
