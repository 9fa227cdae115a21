//! Files on chats (D4): uploads checked against the organization's size and type limits, kept
//! in a [`FileStore`] (local disk by default), listed on the chat and its messages, and served
//! only to the chat's organization: with a session, or through a short-lived signed link (for
//! `<img>` in the panel and for customers on channels that take links).
//!
//! A link is `/files/{id}?expires=<unix>&signature=<hex>`, the signature the HMAC-SHA256 of
//! `<id>.<expires>` keyed with the file's storage key, which is random and never leaves the
//! server: a link cannot be made for another file or stretched past its expiry.

use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use sea_orm::ActiveValue::Set;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use sha2::{Digest, Sha256};

use crate::actor::Actor;
use crate::entity::{attachment, chat};
use crate::error::{DomainError, Result};
use crate::ids::*;
use crate::service::Files;

/// The file types shown as pictures (D4).
const IMAGE_TYPES: [(&str, &[&str]); 3] = [
    ("image/png", &["png"]),
    ("image/jpeg", &["jpg", "jpeg"]),
    ("image/gif", &["gif"]),
];

/// Whether `bytes` start like a file of the image type `content_type`.
fn looks_like(content_type: &str, bytes: &[u8]) -> bool {
    match content_type {
        "image/png" => bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        "image/jpeg" => bytes.starts_with(&[0xFF, 0xD8, 0xFF]),
        "image/gif" => bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a"),
        _ => true,
    }
}

/// The extension of a file name, lower case.
fn extension(name: &str) -> Option<String> {
    name.rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
}

/// A file name as kept: 1 to 255 characters, no folders, no control characters.
pub fn check_file_name(name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty()
        || name.chars().count() > 255
        || name.contains(['/', '\\'])
        || name.chars().any(char::is_control)
        || name.starts_with('.')
    {
        return Err(DomainError::validation(
            "name",
            "must be a file name of 1 to 255 characters without folders",
        ));
    }
    Ok(name.to_owned())
}

/// Whether a file of this type and name shows as a picture (png, jpg, jpeg, gif; D4).
pub fn is_image(content_type: &str, name: &str) -> bool {
    let ext = extension(name);
    IMAGE_TYPES
        .iter()
        .any(|(t, exts)| *t == content_type && ext.as_deref().is_some_and(|e| exts.contains(&e)))
}

/// A content type without its parameters, lower case.
fn bare_type(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// An upload.
/// Whose limits bound a file a customer sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InboundLimits {
    /// The provider's own: Telegram bounds its files itself.
    Provider,
    /// The organization's upload limits, as for an operator's file (a generic channel).
    Organization,
}

pub struct Upload<'a> {
    pub chat_id: ChatId,
    pub name: &'a str,
    pub content_type: &'a str,
    pub bytes: &'a [u8],
}

/// Where a file is kept: its organization, its id and a random part that also keys its links.
fn storage_key(organization_id: OrganizationId, id: AttachmentId) -> String {
    let random: String = crate::secret::generate_token("")
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    format!("{organization_id}/{id}-{random}")
}

