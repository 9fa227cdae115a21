//! Outgoing messages (I1 to I4) and the reply policy of every chat (X4).
//!
//! The reply policy says what the channel will accept, so the panel never lets an operator type
//! a message the channel would refuse: WhatsApp takes free text only for 24 hours after the
//! customer's last message; outside that window only an approved template (a quick reply marked
//! as one) may be sent.
//!
//! "New message" detects what the operator typed into To: a phone number (may start with +), a
//! messenger id (digits only, so also possibly a phone: both are offered), a username (starts
//! with @), or a contact's name searched in the CRM. Each candidate names the provider and the
//! channel (gateway) that can reach it; several candidates mean the operator confirms one.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};
use validator::Validate;

use crate::actor::Actor;
use crate::channels::config::source_of;
use crate::chat::rules::check_operator_text;
use crate::conversation::said::Said;
use crate::customer::{self, CustomerInput, normalize_phone};
use crate::entity::{channel, chat, customer_identity, message, quick_reply};
use crate::enums::{
    AddressKind, AssignmentKind, ChannelKind, ChatDirection, ChatSource, ChatStatus, IdentityKind,
};
use crate::error::{DomainError, Result};
use crate::ids::*;
use crate::numbering::{Attempt, Numbers};
use crate::ports::crm::{ContactQuery, CrmContact};
use crate::routing::rows::{lock_operator, open_assignment};
use crate::service::Conversation;
use crate::store::live;
use crate::validate::check;

/// How long WhatsApp accepts free text after the customer's last message (I3).
pub const WHATSAPP_WINDOW_HOURS: i64 = 24;

/// What a chat's channel accepts now (X4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReplyPolicy {
    /// Whether the operator may type free text now.
    pub can_reply: bool,
    /// When free text stops being accepted (WhatsApp: 24 h after the customer's last message).
    pub reply_window_expires_at: Option<DateTime<Utc>>,
    /// Whether only an approved template may be sent.
    pub requires_template: bool,
}

/// The reply policy of a chat on `source`, in `status`, whose customer last wrote at
/// `last_customer_message_at`.
pub fn reply_policy(
    source: ChatSource, status: ChatStatus, last_customer_message_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> ReplyPolicy {
    let open = matches!(status, ChatStatus::New | ChatStatus::InProgress);
    if source != ChatSource::InfobipWhatsapp {
        return ReplyPolicy {
            can_reply: open,
            reply_window_expires_at: None,
            requires_template: false,
        };
    }
    let expires = last_customer_message_at.map(|at| at + Duration::hours(WHATSAPP_WINDOW_HOURS));
    let window_open = expires.is_some_and(|at| now < at);
    ReplyPolicy {
        can_reply: open && window_open,
        reply_window_expires_at: expires,
        requires_template: open && !window_open,
    }
}

/// The reply policy of a chat now: as its channel says, and nothing at all once the chat's
/// channel was archived under it (004).
pub fn chat_reply_policy(chat: &chat::Model, now: DateTime<Utc>) -> ReplyPolicy {
    if chat.interrupted_at.is_some() {
        return ReplyPolicy {
            can_reply: false,
            reply_window_expires_at: None,
            requires_template: false,
        };
    }
    reply_policy(chat.source, chat.status, chat.last_customer_message_at, now)
}

/// What the operator typed into To, read every way it can be read.
pub fn detect(to: &str) -> Result<Vec<(AddressKind, String)>> {
    let to = to.trim();
    let invalid = |message: &'static str| DomainError::validation("to", message);
    if to.is_empty() || to.chars().count() > 200 || to.chars().any(char::is_control) {
        return Err(invalid("must be 1 to 200 characters on one line"));
    }
    if let Some(name) = to.strip_prefix('@') {
        let valid = (3..=64).contains(&name.len())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        return if valid {
            Ok(vec![(AddressKind::Username, name.to_lowercase())])
        } else {
            Err(invalid("a username is @ and 3 to 64 letters, digits or _"))
        };
    }
    if to.chars().all(|c| c.is_ascii_digit()) {
        let mut out = Vec::new();
        if let Some(phone) = normalize_phone(to) {
            out.push((AddressKind::Phone, phone));
        }
        out.push((AddressKind::MessengerId, to.to_owned()));
        return Ok(out);
    }
    let looks_like_phone = to
        .chars()
        .all(|c| c.is_ascii_digit() || " +-().".contains(c))
        && to.chars().any(|c| c.is_ascii_digit());
    if looks_like_phone {
        return normalize_phone(to)
            .map(|phone| vec![(AddressKind::Phone, phone)])
            .ok_or_else(|| invalid("a phone number has 5 to 20 digits and may start with +"));
    }
    Ok(vec![(AddressKind::Contact, to.to_owned())])
}

/// Whether a channel can start a conversation with an address of `kind`.
fn reaches(channel: ChannelKind, kind: AddressKind) -> bool {
    match kind {
        // Telegram bots and Messenger pages cannot write to a phone number, only to the ids
        // of people they know; WhatsApp addresses people by phone.
        AddressKind::Phone => matches!(channel, ChannelKind::InfobipWhatsapp | ChannelKind::Viber),
        AddressKind::MessengerId => matches!(
            channel,
            ChannelKind::Telegram | ChannelKind::Viber | ChannelKind::Messenger
        ),
        AddressKind::Username => channel == ChannelKind::Telegram,
        AddressKind::Contact => false,
    }
}

/// One way to reach the recipient.
#[derive(Clone, Debug)]
pub struct RecipientCandidate {
    pub kind: AddressKind,
    /// The address sent to (a normalized phone, a messenger id).
    pub address: String,
    /// How the operator sees it: a contact's or customer's name, else the address.
    pub display_name: String,
    pub contact: Option<CrmContact>,
    pub customer_id: Option<CustomerId>,
    pub channel: channel::Model,
}

/// A new outgoing message (I1, I4).
#[derive(Clone, Debug, Validate)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct SendOutgoingMessageInput {
    /// The recipient's address, as typed or as a candidate's `address`.
    #[validate(length(min = 1, max = 200))]
    pub to: String,
    /// How to read `to`; needed when it is ambiguous (digits only: PHONE or MESSENGER_ID).
    pub kind: Option<AddressKind>,
    /// The channel to send through: the candidate's `gatewayId` (the operator may change it, I2).
    pub gateway_id: ChannelId,
    /// The provider the operator confirmed; refused when the gateway is of another.
    #[validate(length(min = 1, max = 64))]
    pub provider: Option<String>,
    #[validate(custom(function = "check_operator_text"))]
    pub text: String,
    pub quick_reply_id: Option<QuickReplyId>,
}

