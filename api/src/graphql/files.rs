//! Files in GraphQL (D4): what a chat and its messages carry.

use async_graphql::{ComplexObject, Context};
use chrono::{DateTime, Utc};
use omnipanel_domain::entity::attachment;
use omnipanel_domain::ids::{AttachmentId, MessageId};

use crate::graphql::context::domain;
use crate::graphql::projection::projection;

projection!(
    /// A file on a chat. Upload with `POST /files?chatId=…&name=…` (the body is the file), then
    /// send it with `sendMessage(attachmentIds)`.
    Attachment(attachment::Model) + complex {
        id: AttachmentId,
        file_name: String,
        content_type: String,
        size_bytes: i64,
        /// png, jpg, jpeg and gif show as pictures (D4).
        is_image: bool,
        /// The message that carried it; none while it waits to be sent.
        message_id: Option<MessageId>,
        created_at: DateTime<Utc>,
    }
);

#[ComplexObject]
impl Attachment {
    /// A link that works without a session for an hour (for `<img>` and downloads).
    async fn url(&self, ctx: &Context<'_>) -> String {
        let domain = domain(ctx);
        domain
            .files()
            .file_link(&self.row, domain.now() + domain.files().panel_link_ttl())
    }
}
