//! The panel inside the CRM (L1, L2): which CRM origins may frame it, and the URL templates an
//! administrator sets for the chat card in the CRM (an invitation's "Open", C5) and for the
//! side iframe with the chat's context (the integration slot, L1).

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::actor::Actor;
use crate::entity::{crm_connection, customer};
use crate::error::{DomainError, Result};
use crate::ids::{ChatId, OrganizationId};
use crate::service::Crm;

/// The placeholders a URL template may hold; each is filled URL-encoded.
pub const PLACEHOLDERS: [&str; 4] = ["{chatId}", "{contactId}", "{caseId}", "{phone}"];

/// What a chat puts into a URL template.
#[derive(Clone, Copy, Debug, Default)]
pub struct ChatUrlContext<'a> {
    pub chat_id: Option<ChatId>,
    pub contact_id: Option<&'a str>,
    pub case_id: Option<&'a str>,
    pub phone: Option<&'a str>,
}

/// Fills a template's placeholders, each value URL-encoded (a missing one is empty).
pub fn fill_url(template: &str, context: &ChatUrlContext<'_>) -> String {
    let encode = |v: Option<&str>| {
        url::form_urlencoded::byte_serialize(v.unwrap_or_default().as_bytes()).collect::<String>()
    };
    template
        .replace(
            "{chatId}",
            &encode(context.chat_id.map(|id| id.to_string()).as_deref()),
        )
        .replace("{contactId}", &encode(context.contact_id))
        .replace("{caseId}", &encode(context.case_id))
        .replace("{phone}", &encode(context.phone))
}

/// The origin a URL template always points at (`https://host[:port]`), or `None` when the
/// template is not an http(s) URL or its placeholders reach into the scheme or the host: the
/// panel's Content-Security-Policy must name the slot's origin before any chat fills it.
pub fn template_origin(template: &str) -> Option<String> {
    let filled = fill_url(template, &ChatUrlContext::default());
    let url = url::Url::parse(&filled).ok()?;
    if !matches!(url.scheme(), "http" | "https") || !url.username().is_empty() {
        return None;
    }
    let origin = url.origin().ascii_serialization();
    // The template must spell that origin itself, placeholders only after it.
    template
        .get(..origin.len())
        .filter(|head| head.eq_ignore_ascii_case(&origin))
        .filter(|_| {
            template[origin.len()..].is_empty()
                || template[origin.len()..].starts_with(['/', '?', '#'])
        })
        .map(|_| origin.clone())
}

/// Whether an origin is safe to write into a `Content-Security-Policy` header as it is: a
/// scheme, a host of letters, digits, dots and dashes (or an IP address) and a port.
pub fn is_plain_origin(origin: &str) -> bool {
    let Some((scheme, rest)) = origin.split_once("://") else {
        return false;
    };
    matches!(scheme, "http" | "https")
        && !rest.is_empty()
        && rest
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
}

/// What the panel's page needs to know of an organization before anyone signs in.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PanelEmbedding {
    /// CRM origins allowed to frame the panel (L2); the panel talks to them by `postMessage`.
    pub frame_ancestors: Vec<String>,
    /// The integration slot's origin, which the panel may frame (L1).
    pub slot_origin: Option<String>,
    /// Whether operators may sign in through the CRM (A4).
    pub crm_sign_in: bool,
}

/// The integration slot of a chat: the administrator's URL with the chat's context (L1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IntegrationSlot {
    pub url: String,
    pub origin: String,
}