impl Conversation<'_> {
    /// A known customer with this identity, and the Telegram chat id they can be reached at.
    async fn known_by(
        self, db: &impl ConnectionTrait, organization_id: OrganizationId, kind: IdentityKind,
        provider: &str, value: &str,
    ) -> Result<Option<customer_identity::Model>> {
        Ok(customer_identity::Entity::find()
            .filter(customer_identity::Column::OrganizationId.eq(organization_id))
            .filter(customer_identity::Column::Kind.eq(kind))
            .filter(customer_identity::Column::Provider.eq(provider))
            .filter(customer_identity::Column::Value.eq(value))
            .one(db)
            .await?)
    }

    /// The Telegram chat id of the customer a username or phone belongs to, if they ever wrote.
    async fn telegram_id_of(
        self, organization_id: OrganizationId, customer_id: CustomerId,
    ) -> Result<Option<String>> {
        Ok(customer_identity::Entity::find()
            .filter(customer_identity::Column::OrganizationId.eq(organization_id))
            .filter(customer_identity::Column::CustomerId.eq(customer_id))
            .filter(customer_identity::Column::Kind.eq(IdentityKind::MessengerId))
            .filter(customer_identity::Column::Provider.eq("telegram"))
            .one(&self.domain.db)
            .await?
            .map(|i| i.value))
    }

    /// Every way to reach what the operator typed into To (I1, I2).
    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id))]
    pub async fn recipient_candidates(
        self, actor: &Actor, to: &str,
    ) -> Result<Vec<RecipientCandidate>> {
        actor.operator()?;
        let detected = detect(to)?;
        let org = actor.organization_id;
        let channels = self.domain.channels().channels(actor).await?;
        let mut out = Vec::new();
        let mut add = |kind,
                       address: String,
                       name: Option<String>,
                       contact: Option<CrmContact>,
                       customer_id,
                       found: &channel::Model| {
            if !out.iter().any(|c: &RecipientCandidate| {
                c.kind == kind && c.address == address && c.channel.id == found.id
            }) {
                out.push(RecipientCandidate {
                    kind,
                    display_name: name.unwrap_or_else(|| address.clone()),
                    address,
                    contact,
                    customer_id,
                    channel: found.clone(),
                });
            }
        };
        for (kind, value) in detected {
            match kind {
                AddressKind::Phone | AddressKind::MessengerId => {
                    let identity = if kind == AddressKind::Phone {
                        IdentityKind::Phone
                    } else {
                        IdentityKind::MessengerId
                    };
                    for found in channels.iter().filter(|c| reaches(c.kind, kind)) {
                        let provider = if kind == AddressKind::Phone {
                            ""
                        } else {
                            found.provider.as_str()
                        };
                        let known = self
                            .known_by(&self.domain.db, org, identity, provider, &value)
                            .await?;
                        let name = match &known {
                            Some(i) => self.customer_name(i.customer_id).await?,
                            None => None,
                        };
                        add(
                            kind,
                            value.clone(),
                            name,
                            None,
                            known.map(|i| i.customer_id),
                            found,
                        );
                    }
                    // A phone of a customer who wrote on Telegram reaches them there too.
                    if kind == AddressKind::Phone
                        && let Some(known) = self
                            .known_by(&self.domain.db, org, IdentityKind::Phone, "", &value)
                            .await?
                        && let Some(telegram_id) =
                            self.telegram_id_of(org, known.customer_id).await?
                    {
                        let name = self.customer_name(known.customer_id).await?;
                        for found in channels.iter().filter(|c| c.kind == ChannelKind::Telegram) {
                            add(
                                AddressKind::MessengerId,
                                telegram_id.clone(),
                                name.clone(),
                                None,
                                Some(known.customer_id),
                                found,
                            );
                        }
                    }
                }
                AddressKind::Username => {
                    if let Some(known) = self
                        .known_by(
                            &self.domain.db,
                            org,
                            IdentityKind::Username,
                            "telegram",
                            &value,
                        )
                        .await?
                        && let Some(telegram_id) =
                            self.telegram_id_of(org, known.customer_id).await?
                    {
                        let name = self
                            .customer_name(known.customer_id)
                            .await?
                            .or(Some(format!("@{value}")));
                        for found in channels.iter().filter(|c| c.kind == ChannelKind::Telegram) {
                            add(
                                AddressKind::MessengerId,
                                telegram_id.clone(),
                                name.clone(),
                                None,
                                Some(known.customer_id),
                                found,
                            );
                        }
                    }
                }
                AddressKind::Contact => {
                    let contacts = self
                        .domain
                        .crm()
                        .crm_for(org)
                        .await?
                        .find_contacts(&ContactQuery::Text(value.clone()), 10)
                        .await?;
                    for contact in contacts {
                        let Some(phone) = contact.phone.as_deref().and_then(normalize_phone) else {
                            continue;
                        };
                        for found in channels
                            .iter()
                            .filter(|c| reaches(c.kind, AddressKind::Phone))
                        {
                            add(
                                AddressKind::Phone,
                                phone.clone(),
                                Some(contact.name.clone()),
                                Some(contact.clone()),
                                None,
                                found,
                            );
                        }
                        if let Some(known) = self
                            .known_by(&self.domain.db, org, IdentityKind::Phone, "", &phone)
                            .await?
                            && let Some(telegram_id) =
                                self.telegram_id_of(org, known.customer_id).await?
                        {
                            for found in channels.iter().filter(|c| c.kind == ChannelKind::Telegram)
                            {
                                add(
                                    AddressKind::MessengerId,
                                    telegram_id.clone(),
                                    Some(contact.name.clone()),
                                    Some(contact.clone()),
                                    Some(known.customer_id),
                                    found,
                                );
                            }
                        }
                    }
                }
            }
        }
        Ok(out)
    }

    async fn customer_name(self, id: CustomerId) -> Result<Option<String>> {
        Ok(crate::entity::customer::Entity::find_by_id(id)
            .one(&self.domain.db)
            .await?
            .and_then(|c| c.name))
    }

    /// The approved template a message must be when the channel takes no free text, checked.
    pub(crate) async fn approved_template(
        self, db: &impl ConnectionTrait, actor: &Actor, id: Option<QuickReplyId>,
    ) -> Result<quick_reply::Model> {
        let refused = || {
            DomainError::validation(
                "quickReplyId",
                "WhatsApp takes only an approved template here: the customer has not written in the last 24 hours",
            )
        };
        let id = id.ok_or_else(refused)?;
        let template = live::<quick_reply::Entity>(actor, id)
            .filter(quick_reply::Column::IsTemplate.eq(true))
            .one(db)
            .await?;
        template.ok_or_else(refused)
    }

    /// When the customer last wrote on a channel, across their chats there.
    async fn last_customer_message_on(
        self, db: &impl ConnectionTrait, customer_id: CustomerId, channel_id: ChannelId,
    ) -> Result<Option<DateTime<Utc>>> {
        Ok(chat::Entity::find()
            .filter(chat::Column::CustomerId.eq(customer_id))
            .filter(chat::Column::ChannelId.eq(channel_id))
            .filter(chat::Column::LastCustomerMessageAt.is_not_null())
            .order_by_desc(chat::Column::LastCustomerMessageAt)
            .one(db)
            .await?
            .and_then(|c| c.last_customer_message_at))
    }

    /// Starts a conversation (I4): an "OutgoingChat-N" chat of the caller's with the first
    /// message, sent through the chosen channel. WhatsApp opens only with an approved template
    /// unless the customer wrote in the last 24 hours (I3).
    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id))]
    pub async fn send_outgoing_message(
        self, actor: &Actor, input: SendOutgoingMessageInput,
    ) -> Result<(chat::Model, message::Model)> {
        let (me, _) = actor.operator()?;
        check(&input)?;
        let readings = detect(&input.to)?;
        let (kind, address) = match (input.kind, readings.as_slice()) {
            (Some(kind), _) => readings
                .iter()
                .find(|(read, _)| *read == kind)
                .cloned()
                .ok_or_else(|| DomainError::validation("to", "is not an address of this kind"))?,
            (None, [only]) => only.clone(),
            (None, _) => {
                return Err(DomainError::validation(
                    "kind",
                    "The address can be read more than one way: choose PHONE or MESSENGER_ID",
                ));
            }
        };
        let found = channel::Entity::find_by_id(input.gateway_id)
            .filter(channel::Column::OrganizationId.eq(actor.organization_id))
            .filter(channel::Column::ArchivedAt.is_null())
            .one(&self.domain.db)
            .await?
            .ok_or_else(|| DomainError::validation("gatewayId", "No such channel"))?;
        if input
            .provider
            .as_deref()
            .is_some_and(|p| p != found.provider)
        {
            return Err(DomainError::validation(
                "provider",
                "The gateway belongs to another provider",
            ));
        }
        if !reaches(found.kind, kind) || kind == AddressKind::Username {
            return Err(DomainError::validation(
                "gatewayId",
                "This channel cannot start a conversation with this address",
            ));
        }
        let source = source_of(found.kind);
        let who = match kind {
            AddressKind::Phone => CustomerInput {
                phone: Some(address.clone()),
                ..CustomerInput::default()
            },
            _ => CustomerInput {
                messenger_id: Some(address.clone()),
                ..CustomerInput::default()
            },
        };
        // The chat's number, and a new customer's, are taken in a statement of their own once
        // an attempt has found the message may go (`numbering.rs`): the organization's row is
        // not held through the change, and a refused message takes none.
        let opening = Opening {
            actor,
            me,
            input: &input,
            gateway: &found,
            source,
            who: &who,
        };
        self.domain
            .with_numbers(actor.organization_id, ChatDirection::Outbound, |numbers| {
                self.open_outgoing(&opening, numbers)
            })
            .await
    }

    /// One attempt of [`Self::send_outgoing_message`] with the numbers taken so far: it checks
    /// everything, and without numbers writes nothing and says which it needs.
    async fn open_outgoing(
        self, opening: &Opening<'_>, numbers: Numbers,
    ) -> Result<Attempt<(chat::Model, message::Model)>> {
        let Opening {
            actor,
            me,
            input,
            gateway: found,
            source,
            who,
        } = *opening;
        let now = self.domain.now();
        let mut work = self.domain.begin(now).await?;
        // Without numbers a new customer is not made yet (`NewNumber::NotYet`): the checks
        // below run for them as for a customer who never wrote, so a refused message takes no
        // number.
        let customer = customer::find_or_create_numbered(
            &work.tx,
            actor.organization_id,
            source,
            who,
            now,
            numbers.new_customer(),
        )
        .await?;
        let mut text = input.text.clone();
        if found.kind == ChannelKind::InfobipWhatsapp {
            let last = match &customer {
                Some(customer) => {
                    self.last_customer_message_on(&work.tx, customer.id, found.id)
                        .await?
                }
                None => None,
            };
            if reply_policy(source, ChatStatus::New, last, now).requires_template {
                let template = self
                    .approved_template(&work.tx, actor, input.quick_reply_id)
                    .await?;
                let operator_name = self.first_name(&work.tx, me).await?;
                let customer_name = customer
                    .as_ref()
                    .and_then(|c| c.name.clone())
                    .unwrap_or_default();
                text = crate::chat::rules::fill_template(
                    &template.text,
                    &customer_name,
                    &operator_name,
                );
            }
        }
        lock_operator(&work.tx, me)
            .await?
            .ok_or(DomainError::not_found("operator"))?;
        crate::routing::rows::take_capacity_for_assignment(&work.tx, me, now).await?;
        let (Some(customer), Some(number)) = (&customer, numbers.chat) else {
            return Ok(Attempt::Needs {
                customer: customer.is_none(),
            });
        };
        let created = crate::chat::rules::new_chat(
            actor.organization_id,
            number,
            ChatDirection::Outbound,
            ChatStatus::New,
            source,
            Some(found.id),
            None,
            customer,
            now,
        )
        .insert(&work.tx)
        .await?;
        open_assignment(
            &work.tx,
            &created,
            AssignmentKind::Outgoing,
            Some(me),
            Some(me),
            now,
        )
        .await?;
        let owned = self
            .domain
            .chats()
            .make_owner(&mut work, &created, me)
            .await?;
        let said = Said {
            quick_reply_id: input.quick_reply_id,
            ..Said::operator(me, &text)
        };
        let (chat, message) = self.append_message(&mut work, &owned, None, said).await?;
        Ok(Attempt::Done(
            self.domain.answer(work, (chat, message)).await?,
        ))
    }
}

