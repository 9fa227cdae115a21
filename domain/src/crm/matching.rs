//! Matching customers to CRM contacts (H1): looked up before the transaction (a slow CRM never holds
//! chat locks; a failing one never fails the hand-off), linked inside it.

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::{ActiveModelTrait, ConnectionTrait};

use crate::customer::{self, CustomerInput, normalize_phone};
use crate::entity::customer as customer_entity;
use crate::enums::{ChatSource, CrmKind};
use crate::error::Result;
use crate::ids::*;
use crate::ports::crm::{ContactQuery, CrmContact};
use crate::ports::local_crm::find_local_contacts;
use crate::service::Crm;

/// What looking up an arriving customer in the CRM gave.
#[derive(Clone, Debug)]
pub(crate) enum Matching {
    /// No single contact (or no look-up).
    Nothing,
    Found(CrmContact),
    /// The CRM is the local one: look inside the transaction.
    InTransaction,
}

/// The look-ups a phone and an e-mail allow, phone first: each normalized as contacts keep it.
pub(crate) fn phone_and_email(
    phone: Option<&str>, email: Option<&str>,
) -> [Option<ContactQuery>; 2] {
    [
        phone.and_then(normalize_phone).map(ContactQuery::Phone),
        email.map(|e| ContactQuery::Email(e.trim().to_lowercase())),
    ]
}

/// The look-ups an arriving customer's identities allow: phone, e-mail, messenger id.
fn identity_queries(input: &CustomerInput) -> Vec<ContactQuery> {
    let [phone, email] = phone_and_email(input.phone.as_deref(), input.email.as_deref());
    let messenger = input
        .messenger_id
        .as_ref()
        .map(|id| ContactQuery::MessengerId(id.trim().to_owned()));
    [phone, email, messenger].into_iter().flatten().collect()
}

impl Crm<'_> {
    /// Looks up the CRM contact an arriving customer is (H1), before the transaction: a remote
    /// CRM must not be called while chat rows are locked. The local CRM is this database, so it
    /// is matched inside the transaction instead (on its connection).
    pub(crate) async fn match_contact(
        self, organization_id: OrganizationId, source: ChatSource, input: &CustomerInput,
    ) -> Matching {
        let connection = match self.crm_connection_of(organization_id).await {
            Ok(connection) => connection,
            Err(error) => {
                tracing::warn!(?error, "no CRM connection for contact matching");
                return Matching::Nothing;
            }
        };
        if connection.kind == CrmKind::Local {
            return Matching::InTransaction;
        }
        match customer::find_existing(&self.domain.db, organization_id, source, input).await {
            Ok(Some(known)) if known.crm_contact_id.is_some() => return Matching::Nothing,
            Ok(_) => {}
            Err(error) => {
                tracing::warn!(?error, "customer look-up before CRM matching failed");
                return Matching::Nothing;
            }
        }
        let crm = match self
            .domain
            .crm_connectors
            .connector(&self.domain.connector_context(), &connection)
        {
            Ok(crm) => crm,
            Err(error) => {
                tracing::warn!(?error, "no CRM connector for contact matching");
                return Matching::Nothing;
            }
        };
        for query in identity_queries(input) {
            match crm.find_contacts(&query, 2).await {
                Ok(found) if found.len() == 1 => {
                    return found
                        .into_iter()
                        .next()
                        .map_or(Matching::Nothing, Matching::Found);
                }
                Ok(found) if found.len() > 1 => {
                    tracing::info!(?query, "several CRM contacts match; not linking");
                    return Matching::Nothing;
                }
                Ok(_) => {}
                Err(error) => {
                    tracing::warn!(%error, "CRM contact matching failed; the chat stays unlinked");
                    return Matching::Nothing;
                }
            }
        }
        Matching::Nothing
    }

    /// Links an arriving customer to the contact matching found (or, for the local CRM, finds
    /// now on `db`). A customer already linked stays as they are; only a single match links.
    pub(crate) async fn link_matched(
        self, db: &impl ConnectionTrait, customer: customer_entity::Model, matching: &Matching,
        input: &CustomerInput, now: DateTime<Utc>,
    ) -> Result<customer_entity::Model> {
        if customer.crm_contact_id.is_some() {
            return Ok(customer);
        }
        let contact = match matching {
            Matching::Nothing => None,
            Matching::Found(contact) => Some(contact.clone()),
            Matching::InTransaction => {
                let mut found = None;
                for query in identity_queries(input) {
                    let mut contacts =
                        find_local_contacts(db, customer.organization_id, &query, 2).await?;
                    if contacts.len() == 1 {
                        found = contacts.pop();
                        break;
                    }
                    if contacts.len() > 1 {
                        break;
                    }
                }
                found
            }
        };
        match contact {
            Some(contact) => self.link_customer(db, customer, &contact, now).await,
            None => Ok(customer),
        }
    }

    /// Links a customer (and so their future chats) to a CRM contact found at hand-off.
    pub(crate) async fn link_customer(
        self, db: &impl ConnectionTrait, customer: customer_entity::Model, contact: &CrmContact,
        now: DateTime<Utc>,
    ) -> Result<customer_entity::Model> {
        let mut model: customer_entity::ActiveModel = customer.into();
        model.crm_contact_id = Set(Some(contact.id.clone()));
        model.crm_account_id = Set(contact.account_id.clone());
        model.updated_at = Set(now);
        Ok(model.update(db).await?)
    }
}
