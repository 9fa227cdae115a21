//! Telegram Bot API (`../shared/TELEGRAM.md`): the `Update` JSON a webhook receives, turned into
//! a customer's message, and `sendMessage` for the operators' replies.

use chrono::{DateTime, Utc};
use omnipanel_domain::channels::{InboundFile, InboundMessage, bot_api, credentials_of};
use omnipanel_domain::customer::CustomerInput;
use omnipanel_domain::deliveries::{Attempt, Retry};
use omnipanel_domain::entity::channel;
use serde::Deserialize;
use serde_json::json;

/// The header Telegram repeats the webhook's `secret_token` in.
pub const SECRET_HEADER: &str = "x-telegram-bot-api-secret-token";

/// One incoming update: at most one of its payloads is set.
#[derive(Debug, Deserialize)]
pub struct Update {
    pub update_id: i64,
    pub message: Option<Message>,
    pub edited_message: Option<Message>,
}

#[derive(Debug, Deserialize)]
pub struct Message {
    pub message_id: i64,
    /// Unix seconds.
    pub date: i64,
    pub chat: Chat,
    pub from: Option<User>,
    pub text: Option<String>,
    pub caption: Option<String>,
    pub photo: Option<Vec<PhotoSize>>,
    pub document: Option<Document>,
    pub contact: Option<Contact>,
}

