//! A few working days of the demo's contact centre, played through the real services on a
//! manual clock set in the past: operators go READY in the morning, take a break and sign off in
//! the evening; the chatbot hands conversations over, the router invites whoever is least loaded
//! and idle longest, the operator accepts, answers and closes with a wrap-up reason and a result,
//! and many customers rate the chat. Every row (status log, routing decisions, responsibilities,
//! messages, events) is what the product itself writes, so history and reports show real data.
//!
//! The play is deterministic (a seeded generator), so every demo database tells the same story.

use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveTime, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::organization::{GENERAL_QUEUE, demo_queue};
use crate::actor::{Actor, Principal};
use crate::chat::{
    ChatIdInput, CloseChatInput, HandOffChatInput, RateChatInput, TranscriptEntryInput,
};
use crate::conversation::{PostCustomerMessageInput, SendMessageInput};
use crate::customer::CustomerInput;
use crate::entity::{chat_result, operator, topic, wrap_up_reason};
use crate::enums::{ApiKeyScope, AuthorKind, ChatSource, ChatStatus, OperatorStatus, Role};
use crate::error::{DomainError, Result};
use crate::identity::CreateApiKeyInput;
use crate::ids::{ChatResultId, OperatorId, TopicId, WrapUpReasonId};
use crate::ports::clock::ManualClock;
use crate::presence::SetMyStatusInput;
use crate::service::Domain;

/// The days played, ending yesterday.
const DAYS: i64 = 5;

/// One conversation's script.
struct Story {
    topic: &'static str,
    subtopic: &'static str,
    question: &'static str,
    answer: &'static str,
    /// The customer's second message and the operator's last, if the customer answers.
    follow_up: Option<(&'static str, &'static str)>,
    reason: &'static str,
    result: Option<&'static str>,
}

const STORIES: [Story; 10] = [
    Story {
        topic: "Billing",
        subtopic: "Invoice",
        question: "I need an invoice for my last order, with our company's tax number.",
        answer: "Of course. Which tax number should the invoice carry?",
        follow_up: Some((
            "PL 5261040828, Kowalski Trade sp. z o.o.",
            "Done: the invoice is in your e-mail. Anything else I can do?",
        )),
        reason: "Question answered",
        result: Some("Consultation"),
    },
    Story {
        topic: "Billing",
        subtopic: "Refund",
        question: "I returned the headphones two weeks ago and still have no refund.",
        answer: "I am sorry for the wait. I can see the return arrived on Monday; let me check the refund.",
        follow_up: Some((
            "Thank you, order 48213.",
            "The refund was approved today; it reaches your card within 3 working days.",
        )),
        reason: "Question answered",
        result: Some("Case created"),
    },
    Story {
        topic: "Delivery",
        subtopic: "Delay",
        question: "My parcel was due yesterday and the tracking has not moved.",
        answer: "Let me look at the carrier's status for you.",
        follow_up: Some((
            "It is order 51877.",
            "The carrier had a delay at the depot; the parcel is out for delivery today.",
        )),
        reason: "Question answered",
        result: Some("Consultation"),
    },
    Story {
        topic: "Delivery",
        subtopic: "Address change",
        question: "Can I still change the delivery address? I moved last week.",
        answer: "If it has not been shipped yet, yes. What is the new address?",
        follow_up: Some((
            "ul. Długa 12/4, 00-238 Warszawa",
            "Changed. You will get a new confirmation by e-mail.",
        )),
        reason: "Question answered",
        result: Some("Consultation"),
    },
    Story {
        topic: "Technical support",
        subtopic: "Sign-in problem",
        question: "The app says my password is wrong, but I just reset it.",
        answer: "Please try once more after closing the app completely; resets take a minute to reach it.",
        follow_up: Some((
            "Still the same error.",
            "I have passed this to our technical team; they will write to you today.",
        )),
        reason: "Forwarded to a specialist",
        result: Some("Case created"),
    },
    Story {
        topic: "Technical support",
        subtopic: "Bug report",
        question: "The checkout button does nothing on my phone.",
        answer: "Thank you for telling us. Which phone and browser do you use?",
        follow_up: Some((
            "Android 14, Chrome.",
            "Thank you; our developers have the report. Meanwhile the order works from the app.",
        )),
        reason: "Forwarded to a specialist",
        result: Some("Case created"),
    },
    Story {
        topic: "Billing",
        subtopic: "Invoice",
        question: "Do you have a yearly plan? I would like to pay once.",
        answer: "Yes: the yearly plan costs ten months' price. Shall I switch you over?",
        follow_up: Some((
            "Yes please, starting next month.",
            "Done. The first yearly invoice comes on the 1st.",
        )),
        reason: "Question answered",
        result: Some("Sale"),
    },
    Story {
        topic: "Delivery",
        subtopic: "Delay",
        question: "Where is my order?",
        answer: "I am happy to check. What is the order number?",
        follow_up: None,
        reason: "Customer stopped responding",
        result: Some("No result"),
    },
    Story {
        topic: "Technical support",
        subtopic: "Sign-in problem",
        question: "I cannot sign in to my account.",
        answer: "I can help. Do you see an error message?",
        follow_up: None,
        reason: "Customer stopped responding",
        result: None,
    },
    Story {
        topic: "Billing",
        subtopic: "Refund",
        question: "WIN A FREE PHONE!!! click the link in my profile",
        answer: "This chat is for customer questions only.",
        follow_up: None,
        reason: "Spam",
        result: None,
    },
];

