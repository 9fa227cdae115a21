//! Where and how to reach one organization's Creatio.

use omnipanel_domain::entity::crm_connection;

use omnipanel_domain::{DomainError, Result};

/// Where and how to reach one organization's Creatio.
#[derive(Clone, PartialEq, Eq)]
pub struct CreatioSettings {
    /// `https://mycompany.creatio.com`, without a trailing slash.
    pub base_url: String,
    pub identity_url: String,
    /// `/0/odata` or `/odata`.
    pub odata_path: String,
    pub client_id: String,
    pub client_secret: String,
    pub case_origin_id: Option<String>,
    pub case_status_id: Option<String>,
}

impl std::fmt::Debug for CreatioSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatioSettings")
            .field("base_url", &self.base_url)
            .field("identity_url", &self.identity_url)
            .field("odata_path", &self.odata_path)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .finish()
    }
}

impl CreatioSettings {
    /// The settings of a stored connection; an incomplete one is an `UPSTREAM` error that says
    /// what is missing.
    pub fn of(connection: &crm_connection::Model) -> Result<Self> {
        let need = |value: &Option<String>, what: &str| {
            value.clone().ok_or_else(|| {
                DomainError::Upstream(format!("The Creatio connection has no {what}"))
            })
        };
        let base_url = need(&connection.base_url, "base URL")?
            .trim_end_matches('/')
            .to_owned();
        let identity_url =
            omnipanel_domain::crm::identity_url(connection).unwrap_or_else(|| base_url.clone());
        Ok(Self {
            identity_url,
            odata_path: connection
                .odata_path
                .clone()
                .unwrap_or_else(|| "/0/odata".into()),
            client_id: need(&connection.client_id, "client id")?,
            client_secret: need(&connection.client_secret, "client secret")?,
            case_origin_id: connection.case_origin_id.clone(),
            case_status_id: connection.case_status_id.clone(),
            base_url,
        })
    }

    /// Business processes live beside OData: `/0/ServiceModel/…` on classic builds, where
    /// OData is under `/0/odata`, and `/ServiceModel/…` where it is under `/odata`.
    pub(super) fn service_model_url(&self) -> String {
        let prefix = if self.odata_path.starts_with("/0/") {
            "/0"
        } else {
            ""
        };
        format!("{}{prefix}/ServiceModel", self.base_url)
    }
}
