//! The closed vocabularies of the model. Stored as short strings (no database enum types, so the
//! same migrations run on SQLite and PostgreSQL); with the `graphql` feature they are GraphQL enums.

use sea_orm::entity::prelude::StringLen;
use sea_orm::{DeriveActiveEnum, EnumIter};
use serde::{Deserialize, Serialize};

macro_rules! string_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $value:literal),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
        #[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
        #[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
        #[serde(rename_all = "SCREAMING_SNAKE_CASE")]
        pub enum $name {
            $($(#[$vdoc])* #[sea_orm(string_value = $value)] $variant,)*
        }

        impl $name {
            /// The stored (and wire) spelling.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $value,)* }
            }
        }
    };
}

string_enum!(
    /// What an operator may do (A2). Ordered: each role may do what the ones before it may.
    Role {
        /// Works chats.
        Operator = "OPERATOR",
        /// Works chats, sees their queues' unassigned chats, assigns chats to others.
        Supervisor = "SUPERVISOR",
        /// Sees every queue.
        Manager = "MANAGER",
        /// Configures the organization.
        Admin = "ADMIN",
        /// Owns the organization.
        Owner = "OWNER",
    }
);

impl Role {
    /// The role's rank; a higher rank includes every right of a lower one.
    pub fn rank(self) -> u8 {
        match self {
            Role::Operator => 0,
            Role::Supervisor => 1,
            Role::Manager => 2,
            Role::Admin => 3,
            Role::Owner => 4,
        }
    }

    /// Whether this role has at least the rights of `other`.
    pub fn at_least(self, other: Role) -> bool {
        self.rank() >= other.rank()
    }

    /// Every role with at least the rights of `least`.
    pub fn from_up(least: Role) -> impl Iterator<Item = Role> {
        use sea_orm::Iterable;
        Self::iter().filter(move |role| role.at_least(least))
    }
}

string_enum!(
    /// An operator's presence (B1).
    OperatorStatus {
        /// Takes new chats.
        Ready = "READY",
        /// Signed in, takes no queue chats.
        Online = "ONLINE",
        /// On a break: no new chats, active time not counted.
        Break = "BREAK",
        /// Finishing current chats, no new ones.
        Leaving = "LEAVING",
        /// Set by the server after a period without activity.
        Away = "AWAY",
        /// Unavailable, optionally with an admin-defined custom status.
        Unavailable = "UNAVAILABLE",
        /// Missed an invitation (RONA); only a manual unblock leaves it.
        Blocked = "BLOCKED",
        /// Not signed in.
        Offline = "OFFLINE",
    }
);

impl OperatorStatus {
    /// Whether a colleague may hand this operator a chat or invite them to one (001: only
    /// someone online or ready; on a break, leaving, away, unavailable, blocked or signed out
    /// they may not).
    pub fn takes_transfers(self) -> bool {
        matches!(self, Self::Ready | Self::Online)
    }
}

string_enum!(
    /// What a machine client's API key may do (A5).
    ApiKeyScope {
        /// The chatbot: hand-offs, customer messages, ratings.
        Chatbot = "CHATBOT",
        /// CRM business processes: cases from chats, transcripts.
        Crm = "CRM",
        /// Administration of the organization.
        Admin = "ADMIN",
    }
);

string_enum!(
    /// A chat's lifecycle (D1).
    ChatStatus {
        /// The chatbot has the conversation.
        Bot = "BOT",
        /// Waiting in a queue for an operator.
        Queued = "QUEUED",
        /// Offered to an operator, not yet accepted.
        Invited = "INVITED",
        /// Accepted; the operator has not written yet.
        New = "NEW",
        /// The operator has written.
        InProgress = "IN_PROGRESS",
        /// Closed.
        Completed = "COMPLETED",
    }
);

string_enum!(
    /// Who started the conversation.
    ChatDirection {
        /// The customer (numbered "Chat-N").
        Inbound = "INBOUND",
        /// An operator's outgoing message (numbered "OutgoingChat-N").
        Outbound = "OUTBOUND",
    }
);

string_enum!(
    /// Where a conversation comes from (D3).
    ChatSource {
        Telegram = "TELEGRAM",
        Webchat = "WEBCHAT",
        InfobipWhatsapp = "INFOBIP_WHATSAPP",
        Viber = "VIBER",
        Messenger = "MESSENGER",
    }
);