/// The demo's customers: name, phone, where they write from.
const CUSTOMERS: [(&str, &str, ChatSource); 12] = [
    ("Jan Kowalski", "+48 600 100 200", ChatSource::Telegram),
    ("Ewa Nowak", "+48 601 234 567", ChatSource::InfobipWhatsapp),
    ("Piotr Wiśniewski", "+48 602 345 678", ChatSource::Telegram),
    ("Katarzyna Wójcik", "+48 603 456 789", ChatSource::Viber),
    ("Алексей Смирнов", "+7 916 123 45 67", ChatSource::Telegram),
    (
        "Мария Иванова",
        "+7 926 234 56 78",
        ChatSource::InfobipWhatsapp,
    ),
    ("Дмитрий Кузнецов", "+7 903 345 67 89", ChatSource::Telegram),
    ("Emily Clarke", "+44 7700 900123", ChatSource::Messenger),
    (
        "James Wilson",
        "+44 7700 900456",
        ChatSource::InfobipWhatsapp,
    ),
    ("Olivia Brown", "+44 7700 900789", ChatSource::Telegram),
    (
        "Tomasz Lewandowski",
        "+48 604 567 890",
        ChatSource::Telegram,
    ),
    ("Наталья Попова", "+7 915 456 78 90", ChatSource::Viber),
];

/// The names of the things a story refers to, as ids.
struct Dictionaries {
    topics: Vec<(String, Option<TopicId>, TopicId)>,
    reasons: Vec<(String, WrapUpReasonId)>,
    results: Vec<(String, ChatResultId)>,
}

impl Dictionaries {
    async fn load(domain: &Domain, owner: &Actor) -> Result<Self> {
        let org = owner.organization_id;
        let topics = topic::Entity::find()
            .filter(topic::Column::OrganizationId.eq(org))
            .all(&domain.db)
            .await?;
        let reasons = wrap_up_reason::Entity::find()
            .filter(wrap_up_reason::Column::OrganizationId.eq(org))
            .all(&domain.db)
            .await?;
        let results = chat_result::Entity::find()
            .filter(chat_result::Column::OrganizationId.eq(org))
            .all(&domain.db)
            .await?;
        Ok(Self {
            topics: topics
                .iter()
                .map(|t| (t.name.clone(), t.parent_id, t.id))
                .collect(),
            reasons: reasons.into_iter().map(|r| (r.name, r.id)).collect(),
            results: results.into_iter().map(|r| (r.name, r.id)).collect(),
        })
    }

    /// The topic and subtopic of a story.
    fn topics_of(&self, story: &Story) -> Result<(TopicId, TopicId)> {
        let topic = self
            .topics
            .iter()
            .find(|(name, parent, _)| name == story.topic && parent.is_none())
            .map(|(_, _, id)| *id)
            .ok_or(DomainError::not_found("demo topic"))?;
        let subtopic = self
            .topics
            .iter()
            .find(|(name, parent, _)| name == story.subtopic && *parent == Some(topic))
            .map(|(_, _, id)| *id)
            .ok_or(DomainError::not_found("demo subtopic"))?;
        Ok((topic, subtopic))
    }

    fn reason(&self, name: &str) -> Result<WrapUpReasonId> {
        named(&self.reasons, name, "demo wrap-up reason")
    }

    fn result(&self, name: &str) -> Result<ChatResultId> {
        named(&self.results, name, "demo result")
    }
}

