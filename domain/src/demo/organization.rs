//! The demo organization itself: its owner, staff, queues, skills and dictionaries.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::actor::{Actor, Principal};
use crate::admin::{
    CreateChatResultInput, CreateQueueInput, CreateQuickReplyInput, CreateSkillInput,
    CreateTopicInput, CreateWrapUpReasonInput, SetOperatorSkillsInput, SetQueueMembersInput,
    SkillLevelInput,
};
use crate::entity::queue;
use crate::enums::Role;
use crate::error::{DomainError, Result};
use crate::identity::CreateOrganization;
use crate::ids::{OperatorId, OrganizationId};
use crate::service::Domain;

/// The password of every demo account.
pub const DEMO_PASSWORD: &str = "omnipanel-demo";
/// The demo owner's e-mail.
pub const DEMO_OWNER_EMAIL: &str = "owner@demo.omnipanel.test";
/// The demo's web chat channel.
pub(super) const WEBCHAT_NAME: &str = "Website chat";
/// The queue the web chat routes to; every demo operator is a member.
pub(super) const GENERAL_QUEUE: &str = "General";

const WRAP_UP_REASONS: [&str; 4] = [
    "Question answered",
    "Forwarded to a specialist",
    "Spam",
    "Customer stopped responding",
];
const RESULTS: [&str; 4] = ["Sale", "Case created", "Consultation", "No result"];
const TOPICS: [(&str, &[&str]); 3] = [
    ("Billing", &["Invoice", "Refund"]),
    ("Delivery", &["Delay", "Address change"]),
    ("Technical support", &["Sign-in problem", "Bug report"]),
];

/// The demo's staff: e-mail, first and last name, role.
pub(super) const STAFF: [(&str, &str, &str, Role); 4] = [
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

/// The organization, its staff and its dictionaries; returns the owner.
pub(super) async fn seed_organization(domain: &Domain) -> Result<Actor> {
    let created = domain
        .identity()
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
        let op = domain
            .identity()
            .insert_operator(
                &domain.db,
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
    let vip = domain
        .admin()
        .create_skill(
            &owner,
            CreateSkillInput {
                name: "VIP service".into(),
            },
        )
        .await?;
    let general = domain
        .admin()
        .create_queue(
            &owner,
            CreateQueueInput {
                name: GENERAL_QUEUE.into(),
                skill_id: None,
                size_limit: Some(50),
                after_chat_work_secs: None,
                queued_reply: Some(
                    "Thank you, <customer_name>! All our operators are busy; one will answer you shortly."
                        .into(),
                ),
                out_of_hours_reply: None,
                working_hours: None,
                time_zone: None,
            },
        )
        .await?;
    let premium = domain
        .admin()
        .create_queue(
            &owner,
            CreateQueueInput {
                name: "VIP".into(),
                skill_id: Some(vip.id),
                size_limit: Some(10),
                after_chat_work_secs: None,
                queued_reply: None,
                out_of_hours_reply: None,
                working_hours: None,
                time_zone: None,
            },
        )
        .await?;
    let everyone = staff.iter().map(|op| op.id).collect();
    for (queue_id, operator_ids) in [
        (general.id, everyone),
        (premium.id, vec![staff[0].id, staff[1].id]),
    ] {
        domain
            .admin()
            .set_queue_members(
                &owner,
                SetQueueMembersInput {
                    queue_id,
                    operator_ids,
                },
            )
            .await?;
    }
    for (op, level) in [(&staff[0], 5), (&staff[1], 3)] {
        domain
            .admin()
            .set_operator_skills(
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
        domain
            .admin()
            .create_quick_reply(
                &owner,
                CreateQuickReplyInput {
                    name: name.into(),
                    text: text.into(),
                    approved_template: false,
                    queue_ids: Vec::new(),
                },
            )
            .await?;
    }
    for name in WRAP_UP_REASONS {
        domain
            .admin()
            .create_wrap_up_reason(&owner, CreateWrapUpReasonInput { name: name.into() })
            .await?;
    }
    for name in RESULTS {
        domain
            .admin()
            .create_chat_result(&owner, CreateChatResultInput { name: name.into() })
            .await?;
    }
    for (topic, subtopics) in TOPICS {
        let parent = domain
            .admin()
            .create_topic(
                &owner,
                CreateTopicInput {
                    name: topic.into(),
                    parent_id: None,
                },
            )
            .await?;
        for sub in subtopics {
            domain
                .admin()
                .create_topic(
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

/// The owner as the services see them.
pub(super) fn owner_actor(organization_id: OrganizationId, id: OperatorId) -> Actor {
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
pub(super) async fn demo_queue(domain: &Domain, owner: &Actor, name: &str) -> Result<queue::Model> {
    queue::Entity::find()
        .filter(queue::Column::OrganizationId.eq(owner.organization_id))
        .filter(queue::Column::Name.eq(name))
        .one(&domain.db)
        .await?
        .ok_or(DomainError::not_found("demo queue"))
}
