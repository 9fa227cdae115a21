//! What the chatbot asks and tells on the customer's behalf: a waiting chat's place in the
//! queue (X8) and the customer's rating (G1).

use async_graphql::{Context, Object, SimpleObject};
use omnipanel_domain::chat::RateChatInput;
use omnipanel_domain::ids::ChatId;

use super::workplace::{Chat, ChatPayload};
use super::{Gql, actor, domain};

/// Where a waiting chat stands (X8).
#[derive(SimpleObject)]
pub struct QueuePosition {
    /// 1 for the next chat to be offered.
    pub position: i32,
    /// Chats waiting in the queue, this one included.
    pub waiting: i32,
    /// The expected wait in seconds, from how long the queue's recent chats waited; null
    /// without history.
    pub estimated_wait_secs: Option<i32>,
}

#[derive(Default)]
pub struct ChatbotQuery;

#[Object]
impl ChatbotQuery {
    /// A waiting chat's place in its queue and the expected wait; null once it no longer
    /// waits (the chatbot's key, or an operator who sees the chat).
    async fn queue_position(
        &self,
        ctx: &Context<'_>,
        chat_id: ChatId,
    ) -> async_graphql::Result<Option<QueuePosition>> {
        let found = domain(ctx)
            .routing()
            .queue_position(actor(ctx)?, chat_id)
            .await
            .gql()?;
        let clamp = |n: i64| i32::try_from(n).unwrap_or(i32::MAX);
        Ok(found.map(|p| QueuePosition {
            position: clamp(p.position as i64),
            waiting: clamp(p.waiting as i64),
            estimated_wait_secs: p.estimated_wait.map(|d| clamp(d.num_seconds())),
        }))
    }
}

#[derive(Default)]
pub struct ChatbotMutation;

#[Object]
impl ChatbotMutation {
    /// The customer's rating of a completed chat, through the chatbot (G1): 1 to 5, once; the
    /// comment is kept only for a score of 2 or lower.
    async fn rate_chat(
        &self,
        ctx: &Context<'_>,
        input: RateChatInput,
    ) -> async_graphql::Result<ChatPayload> {
        let chat = domain(ctx)
            .chats()
            .rate_chat(actor(ctx)?, input)
            .await
            .gql()?;
        Ok(ChatPayload { chat: Chat(chat) })
    }
}