/// The signature of a file link.
fn link_signature(file: &attachment::Model, expires: i64) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(file.storage_key.as_bytes())
        .expect("HMAC takes keys of any size");
    mac.update(format!("{}.{expires}", file.id).as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// A file within the organization's upload limits: not empty, not too large, of an allowed
/// type, and a picture that really is the picture type it claims. Returns the bare type.
fn within_limits(
    settings: &crate::entity::organization_settings::Model, content_type: &str, bytes: &[u8],
) -> Result<String> {
    if bytes.is_empty() {
        return Err(DomainError::validation("file", "The file is empty"));
    }
    if bytes.len() as i64 > settings.file_max_bytes {
        return Err(DomainError::LimitExceeded(
            format!("Files may be at most {} bytes", settings.file_max_bytes).into(),
        ));
    }
    let content_type = bare_type(content_type);
    let allowed: Vec<String> =
        serde_json::from_value(settings.file_allowed_types.clone()).unwrap_or_default();
    if !allowed.contains(&content_type) {
        return Err(DomainError::validation(
            "contentType",
            format!("Files of type {content_type} are not allowed here"),
        ));
    }
    if !looks_like(&content_type, bytes) {
        return Err(DomainError::validation(
            "contentType",
            format!("The file is not a {content_type} picture"),
        ));
    }
    Ok(content_type)
}

impl Files<'_> {
    /// The largest file an organization takes, in bytes.
    pub async fn inbound_file_limit(self, organization_id: OrganizationId) -> Result<u64> {
        let settings = self.settings_of(organization_id).await?;
        Ok(settings.file_max_bytes.max(0) as u64)
    }

    async fn settings_of(
        self, organization_id: OrganizationId,
    ) -> Result<crate::entity::organization_settings::Model> {
        self.domain
            .admin()
            .settings_of(&self.domain.db, organization_id)
            .await
    }

    /// Stores an operator's file for a chat they write in (D4), within the organization's size
    /// and type limits; pictures must really be the picture type they claim.
    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id))]
    pub async fn upload_file(self, actor: &Actor, upload: Upload<'_>) -> Result<attachment::Model> {
        let (me, _) = actor.operator()?;
        let name = check_file_name(upload.name)?;
        let chat = self
            .domain
            .chats()
            .visible_chat(&self.domain.db, actor, upload.chat_id)
            .await?;
        if !self
            .domain
            .chats()
            .may_write(&self.domain.db, &chat, me)
            .await?
        {
            return Err(DomainError::forbidden(
                "Only operators in the chat may send files to it",
            ));
        }
        let settings = self.settings_of(chat.organization_id).await?;
        let content_type = within_limits(&settings, upload.content_type, upload.bytes)?;
        let id = AttachmentId::new();
        let storage_key = storage_key(chat.organization_id, id);
        self.domain
            .file_store
            .put(&storage_key, upload.bytes)
            .await?;
        let created = attachment::ActiveModel {
            id: Set(id),
            organization_id: Set(chat.organization_id),
            chat_id: Set(Some(chat.id)),
            message_id: Set(None),
            uploaded_by: Set(Some(me)),
            is_image: Set(is_image(&content_type, &name)),
            file_name: Set(name),
            content_type: Set(content_type),
            size_bytes: Set(upload.bytes.len() as i64),
            storage_key: Set(storage_key),
            sha256: Set(Some(hex::encode(Sha256::digest(upload.bytes)))),
            created_at: Set(self.domain.now()),
        }
        .insert(&self.domain.db)
        .await?;
        Ok(created)
    }

    /// Keeps a file a customer sent with a message (fetched from the channel by the worker):
    /// listed on the chat, shown as a picture only if its bytes are one.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn keep_inbound_file(
        self, job: &crate::entity::delivery::Model, name: &str, content_type: &str, bytes: &[u8],
        limits: InboundLimits,
    ) -> Result<attachment::Model> {
        let content_type = match limits {
            InboundLimits::Provider => bare_type(content_type),
            InboundLimits::Organization => {
                let settings = self.settings_of(job.organization_id).await?;
                within_limits(&settings, content_type, bytes)?
            }
        };
        let message = crate::entity::message::Entity::find_by_id(
            job.message_id.ok_or(DomainError::not_found("message"))?,
        )
        .one(&self.domain.db)
        .await?
        .ok_or(DomainError::not_found("message"))?;
        let name = check_file_name(name).unwrap_or_else(|_| "file".to_owned());
        let id = AttachmentId::new();
        let storage_key = storage_key(message.organization_id, id);
        self.domain.file_store.put(&storage_key, bytes).await?;
        let now = self.domain.now();
        let mut work = self.domain.begin(now).await?;
        let created = attachment::ActiveModel {
            id: Set(id),
            organization_id: Set(message.organization_id),
            chat_id: Set(Some(message.chat_id)),
            message_id: Set(Some(message.id)),
            uploaded_by: Set(None),
            is_image: Set(is_image(&content_type, &name) && looks_like(&content_type, bytes)),
            file_name: Set(name),
            content_type: Set(content_type),
            size_bytes: Set(bytes.len() as i64),
            storage_key: Set(storage_key),
            sha256: Set(Some(hex::encode(Sha256::digest(bytes)))),
            created_at: Set(now),
        }
        .insert(&work.tx)
        .await?;
        self.domain
            .chats()
            .tell_message_updated(
                &mut work,
                message.chat_id,
                serde_json::json!({ "messageId": message.id, "attachmentId": id }),
            )
            .await?;
        self.domain.answer(work, created).await
    }

    /// A chat's files, oldest first.
    #[tracing::instrument(level = "debug", skip_all, fields(chat_id = %chat_id))]
    pub async fn chat_files(self, chat_id: ChatId) -> Result<Vec<attachment::Model>> {
        Ok(attachment::Entity::find()
            .filter(attachment::Column::ChatId.eq(chat_id))
            .order_by_asc(attachment::Column::CreatedAt)
            .order_by_asc(attachment::Column::Id)
            .all(&self.domain.db)
            .await?)
    }

    /// A link to a file that works without a session until `expires`.
    pub fn file_link(self, file: &attachment::Model, expires: DateTime<Utc>) -> String {
        let expires = expires.timestamp();
        format!(
            "{}/files/{}?expires={expires}&signature={}",
            self.domain.config.public_url.as_str().trim_end_matches('/'),
            file.id,
            link_signature(file, expires)
        )
    }

    /// A file with its contents, for a caller who may see its chat.
    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id))]
    pub async fn file_for(
        self, actor: &Actor, id: AttachmentId,
    ) -> Result<(attachment::Model, Vec<u8>)> {
        let file = attachment::Entity::find_by_id(id)
            .filter(attachment::Column::OrganizationId.eq(actor.organization_id))
            .one(&self.domain.db)
            .await?
            .ok_or(DomainError::not_found("file"))?;
        if let Some(chat_id) = file.chat_id {
            self.domain
                .chats()
                .visible_chat(&self.domain.db, actor, chat_id)
                .await?;
        }
        self.contents(file).await
    }

    /// A file by a signed link; a wrong or expired link finds nothing.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn file_by_link(
        self, id: AttachmentId, expires: i64, signature: &str,
    ) -> Result<(attachment::Model, Vec<u8>)> {
        let file = attachment::Entity::find_by_id(id)
            .one(&self.domain.db)
            .await?
            .ok_or(DomainError::not_found("file"))?;
        let mut mac = Hmac::<Sha256>::new_from_slice(file.storage_key.as_bytes())
            .expect("HMAC takes keys of any size");
        mac.update(format!("{}.{expires}", file.id).as_bytes());
        let valid = hex::decode(signature)
            .ok()
            .is_some_and(|presented| mac.verify_slice(&presented).is_ok());
        if !valid || expires < self.domain.now().timestamp() {
            return Err(DomainError::not_found("file"));
        }
        self.contents(file).await
    }

    async fn contents(self, file: attachment::Model) -> Result<(attachment::Model, Vec<u8>)> {
        let bytes = self
            .domain
            .file_store
            .get(&file.storage_key)
            .await?
            .ok_or_else(|| {
                DomainError::Internal(format!("file {} is missing from storage", file.id))
            })?;
        Ok((file, bytes))
    }

    /// Attaches the caller's uploads to their message, in its transaction.
    pub(crate) async fn attach(
        self, db: &impl sea_orm::ConnectionTrait, chat: &chat::Model, me: OperatorId,
        message_id: MessageId, ids: &[AttachmentId],
    ) -> Result<Vec<attachment::Model>> {
        let mut attached = Vec::with_capacity(ids.len());
        for id in ids {
            let file = attachment::Entity::find_by_id(*id)
                .filter(attachment::Column::ChatId.eq(chat.id))
                .filter(attachment::Column::UploadedBy.eq(me))
                .filter(attachment::Column::MessageId.is_null())
                .one(db)
                .await?
                .ok_or_else(|| {
                    DomainError::validation(
                        "attachmentIds",
                        "No such file of yours waiting to be sent in this chat",
                    )
                })?;
            let mut model: attachment::ActiveModel = file.into();
            model.message_id = Set(Some(message_id));
            attached.push(model.update(db).await?);
        }
        Ok(attached)
    }

    /// How long links made for the panel work.
    pub fn panel_link_ttl(self) -> Duration {
        Duration::hours(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pictures_are_what_their_type_and_name_say() {
        assert!(is_image("image/png", "receipt.PNG"));
        assert!(is_image("image/jpeg", "a.jpeg") && is_image("image/jpeg", "a.jpg"));
        assert!(is_image("image/gif", "a.gif"));
        assert!(!is_image("image/png", "receipt.pdf"));
        assert!(!is_image("application/pdf", "a.png"));
        assert!(looks_like("image/png", b"\x89PNG\r\n\x1a\nrest"));
        assert!(!looks_like("image/png", b"<svg onload=alert(1)>"));
        assert!(looks_like("application/pdf", b"%PDF"));
    }

    #[test]
    fn file_names_stay_names() {
        assert_eq!(check_file_name(" invoice.pdf ").unwrap(), "invoice.pdf");
        assert!(check_file_name("../etc/passwd").is_err());
        assert!(check_file_name("a\\b").is_err());
        assert!(check_file_name(".env").is_err());
        assert!(check_file_name("").is_err());
        assert_eq!(bare_type("Image/PNG; charset=binary"), "image/png");
    }
}
