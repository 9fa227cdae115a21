//! The GraphQL API of API.md: schema assembly, the request's caller, and error mapping.

mod channels;
mod chatbot;
mod crm;
mod error;
mod files;
mod loaders;
mod mutation;
mod query;
mod types;
mod webhooks;
mod workplace;

use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, HashMapCache};
use async_graphql::{Context, MergedObject, Schema};
use omnipanel_domain::ports::ManualClock;
use omnipanel_domain::{Actor, Domain, DomainError};

pub use error::{ErrorCodes, Gql, to_gql};
pub use loaders::Loaders;
pub use workplace::Subscription;

/// Every query.
#[derive(MergedObject, Default)]
pub struct Query(
    query::AdminQuery,
    workplace::WorkplaceQuery,
    crm::CrmQuery,
    channels::ChannelQuery,
    chatbot::ChatbotQuery,
    webhooks::WebhookQuery,
);

/// Every mutation.
#[derive(MergedObject, Default)]
pub struct Mutation(
    mutation::AdminMutation,
    workplace::WorkplaceMutation,
    crm::CrmMutation,
    channels::ChannelMutation,
    chatbot::ChatbotMutation,
    webhooks::WebhookMutation,
);

/// The served schema.
pub type AppSchema = Schema<Query, Mutation, Subscription>;

/// How deep a query may nest; deep enough for GraphiQL's introspection query.
pub const MAX_DEPTH: usize = 16;
/// The most fields (weighted) one query may resolve.
pub const MAX_COMPLEXITY: usize = 2_000;
/// The most operations one batched request may carry.
pub const MAX_BATCH: usize = 10;

/// Who is calling, resolved once per request from the `Authorization` header.
#[derive(Clone, Debug)]
pub enum Auth {
    /// No credentials: only `signIn` and `acceptInvitation` work.
    Anonymous,
    Authenticated(Actor),
    /// Credentials that did not check out, with the reason.
    Rejected(String),
}

/// Facts about the request that services need (throttling by client address).
#[derive(Clone, Debug, Default)]
pub struct RequestInfo {
    pub client_address: Option<String>,
}

/// The manual clock, present only with `serve --test-clock`.
#[derive(Clone)]
pub struct TestClock(pub Arc<ManualClock>);

/// Builds the schema with its limits and shared data.
pub fn build_schema(domain: Domain, test_clock: Option<Arc<ManualClock>>) -> AppSchema {
    let mut builder = Schema::build(Query::default(), Mutation::default(), Subscription)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
        .limit_recursive_depth(32)
        .limit_directives(16)
        .extension(ErrorCodes)
        .data(domain);
    if let Some(clock) = test_clock {
        builder = builder.data(TestClock(clock));
    }
    builder.finish()
}

/// The SDL `omnipanel schema` prints and `schema.graphql` holds.
pub fn sdl() -> String {
    Schema::build(Query::default(), Mutation::default(), Subscription)
        .finish()
        .sdl()
}

/// Per-request data: the caller, the request facts and fresh DataLoaders.
pub fn request_data(
    request: async_graphql::Request,
    domain: &Domain,
    auth: Auth,
    info: RequestInfo,
) -> async_graphql::Request {
    request.data(auth).data(info).data(new_loader(domain))
}

/// The domain services.
pub fn domain<'a>(ctx: &Context<'a>) -> &'a Domain {
    ctx.data_unchecked::<Domain>()
}

/// The authenticated caller, or `UNAUTHENTICATED`.
pub fn actor<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Actor> {
    match ctx.data_opt::<Auth>() {
        Some(Auth::Authenticated(actor)) => Ok(actor),
        Some(Auth::Rejected(reason)) => {
            Err(to_gql(DomainError::Unauthenticated(reason.clone().into())))
        }
        _ => Err(to_gql(DomainError::Unauthenticated(
            "Sign in first: send Authorization: Bearer <token>".into(),
        ))),
    }
}

/// How the caller sees customer data of an organization (K1): operators through the
/// organization's masking setting and the roles it exempts; machine clients see originals.
pub async fn masking(
    ctx: &Context<'_>,
    organization_id: omnipanel_domain::ids::OrganizationId,
) -> async_graphql::Result<omnipanel_domain::masking::Masking> {
    use omnipanel_domain::Principal;
    let role = match &actor(ctx)?.principal {
        Principal::Operator { role, .. } => Some(*role),
        Principal::ApiKey { .. } => None,
    };
    let settings = loader(ctx)
        .load_one(organization_id)
        .await?
        .ok_or_else(|| to_gql(DomainError::not_found("settings")))?;
    Ok(omnipanel_domain::masking::Masking::for_viewer(
        &settings, role,
    ))
}

/// The DataLoader of this request.
pub fn loader<'a>(ctx: &Context<'a>) -> &'a AppLoader {
    ctx.data_unchecked::<AppLoader>()
}

/// The per-request loader: batches and caches rows for the request's lifetime.
pub type AppLoader = DataLoader<Loaders, HashMapCache>;

/// A fresh loader for one request (or one WebSocket connection's operations).
pub fn new_loader(domain: &Domain) -> AppLoader {
    DataLoader::with_cache(
        Loaders::new(domain.db.clone()),
        tokio::spawn,
        HashMapCache::default(),
    )
}
