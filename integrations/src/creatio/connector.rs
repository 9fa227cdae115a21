//! The CRM port over Creatio: contacts, accounts, cases, activities and business processes.

use omnipanel_domain::Result;
use omnipanel_domain::ports::{
    ContactQuery, CrmAccount, CrmActivity, CrmCase, CrmConnector, CrmContact, NewActivity, NewCase,
    NewContact,
};
use reqwest::{Method, StatusCode};

use serde_json::json;

use super::client::{CreatioCrm, error_message, upstream};
use super::records::{
    CaseRecord, CommunicationRecord, ContactRecord, NamedRecord, ProcessResult, guid, literal,
    lookup,
};

pub(super) const CONTACT_FIELDS: &str = "Id,Name,MobilePhone,Email,AccountId";

pub(super) const CASE_FIELDS: &str = "Id,Number,Subject,StatusId,ContactId,AccountId,RegisteredOn";

#[async_trait::async_trait]
impl CrmConnector for CreatioCrm {
    #[tracing::instrument(level = "debug", skip_all, fields(org = %self.organization_id))]
    async fn find_contacts(&self, query: &ContactQuery, limit: u32) -> Result<Vec<CrmContact>> {
        let what = "find contacts";
        let filter = match query {
            ContactQuery::Phone(phone) => {
                // Numbers are stored as people typed them; match on the digits and check below.
                let digits = phone.trim_start_matches('+');
                format!("contains(MobilePhone,{})", literal(digits))
            }
            ContactQuery::Email(email) => format!("Email eq {}", literal(email)),
            ContactQuery::Text(text) => format!("contains(Name,{})", literal(text)),
            ContactQuery::MessengerId(id) => {
                let links: Vec<CommunicationRecord> = self
                    .query(
                        what,
                        "ContactCommunication",
                        &format!("Number eq {}", literal(id)),
                        "ContactId",
                        &[],
                        limit,
                    )
                    .await?;
                let mut contacts = Vec::new();
                for contact_id in links.into_iter().filter_map(|l| lookup(l.contact_id)) {
                    if let Some(found) = self.contact(&contact_id).await?
                        && !contacts.contains(&found)
                    {
                        contacts.push(found);
                    }
                }
                return Ok(contacts);
            }
        };
        let found: Vec<ContactRecord> = self
            .query(
                what,
                "Contact",
                &filter,
                CONTACT_FIELDS,
                &[("$orderby", "Name")],
                limit,
            )
            .await?;
        let contacts = found.into_iter().map(CrmContact::from);
        Ok(match query {
            ContactQuery::Phone(phone) => contacts
                .filter(|c| {
                    c.phone
                        .as_deref()
                        .and_then(omnipanel_domain::customer::normalize_phone)
                        .is_some_and(|p| p.trim_start_matches('+') == phone.trim_start_matches('+'))
                })
                .collect(),
            _ => contacts.collect(),
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(org = %self.organization_id))]
    async fn contact(&self, id: &str) -> Result<Option<CrmContact>> {
        let found: Option<ContactRecord> = self
            .get("get contact", "Contact", id, CONTACT_FIELDS)
            .await?;
        Ok(found.map(CrmContact::from))
    }

    #[tracing::instrument(level = "debug", skip_all, fields(org = %self.organization_id))]
    async fn create_contact(&self, contact: &NewContact) -> Result<CrmContact> {
        let mut body = json!({ "Name": contact.name });
        if let Some(phone) = &contact.phone {
            body["MobilePhone"] = json!(phone);
        }
        if let Some(email) = &contact.email {
            body["Email"] = json!(email);
        }
        if let Some(account) = contact.account_id.as_deref().and_then(guid) {
            body["AccountId"] = json!(account);
        }
        let created: ContactRecord = self.create("create contact", "Contact", &body).await?;
        Ok(created.into())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(org = %self.organization_id))]
    async fn account(&self, id: &str) -> Result<Option<CrmAccount>> {
        let found: Option<NamedRecord> = self.get("get account", "Account", id, "Id,Name").await?;
        Ok(found.map(|a| CrmAccount {
            id: a.id,
            name: a.name.unwrap_or_default(),
        }))
    }

