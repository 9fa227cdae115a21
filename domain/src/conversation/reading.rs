//! The conversation as its readers page through it (D3, 001): forwards from the start or a
//! cursor, backwards from the end or a cursor, bounded by a date to jump to, and the days that
//! have messages, in the reader's time zone. Whispers are for operators only (X5).

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select};

use crate::admin::working_hours::time_zone;
use crate::entity::message;
use crate::error::Result;
use crate::ids::{ChatId, MessageId};
use crate::page::{Order, after, read};
use crate::service::Conversation;

/// A keyset cursor into a conversation: a message's time and id.
pub type MessageCursor = (DateTime<Utc>, MessageId);

/// Which page of a conversation to read.
#[derive(Clone, Copy, Debug, Default)]
pub struct MessageWindow {
    /// How many messages.
    pub count: u64,
    /// Read backwards: the newest `count` of the window (still returned oldest first).
    pub from_end: bool,
    /// Only messages after this one.
    pub after: Option<MessageCursor>,
    /// Only messages before this one.
    pub before: Option<MessageCursor>,
    /// Only messages written at or after this instant (a date to jump to).
    pub since: Option<DateTime<Utc>>,
}

/// A chat's messages as the reader may see them: whispers only for operators (X5).
fn visible_messages(chat_id: ChatId, include_whispers: bool) -> Select<message::Entity> {
    let query = message::Entity::find().filter(message::Column::ChatId.eq(chat_id));
    if include_whispers {
        query
    } else {
        query.filter(message::Column::IsWhisper.eq(false))
    }
}

impl Conversation<'_> {
    /// A page of a chat's messages, oldest first, and whether more lie beyond it in the
    /// direction it was read.
    #[tracing::instrument(level = "debug", skip_all, fields(chat_id = %chat_id))]
    pub async fn messages(
        self, chat_id: ChatId, window: MessageWindow, include_whispers: bool,
    ) -> Result<(Vec<message::Model>, bool)> {
        let mut query = visible_messages(chat_id, include_whispers);
        let (at, id) = (message::Column::CreatedAt, message::Column::Id);
        if let Some((when, message)) = window.after {
            query = query.filter(after(at, id, when, message, Order::OldestFirst));
        }
        if let Some((when, message)) = window.before {
            query = query.filter(after(at, id, when, message, Order::NewestFirst));
        }
        if let Some(since) = window.since {
            query = query.filter(at.gte(since));
        }
        let order = if window.from_end {
            Order::NewestFirst
        } else {
            Order::OldestFirst
        };
        // The window's own bounds filter the rows; the read continues after no cursor.
        let start: Option<MessageCursor> = None;
        let (mut rows, more) =
            read(&self.domain.db, query, (at, id), order, start, window.count).await?;
        if window.from_end {
            rows.reverse();
        }
        Ok((rows, more))
    }

    /// The chat's last `count` messages, oldest first: what an invitation shows of the
    /// conversation so far (004).
    pub async fn recent_messages(
        self, chat_id: ChatId, count: u64, include_whispers: bool,
    ) -> Result<Vec<message::Model>> {
        let window = MessageWindow {
            count,
            from_end: true,
            ..MessageWindow::default()
        };
        Ok(self.messages(chat_id, window, include_whispers).await?.0)
    }

    /// The days with messages in a chat, in `zone` (an IANA name; UTC when none), oldest
    /// first: what "jump to a date" offers (001).
    #[tracing::instrument(level = "debug", skip_all, fields(chat_id = %chat_id))]
    pub async fn message_days(
        self, chat_id: ChatId, zone: Option<&str>, include_whispers: bool,
    ) -> Result<Vec<NaiveDate>> {
        let zone = time_zone(zone)?;
        let times: Vec<DateTime<Utc>> = visible_messages(chat_id, include_whispers)
            .select_only()
            .column(message::Column::CreatedAt)
            .order_by_asc(message::Column::CreatedAt)
            .into_tuple()
            .all(&self.domain.db)
            .await?;
        let mut days: Vec<NaiveDate> = times
            .into_iter()
            .map(|at| at.with_timezone(&zone).date_naive())
            .collect();
        // A zone's offset may step back across midnight: sort before dropping repeats.
        days.sort_unstable();
        days.dedup();
        Ok(days)
    }
}