string_enum!(
    /// Who wrote a message (D4).
    AuthorKind {
        Customer = "CUSTOMER",
        Operator = "OPERATOR",
        Bot = "BOT",
        System = "SYSTEM",
    }
);

string_enum!(
    /// How far an outbound message got (M2).
    DeliveryState {
        /// Written, not yet handed to the channel.
        Pending = "PENDING",
        /// Accepted by the channel's API.
        Sent = "SENT",
        /// Confirmed delivered to the customer (or stored, for messages that go nowhere).
        Delivered = "DELIVERED",
        /// Given up; the reason is kept and the operator may retry.
        Failed = "FAILED",
    }
);

string_enum!(
    /// An operator's part in a chat (X5).
    ParticipantRole {
        /// The responsible operator.
        Owner = "OWNER",
        /// Invited into a conference.
        Conference = "CONFERENCE",
        /// A supervisor listening silently.
        Monitor = "MONITOR",
    }
);

string_enum!(
    /// Where a participant is in joining a chat.
    ParticipantState {
        Invited = "INVITED",
        Joined = "JOINED",
        Left = "LEFT",
    }
);

string_enum!(
    /// How a chat came to someone (E3).
    AssignmentKind {
        /// Chosen by routing.
        Routed = "ROUTED",
        /// Assigned by a supervisor or taken from "Unassigned".
        Assigned = "ASSIGNED",
        /// Taken over from the bot.
        TakenOver = "TAKEN_OVER",
        /// Transferred to an operator.
        TransferredToOperator = "TRANSFERRED_TO_OPERATOR",
        /// Transferred to a queue.
        TransferredToQueue = "TRANSFERRED_TO_QUEUE",
        /// Transferred to a bot scheme.
        TransferredToBot = "TRANSFERRED_TO_BOT",
        /// Started by the operator (outgoing message).
        Outgoing = "OUTGOING",
    }
);

string_enum!(
    /// The SLA traffic light (F1).
    TrafficLight {
        Green = "GREEN",
        Yellow = "YELLOW",
        Red = "RED",
        Grey = "GREY",
        None = "NONE",
    }
);

string_enum!(
    /// How a customer is known to a channel.
    IdentityKind {
        Phone = "PHONE",
        MessengerId = "MESSENGER_ID",
        Username = "USERNAME",
        Email = "EMAIL",
    }
);

string_enum!(
    /// The kind of a messaging channel (M1).
    ChannelKind {
        Telegram = "TELEGRAM",
        Webchat = "WEBCHAT",
        InfobipWhatsapp = "INFOBIP_WHATSAPP",
        Viber = "VIBER",
        Messenger = "MESSENGER",
    }
);

string_enum!(
    /// Who an outbox event is for.
    RecipientKind {
        Operator = "OPERATOR",
        Chat = "CHAT",
        Organization = "ORGANIZATION",
        /// Everyone who sees a queue's waiting chats (`queueEvents`): one event, however many
        /// they are.
        Queue = "QUEUE",
    }
);

string_enum!(
    /// What an outbound delivery carries.
    DeliveryKind {
        ChannelMessage = "CHANNEL_MESSAGE",
        Webhook = "WEBHOOK",
        CrmProcess = "CRM_PROCESS",
        /// A customer's file to fetch from the channel and keep (D4).
        ChannelFile = "CHANNEL_FILE",
    }
);

string_enum!(
    /// The CRM an organization uses (H5).
    CrmKind {
        Local = "LOCAL",
        Creatio = "CREATIO",
    }
);

string_enum!(
    /// Who closed a chat.
    ClosedByKind {
        Operator = "OPERATOR",
        System = "SYSTEM",
        Bot = "BOT",
    }
);

string_enum!(
    /// What made routing run.
    RoutingTrigger {
        HandOff = "HAND_OFF",
        Declined = "DECLINED",
        InvitationExpired = "INVITATION_EXPIRED",
        CapacityFreed = "CAPACITY_FREED",
        Transfer = "TRANSFER",
        Requeued = "REQUEUED",
        /// A queue's wait ended: the chat was offered to an operator.
        Routed = "ROUTED",
    }
);

string_enum!(
    /// What routing decided.
    RoutingOutcome {
        Invited = "INVITED",
        Queued = "QUEUED",
        Rejected = "REJECTED",
    }
);

