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

use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::actor::{Actor, Principal};
use crate::admin::{
    CreateChatResultInput, CreateQueueInput, CreateQuickReplyInput, CreateSkillInput,
    CreateTopicInput, CreateWrapUpReasonInput, SetOperatorSkillsInput, SetQueueMembersInput,
    SkillLevelInput,
};
use crate::channel::CreateChannelInput;
use crate::entity::{channel, chat, operator, organization, queue};
use crate::enums::{ChannelKind, Role};
use crate::error::{DomainError, Result};
use crate::identity::CreateOrganization;
use crate::ids::{ChannelId, OrganizationId};
use crate::service::Domain;

/// The password of every demo account.
pub const DEMO_PASSWORD: &str = "omnipanel-demo";
/// The demo owner's e-mail.
pub const DEMO_OWNER_EMAIL: &str = "owner@demo.omnipanel.test";
/// The demo's web chat channel.
const WEBCHAT_NAME: &str = "Website chat";
/// The queue the web chat routes to; every demo operator is a member.
const GENERAL_QUEUE: &str = "General";

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

/// The demo's staff: e-mail, first and last name, role.
const STAFF: [(&str, &str, &str, Role); 4] = [
    (
        "supervisor@demo.omnipanel.test",
        "Sofia",
        "Supervisor",
        Role::Supervisor,
    ),
    (
        "anna@demo.omnipanel.test",
        "Anna",
        "Kowalska",
        Role::Operator,
    ),
    ("ivan@demo.omnipanel.test", "Ivan", "Petrov", Role::Operator),
    (
        "maria@demo.omnipanel.test",
        "Maria",
        "Garcia",
        Role::Operator,
    ),
];