impl Crm<'_> {
    /// The organization's embedding settings, for the panel's page (public: they are what the
    /// page's own security headers say anyway).
    #[tracing::instrument(level = "debug", skip_all, fields(org = %organization_id))]
    pub async fn panel_embedding(self, organization_id: OrganizationId) -> Result<PanelEmbedding> {
        let settings = self
            .domain
            .admin()
            .settings_of(&self.domain.db, organization_id)
            .await?;
        let frame_ancestors = serde_json::from_value::<Vec<String>>(settings.frame_ancestors)
            .unwrap_or_default()
            .into_iter()
            .filter(|origin| is_plain_origin(origin))
            .collect();
        let crm_sign_in = crm_connection::Entity::find_by_id(organization_id)
            .one(&self.domain.db)
            .await?
            .is_some_and(|c| crate::crm::connection::offers_sign_in(&c));
        Ok(PanelEmbedding {
            frame_ancestors,
            slot_origin: settings
                .iframe_url_template
                .as_deref()
                .and_then(template_origin)
                .filter(|origin| is_plain_origin(origin)),
            crm_sign_in,
        })
    }

    /// The side iframe's URL for a chat the caller sees; `None` when the organization has no
    /// integration slot. The values go to the administrator's own application, so they are the
    /// originals, not what masking shows the operator.
    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id, chat_id = %chat_id))]
    pub async fn integration_slot(
        self, actor: &Actor, chat_id: ChatId,
    ) -> Result<Option<IntegrationSlot>> {
        actor.operator()?;
        let chat = self
            .domain
            .chats()
            .visible_chat(&self.domain.db, actor, chat_id)
            .await?;
        let settings = self
            .domain
            .admin()
            .settings_of(&self.domain.db, actor.organization_id)
            .await?;
        let Some(template) = settings.iframe_url_template else {
            return Ok(None);
        };
        let origin = template_origin(&template).ok_or_else(|| {
            DomainError::Internal("the integration slot's template has no fixed origin".into())
        })?;
        let customer = customer::Entity::find_by_id(chat.customer_id)
            .filter(customer::Column::OrganizationId.eq(actor.organization_id))
            .one(&self.domain.db)
            .await?;
        let url = fill_url(
            &template,
            &ChatUrlContext {
                chat_id: Some(chat.id),
                contact_id: chat.crm_contact_id.as_deref(),
                case_id: chat.crm_case_id.as_deref(),
                phone: customer.as_ref().and_then(|c| c.phone.as_deref()),
            },
        );
        Ok(Some(IntegrationSlot { url, origin }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::ChatId;

    #[test]
    fn values_are_url_encoded() {
        let id: ChatId = "01936b2e-0000-7000-8000-000000000001".parse().unwrap();
        let url = fill_url(
            "https://shop.example.com/orders?chat={chatId}&phone={phone}&contact={contactId}&case={caseId}",
            &ChatUrlContext {
                chat_id: Some(id),
                contact_id: Some("a&b=c"),
                case_id: None,
                phone: Some("+48 600 100 200"),
            },
        );
        assert_eq!(
            url,
            "https://shop.example.com/orders?chat=01936b2e-0000-7000-8000-000000000001\
             &phone=%2B48+600+100+200&contact=a%26b%3Dc&case="
        );
    }

    #[test]
    fn the_origin_is_fixed_by_the_template() {
        for (template, origin) in [
            (
                "https://shop.example.com:8443/c/{chatId}",
                Some("https://shop.example.com:8443"),
            ),
            (
                "https://shop.example.com?p={phone}",
                Some("https://shop.example.com"),
            ),
            ("https://{contactId}.example.com/", None),
            ("https://shop.example.com{chatId}/", None),
            ("javascript:alert(1)//{chatId}", None),
            ("https://user@shop.example.com/", None),
        ] {
            assert_eq!(template_origin(template).as_deref(), origin, "{template}");
        }
    }

    #[test]
    fn only_plain_origins_reach_the_header() {
        for plain in [
            "https://crm.example.com",
            "http://127.0.0.1:5173",
            "http://[::1]:8080",
        ] {
            assert!(is_plain_origin(plain), "{plain}");
        }
        for other in [
            "https://crm.example.com;script-src",
            "https://a.com 'unsafe-inline'",
            "ftp://a.com",
            "https://",
        ] {
            assert!(!is_plain_origin(other), "{other}");
        }
    }
}
