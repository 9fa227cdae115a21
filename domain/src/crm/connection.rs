//! An organization's CRM connection (H): LOCAL or CREATIO, its settings (secrets write-only), and
//! the connector the services use.

use sea_orm::ActiveValue::Set;

use sea_orm::{ActiveModelTrait, EntityTrait, QuerySelect};
use std::sync::Arc;
use validator::{Validate, ValidationError};

use crate::actor::{Actor, Principal};
use crate::entity::crm_connection;
use crate::enums::{ApiKeyScope, CrmKind};
use crate::error::{DomainError, Result};
use crate::ids::*;
use crate::ports::crm::{CrmConnector, CrmContact};
use crate::service::Crm;
use crate::validate::{check_admin, http_url, rule};

/// Creatio Cloud's identity service convention: `https://<tenant>-is.creatio.com`. Other hosts
/// (on-premise) run it on the application's own address unless configured otherwise.
pub fn default_identity_url(base_url: &str) -> String {
    if let Ok(url) = url::Url::parse(base_url)
        && let Some(host) = url.host_str()
        && let Some(tenant) = host.strip_suffix(".creatio.com")
        && !tenant.contains('.')
    {
        return format!("{}://{tenant}-is.creatio.com", url.scheme());
    }
    base_url.to_owned()
}

/// The identity service of a connection: the configured one, else the cloud convention.
pub fn identity_url(connection: &crm_connection::Model) -> Option<String> {
    match &connection.identity_url {
        Some(url) => Some(url.trim_end_matches('/').to_owned()),
        None => connection
            .base_url
            .as_deref()
            .map(|base| default_identity_url(base.trim_end_matches('/'))),
    }
}

/// Whether operators may sign in through this CRM: it has an OAuth client for them and an
/// identity service to send them to (A4).
pub fn offers_sign_in(connection: &crm_connection::Model) -> bool {
    connection.oauth_client_id.is_some() && identity_url(connection).is_some()
}

/// A URL field: empty clears it, anything else must be an absolute http(s) URL.
fn optional_url(value: &str) -> Result<(), ValidationError> {
    if value.is_empty() {
        Ok(())
    } else {
        http_url(value)
    }
}

/// The OData service path: `/0/odata` (classic builds) or `/odata` (.NET 8 builds).
fn service_path(value: &str) -> Result<(), ValidationError> {
    let valid = value.starts_with('/')
        && !value.ends_with('/')
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/_-.".contains(c));
    rule(valid, "path", "must be a path such as /0/odata or /odata")
}

/// A Creatio lookup id: a GUID, or empty to clear it.
fn optional_guid(value: &str) -> Result<(), ValidationError> {
    let valid = value.is_empty() || uuid::Uuid::parse_str(value).is_ok();
    rule(valid, "guid", "must be a GUID")
}

/// A business process's schema name (`UsrCreateCaseFromChat`), or empty to clear it.
fn process_name(value: &str) -> Result<(), ValidationError> {
    let valid = value.is_empty()
        || (value.len() <= 200
            && value.starts_with(|c: char| c.is_ascii_alphabetic())
            && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
    rule(
        valid,
        "name",
        "must be a process schema name of letters, digits and _",
    )
}

/// OAuth scopes: space-separated tokens of printable ASCII without `"` and `\\` (RFC 6749 3.3).
fn scopes(value: &str) -> Result<(), ValidationError> {
    let valid = value
        .chars()
        .all(|c| c == ' ' || (c.is_ascii_graphic() && c != '"' && c != '\\'));
    rule(valid, "scopes", "must be scope names separated by spaces")
}

/// Changes the organization's CRM connection (H5). Omitted fields keep their value; an empty
/// string clears an optional one. Secrets are write-only: they are never returned.
#[derive(Clone, Debug, Validate)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct UpdateCrmConnectionInput {
    pub kind: CrmKind,
    /// The CRM's address, such as `https://mycompany.creatio.com`.
    #[validate(length(max = 500), custom(function = "optional_url"))]
    pub base_url: Option<String>,
    /// The identity service; defaults to `https://<tenant>-is.creatio.com` for cloud sites.
    #[validate(length(max = 500), custom(function = "optional_url"))]
    pub identity_url: Option<String>,
    /// `/0/odata` (the default) or `/odata`.
    #[validate(length(max = 64), custom(function = "service_path"))]
    pub odata_path: Option<String>,
    /// The OAuth client for server-to-server calls (client credentials).
    #[validate(length(max = 200))]
    pub client_id: Option<String>,
    #[validate(length(max = 500))]
    pub client_secret: Option<String>,
    /// The case origin ("Chat") new cases get.
    #[validate(custom(function = "optional_guid"))]
    pub case_origin_id: Option<String>,
    /// The status new cases get.
    #[validate(custom(function = "optional_guid"))]
    pub case_status_id: Option<String>,
    /// The OAuth client for operators' sign-in through the CRM (authorization code).
    #[validate(length(max = 200))]
    pub oauth_client_id: Option<String>,
    #[validate(length(max = 500))]
    pub oauth_client_secret: Option<String>,
    /// A business process started when a chat closes, with the parameter `ChatId`.
    #[validate(custom(function = "process_name"))]
    pub close_process_name: Option<String>,
    /// Scopes asked for at sign-in through the CRM, space-separated (default
    /// `openid profile email`).
    #[validate(length(max = 500), custom(function = "scopes"))]
    pub oauth_scopes: Option<String>,
}

