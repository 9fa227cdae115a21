//! The demo organization `omnipanel serve --demo` seeds, so that a newcomer sees the product
//! working: an owner, a supervisor, three operators, two queues, quick replies, wrap-up reasons,
//! results and topics; a web chat channel routed to the queue every operator belongs to (the
//! newcomer plays the customer in one tab and the operator in another); and a few days of
//! closed chats played through the real services on a clock in the past, so history (and
//! reports) have something to show.
//!
//! Each part is seeded once: what exists is found and kept, so restarting with `--demo` changes
//! nothing. A database that holds any other organization is refused: the demo's accounts share
//! a published password and must never appear beside real ones.

mod history;
mod organization;

pub use organization::{DEMO_OWNER_EMAIL, DEMO_PASSWORD};

use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::actor::Actor;
use crate::channels::CreateChannelInput;
use crate::entity::{channel, chat, operator, organization as organization_entity};
use crate::enums::{ChannelKind, Role};
use crate::error::{DomainError, Result};
use crate::ids::{ChannelId, OrganizationId};
use crate::service::Domain;
use organization::{GENERAL_QUEUE, STAFF, WEBCHAT_NAME, demo_queue, owner_actor};

/// A demo account to print.
pub struct DemoAccount {
    pub email: String,
    pub role: Role,
}

/// What was seeded (or found).
pub struct Demo {
    pub organization_id: OrganizationId,
    pub accounts: Vec<DemoAccount>,
    pub password: &'static str,
    /// Whether this run created the organization.
    pub created: bool,
    /// The web chat channel whose page plays the customer.
    pub webchat_channel_id: ChannelId,
    /// How many closed chats of history this run played (0 when they were there already).
    pub history_played: usize,
}

/// Seeds whatever part of the demo organization is missing.
pub async fn seed(domain: &Domain) -> Result<Demo> {
    let existing = operator::Entity::find()
        .filter(operator::Column::Email.eq(DEMO_OWNER_EMAIL))
        .one(&domain.db)
        .await?;
    let organizations = organization_entity::Entity::find()
        .count(&domain.db)
        .await?;
    if organizations > u64::from(existing.is_some()) {
        return Err(DomainError::conflict(
            "--demo seeds only a database of its own, and this one holds other \
             organizations; point --database-url at a new database for the demo",
        ));
    }
    let created = existing.is_none();
    let owner = match existing {
        Some(owner) => owner_actor(owner.organization_id, owner.id),
        None => organization::seed_organization(domain).await?,
    };
    let webchat_channel_id = seed_webchat(domain, &owner).await?;
    let has_history = chat::Entity::find()
        .filter(chat::Column::OrganizationId.eq(owner.organization_id))
        .count(&domain.db)
        .await?
        > 0;
    let history_played = if has_history {
        0
    } else {
        history::play(domain, &owner).await?
    };
    let mut accounts = vec![DemoAccount {
        email: DEMO_OWNER_EMAIL.into(),
        role: Role::Owner,
    }];
    accounts.extend(STAFF.iter().map(|(email, _, _, role)| DemoAccount {
        email: (*email).into(),
        role: *role,
    }));
    Ok(Demo {
        organization_id: owner.organization_id,
        accounts,
        password: DEMO_PASSWORD,
        created,
        webchat_channel_id,
        history_played,
    })
}

/// The web chat channel, routed to the queue every demo operator is in.
async fn seed_webchat(domain: &Domain, owner: &Actor) -> Result<ChannelId> {
    if let Some(found) = channel::Entity::find()
        .filter(channel::Column::OrganizationId.eq(owner.organization_id))
        .filter(channel::Column::Kind.eq(ChannelKind::Webchat))
        .filter(channel::Column::Name.eq(WEBCHAT_NAME))
        .filter(channel::Column::ArchivedAt.is_null())
        .one(&domain.db)
        .await?
    {
        return Ok(found.id);
    }
    let general = demo_queue(domain, owner, GENERAL_QUEUE).await?;
    let created = domain
        .channels()
        .create_channel(
            owner,
            CreateChannelInput {
                kind: ChannelKind::Webchat,
                name: WEBCHAT_NAME.into(),
                bot_token: None,
                api_base_url: None,
                queue_id: Some(general.id),
                bot_queue_id: None,
                outbound_url: None,
                auto_close_after_secs: None,
                gateway: None,
            },
        )
        .await?;
    Ok(created.channel.id)
}