#[derive(Debug, Deserialize)]
pub struct Chat {
    /// Up to 52 bits.
    pub id: i64,
    #[serde(rename = "type")]
    pub kind: String,
    pub username: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct User {
    pub id: i64,
    pub is_bot: bool,
    pub first_name: String,
    pub last_name: Option<String>,
    pub username: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct PhotoSize {
    pub file_id: String,
    pub width: u32,
    pub height: u32,
}

#[derive(Debug, Deserialize)]
pub struct Document {
    pub file_id: String,
    pub file_name: Option<String>,
    pub mime_type: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Contact {
    pub phone_number: String,
    pub first_name: String,
    pub last_name: Option<String>,
    pub user_id: Option<i64>,
}

fn full_name(first: &str, last: Option<&str>) -> String {
    match last {
        Some(last) if !last.trim().is_empty() => format!("{} {}", first.trim(), last.trim()),
        _ => first.trim().to_owned(),
    }
}

/// The customer's message in an update, or `None` for what is not one: edits (the original
/// stays as it was), messages from bots, and updates of other kinds.
pub fn inbound(update: &Update) -> Option<InboundMessage> {
    let message = update.message.as_ref()?;
    if message.chat.kind != "private" || message.from.as_ref().is_some_and(|f| f.is_bot) {
        return None;
    }
    let from = message.from.as_ref();
    let name = from
        .map(|f| full_name(&f.first_name, f.last_name.as_deref()))
        .or_else(|| {
            message
                .chat
                .first_name
                .as_deref()
                .map(|first| full_name(first, message.chat.last_name.as_deref()))
        });
    // A contact the customer shares about themselves gives their phone.
    let phone = message
        .contact
        .as_ref()
        .filter(|c| c.user_id.is_some() && c.user_id == from.map(|f| f.id))
        .map(|c| c.phone_number.clone());
    let caption = message
        .caption
        .as_deref()
        .map(|c| format!(": {c}"))
        .unwrap_or_default();
    let text = if let Some(text) = &message.text {
        text.clone()
    } else if message.photo.as_ref().is_some_and(|p| !p.is_empty()) {
        format!("📷 Photo{caption}")
    } else if let Some(document) = &message.document {
        format!(
            "📎 {}{caption}",
            document.file_name.as_deref().unwrap_or("Document")
        )
    } else if let Some(contact) = &message.contact {
        format!(
            "📇 {} {}",
            full_name(&contact.first_name, contact.last_name.as_deref()),
            contact.phone_number
        )
    } else {
        message.caption.clone()?
    };
    // The largest size of a photo (Telegram's order is not documented: pick by area).
    let photo = message
        .photo
        .as_ref()
        .and_then(|sizes| {
            sizes
                .iter()
                .max_by_key(|p| u64::from(p.width) * u64::from(p.height))
        })
        .map(|p| InboundFile {
            provider_file_id: p.file_id.clone(),
            name: "photo.jpg".into(),
            content_type: "image/jpeg".into(),
        });
    let document = message.document.as_ref().map(|d| InboundFile {
        provider_file_id: d.file_id.clone(),
        name: d.file_name.clone().unwrap_or_else(|| "document".into()),
        content_type: d
            .mime_type
            .clone()
            .unwrap_or_else(|| "application/octet-stream".into()),
    });
    Some(InboundMessage {
        files: photo.into_iter().chain(document).collect(),
        receipt: Some(update.update_id.to_string()),
        external_id: format!("{}:{}", message.chat.id, message.message_id),
        customer: CustomerInput {
            name,
            phone,
            email: None,
            // Replies go to the chat; in a private chat that is the customer.
            messenger_id: Some(message.chat.id.to_string()),
            username: from
                .and_then(|f| f.username.clone())
                .or_else(|| message.chat.username.clone()),
        },
        text,
        sent_at: DateTime::<Utc>::from_timestamp(message.date, 0),
    })
}

/// The most Telegram lets a bot download (20 MB).
const MAX_DOWNLOAD: u64 = 20 * 1024 * 1024;

#[derive(Deserialize)]
struct FileAnswer {
    ok: bool,
    result: Option<FileInfo>,
    description: Option<String>,
}

#[derive(Deserialize)]
struct FileInfo {
    file_path: Option<String>,
}

/// Downloads a file a customer sent: `getFile` for its path, then the file itself.
#[tracing::instrument(level = "debug", skip_all, fields(channel_id = %found.id))]
pub async fn fetch_file(
    http: &reqwest::Client, found: &channel::Model, file_id: &str,
) -> Result<Vec<u8>, Attempt> {
    let token = credentials_of(found)
        .bot_token
        .ok_or_else(|| Attempt::refused(None, "The channel has no bot token"))?;
    let base = bot_api(found);
    let unreachable = |error: reqwest::Error| {
        tracing::warn!(error = %error.without_url(), "Telegram file download failed");
        Attempt::failed(None, "Telegram could not be reached")
    };
    let answer: FileAnswer = http
        .post(format!("{base}/bot{token}/getFile"))
        .json(&json!({ "file_id": file_id }))
        .send()
        .await
        .map_err(unreachable)?
        .json()
        .await
        .map_err(|_| Attempt::failed(None, "Telegram answered getFile without a Bot API body"))?;
    let path = match answer {
        FileAnswer {
            ok: true,
            result: Some(FileInfo {
                file_path: Some(path),
            }),
            ..
        } => path,
        FileAnswer { description, .. } => {
            return Err(Attempt::refused(
                None,
                format!(
                    "Telegram refused the file: {}",
                    description.unwrap_or_else(|| "no path".into())
                ),
            ));
        }
    };
    if path.contains("..") {
        return Err(Attempt::refused(
            None,
            "Telegram gave an unusable file path",
        ));
    }
    let response = http
        .get(format!("{base}/file/bot{token}/{path}"))
        .send()
        .await
        .map_err(unreachable)?;
    if !response.status().is_success() {
        return Err(Attempt::failed(
            Some(i32::from(response.status().as_u16())),
            format!(
                "Telegram answered HTTP {} for the file",
                response.status().as_u16()
            ),
        ));
    }
    crate::body_at_most(response, MAX_DOWNLOAD)
        .await
        .map_err(|error| match error {
            crate::BodyError::TooLarge => {
                Attempt::refused(None, "The file is larger than Telegram lets bots download")
            }
            crate::BodyError::Broken(error) => unreachable(error),
        })
}

#[derive(Deserialize)]
struct Answer {
    ok: bool,
    result: Option<SentMessage>,
    description: Option<String>,
    parameters: Option<Parameters>,
}

#[derive(Deserialize)]
struct SentMessage {
    message_id: i64,
}

#[derive(Deserialize)]
struct Parameters {
    retry_after: Option<i64>,
}

/// A file to send with a message.
pub struct File<'a> {
    pub name: &'a str,
    pub content_type: &'a str,
    pub is_image: bool,
    pub bytes: Vec<u8>,
}

/// Sends `text` to a Telegram chat: with `sendMessage`, or with a file as its caption through
/// `sendPhoto` (pictures) or `sendDocument` (multipart uploads). Plain text: no `parse_mode`,
/// so nothing an operator types is read as markup.
#[tracing::instrument(level = "debug", skip_all, fields(channel_id = %found.id))]
pub async fn send_message(
    http: &reqwest::Client, found: &channel::Model, recipient: &str, text: &str,
    file: Option<File<'_>>,
) -> Attempt {
    let Some(token) = credentials_of(found).bot_token else {
        return Attempt::refused(None, "The channel has no bot token");
    };
    let Ok(chat_id) = recipient.parse::<i64>() else {
        return Attempt::refused(None, "The customer has no Telegram chat id");
    };
    let base = bot_api(found);
    let request = match file {
        None => http
            .post(format!("{base}/bot{token}/sendMessage"))
            .json(&json!({ "chat_id": chat_id, "text": text })),
        Some(file) => {
            let (method, field) = if file.is_image {
                ("sendPhoto", "photo")
            } else {
                ("sendDocument", "document")
            };
            let part = match reqwest::multipart::Part::bytes(file.bytes)
                .file_name(file.name.to_owned())
                .mime_str(file.content_type)
            {
                Ok(part) => part,
                Err(_) => return Attempt::refused(None, "The file has an unusable content type"),
            };
            let form = reqwest::multipart::Form::new()
                .text("chat_id", chat_id.to_string())
                .text("caption", text.to_owned())
                .part(field, part);
            http.post(format!("{base}/bot{token}/{method}"))
                .multipart(form)
        }
    };
    let sent = request.send().await;
    let response = match sent {
        Ok(response) => response,
        // The URL carries the bot token: never let it reach a log or a message.
        Err(error) if error.is_timeout() => {
            return Attempt::failed(None, "Telegram did not answer in time");
        }
        Err(error) => {
            tracing::warn!(error = %error.without_url(), "Telegram unreachable");
            return Attempt::failed(None, "Telegram could not be reached");
        }
    };
    let status = i32::from(response.status().as_u16());
    let answer: Option<Answer> = response.json().await.ok();
    match answer {
        Some(Answer {
            ok: true,
            result: Some(sent),
            ..
        }) => Attempt::Delivered {
            status: Some(status),
            external_id: Some(format!("{chat_id}:{}", sent.message_id)),
        },
        Some(answer) => {
            let description = answer
                .description
                .unwrap_or_else(|| format!("HTTP {status}"));
            let error = format!("Telegram refused: {description}");
            match (status, answer.parameters.and_then(|p| p.retry_after)) {
                (429, Some(seconds)) => Attempt::Failed {
                    status: Some(status),
                    error,
                    retry: Retry::After(chrono::Duration::seconds(seconds.clamp(1, 3600))),
                },
                (400 | 401 | 403 | 404, _) => Attempt::refused(Some(status), error),
                _ => Attempt::failed(Some(status), error),
            }
        }
        None => Attempt::failed(
            Some(status),
            format!("Telegram answered HTTP {status} without a Bot API body"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn update(json: &str) -> Update {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn a_text_message_becomes_the_customers_message() {
        let got = inbound(&update(
            r#"{"update_id":10000,"message":{"message_id":1365,"date":1441645532,
            "chat":{"id":1111111,"type":"private","first_name":"Ann","username":"ann"},
            "from":{"id":1111111,"is_bot":false,"first_name":"Ann","last_name":"Lee","username":"ann","language_code":"en"},
            "text":"Hi, where is my order?"}}"#,
        ))
        .unwrap();
        assert_eq!(got.receipt.as_deref(), Some("10000"));
        assert_eq!(got.external_id, "1111111:1365");
        assert_eq!(got.text, "Hi, where is my order?");
        assert_eq!(got.customer.messenger_id.as_deref(), Some("1111111"));
        assert_eq!(got.customer.username.as_deref(), Some("ann"));
        assert_eq!(got.customer.name.as_deref(), Some("Ann Lee"));
        assert_eq!(got.sent_at.unwrap().timestamp(), 1441645532);
    }

    #[test]
    fn photos_documents_and_contacts_are_described() {
        let photo = inbound(&update(
            r#"{"update_id":1,"message":{"message_id":2,"date":1,"chat":{"id":5,"type":"private"},
            "from":{"id":5,"is_bot":false,"first_name":"Ann"},
            "photo":[{"file_id":"a","file_unique_id":"x","width":90,"height":67},{"file_id":"b","file_unique_id":"y","width":1280,"height":960}],
            "caption":"my receipt"}}"#,
        ))
        .unwrap();
        assert_eq!(photo.text, "📷 Photo: my receipt");
        let contact = inbound(&update(
            r#"{"update_id":2,"message":{"message_id":3,"date":1,"chat":{"id":5,"type":"private"},
            "from":{"id":5,"is_bot":false,"first_name":"Ann"},
            "contact":{"phone_number":"+48600100200","first_name":"Ann","user_id":5}}}"#,
        ))
        .unwrap();
        assert_eq!(contact.customer.phone.as_deref(), Some("+48600100200"));
        let document = inbound(&update(
            r#"{"update_id":3,"message":{"message_id":4,"date":1,"chat":{"id":5,"type":"private"},
            "from":{"id":5,"is_bot":false,"first_name":"Ann"},
            "document":{"file_id":"d","file_unique_id":"u","file_name":"invoice.pdf","mime_type":"application/pdf"}}}"#,
        ))
        .unwrap();
        assert_eq!(document.text, "📎 invoice.pdf");
    }

    #[test]
    fn edits_groups_and_bots_are_not_customer_messages() {
        assert!(
            inbound(&update(
                r#"{"update_id":4,"edited_message":{"message_id":2,"date":1,"edit_date":2,
            "chat":{"id":5,"type":"private"},"text":"edited"}}"#
            ))
            .is_none()
        );
        assert!(
            inbound(&update(
                r#"{"update_id":5,"message":{"message_id":2,"date":1,
            "chat":{"id":-100,"type":"group"},"from":{"id":5,"is_bot":false,"first_name":"A"},"text":"hi"}}"#
            ))
            .is_none()
        );
        assert!(
            inbound(&update(
                r#"{"update_id":6,"message":{"message_id":2,"date":1,
            "chat":{"id":5,"type":"private"},"from":{"id":9,"is_bot":true,"first_name":"B"},"text":"hi"}}"#
            ))
            .is_none()
        );
    }
}
