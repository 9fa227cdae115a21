//! Newtype ids: a `ChatId` cannot be passed where a `QueueId` is meant.
//!
//! Every id is a UUID v7 (time-ordered, so primary-key indexes stay append-friendly). In the API
//! they are opaque strings.

use std::fmt;
use std::str::FromStr;

use sea_orm::{DbErr, DeriveValueType, TryFromU64};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! ids {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
            DeriveValueType,
        )]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A fresh, time-ordered id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }

        impl From<Uuid> for $name {
            fn from(value: Uuid) -> Self {
                Self(value)
            }
        }

        /// In GraphQL every id is the built-in `ID` scalar; a malformed one is a validation error.
        #[cfg(feature = "graphql")]
        #[async_graphql::Scalar(name = "ID")]
        impl async_graphql::ScalarType for $name {
            fn parse(value: async_graphql::Value) -> async_graphql::InputValueResult<Self> {
                match &value {
                    async_graphql::Value::String(s) => s
                        .parse()
                        .map_err(|_| async_graphql::InputValueError::custom("is not a valid id")),
                    _ => Err(async_graphql::InputValueError::expected_type(value)),
                }
            }

            fn to_value(&self) -> async_graphql::Value {
                async_graphql::Value::String(self.0.to_string())
            }
        }

        impl TryFromU64 for $name {
            fn try_from_u64(_: u64) -> Result<Self, DbErr> {
                Err(DbErr::ConvertFromU64(stringify!($name)))
            }
        }
    )*};
}

ids! {
    OrganizationId,
    OperatorId,
    SessionId,
    InvitationId,
    ApiKeyId,
    CustomStatusId,
    StatusLogId,
    SkillId,
    QueueId,
    QuickReplyId,
    WrapUpReasonId,
    ChatResultId,
    TopicId,
    BotSchemeId,
    ChannelId,
    CustomerId,
    CustomerIdentityId,
    ChatId,
    ParticipantId,
    AssignmentId,
    RoutingDecisionId,
    MessageId,
    AttachmentId,
    NoteId,
    EventId,
    WebhookId,
    DeliveryId,
    LocalAccountId,
    LocalContactId,
    LocalCaseId,
    LocalActivityId,
}