/// The id of the entry called `name`; `NOT_FOUND` naming `what` otherwise.
fn named<T: Copy>(entries: &[(String, T)], name: &str, what: &'static str) -> Result<T> {
    entries
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, id)| *id)
        .ok_or(DomainError::not_found(what))
}

/// The services on the past's clock, and who acts in the play.
struct Play {
    domain: Domain,
    clock: Arc<ManualClock>,
    chatbot: Actor,
    staff: Vec<Actor>,
    rng: StdRng,
}

impl Play {
    /// Moves the clock to `at` (never back).
    fn at(&self, at: DateTime<Utc>) {
        let now = self.domain.now();
        if at > now {
            self.clock.advance(at - now);
        }
    }

    /// Lets between `from` and `to` seconds pass.
    fn wait(&mut self, from: i64, to: i64) {
        let secs = self.rng.gen_range(from..=to);
        self.clock.advance(Duration::seconds(secs));
    }

    async fn set_status(&self, who: &Actor, status: OperatorStatus) -> Result<()> {
        self.domain
            .presence()
            .set_my_status(
                who,
                SetMyStatusInput {
                    status,
                    custom_status_id: None,
                },
            )
            .await?;
        Ok(())
    }

    fn operator(&self, id: OperatorId) -> Result<&Actor> {
        self.staff
            .iter()
            .find(|a| a.operator_id() == Some(id))
            .ok_or(DomainError::not_found("demo operator"))
    }

    async fn say(&self, who: &Actor, chat: crate::ids::ChatId, text: &str) -> Result<()> {
        self.domain
            .conversation()
            .send_message(
                who,
                SendMessageInput {
                    chat_id: chat,
                    text: text.into(),
                    whisper: false,
                    quick_reply_id: None,
                    attachment_ids: Vec::new(),
                },
            )
            .await?;
        Ok(())
    }

    /// One conversation from hand-off to rating; returns whether it was played.
    async fn chat(&mut self, queue_id: crate::ids::QueueId, words: &Dictionaries) -> Result<bool> {
        let story = &STORIES[self.rng.gen_range(0..STORIES.len())];
        let (name, phone, source) = CUSTOMERS[self.rng.gen_range(0..CUSTOMERS.len())];
        let (topic_id, subtopic_id) = words.topics_of(story)?;
        let now = self.domain.now();
        let handed = self
            .domain
            .chats()
            .hand_off_chat(
                &self.chatbot,
                HandOffChatInput {
                    queue_id,
                    source,
                    channel_id: None,
                    customer: CustomerInput {
                        name: Some(name.into()),
                        phone: Some(phone.into()),
                        ..CustomerInput::default()
                    },
                    topic_id: Some(topic_id),
                    subtopic_id: Some(subtopic_id),
                    variables: Vec::new(),
                    transcript: vec![
                        TranscriptEntryInput {
                            author_kind: AuthorKind::Bot,
                            text: "Hello! I am the virtual assistant. How can I help?".into(),
                            sent_at: Some(now - Duration::seconds(90)),
                        },
                        TranscriptEntryInput {
                            author_kind: AuthorKind::Customer,
                            text: story.question.into(),
                            sent_at: Some(now - Duration::seconds(60)),
                        },
                        TranscriptEntryInput {
                            author_kind: AuthorKind::Bot,
                            text: "Let me connect you with an operator.".into(),
                            sent_at: Some(now - Duration::seconds(30)),
                        },
                    ],
                },
            )
            .await?;
        let (ChatStatus::Invited, Some(invited)) = (handed.status, handed.operator_id) else {
            // Nobody was free: the chat waits; the demo leaves it to the scheduler's next offer.
            return Ok(false);
        };
        let op = self.operator(invited)?.clone();
        let chat = handed.id;
        self.wait(4, 25);
        self.domain
            .chats()
            .accept_chat(&op, ChatIdInput { chat_id: chat })
            .await?;
        self.wait(15, 90);
        self.say(&op, chat, story.answer).await?;
        if let Some((customer, last)) = story.follow_up {
            self.wait(30, 150);
            self.domain
                .conversation()
                .post_customer_message(
                    &self.chatbot,
                    PostCustomerMessageInput {
                        chat_id: Some(chat),
                        source: None,
                        channel_id: None,
                        customer: None,
                        queue_id: None,
                        author_kind: AuthorKind::Customer,
                        text: customer.into(),
                        external_id: None,
                    },
                )
                .await?;
            self.wait(30, 240);
            self.say(&op, chat, last).await?;
        }
        self.wait(30, 180);
        self.domain
            .chats()
            .close_chat(
                &op,
                CloseChatInput {
                    chat_id: chat,
                    wrap_up_reason_id: words.reason(story.reason)?,
                    result_id: story.result.map(|r| words.result(r)).transpose()?,
                    result_detail: None,
                },
            )
            .await?;
        if story.reason != "Spam" && self.rng.gen_bool(0.7) {
            // Answered customers rate well, on the whole; those left waiting less so.
            let scores: &[i32] = if story.follow_up.is_some() {
                &[5, 5, 5, 5, 4, 4, 4, 3, 2]
            } else {
                &[4, 3, 2, 2, 1]
            };
            let score = scores[self.rng.gen_range(0..scores.len())];
            self.wait(10, 60);
            self.domain
                .chats()
                .rate_chat(
                    &self.chatbot,
                    RateChatInput {
                        chat_id: chat,
                        score,
                        comment: (score <= 2).then(|| "I waited too long for an answer.".into()),
                    },
                )
                .await?;
        }
        Ok(true)
    }
}

