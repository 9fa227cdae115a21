//! What a message says and who says it: the one shape every writer of a message fills in.

use chrono::{DateTime, Utc};
use sea_orm::ActiveModelTrait;

use crate::entity::{chat, message};
use crate::enums::{AuthorKind, DeliveryState};
use crate::ids::{MessageId, OperatorId, QuickReplyId};

/// A message about to be written in a chat.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Said<'a> {
    pub author_kind: AuthorKind,
    pub author: Option<OperatorId>,
    pub text: &'a str,
    /// The quick reply the text came from, if any (it may have been edited).
    pub quick_reply_id: Option<QuickReplyId>,
    /// The messenger's own id of the message, for messages that came from one.
    pub external_id: Option<&'a str>,
}

impl<'a> Said<'a> {
    /// Said by a customer, a bot or the system, whoever `author_kind` names.
    pub(crate) fn by(author_kind: AuthorKind, text: &'a str) -> Self {
        Self {
            author_kind,
            author: None,
            text,
            quick_reply_id: None,
            external_id: None,
        }
    }

    /// Said by an operator.
    pub(crate) fn operator(operator_id: OperatorId, text: &'a str) -> Self {
        Self {
            author: Some(operator_id),
            ..Self::by(AuthorKind::Operator, text)
        }
    }

    /// Said by the system: a greeting, who joined or left, an automatic reply.
    pub(crate) fn system(text: &'a str) -> Self {
        Self::by(AuthorKind::System, text)
    }

    /// Sent to the customer: written by an operator or the system in a chat with a channel.
    pub(crate) fn goes_to_customer(&self, chat: &chat::Model) -> bool {
        matches!(self.author_kind, AuthorKind::Operator | AuthorKind::System)
            && chat.channel_id.is_some()
    }

    /// The message's row in `chat` at `at`, in `state`, to insert; a whisper stays off the
    /// channel.
    pub(crate) fn row(
        &self, chat: &chat::Model, whisper: bool, state: DeliveryState, at: DateTime<Utc>,
    ) -> message::ActiveModel {
        message::ActiveModel::from(self.model(chat, whisper, state, at)).reset_all()
    }

    /// [`Self::row`] as the model it becomes.
    pub(crate) fn model(
        &self, chat: &chat::Model, whisper: bool, state: DeliveryState, at: DateTime<Utc>,
    ) -> message::Model {
        message::Model {
            id: MessageId::new(),
            organization_id: chat.organization_id,
            chat_id: chat.id,
            author_kind: self.author_kind,
            author_operator_id: self.author,
            text: self.text.to_owned(),
            is_whisper: whisper,
            quick_reply_id: self.quick_reply_id,
            delivery_state: state,
            delivery_error: None,
            channel_id: if whisper { None } else { chat.channel_id },
            external_id: self.external_id.map(str::to_owned),
            created_at: at,
            delivered_at: (state == DeliveryState::Delivered).then_some(at),
        }
    }
}