string_enum!(
    /// Why an assignment ended.
    AssignmentEnd {
        Declined = "DECLINED",
        Expired = "EXPIRED",
        Transferred = "TRANSFERRED",
        Closed = "CLOSED",
        Requeued = "REQUEUED",
        /// A queue's wait ended: the chat was offered to an operator.
        Routed = "ROUTED",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ordered() {
        assert!(Role::Owner.at_least(Role::Admin));
        assert!(Role::Admin.at_least(Role::Admin));
        assert!(!Role::Supervisor.at_least(Role::Manager));
        assert!(!Role::Operator.at_least(Role::Supervisor));
    }
}

string_enum!(
    /// What happened, in an event a panel redraws from (X1).
    EventKind {
        /// The operator's own status, limit or call state changed.
        OperatorUpdated = "OPERATOR_UPDATED",
        /// A chat is offered to the operator (Accept, Open, Decline).
        ChatInvited = "CHAT_INVITED",
        /// An invitation was withdrawn (declined, expired, or the chat went elsewhere).
        InvitationWithdrawn = "INVITATION_WITHDRAWN",
        /// A chat became the operator's (accepted, assigned, taken).
        ChatAssigned = "CHAT_ASSIGNED",
        /// A chat left the operator (closed, transferred, handed back).
        ChatUnassigned = "CHAT_UNASSIGNED",
        /// A chat's status or details changed.
        ChatUpdated = "CHAT_UPDATED",
        /// A message arrived in a chat.
        MessageCreated = "MESSAGE_CREATED",
        /// A message's delivery state changed (M2).
        MessageUpdated = "MESSAGE_UPDATED",
        /// A chat's SLA colour changed (F2).
        TrafficLightChanged = "TRAFFIC_LIGHT_CHANGED",
        /// A chat started waiting in a queue (`queueEvents`).
        ChatQueued = "CHAT_QUEUED",
        /// A chat left its queue's "Unassigned" list: no longer waiting there (offered, taken or
        /// closed), or no longer with the bot there (taken over or closed) (`queueEvents`).
        ChatDequeued = "CHAT_DEQUEUED",
        /// The bot is talking to a customer in a queue: the chat may be taken over (D1;
        /// `queueEvents`).
        ChatWithBot = "CHAT_WITH_BOT",
        /// The queues whose waiting chats the operator sees changed (their membership, their
        /// role, a new queue): `queueEvents` follows the new set from this event on, and the
        /// "Unassigned" lists are read again.
        QueuesChanged = "QUEUES_CHANGED",
        /// The operator is asked to join a chat's conference (E2).
        ConferenceInvited = "CONFERENCE_INVITED",
    }
);

string_enum!(
    /// What a CRM business process can subscribe to (H4).
    WebhookEvent {
        /// The chatbot handed a chat to operators.
        ChatCreated = "CHAT_CREATED",
        /// An operator accepted (or was assigned) the chat.
        ChatAccepted = "CHAT_ACCEPTED",
        /// The chat went to another operator, a queue or a bot scheme.
        ChatTransferred = "CHAT_TRANSFERRED",
        /// The chat was completed.
        ChatClosed = "CHAT_CLOSED",
        /// The customer rated the chat.
        ChatRated = "CHAT_RATED",
    }
);

string_enum!(
    /// How a recipient of an outgoing message is addressed (I1).
    AddressKind {
        /// A phone number (may start with +).
        Phone = "PHONE",
        /// A messenger's user id (digits only).
        MessengerId = "MESSENGER_ID",
        /// A messenger username (starts with @).
        Username = "USERNAME",
        /// A CRM contact found by name.
        Contact = "CONTACT",
    }
);

string_enum!(
    /// A day of the week, for working hours (001).
    Weekday {
        Monday = "MONDAY",
        Tuesday = "TUESDAY",
        Wednesday = "WEDNESDAY",
        Thursday = "THURSDAY",
        Friday = "FRIDAY",
        Saturday = "SATURDAY",
        Sunday = "SUNDAY",
    }
);

impl Weekday {
    /// The same day as chrono counts it.
    pub fn of(day: chrono::Weekday) -> Self {
        match day {
            chrono::Weekday::Mon => Self::Monday,
            chrono::Weekday::Tue => Self::Tuesday,
            chrono::Weekday::Wed => Self::Wednesday,
            chrono::Weekday::Thu => Self::Thursday,
            chrono::Weekday::Fri => Self::Friday,
            chrono::Weekday::Sat => Self::Saturday,
            chrono::Weekday::Sun => Self::Sunday,
        }
    }
}