/// Plays the demo's history; returns how many chats were closed.
pub(super) async fn play(domain: &Domain, owner: &Actor) -> Result<usize> {
    let org = owner.organization_id;
    let queue = demo_queue(domain, owner, GENERAL_QUEUE).await?;
    let words = Dictionaries::load(domain, owner).await?;
    let key = domain
        .identity()
        .insert_api_key(
            org,
            CreateApiKeyInput {
                scope: ApiKeyScope::Chatbot,
                name: "Demo chatbot".into(),
            },
            owner.operator_id(),
        )
        .await?;
    let staff = operator::Entity::find()
        .filter(operator::Column::OrganizationId.eq(org))
        .filter(operator::Column::Role.is_in([Role::Operator, Role::Supervisor]))
        .all(&domain.db)
        .await?;
    let today = domain.now().date_naive();
    let morning = NaiveTime::from_hms_opt(8, 0, 0).unwrap_or_default();
    let first_day = (today - Duration::days(DAYS)).and_time(morning).and_utc();
    let clock = Arc::new(ManualClock::starting_at(first_day));
    let mut play = Play {
        domain: Domain {
            clock: clock.clone(),
            ..domain.clone()
        },
        clock,
        chatbot: Actor {
            organization_id: org,
            principal: Principal::ApiKey {
                id: key.record.id,
                scope: ApiKeyScope::Chatbot,
            },
        },
        staff: staff
            .iter()
            .map(|op| Actor {
                organization_id: org,
                principal: Principal::Operator {
                    id: op.id,
                    role: op.role,
                    session_id: None,
                },
            })
            .collect(),
        rng: StdRng::seed_from_u64(20_261_201),
    };
    let mut played = 0;
    for day in 0..DAYS {
        let start = first_day + Duration::days(day);
        let hour = |h: i64, m: i64| start + Duration::hours(h - 8) + Duration::minutes(m);
        for (i, who) in play.staff.clone().iter().enumerate() {
            play.at(hour(8, i as i64 * 3));
            play.set_status(who, OperatorStatus::Ready).await?;
        }
        // One colleague a day goes to lunch while the others keep the queue.
        let luncher = play.staff[usize::try_from(day).unwrap_or(0) % play.staff.len()].clone();
        let (mut at_lunch, mut lunched) = (false, false);
        let mut next = hour(8, 20);
        while next < hour(16, 30) {
            if !lunched && !at_lunch && next >= hour(12, 0) {
                play.at(hour(12, 0));
                play.set_status(&luncher, OperatorStatus::Break).await?;
                at_lunch = true;
            }
            if at_lunch && next >= hour(12, 45) {
                play.at(hour(12, 45));
                play.set_status(&luncher, OperatorStatus::Ready).await?;
                (at_lunch, lunched) = (false, true);
            }
            play.at(next);
            if play.chat(queue.id, &words).await? {
                played += 1;
            }
            let gap = Duration::minutes(play.rng.gen_range(6..40));
            next = (next + gap).max(play.domain.now() + Duration::minutes(1));
        }
        if at_lunch {
            play.set_status(&luncher, OperatorStatus::Ready).await?;
        }
        for (i, who) in play.staff.clone().iter().enumerate() {
            play.at(hour(17, i as i64 * 4));
            play.set_status(who, OperatorStatus::Offline).await?;
        }
    }
    Ok(played)
}
