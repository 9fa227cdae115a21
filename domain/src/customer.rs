//! Customers and the ways channels know them (C1): a chat's customer is found by any identity
//! the bot passes (phone, messenger id, username, e-mail) or created with the next "Client #N".

use chrono::{DateTime, Utc};

use sea_orm::ActiveValue::Set;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use validator::{Validate, ValidationError};

use crate::entity::{customer, customer_identity, organization};
use crate::enums::{ChatSource, IdentityKind};
use crate::error::{DomainError, Result};
use crate::ids::{CustomerId, CustomerIdentityId, OrganizationId};

/// A phone number as stored: an optional leading `+` and digits only.
pub fn normalize_phone(raw: &str) -> Option<String> {
    let trimmed = raw.trim();
    let digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
    if !(5..=20).contains(&digits.len()) {
        return None;
    }
    let allowed = trimmed
        .chars()
        .all(|c| c.is_ascii_digit() || " +-().".contains(c));
    if !allowed || trimmed[1..].contains('+') {
        return None;
    }
    Some(if trimmed.starts_with('+') {
        format!("+{digits}")
    } else {
        digits
    })
}

pub(crate) fn valid_phone(value: &str) -> Result<(), ValidationError> {
    normalize_phone(value).map(|_| ()).ok_or_else(|| {
        ValidationError::new("phone")
            .with_message("must be a phone number of 5 to 20 digits".into())
    })
}

/// Who the customer is, as the bot or channel knows them.
#[derive(Clone, Debug, Default, Validate, serde::Serialize)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct CustomerInput {
    #[validate(length(max = 200))]
    pub name: Option<String>,
    /// May start with +; spaces, dashes and brackets are ignored.
    #[validate(custom(function = "valid_phone"))]
    pub phone: Option<String>,
    #[validate(email, length(max = 254))]
    pub email: Option<String>,
    /// The messenger's user id (digits for Telegram).
    #[validate(length(min = 1, max = 200))]
    pub messenger_id: Option<String>,
    /// The messenger username, with or without @.
    #[validate(length(min = 1, max = 100))]
    pub username: Option<String>,
}

/// The provider a source's messenger ids and usernames belong to.
pub fn provider_of(source: ChatSource) -> &'static str {
    match source {
        ChatSource::Telegram => "telegram",
        ChatSource::Webchat => "webchat",
        ChatSource::InfobipWhatsapp => "infobip_whatsapp",
        ChatSource::Viber => "viber",
        ChatSource::Messenger => "messenger",
    }
}

/// One way to reach a customer: its kind, the provider (for messenger ids) and the value.
type Identity = (IdentityKind, String, String);

/// The identities of a customer input, normalized: (kind, provider, value).
fn identities(input: &CustomerInput, source: ChatSource) -> Vec<Identity> {
    let mut out = Vec::new();
    if let Some(phone) = input.phone.as_deref().and_then(normalize_phone) {
        out.push((IdentityKind::Phone, String::new(), phone));
    }
    if let Some(email) = &input.email {
        out.push((
            IdentityKind::Email,
            String::new(),
            email.trim().to_lowercase(),
        ));
    }
    if let Some(id) = &input.messenger_id {
        out.push((
            IdentityKind::MessengerId,
            provider_of(source).into(),
            id.trim().to_owned(),
        ));
    }
    if let Some(username) = &input.username {
        let name = username.trim().trim_start_matches('@').to_lowercase();
        out.push((IdentityKind::Username, provider_of(source).into(), name));
    }
    out
}

/// The identities the input names; `VALIDATION` on `customer` when it names none.
fn wanted_identities(input: &CustomerInput, source: ChatSource) -> Result<Vec<Identity>> {
    let wanted = identities(input, source);
    if wanted.is_empty() {
        return Err(DomainError::validation(
            "customer",
            "Give at least one of phone, email, messengerId or username",
        ));
    }
    Ok(wanted)
}

/// The customer the first known identity belongs to, and which of `wanted` are already known.
async fn lookup(
    db: &impl ConnectionTrait, organization_id: OrganizationId, wanted: &[Identity],
) -> Result<(Option<CustomerId>, Vec<Identity>)> {
    let mut found = None;
    let mut known = Vec::new();
    for (kind, provider, value) in wanted {
        let identity = customer_identity::Entity::find()
            .filter(customer_identity::Column::OrganizationId.eq(organization_id))
            .filter(customer_identity::Column::Kind.eq(*kind))
            .filter(customer_identity::Column::Provider.eq(provider.as_str()))
            .filter(customer_identity::Column::Value.eq(value.as_str()))
            .one(db)
            .await?;
        if let Some(identity) = identity {
            found.get_or_insert(identity.customer_id);
            known.push((*kind, provider.clone(), value.clone()));
        }
    }
    Ok((found, known))
}

/// The customer one of the identities already belongs to, without changing anything.
pub async fn find_existing(
    db: &impl ConnectionTrait, organization_id: OrganizationId, source: ChatSource,
    input: &CustomerInput,
) -> Result<Option<customer::Model>> {
    let (found, _) = lookup(db, organization_id, &identities(input, source)).await?;
    match found {
        Some(id) => Ok(customer::Entity::find_by_id(id).one(db).await?),
        None => Ok(None),
    }
}