    #[tracing::instrument(level = "debug", skip_all, fields(org = %self.organization_id))]
    async fn contact_cases(&self, contact_id: &str) -> Result<Vec<CrmCase>> {
        let Some(contact_id) = guid(contact_id) else {
            return Ok(Vec::new());
        };
        let found: Vec<CaseRecord> = self
            .query(
                "list cases",
                "Case",
                &format!("Contact/Id eq {contact_id}"),
                CASE_FIELDS,
                &[("$orderby", "RegisteredOn desc")],
                50,
            )
            .await?;
        Ok(found.into_iter().map(CrmCase::from).collect())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(org = %self.organization_id))]
    async fn case(&self, id: &str) -> Result<Option<CrmCase>> {
        let found: Option<CaseRecord> = self.get("get case", "Case", id, CASE_FIELDS).await?;
        Ok(found.map(CrmCase::from))
    }

    #[tracing::instrument(level = "debug", skip_all, fields(org = %self.organization_id))]
    async fn create_case(&self, case: &NewCase) -> Result<CrmCase> {
        let mut body = json!({ "Subject": case.subject, "Symptoms": case.description });
        let ids = [
            ("ContactId", case.contact_id.as_deref()),
            ("AccountId", case.account_id.as_deref()),
            ("OriginId", self.settings.case_origin_id.as_deref()),
            ("StatusId", self.settings.case_status_id.as_deref()),
        ];
        for (field, id) in ids {
            if let Some(id) = id.and_then(guid) {
                body[field] = json!(id);
            }
        }
        let created: CaseRecord = self.create("create case", "Case", &body).await?;
        let created = CrmCase::from(created);
        if !created.number.is_empty() {
            return Ok(created);
        }
        // Some builds answer without the generated number; read it back.
        Ok(self.case(&created.id).await?.unwrap_or(created))
    }

    #[tracing::instrument(level = "debug", skip_all, fields(org = %self.organization_id))]
    async fn activity(&self, id: &str) -> Result<Option<CrmActivity>> {
        let found: Option<NamedRecord> =
            self.get("get activity", "Activity", id, "Id,Title").await?;
        Ok(found.map(|a| CrmActivity {
            id: a.id,
            title: a.name.unwrap_or_default(),
        }))
    }

    #[tracing::instrument(level = "debug", skip_all, fields(org = %self.organization_id))]
    async fn create_activity(&self, activity: &NewActivity) -> Result<CrmActivity> {
        let mut body = json!({
            "Title": activity.title,
            "StartDate": activity.started_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "DueDate": activity.ended_at.unwrap_or(activity.started_at)
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        });
        for (field, id) in [
            ("ContactId", activity.contact_id.as_deref()),
            ("AccountId", activity.account_id.as_deref()),
        ] {
            if let Some(id) = id.and_then(guid) {
                body[field] = json!(id);
            }
        }
        let created: NamedRecord = self.create("create activity", "Activity", &body).await?;
        Ok(CrmActivity {
            id: created.id,
            title: created.name.unwrap_or_else(|| activity.title.clone()),
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(org = %self.organization_id))]
    async fn run_process(&self, name: &str, parameters: &[(&str, String)]) -> Result<()> {
        let what = "run business process";
        let url = format!(
            "{}/ProcessEngineService.svc/RunProcess",
            self.settings.service_model_url()
        );
        let body = json!({
            "schemaName": name,
            "parameterValues": parameters
                .iter()
                .map(|(name, value)| json!({ "name": name, "value": value }))
                .collect::<Vec<_>>(),
            "resultParameterNames": [],
        });
        let response = self
            .send(what, Method::POST, |r| r.body(body.to_string()), &url)
            .await?;
        if response.status() == StatusCode::NOT_FOUND {
            return Err(upstream(
                what,
                "HTTP 404: no process engine at this address",
            ));
        }
        let result: ProcessResult = Self::json(what, response).await?;
        if result.success == Some(false) {
            let message = result
                .error_info
                .as_ref()
                .map(|info| error_message(&json!({ "errorInfo": info }).to_string()))
                .unwrap_or_else(|| "no message".into());
            return Err(upstream(
                what,
                format!("the process did not start: {message}"),
            ));
        }
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(org = %self.organization_id))]
    async fn first_contact(&self) -> Result<Option<CrmContact>> {
        let found: Vec<ContactRecord> = self
            .query("read a contact", "Contact", "", CONTACT_FIELDS, &[], 1)
            .await?;
        Ok(found.into_iter().next().map(CrmContact::from))
    }
}
