//! Files in GraphQL (D4): what a chat and its messages carry.

use async_graphql::{Context, Object};
use chrono::{DateTime, Utc};
use omnipanel_domain::entity::attachment;
use omnipanel_domain::ids::{AttachmentId, MessageId};

use crate::graphql::context::domain;

/// A file on a chat. Upload with `POST /files?chatId=…&name=…` (the body is the file), then
/// send it with `sendMessage(attachmentIds)`.
pub struct Attachment(pub attachment::Model);

#[Object]
impl Attachment {
    async fn id(&self) -> AttachmentId {
        self.0.id
    }
    async fn file_name(&self) -> &str {
        &self.0.file_name
    }
    async fn content_type(&self) -> &str {
        &self.0.content_type
    }
    async fn size_bytes(&self) -> i64 {
        self.0.size_bytes
    }
    /// png, jpg, jpeg and gif show as pictures (D4).
    async fn is_image(&self) -> bool {
        self.0.is_image
    }
    /// The message that carried it; none while it waits to be sent.
    async fn message_id(&self) -> Option<MessageId> {
        self.0.message_id
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// A link that works without a session for an hour (for `<img>` and downloads).
    async fn url(&self, ctx: &Context<'_>) -> String {
        let domain = domain(ctx);
        domain
            .files()
            .file_link(&self.0, domain.now() + domain.files().panel_link_ttl())
    }
}
