//! A chat's CRM records (H2, H3, D10): contacts and cases looked up, links set and checked, cases
//! and activities created from the chat, the customer identified.

use sea_orm::ActiveValue::Set;

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::json;
use validator::Validate;

use crate::actor::Actor;
use crate::crm::matching::phone_and_email;
use crate::customer::{self, CustomerInput};
use crate::entity::{chat, customer as customer_entity, message};
use crate::enums::AuthorKind;
use crate::error::{DomainError, Result};
use crate::ids::*;
use crate::ports::crm::{
    ContactQuery, CrmActivity, CrmCase, CrmContact, NewActivity, NewCase, NewContact,
};
use crate::routing::rows::lock_chat;
use crate::service::Crm;
use crate::validate::{check, single_line};

/// How long a claim on case creation holds: longer than a CRM call with its retries may take, so
/// only a server that stopped mid-call leaves a claim this old.
const CASE_CLAIM_SECS: i64 = 300;

/// Links a chat to CRM records (H1, H3). Every id given must exist in the CRM.
#[derive(Clone, Debug, Validate)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct LinkChatInput {
    pub chat_id: ChatId,
    #[validate(length(min = 1, max = 200))]
    pub contact_id: Option<String>,
    #[validate(length(min = 1, max = 200))]
    pub account_id: Option<String>,
    #[validate(length(min = 1, max = 200))]
    pub activity_id: Option<String>,
    /// Consulting on an existing case (H3): one of `crmCases(contactId)`.
    #[validate(length(min = 1, max = 200))]
    pub case_id: Option<String>,
}

/// Creates a CRM case from a chat (H2).
#[derive(Clone, Debug, Validate)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct CreateCaseFromChatInput {
    pub chat_id: ChatId,
    #[validate(length(min = 1, max = 500), custom(function = "single_line"))]
    pub subject: String,
}

/// Creates a CRM activity for a chat and links it.
#[derive(Clone, Debug, Validate)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct CreateActivityFromChatInput {
    pub chat_id: ChatId,
    /// Defaults to the chat's title.
    #[validate(length(min = 1, max = 500), custom(function = "single_line"))]
    pub title: Option<String>,
}

/// What an operator learned about an unknown customer (D10).
#[derive(Clone, Debug, Validate)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct IdentifyCustomerInput {
    pub chat_id: ChatId,
    #[validate(length(min = 1, max = 200), custom(function = "single_line"))]
    pub name: Option<String>,
    #[validate(custom(function = "crate::customer::valid_phone"))]
    pub phone: Option<String>,
    #[validate(email, length(max = 254))]
    pub email: Option<String>,
}

/// The chat's transcript as a case description: one line per message, whispers left out.
pub fn transcript(chat: &chat::Model, messages: &[message::Model]) -> String {
    let mut out = format!(
        "{} ({}), started {}\n\n",
        crate::chat::rules::title(chat.direction, chat.number),
        chat.source.as_str().to_lowercase(),
        chat.created_at.format("%Y-%m-%d %H:%M UTC")
    );
    for message in messages.iter().filter(|m| !m.is_whisper) {
        let who = match message.author_kind {
            AuthorKind::Customer => "Customer",
            AuthorKind::Operator => "Operator",
            AuthorKind::Bot => "Bot",
            AuthorKind::System => "System",
        };
        out.push_str(&format!(
            "[{}] {who}: {}\n",
            message.created_at.format("%Y-%m-%d %H:%M:%S"),
            message.text
        ));
    }
    out
}

