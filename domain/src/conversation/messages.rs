//! What is said in a chat (D4, X5): operators' messages with their rules and files, whispers,
//! and every message's effect on the chat.

use sea_orm::sea_query::{Alias, CommonTableExpression, WithClause};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter,
    QueryTrait, TryIntoModel,
};
use serde_json::json;
use validator::Validate;

use crate::actor::Actor;
use crate::chat::conference::participation;
use crate::chat::rules::{MessageRules, accepted_and_open, check_operator_text, takes_messages};
use crate::conversation::batched;
use crate::conversation::effect::Effect;
use crate::conversation::gathering::Batched;
use crate::conversation::said::Said;
use crate::entity::{
    chat, chat_participant, delivery, message, operator, organization_settings, quick_reply,
};
use crate::enums::{DeliveryState, EventKind, ParticipantState, Role};
use crate::error::{DomainError, Result};
use crate::ids::*;
use crate::service::Conversation;
use crate::store::find_live;

use crate::validate::check;
use crate::work::Work;

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

impl Conversation<'_> {
    /// An operator writes to the customer (D4). The first message moves NEW to IN_PROGRESS;
    /// the traffic light turns GREY until the customer answers.
    ///
    /// On PostgreSQL a plain message (no whisper, quick reply or file) is written together
    /// with the others sent at the same moment, in one transaction (`batched.rs`); one that
    /// the batch cannot decide from its chat alone, or that fails there, goes alone.
    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id))]
    pub async fn send_message(
        self, actor: &Actor, input: SendMessageInput,
    ) -> Result<message::Model> {
        actor.operator()?;
        check(&input)?;
        if goes_in_a_batch(self.domain, &input) {
            match batched::write(self.domain, actor, input.chat_id, &input.text).await {
                Batched::Written(message) => return Ok(message),
                Batched::Failed(error) => return Err(error),
                Batched::Alone => {}
            }
        }
        self.domain
            .retry(|| self.send_message_once(actor, input.clone()))
            .await
    }

    /// One attempt of [`Self::send_message`].
    async fn send_message_once(
        self, actor: &Actor, input: SendMessageInput,
    ) -> Result<message::Model> {
        actor.operator()?;
        check(&input)?;
        let (me, _) = actor.operator()?;
        let now = self.domain.now();
        let mut work = self.domain.begin(now).await?;
        if input.whisper {
            if !input.attachment_ids.is_empty() {
                return Err(DomainError::validation(
                    "attachmentIds",
                    "Whispers carry no files",
                ));
            }
            drop(work);
            return self.whisper(actor, input.chat_id, &input.text).await;
        }
        let (chat, rules) = self
            .domain
            .chats()
            .locked_for_message(&work.tx, actor, input.chat_id)
            .await?;
        if !self.domain.chats().may_write(&work.tx, &chat, me).await? {
            return Err(DomainError::forbidden("This chat is not yours"));
        }
        takes_messages(&chat)?;
        if let Some(id) = input.quick_reply_id {
            find_live::<quick_reply::Entity>(&work.tx, actor, id, "quickReplyId").await?;
            if !self
                .domain
                .admin()
                .reply_fits_queue(&work.tx, id, chat.queue_id)
                .await?
            {
                return Err(DomainError::validation(
                    "quickReplyId",
                    "The quick reply belongs to other queues than this chat's",
                ));
            }
        }
        // Outside WhatsApp's 24-hour window only an approved template goes, as approved (X4).
        let policy = crate::conversation::outgoing::chat_reply_policy(&chat, now);
        let text = if policy.requires_template {
            let template = self
                .approved_template(&work.tx, actor, input.quick_reply_id)
                .await?;
            let customer = crate::entity::customer::Entity::find_by_id(chat.customer_id)
                .one(&work.tx)
                .await?
                .ok_or(DomainError::not_found("customer"))?;
            crate::chat::rules::fill_template(
                &template.text,
                &customer.name.unwrap_or_default(),
                &self.first_name(&work.tx, me).await?,
            )
        } else {
            input.text.clone()
        };
        let said = Said {
            quick_reply_id: input.quick_reply_id,
            ..Said::operator(me, &text)
        };
        if input.attachment_ids.is_empty() {
            work.write_message_last();
        }
        let (_, created) = self
            .append_message(&mut work, &chat, Some(rules), said)
            .await?;
        self.domain
            .files()
            .attach(&work.tx, &chat, me, created.id, &input.attachment_ids)
            .await?;
        self.domain.answer(work, created).await
    }

    /// Writes a message and everything it changes on the chat, and tells whoever follows it;
    /// `rules` when the caller read them with the chat, else they are read here.
    pub(crate) async fn append_message(
        self, work: &mut Work, chat: &chat::Model, rules: Option<MessageRules>, said: Said<'_>,
    ) -> Result<(chat::Model, message::Model)> {
        let rules = match rules {
            Some(rules) => rules,
            None => self.domain.chats().message_rules(&work.tx, chat).await?,
        };
        let Effect {
            message,
            chat: next,
            delivery,
            events,
        } = Effect::of(chat, &rules, said, work.now);
        let leads = work.message_leads_events();
        let message = message::ActiveModel::from(message).reset_all();
        let (updated, created) = write_message(work, message, next, leads).await?;
        if let Some(delivery) = delivery {
            // Written in this transaction, delivered by a worker with retries (M2).
            let delivery = delivery::ActiveModel::from(delivery).reset_all();
            if leads {
                work.outbox
                    .lead(&delivery::Entity::insert(delivery).into_query());
            } else {
                delivery.insert(&work.tx).await?;
            }
            work.outbox.wake_deliveries();
        }
        self.domain
            .chats()
            .tell_participants(work, &updated, rules.participants, &events);
        Ok((updated, created))
    }

    /// The first name of an operator, for templates, read on `db`.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn first_name(self, db: &impl ConnectionTrait, id: OperatorId) -> Result<String> {
        Ok(operator::Entity::find_by_id(id)
            .one(db)
            .await?
            .map(|o| o.first_name)
            .unwrap_or_default())
    }

    /// Whether an operator of this role may see the whole identity of others (used by masking).
    pub fn sees_originals(role: Role, settings: &organization_settings::Model) -> bool {
        crate::masking::Masking::for_viewer(settings, Some(role)) == crate::masking::Masking::Off
    }

    /// An operators-only message in a chat (X5): stored and shown to operators in the chat, never
    /// sent to the customer or shown to machine clients.
    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id, chat_id = %chat_id))]
    pub async fn whisper(
        self, actor: &Actor, chat_id: ChatId, text: &str,
    ) -> Result<message::Model> {
        let (me, _) = actor.operator()?;
        let now = self.domain.now();
        let mut work = self.domain.begin(now).await?;
        let chat = self
            .domain
            .chats()
            .locked_visible_chat(&work.tx, actor, chat_id)
            .await?;
        accepted_and_open(&chat)?;
        let joined = chat.operator_id == Some(me)
            || participation(&work.tx, chat.id, me)
                .await?
                .is_some_and(|p| p.state == ParticipantState::Joined);
        if !joined {
            return Err(DomainError::forbidden("Join the chat to whisper in it"));
        }
        let created = self
            .write_whisper(&mut work, &chat, Said::operator(me, text))
            .await?;
        self.domain.answer(work, created).await
    }

    /// Writes a message only operators see (a whisper, or the system's notice to them) and
    /// tells the operators joined in the chat; the chat's own stream (which machine clients may
    /// follow) does not carry it.
    pub(crate) async fn write_whisper(
        self, work: &mut Work, chat: &chat::Model, said: Said<'_>,
    ) -> Result<message::Model> {
        let created = said
            .row(chat, true, DeliveryState::Delivered, work.now)
            .insert(&work.tx)
            .await?;
        let listeners = chat_participant::Entity::find()
            .filter(chat_participant::Column::ChatId.eq(chat.id))
            .filter(chat_participant::Column::State.eq(ParticipantState::Joined))
            .all(&work.tx)
            .await?;
        for listener in listeners {
            work.outbox.to_operator(
                chat.organization_id,
                listener.operator_id,
                EventKind::MessageCreated,
                Some(chat.id),
                json!({ "messageId": created.id, "whisper": true }),
                work.now,
            );
        }
        Ok(created)
    }
}