/// What an operator's outgoing message opens its chat with, checked before any attempt.
#[derive(Clone, Copy)]
struct Opening<'a> {
    actor: &'a Actor,
    me: OperatorId,
    input: &'a SendOutgoingMessageInput,
    gateway: &'a channel::Model,
    source: ChatSource,
    who: &'a CustomerInput,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::enums::{AddressKind, ChannelKind, ChatSource, ChatStatus};

    fn at(hours: i64) -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap() + Duration::hours(hours)
    }

    #[test]
    fn what_is_typed_into_to_is_detected() {
        use AddressKind::*;
        assert_eq!(
            detect("+48 600 100 200").unwrap(),
            [(Phone, "+48600100200".into())]
        );
        assert_eq!(
            detect("(600) 100-200").unwrap(),
            [(Phone, "600100200".into())]
        );
        assert_eq!(
            detect("1111111").unwrap(),
            [(Phone, "1111111".into()), (MessengerId, "1111111".into())],
            "digits only are ambiguous"
        );
        assert_eq!(detect("123").unwrap(), [(MessengerId, "123".into())]);
        assert_eq!(detect("@Ann_Lee").unwrap(), [(Username, "ann_lee".into())]);
        assert_eq!(
            detect("Anna Nowak").unwrap(),
            [(Contact, "Anna Nowak".into())]
        );
        assert!(detect("@a").is_err());
        assert!(detect("+1+2").is_err());
        assert!(detect("  ").is_err());
    }

    #[test]
    fn whatsapp_takes_free_text_for_a_day_after_the_customer() {
        let open = reply_policy(
            ChatSource::InfobipWhatsapp,
            ChatStatus::InProgress,
            Some(at(0)),
            at(23),
        );
        assert!(open.can_reply && !open.requires_template);
        assert_eq!(open.reply_window_expires_at, Some(at(24)));
        let closed = reply_policy(
            ChatSource::InfobipWhatsapp,
            ChatStatus::InProgress,
            Some(at(0)),
            at(24),
        );
        assert!(!closed.can_reply && closed.requires_template);
        let never = reply_policy(ChatSource::InfobipWhatsapp, ChatStatus::New, None, at(0));
        assert!(never.requires_template && never.reply_window_expires_at.is_none());
        let telegram = reply_policy(ChatSource::Telegram, ChatStatus::InProgress, None, at(100));
        assert!(telegram.can_reply && !telegram.requires_template);
        let closed_chat = reply_policy(ChatSource::Telegram, ChatStatus::Completed, None, at(0));
        assert!(!closed_chat.can_reply && !closed_chat.requires_template);
    }

    #[test]
    fn channels_reach_what_their_provider_can_address() {
        assert!(!reaches(ChannelKind::Telegram, AddressKind::Phone));
        assert!(reaches(ChannelKind::InfobipWhatsapp, AddressKind::Phone));
        assert!(reaches(ChannelKind::Telegram, AddressKind::MessengerId));
        assert!(!reaches(
            ChannelKind::InfobipWhatsapp,
            AddressKind::MessengerId
        ));
        assert!(!reaches(ChannelKind::Messenger, AddressKind::Phone));
        assert!(!reaches(ChannelKind::Webchat, AddressKind::MessengerId));
    }
}