/// Whether one of the identities already belongs to a customer, read before a change opens so
/// that it takes a customer number (`store::reserve_numbers`) only for a new one; `VALIDATION` on
/// `customer` when the input names no identity.
pub async fn is_known(
    db: &impl ConnectionTrait, organization_id: OrganizationId, source: ChatSource,
    input: &CustomerInput,
) -> Result<bool> {
    let wanted = wanted_identities(input, source)?;
    Ok(lookup(db, organization_id, &wanted).await?.0.is_some())
}

/// Where a new customer's number comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NewNumber {
    /// The organization's next, taken in the change (its row is then held until the commit).
    Next,
    /// One taken before the change opened (`store::reserve_numbers`).
    Reserved(i64),
    /// None in this attempt: a new customer is not created, so that the caller can take a
    /// number outside its change and try again.
    NotYet,
}

/// Finds the customer any of the identities belongs to, or creates one numbered as `number`
/// says; adds the identities the customer did not have yet. `None` only when the customer is new
/// and `number` is [`NewNumber::NotYet`].
pub async fn find_or_create_numbered(
    db: &impl ConnectionTrait, organization_id: OrganizationId, source: ChatSource,
    input: &CustomerInput, now: DateTime<Utc>, number: NewNumber,
) -> Result<Option<customer::Model>> {
    let wanted = wanted_identities(input, source)?;
    let (found, known) = lookup(db, organization_id, &wanted).await?;
    let phone = input.phone.as_deref().and_then(normalize_phone);
    let email = input.email.as_ref().map(|e| e.trim().to_lowercase());
    let name = input
        .name
        .as_ref()
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty());
    let customer = match found {
        Some(id) => {
            let existing = customer::Entity::find_by_id(id)
                .one(db)
                .await?
                .ok_or(DomainError::not_found("customer"))?;
            let mut model: customer::ActiveModel = existing.clone().into();
            if existing.name.is_none() && name.is_some() {
                model.name = Set(name);
            }
            if existing.phone.is_none() && phone.is_some() {
                model.phone = Set(phone);
            }
            if existing.email.is_none() && email.is_some() {
                model.email = Set(email);
            }
            model.updated_at = Set(now);
            model.update(db).await?
        }
        None => {
            let number = match number {
                NewNumber::Reserved(number) => number,
                NewNumber::Next => {
                    let sequence = organization::Column::CustomerSeq;
                    crate::store::next_number(db, organization_id, sequence).await?
                }
                NewNumber::NotYet => return Ok(None),
            };
            customer::ActiveModel {
                id: Set(CustomerId::new()),
                organization_id: Set(organization_id),
                number: Set(number),
                name: Set(name),
                phone: Set(phone),
                email: Set(email),
                description: Set(None),
                crm_contact_id: Set(None),
                crm_account_id: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
            }
            .insert(db)
            .await?
        }
    };
    for entry in wanted.into_iter().filter(|w| !known.contains(w)) {
        add_identity(db, &customer, entry, now).await?;
    }
    Ok(Some(customer))
}

/// Writes what an operator learned about a customer (D10): the given name, phone and e-mail
/// replace the stored ones, and each becomes an identity of this customer unless another
/// customer already has it (identities are never moved between customers silently).
pub async fn identify(
    db: &impl ConnectionTrait, existing: customer::Model, source: ChatSource,
    input: &CustomerInput, now: DateTime<Utc>,
) -> Result<customer::Model> {
    let mut model: customer::ActiveModel = existing.clone().into();
    if let Some(name) = input
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        model.name = Set(Some(name.to_owned()));
    }
    if let Some(phone) = input.phone.as_deref().and_then(normalize_phone) {
        model.phone = Set(Some(phone));
    }
    if let Some(email) = &input.email {
        model.email = Set(Some(email.trim().to_lowercase()));
    }
    model.updated_at = Set(now);
    let updated = model.update(db).await?;
    let wanted = identities(input, source);
    for entry in wanted {
        let (owner, _) = lookup(db, existing.organization_id, std::slice::from_ref(&entry)).await?;
        if owner.is_none() {
            add_identity(db, &existing, entry, now).await?;
        }
    }
    Ok(updated)
}

/// How operators see a customer: the phone, or else "Client #N" (D3).
pub fn display_name(customer: &customer::Model) -> String {
    customer
        .phone
        .clone()
        .unwrap_or_else(|| format!("Client #{}", customer.number))
}

/// Records one more way to reach `customer` (a phone, an e-mail, a messenger id).
async fn add_identity(
    db: &impl ConnectionTrait, customer: &customer::Model, (kind, provider, value): Identity,
    now: DateTime<Utc>,
) -> Result<()> {
    customer_identity::ActiveModel {
        id: Set(CustomerIdentityId::new()),
        organization_id: Set(customer.organization_id),
        customer_id: Set(customer.id),
        kind: Set(kind),
        provider: Set(provider),
        value: Set(value),
        created_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_normalized() {
        for (typed, stored) in [
            ("+ 1 (123) 456 7890", Some("+11234567890")),
            ("8-800-555-35-35", Some("88005553535")),
            ("12", None),
            ("+1+2345678", None),
            ("call me", None),
        ] {
            assert_eq!(normalize_phone(typed).as_deref(), stored, "{typed}");
        }
    }
}