impl Crm<'_> {
    /// Contacts found by an e-mail, a phone number or a name (I1, D10).
    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id))]
    pub async fn crm_contacts(self, actor: &Actor, search: &str) -> Result<Vec<CrmContact>> {
        Self::require_crm_user(actor)?;
        let query = ContactQuery::parse(search)?;
        self.crm_for(actor.organization_id)
            .await?
            .find_contacts(&query, 20)
            .await
    }

    /// A contact's cases, newest first (H3).
    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id))]
    pub async fn crm_cases(self, actor: &Actor, contact_id: &str) -> Result<Vec<CrmCase>> {
        Self::require_crm_user(actor)?;
        let contact_id = contact_id.trim();
        if contact_id.is_empty() || contact_id.len() > 200 {
            return Err(DomainError::validation("contactId", "is not a contact id"));
        }
        self.crm_for(actor.organization_id)
            .await?
            .contact_cases(contact_id)
            .await
    }

    /// A chat the caller may work with CRM records on.
    async fn chat_for_crm(self, actor: &Actor, chat_id: ChatId) -> Result<chat::Model> {
        Self::require_crm_user(actor)?;
        self.domain
            .chats()
            .visible_chat(&self.domain.db, actor, chat_id)
            .await
    }

    /// Writes CRM links on a chat in one transaction and tells whoever works it. With
    /// `customer_link`, the chat's customer is linked to that contact too, after taking what
    /// the operator learned about them (`identified`, D10).
    async fn write_links(
        self, chat_id: ChatId, change: impl FnOnce(&mut chat::ActiveModel),
        customer_link: Option<&CrmContact>, identified: Option<&CustomerInput>,
    ) -> Result<chat::Model> {
        let now = self.domain.now();
        let work = self.domain.begin(now).await?;
        let chat = lock_chat(&work.tx, chat_id)
            .await?
            .ok_or(DomainError::not_found("chat"))?;
        let (customer_id, source) = (chat.customer_id, chat.source);
        let mut model: chat::ActiveModel = chat.into();
        change(&mut model);
        let updated = work.save(model).await?;
        if let Some(contact) = customer_link
            && let Some(mut found) = customer_entity::Entity::find_by_id(customer_id)
                .one(&work.tx)
                .await?
        {
            if let Some(details) = identified {
                found = customer::identify(&work.tx, found, source, details, now).await?;
            }
            self.link_customer(&work.tx, found, contact, now).await?;
        }
        let change = json!({
            "crmContactId": updated.crm_contact_id,
            "crmAccountId": updated.crm_account_id,
            "crmActivityId": updated.crm_activity_id,
            "crmCaseId": updated.crm_case_id,
            "crmCaseNumber": updated.crm_case_number,
            "customerIdentified": identified.is_some(),
        });
        self.domain
            .chats()
            .commit_update(work, updated, change)
            .await
    }

    /// Links a chat to a contact, an account, an activity and a case (H1, H3). Each id is
    /// checked in the CRM first; a contact also links the customer, and brings its account when
    /// none is given.
    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id))]
    pub async fn link_chat(self, actor: &Actor, input: LinkChatInput) -> Result<chat::Model> {
        check(&input)?;
        let chat = self.chat_for_crm(actor, input.chat_id).await?;
        if input.contact_id.is_none()
            && input.account_id.is_none()
            && input.activity_id.is_none()
            && input.case_id.is_none()
        {
            return Err(DomainError::validation(
                "contactId",
                "Give at least one of contactId, accountId, activityId or caseId",
            ));
        }
        let crm = self.crm_for(chat.organization_id).await?;
        let contact = match &input.contact_id {
            Some(id) => Some(
                crm.contact(id)
                    .await?
                    .ok_or_else(|| DomainError::validation("contactId", "No such CRM contact"))?,
            ),
            None => None,
        };
        let account_id = match &input.account_id {
            Some(id) => Some(
                crm.account(id)
                    .await?
                    .ok_or_else(|| DomainError::validation("accountId", "No such CRM account"))?
                    .id,
            ),
            None => contact.as_ref().and_then(|c| c.account_id.clone()),
        };
        let activity =
            match &input.activity_id {
                Some(id) => Some(crm.activity(id).await?.ok_or_else(|| {
                    DomainError::validation("activityId", "No such CRM activity")
                })?),
                None => None,
            };
        let case = match &input.case_id {
            Some(id) => Some(
                crm.case(id)
                    .await?
                    .ok_or_else(|| DomainError::validation("caseId", "No such CRM case"))?,
            ),
            None => None,
        };
        self.write_links(
            chat.id,
            |model| {
                if let Some(contact) = &contact {
                    model.crm_contact_id = Set(Some(contact.id.clone()));
                }
                if account_id.is_some() {
                    model.crm_account_id = Set(account_id.clone());
                }
                if let Some(activity) = &activity {
                    model.crm_activity_id = Set(Some(activity.id.clone()));
                }
                if let Some(case) = &case {
                    model.crm_case_id = Set(Some(case.id.clone()));
                    model.crm_case_number = Set(Some(case.number.clone()));
                }
            },
            contact.as_ref(),
            None,
        )
        .await
    }

    /// The chat's messages, oldest first, for a transcript.
    async fn transcript_of(self, chat: &chat::Model) -> Result<String> {
        let messages = message::Entity::find()
            .filter(message::Column::ChatId.eq(chat.id))
            .order_by_asc(message::Column::CreatedAt)
            .order_by_asc(message::Column::Id)
            .limit(5000)
            .all(&self.domain.db)
            .await?;
        Ok(transcript(chat, &messages))
    }

    /// Takes the chat's claim on case creation: one conditional update, so of two simultaneous
    /// calls one creates the case and the other is `CONFLICT` before it calls the CRM.
    async fn claim_case(self, chat: &chat::Model) -> Result<()> {
        use sea_orm::sea_query::{Expr, ExprTrait};
        let now = self.domain.now();
        let stale = now - chrono::Duration::seconds(CASE_CLAIM_SECS);
        let claimed = chat::Entity::update_many()
            .col_expr(chat::Column::CrmCaseClaimedAt, Expr::value(now))
            .filter(chat::Column::Id.eq(chat.id))
            .filter(chat::Column::CrmCaseNumber.is_null())
            .filter(
                Expr::col(chat::Column::CrmCaseClaimedAt)
                    .is_null()
                    .or(Expr::col(chat::Column::CrmCaseClaimedAt).lt(stale)),
            )
            .exec(&self.domain.db)
            .await?;
        if claimed.rows_affected == 1 {
            Ok(())
        } else {
            Err(DomainError::conflict(
                "A case is already being created for this chat",
            ))
        }
    }

    /// Gives the claim back after the CRM refused (the case may be tried again at once).
    async fn release_case(self, chat: &chat::Model) -> Result<()> {
        use sea_orm::sea_query::Expr;
        chat::Entity::update_many()
            .col_expr(
                chat::Column::CrmCaseClaimedAt,
                Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None),
            )
            .filter(chat::Column::Id.eq(chat.id))
            .exec(&self.domain.db)
            .await?;
        Ok(())
    }

    /// Creates a CRM case from a chat (H2): the subject given, the transcript as its
    /// description, the chat's contact and account; the case's id and number are written back
    /// on the chat. A chat that already has a case, or whose case is being created, is refused
    /// (`CONFLICT`), so a repeated or simultaneous click makes no second case.
    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id))]
    pub async fn create_case_from_chat(
        self, actor: &Actor, input: CreateCaseFromChatInput,
    ) -> Result<(chat::Model, CrmCase)> {
        check(&input)?;
        let chat = self.chat_for_crm(actor, input.chat_id).await?;
        if let Some(number) = &chat.crm_case_number {
            return Err(DomainError::conflict(format!(
                "The chat is already linked to case {number}"
            )));
        }
        self.claim_case(&chat).await?;
        let created = async {
            let description = self.transcript_of(&chat).await?;
            let crm = self.crm_for(chat.organization_id).await?;
            crm.create_case(&NewCase {
                subject: input.subject.trim().to_owned(),
                description,
                contact_id: chat.crm_contact_id.clone(),
                account_id: chat.crm_account_id.clone(),
            })
            .await
        }
        .await;
        let case = match created {
            Ok(case) => case,
            Err(error) => {
                self.release_case(&chat).await?;
                return Err(error);
            }
        };
        let updated = self
            .write_links(
                chat.id,
                |model| {
                    model.crm_case_id = Set(Some(case.id.clone()));
                    model.crm_case_number = Set(Some(case.number.clone()));
                    model.crm_case_claimed_at = Set(None);
                },
                None,
                None,
            )
            .await?;
        Ok((updated, case))
    }

    /// Creates a CRM activity for a chat (its title, start and end, the contact) and links it.
    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id))]
    pub async fn create_activity_from_chat(
        self, actor: &Actor, input: CreateActivityFromChatInput,
    ) -> Result<(chat::Model, CrmActivity)> {
        check(&input)?;
        let chat = self.chat_for_crm(actor, input.chat_id).await?;
        let crm = self.crm_for(chat.organization_id).await?;
        let activity = crm
            .create_activity(&NewActivity {
                title: input
                    .title
                    .map(|t| t.trim().to_owned())
                    .unwrap_or_else(|| crate::chat::rules::title(chat.direction, chat.number)),
                chat_id: chat.id,
                contact_id: chat.crm_contact_id.clone(),
                account_id: chat.crm_account_id.clone(),
                started_at: chat.created_at,
                ended_at: chat.closed_at,
            })
            .await?;
        let updated = self
            .write_links(
                chat.id,
                |model| model.crm_activity_id = Set(Some(activity.id.clone())),
                None,
                None,
            )
            .await?;
        Ok((updated, activity))
    }

    /// Identifies an unknown customer (D10): the details are stored on the customer, then the
    /// CRM contact with that phone or e-mail is linked, or a new one is created from them.
    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id))]
    pub async fn identify_customer(
        self, actor: &Actor, input: IdentifyCustomerInput,
    ) -> Result<(chat::Model, CrmContact)> {
        check(&input)?;
        if input.name.is_none() && input.phone.is_none() && input.email.is_none() {
            return Err(DomainError::validation(
                "name",
                "Give at least one of name, phone or email",
            ));
        }
        let chat = self.chat_for_crm(actor, input.chat_id).await?;
        let known = customer_entity::Entity::find_by_id(chat.customer_id)
            .one(&self.domain.db)
            .await?
            .ok_or(DomainError::not_found("customer"))?;
        let details = CustomerInput {
            name: input.name.clone(),
            phone: input.phone.clone(),
            email: input.email.clone(),
            messenger_id: None,
            username: None,
        };
        let crm = self.crm_for(chat.organization_id).await?;
        let mut found = None;
        let lookups = phone_and_email(details.phone.as_deref(), details.email.as_deref());
        for query in lookups.into_iter().flatten() {
            if let Some(contact) = crm.find_contacts(&query, 1).await?.into_iter().next() {
                found = Some(contact);
                break;
            }
        }
        let contact = match found {
            Some(contact) => contact,
            None => {
                let name = details
                    .name
                    .clone()
                    .or_else(|| known.name.clone())
                    .ok_or_else(|| {
                        DomainError::validation(
                            "name",
                            "No CRM contact has this phone or e-mail; give a name to create one",
                        )
                    })?;
                crm.create_contact(&NewContact {
                    name,
                    phone: details.phone.clone().or_else(|| known.phone.clone()),
                    email: details.email.clone().or_else(|| known.email.clone()),
                    messenger_id: None,
                    account_id: None,
                })
                .await?
            }
        };
        let updated = self
            .write_links(
                chat.id,
                |model| {
                    model.crm_contact_id = Set(Some(contact.id.clone()));
                    model.crm_account_id = Set(contact.account_id.clone());
                },
                Some(&contact),
                Some(&details),
            )
            .await?;
        Ok((updated, contact))
    }
}