/// Whether a message may go in a batch (`batched.rs`): a plain one (no whisper, quick reply or
/// file), on PostgreSQL.
fn goes_in_a_batch(domain: &crate::service::Domain, input: &SendMessageInput) -> bool {
    domain.db.get_database_backend() == DbBackend::Postgres
        && !input.whisper
        && input.quick_reply_id.is_none()
        && input.attachment_ids.is_empty()
}

/// Writes a new message and the chat as it changes, and returns both as written. On
/// PostgreSQL the two go in one statement (the message's insert as a data-modifying CTE of the
/// chat's update): every value is known before either is written, and neither reads the other.
/// With `lead`, that statement is the events' own, at commit ([`Work::write_message_last`]).
async fn write_message(
    work: &mut Work, message: message::ActiveModel, chat: chat::Model, lead: bool,
) -> Result<(chat::Model, message::Model)> {
    let update = chat::ActiveModel::from(chat.clone()).reset_all();
    if work.tx.get_database_backend() != DbBackend::Postgres {
        let created = message.insert(&work.tx).await?;
        return Ok((update.update(&work.tx).await?, created));
    }
    let created = message.clone().try_into_model()?;
    let insert = message::Entity::insert(message).into_query();
    let update = chat::Entity::update(update).validate()?.into_query();
    if lead {
        work.outbox.lead(&insert);
        work.outbox.lead(&update);
        return Ok((chat, created));
    }
    let new_message = CommonTableExpression::new()
        .query(insert)
        .table_name(Alias::new("new_message"))
        .to_owned();
    let statement = WithClause::new().cte(new_message).to_owned().query(update);
    let written = work.tx.execute(&statement).await?;
    if written.rows_affected() != 1 {
        return Err(DomainError::not_found("chat"));
    }
    Ok((chat, created))
}
