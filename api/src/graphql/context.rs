//! What every resolver reaches: the domain's services, the request's caller (resolved once per
//! request), how the caller sees customer data, the request's DataLoader, and [`call`], which
//! runs a service call as the caller and maps its errors.

use async_graphql::Context;
use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use omnipanel_domain::ports::ManualClock;
use omnipanel_domain::{Actor, Domain, DomainError};
use std::sync::Arc;

use crate::graphql::error::{Gql, to_gql};

use crate::graphql::loaders::Loaders;

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
    ctx: &Context<'_>, organization_id: omnipanel_domain::ids::OrganizationId,
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

/// The loader a request reads through: it batches the rows asked for at the same moment into
/// one query per relation.
pub type AppLoader = Arc<DataLoader<Loaders, HashMapCache>>;

/// A fresh loader for one request, which also keeps the rows for the request's lifetime.
pub fn new_loader(domain: &Domain) -> AppLoader {
    Arc::new(DataLoader::with_cache(
        Loaders::new(domain.db.clone()),
        tokio::spawn,
        HashMapCache::default(),
    ))
}

/// The one loader of every WebSocket connection's operations on this instance. It keeps
/// nothing, so each event shows its rows as they are now; it batches, across connections, what
/// is asked for at the same moment, as when every follower of a queue resolves the same event:
/// one read of the chat, its customer and its queue for all of them, not one each.
pub fn subscription_loader(domain: &Domain) -> AppLoader {
    let loader = new_loader(domain);
    loader.enable_all_cache(false);
    loader
}

/// Runs a service call as the request's caller: `call(ctx, |d, a| d.chats().accept_chat(a, input))`.
/// Unauthenticated callers never reach the service; its errors come back with their codes.
pub async fn call<'c, T, Fut>(
    ctx: &Context<'c>, service: impl FnOnce(&'c Domain, &'c Actor) -> Fut,
) -> async_graphql::Result<T>
where
    Fut: std::future::Future<Output = omnipanel_domain::Result<T>>,
{
    service(domain(ctx), actor(ctx)?).await.gql()
}

/// What an optional id points at, through the request's loader, as `to` makes it:
/// `load(ctx, self.0.queue_id, Queue)`.
pub async fn load<K, T>(
    ctx: &Context<'_>, id: Option<K>, to: impl FnOnce(<Loaders as Loader<K>>::Value) -> T,
) -> async_graphql::Result<Option<T>>
where
    K: Send + Sync + std::hash::Hash + Eq + Clone + 'static,
    Loaders: Loader<K, Error = Arc<sea_orm::DbErr>>,
{
    match id {
        Some(id) => Ok(loader(ctx).load_one(id).await?.map(to)),
        None => Ok(None),
    }
}

/// The rows one key gathers (a queue's members, an operator's skills, …), through the request's
/// loader, each as `to` makes it; none when the key gathers nothing.
pub async fn load_each<K, V, T>(
    ctx: &Context<'_>, key: K, to: impl FnMut(V) -> T,
) -> async_graphql::Result<Vec<T>>
where
    K: Send + Sync + std::hash::Hash + Eq + Clone + 'static,
    Loaders: Loader<K, Value = Vec<V>, Error = Arc<sea_orm::DbErr>>,
{
    let rows = loader(ctx).load_one(key).await?.unwrap_or_default();
    Ok(rows.into_iter().map(to).collect())
}

/// [`call`] for a service that answers with rows, each made into its GraphQL type (`From` the row).
pub async fn call_each<'c, R, T: From<R>, Fut>(
    ctx: &Context<'c>, service: impl FnOnce(&'c Domain, &'c Actor) -> Fut,
) -> async_graphql::Result<Vec<T>>
where
    Fut: std::future::Future<Output = omnipanel_domain::Result<Vec<R>>>,
{
    Ok(call(ctx, service).await?.into_iter().map(T::from).collect())
}
