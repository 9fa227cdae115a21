//! The demo organization `omnipanel serve --demo` seeds: an owner, a supervisor, three operators,
//! two queues, quick replies, wrap-up reasons, results and topics. Seeding is idempotent: when
//! the demo owner exists nothing is added.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::actor::{Actor, Principal};
use crate::admin::{
    CreateChatResultInput, CreateQueueInput, CreateQuickReplyInput, CreateSkillInput,
    CreateTopicInput, CreateWrapUpReasonInput, SetOperatorSkillsInput, SetQueueMembersInput,
    SkillLevelInput,
};
use crate::entity::operator;
use crate::enums::Role;
use crate::error::Result;
use crate::identity::CreateOrganization;
use crate::ids::OrganizationId;
use crate::service::Domain;

/// The password of every demo account.
pub const DEMO_PASSWORD: &str = "omnipanel-demo";
/// The demo owner's e-mail.
pub const DEMO_OWNER_EMAIL: &str = "owner@demo.omnipanel.test";

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
    pub created: bool,
}

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
    /// Seeds the demo organization once.
    pub async fn seed_demo(&self) -> Result<Demo> {
        let mut accounts = vec![DemoAccount {
            email: DEMO_OWNER_EMAIL.into(),
            role: Role::Owner,
        }];
        accounts.extend(STAFF.iter().map(|(email, _, _, role)| DemoAccount {
            email: (*email).into(),
            role: *role,
        }));
        if let Some(owner) = operator::Entity::find()
            .filter(operator::Column::Email.eq(DEMO_OWNER_EMAIL))
            .one(&self.db)
            .await?
        {
            return Ok(Demo {
                organization_id: owner.organization_id,
                accounts,
                password: DEMO_PASSWORD,
                created: false,
            });
        }
        let created = self
            .create_organization(CreateOrganization {
                name: "Omnipanel Demo".into(),
                owner_email: DEMO_OWNER_EMAIL.into(),
                owner_password: DEMO_PASSWORD.into(),
                owner_first_name: "Olga".into(),
                owner_last_name: "Owner".into(),
            })
            .await?;
        let owner = Actor {
            organization_id: created.organization_id,
            principal: Principal::Operator {
                id: created.owner_id,
                role: Role::Owner,
                session_id: None,
            },
        };
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
                    name: "General".into(),
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
        for name in [
            "Question answered",
            "Forwarded to a specialist",
            "Spam",
            "Customer stopped responding",
        ] {
            self.create_wrap_up_reason(&owner, CreateWrapUpReasonInput { name: name.into() })
                .await?;
        }
        for name in ["Sale", "Case created", "Consultation", "No result"] {
            self.create_chat_result(&owner, CreateChatResultInput { name: name.into() })
                .await?;
        }
        for (topic, subtopics) in [
            ("Billing", &["Invoice", "Refund"][..]),
            ("Delivery", &["Delay", "Address change"][..]),
            ("Technical support", &["Sign-in problem", "Bug report"][..]),
        ] {
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
        Ok(Demo {
            organization_id: created.organization_id,
            accounts,
            password: DEMO_PASSWORD,
            created: true,
        })
    }
}