impl Domain {
    /// Seeds whatever part of the demo organization is missing.
    pub async fn seed_demo(&self) -> Result<Demo> {
        let existing = operator::Entity::find()
            .filter(operator::Column::Email.eq(DEMO_OWNER_EMAIL))
            .one(&self.db)
            .await?;
        let organizations = organization::Entity::find().count(&self.db).await?;
        if organizations > u64::from(existing.is_some()) {
            return Err(DomainError::conflict(
                "--demo seeds only a database of its own, and this one holds other \
                 organizations; point --database-url at a new database for the demo",
            ));
        }
        let created = existing.is_none();
        let owner = match existing {
            Some(owner) => owner_actor(owner.organization_id, owner.id),
            None => self.seed_organization().await?,
        };
        let webchat_channel_id = self.seed_webchat(&owner).await?;
        let has_history = chat::Entity::find()
            .filter(chat::Column::OrganizationId.eq(owner.organization_id))
            .count(&self.db)
            .await?
            > 0;
        let history_played = if has_history {
            0
        } else {
            self.play_demo_history(&owner).await?
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

    /// The organization, its staff and its dictionaries; returns the owner.
    async fn seed_organization(&self) -> Result<Actor> {
        let created = self
            .create_organization(CreateOrganization {
                name: "Omnipanel Demo".into(),
                owner_email: DEMO_OWNER_EMAIL.into(),
                owner_password: DEMO_PASSWORD.into(),
                owner_first_name: "Olga".into(),
                owner_last_name: "Owner".into(),
            })
            .await?;
        let owner = owner_actor(created.organization_id, created.owner_id);
        let mut staff = Vec::new();
        for (email, first, last, role) in STAFF {
            let op = self
                .insert_operator(
                    &self.db,
                    created.organization_id,
                    email,
                    first,
                    last,
                    role,
                    DEMO_PASSWORD,
                )
                .await?;
            staff.push(op);
        }
        let vip = self
            .create_skill(
                &owner,
                CreateSkillInput {
                    name: "VIP service".into(),
                },
            )
            .await?;
        let general = self
            .create_queue(
                &owner,
                CreateQueueInput {
                    name: GENERAL_QUEUE.into(),
                    skill_id: None,
                    size_limit: Some(50),
                },
            )
            .await?;
        let premium = self
            .create_queue(
                &owner,
                CreateQueueInput {
                    name: "VIP".into(),
                    skill_id: Some(vip.id),
                    size_limit: Some(10),
                },
            )
            .await?;
        self.set_queue_members(
            &owner,
            SetQueueMembersInput {
                queue_id: general.id,
                operator_ids: staff.iter().map(|op| op.id).collect(),
            },
        )
        .await?;
        self.set_queue_members(
            &owner,
            SetQueueMembersInput {
                queue_id: premium.id,
                operator_ids: vec![staff[0].id, staff[1].id],
            },
        )
        .await?;
        for (op, level) in [(&staff[0], 5), (&staff[1], 3)] {
            self.set_operator_skills(
                &owner,
                SetOperatorSkillsInput {
                    operator_id: op.id,
                    skills: vec![SkillLevelInput {
                        skill_id: vip.id,
                        level,
                    }],
                },
            )
            .await?;
        }
        for (name, text) in [
            (
                "Greeting",
                "Hello, <customer_name>! My name is <operator_name>. How can I help you?",
            ),
            (
                "One moment",
                "One moment please, I am checking this for you.",
            ),
            (
                "Goodbye",
                "Thank you for contacting us, <customer_name>. Have a nice day!",
            ),
        ] {
            self.create_quick_reply(
                &owner,
                CreateQuickReplyInput {
                    name: name.into(),
                    text: text.into(),
                    approved_template: false,
                },
            )
            .await?;
        }
        for name in history::WRAP_UP_REASONS {
            self.create_wrap_up_reason(&owner, CreateWrapUpReasonInput { name: name.into() })
                .await?;
        }
        for name in history::RESULTS {
            self.create_chat_result(&owner, CreateChatResultInput { name: name.into() })
                .await?;
        }
        for (topic, subtopics) in history::TOPICS {
            let parent = self
                .create_topic(
                    &owner,
                    CreateTopicInput {
                        name: topic.into(),
                        parent_id: None,
                    },
                )
                .await?;
            for sub in subtopics {
                self.create_topic(
                    &owner,
                    CreateTopicInput {
                        name: (*sub).into(),
                        parent_id: Some(parent.id),
                    },
                )
                .await?;
            }
        }
        Ok(owner)
    }

    /// The web chat channel, routed to the queue every demo operator is in.
    async fn seed_webchat(&self, owner: &Actor) -> Result<ChannelId> {
        if let Some(found) = channel::Entity::find()
            .filter(channel::Column::OrganizationId.eq(owner.organization_id))
            .filter(channel::Column::Kind.eq(ChannelKind::Webchat))
            .filter(channel::Column::Name.eq(WEBCHAT_NAME))
            .filter(channel::Column::ArchivedAt.is_null())
            .one(&self.db)
            .await?
        {
            return Ok(found.id);
        }
        let general = demo_queue(self, owner, GENERAL_QUEUE).await?;
        let created = self
            .create_channel(
                owner,
                CreateChannelInput {
                    kind: ChannelKind::Webchat,
                    name: WEBCHAT_NAME.into(),
                    bot_token: None,
                    api_base_url: None,
                    queue_id: Some(general.id),
                    outbound_url: None,
                    auto_close_after_secs: None,
                    gateway: None,
                },
            )
            .await?;
        Ok(created.channel.id)
    }
}

/// The owner as the services see them.
fn owner_actor(organization_id: OrganizationId, id: crate::ids::OperatorId) -> Actor {
    Actor {
        organization_id,
        principal: Principal::Operator {
            id,
            role: Role::Owner,
            session_id: None,
        },
    }
}

/// One of the demo's queues, by name.
async fn demo_queue(domain: &Domain, owner: &Actor, name: &str) -> Result<queue::Model> {
    queue::Entity::find()
        .filter(queue::Column::OrganizationId.eq(owner.organization_id))
        .filter(queue::Column::Name.eq(name))
        .one(&domain.db)
        .await?
        .ok_or(DomainError::not_found("demo queue"))
}