/// What a connection check found.
#[derive(Clone, Debug)]
pub struct CrmConnectionTest {
    /// Which call failed and how, in the CRM's words; none when the CRM answered.
    pub failure: Option<String>,
    /// The contact read, when the CRM has any.
    pub contact: Option<CrmContact>,
}

/// Sets `field` to `value` when given: empty clears it.
fn merge(field: &mut Option<String>, value: Option<String>) {
    if let Some(value) = value {
        let value = value.trim().to_owned();
        *field = (!value.is_empty()).then_some(value);
    }
}

impl Crm<'_> {
    /// The connector of an organization's CRM.
    #[tracing::instrument(level = "debug", skip_all, fields(org = %organization_id))]
    pub async fn crm_for(self, organization_id: OrganizationId) -> Result<Arc<dyn CrmConnector>> {
        let connection = self.crm_connection_of(organization_id).await?;
        self.domain
            .crm_connectors
            .connector(&self.domain.connector_context(), &connection)
    }

    pub(crate) async fn crm_connection_of(
        self, organization_id: OrganizationId,
    ) -> Result<crm_connection::Model> {
        self.saved_connection(organization_id)
            .await?
            .ok_or(DomainError::not_found("CRM connection"))
    }

    /// The organization's saved connection, its secrets opened, if it has one.
    pub(crate) async fn saved_connection(
        self, organization_id: OrganizationId,
    ) -> Result<Option<crm_connection::Model>> {
        crm_connection::Entity::find_by_id(organization_id)
            .one(&self.domain.db)
            .await?
            .map(|found| self.domain.open_connection(found))
            .transpose()
    }

    /// Checks the saved connection (administrators): the connector reads one contact, which
    /// takes a token from the identity service and a call to the CRM's data. A refusal by the
    /// CRM is the check's answer (which call failed and the CRM's words), not an error.
    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id))]
    pub async fn test_crm_connection(self, actor: &Actor) -> Result<CrmConnectionTest> {
        actor.require_admin()?;
        let connector = self.crm_for(actor.organization_id).await?;
        Ok(match connector.first_contact().await {
            Ok(contact) => CrmConnectionTest {
                failure: None,
                contact,
            },
            Err(DomainError::Upstream(failure)) => CrmConnectionTest {
                failure: Some(failure),
                contact: None,
            },
            Err(other) => return Err(other),
        })
    }

    /// The organization's CRM connection (administrators).
    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id))]
    pub async fn crm_connection(self, actor: &Actor) -> Result<crm_connection::Model> {
        actor.require_admin()?;
        self.crm_connection_of(actor.organization_id).await
    }

    /// Changes the CRM connection (administrators). A Creatio connection needs its address and
    /// its client credentials; the check runs on the merged result, so a stored secret need not
    /// be sent again.
    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id))]
    pub async fn update_crm_connection(
        self, actor: &Actor, input: UpdateCrmConnectionInput,
    ) -> Result<crm_connection::Model> {
        check_admin(actor, &input)?;
        for (field, url) in [
            ("baseUrl", &input.base_url),
            ("identityUrl", &input.identity_url),
        ] {
            if let Some(url) = url.as_deref().filter(|url| !url.is_empty()) {
                self.domain.public_upstream(url, field).await?;
            }
        }
        let tx = self.domain.write().await?;
        let existing = crm_connection::Entity::find_by_id(actor.organization_id)
            .lock_exclusive()
            .one(&tx)
            .await?
            .ok_or(DomainError::not_found("CRM connection"))?;
        let mut merged = existing.clone();
        merged.kind = input.kind;
        merge(&mut merged.base_url, input.base_url);
        merge(&mut merged.identity_url, input.identity_url);
        merge(&mut merged.odata_path, input.odata_path);
        merge(&mut merged.client_id, input.client_id);
        // Secrets are stored sealed (`sealing.rs`); a stored one stays as it is, an empty one
        // clears it.
        let keyring = &self.domain.keyring;
        let sealed = |given: Option<String>| {
            given.map(|s| match s.trim() {
                "" => String::new(),
                secret => keyring.seal(secret),
            })
        };
        merge(&mut merged.client_secret, sealed(input.client_secret));
        merge(&mut merged.case_origin_id, input.case_origin_id);
        merge(&mut merged.case_status_id, input.case_status_id);
        merge(&mut merged.oauth_client_id, input.oauth_client_id);
        merge(
            &mut merged.oauth_client_secret,
            sealed(input.oauth_client_secret),
        );
        merge(&mut merged.close_process_name, input.close_process_name);
        merge(&mut merged.oauth_scopes, input.oauth_scopes);
        if merged.kind == CrmKind::Creatio {
            for (field, value) in [
                ("baseUrl", &merged.base_url),
                ("clientId", &merged.client_id),
                ("clientSecret", &merged.client_secret),
            ] {
                if value.is_none() {
                    return Err(DomainError::validation(
                        field,
                        "A Creatio connection needs this",
                    ));
                }
            }
        }
        merged.updated_at = self.domain.now();
        let mut model: crm_connection::ActiveModel = existing.into();
        model.kind = Set(merged.kind);
        model.base_url = Set(merged.base_url);
        model.identity_url = Set(merged.identity_url);
        model.odata_path = Set(merged.odata_path);
        model.client_id = Set(merged.client_id);
        model.client_secret = Set(merged.client_secret);
        model.case_origin_id = Set(merged.case_origin_id);
        model.case_status_id = Set(merged.case_status_id);
        model.oauth_client_id = Set(merged.oauth_client_id);
        model.oauth_client_secret = Set(merged.oauth_client_secret);
        model.close_process_name = Set(merged.close_process_name);
        model.oauth_scopes = Set(merged.oauth_scopes);
        model.updated_at = Set(merged.updated_at);
        let updated = model.update(&tx).await?;
        tx.commit().await?;
        Ok(updated)
    }

    /// Operators, and machine clients of the CRM and ADMIN scopes, work with CRM records; the
    /// chatbot's key does not.
    pub(crate) fn require_crm_user(actor: &Actor) -> Result<()> {
        match actor.principal {
            Principal::Operator { .. } => Ok(()),
            Principal::ApiKey {
                scope: ApiKeyScope::Crm | ApiKeyScope::Admin,
                ..
            } => Ok(()),
            Principal::ApiKey { .. } => Err(DomainError::forbidden(
                "CRM records need an operator or an API key of scope CRM",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::assert_rule;

    #[test]
    fn identity_url_follows_the_cloud_convention() {
        assert_eq!(
            default_identity_url("https://acme.creatio.com"),
            "https://acme-is.creatio.com"
        );
        assert_eq!(
            default_identity_url("https://crm.acme.local"),
            "https://crm.acme.local"
        );
    }

    #[test]
    fn input_rules() {
        assert_rule(
            service_path,
            &["/0/odata", "/odata"],
            &["odata", "/0/odata/"],
        );
        assert_rule(
            optional_guid,
            &["", "6a23e3d8-6e4b-4a7a-9b0e-3f1f5b0b1c2d"],
            &["Chat"],
        );
        assert_rule(process_name, &["UsrCreateCaseFromChat"], &["1abc", "a b"]);
    }

    #[test]
    fn merging_keeps_clears_and_sets() {
        let mut field = Some("kept".to_owned());
        merge(&mut field, None);
        assert_eq!(field.as_deref(), Some("kept"));
        merge(&mut field, Some("  new ".into()));
        assert_eq!(field.as_deref(), Some("new"));
        merge(&mut field, Some(String::new()));
        assert_eq!(field, None);
    }
}
