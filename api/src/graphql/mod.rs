//! The GraphQL API of API.md. It mirrors the domain: one folder (or file) per capability, each
//! with its output types, its queries, its mutations and (for chats) its subscriptions; this file
//! only assembles them into the schema. Resolvers run their service call as the request's caller
//! through `context::call`, so each is the call and the payload it answers.

pub mod admin;
pub mod channels;
pub mod chat;
pub mod context;
pub mod conversation;
pub mod crm;
pub mod deliveries;
pub mod error;
pub mod files;
pub mod guard;
pub mod identity;
pub mod int;
pub mod loaders;
pub mod page;
pub mod presence;
pub mod projection;
pub mod routing;
pub mod supervision;

use async_graphql::{MergedObject, MergedSubscription, SDLExportOptions, Schema};
use omnipanel_domain::Domain;
use omnipanel_domain::ports::ManualClock;
use std::sync::Arc;

use context::{Auth, RequestInfo, TestClock, new_loader};
use error::ErrorCodes;
use guard::InputGuard;

/// Every query.
#[derive(MergedObject, Default)]
pub struct Query(
    identity::IdentityQuery,
    admin::query::AdminQuery,
    chat::query::ChatQuery,
    chat::events::EventsQuery,
    routing::RoutingQuery,
    supervision::SupervisionQuery,
    crm::CrmQuery,
    channels::ChannelQuery,
    deliveries::WebhookQuery,
);

/// Every mutation.
#[derive(MergedObject, Default)]
pub struct Mutation(
    identity::IdentityMutation,
    admin::mutation::AdminMutation,
    presence::PresenceMutation,
    supervision::SupervisionMutation,
    chat::mutation::ChatMutation,
    conversation::mutation::ConversationMutation,
    crm::CrmMutation,
    channels::ChannelMutation,
    deliveries::WebhookMutation,
);

/// Every subscription.
#[derive(MergedSubscription, Default)]
pub struct Subscription(
    chat::events::ChatSubscription,
    chat::queue_events::QueueSubscription,
    supervision::SupervisionSubscription,
);

/// The served schema.
pub type AppSchema = Schema<Query, Mutation, Subscription>;

/// How deep a query may nest; deep enough for GraphiQL's introspection query.
pub const MAX_DEPTH: usize = 16;
/// The most fields (weighted) one query may resolve.
pub const MAX_COMPLEXITY: usize = 2_000;
/// The most operations one batched request may carry.
pub const MAX_BATCH: usize = 10;

/// Builds the schema with its limits and shared data.
pub fn build_schema(domain: Domain, test_clock: Option<Arc<ManualClock>>) -> AppSchema {
    let mut builder = Schema::build(
        Query::default(),
        Mutation::default(),
        Subscription::default(),
    )
    .limit_depth(MAX_DEPTH)
    .limit_complexity(MAX_COMPLEXITY)
    .limit_recursive_depth(32)
    .limit_directives(16)
    .extension(ErrorCodes)
    .extension(InputGuard)
    .data(domain);
    if let Some(clock) = test_clock {
        builder = builder.data(TestClock(clock));
    }
    builder.finish()
}

/// The SDL `omnipanel schema` prints and `schema.graphql` holds. Fields are sorted, so the file
/// changes only when the API does, never when resolvers move between files.
pub fn sdl() -> String {
    Schema::build(
        Query::default(),
        Mutation::default(),
        Subscription::default(),
    )
    .finish()
    .sdl_with_options(SDLExportOptions::new().sorted_fields())
}

/// Per-request data: the caller, the request facts and fresh DataLoaders.
pub fn request_data(
    request: async_graphql::Request, domain: &Domain, auth: Auth, info: RequestInfo,
) -> async_graphql::Request {
    request.data(auth).data(info).data(new_loader(domain))
}
