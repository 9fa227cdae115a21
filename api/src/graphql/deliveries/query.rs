//! The organization's webhooks and their deliveries.

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{Context, Object};

use omnipanel_domain::deliveries::DeliveryCursor;

use omnipanel_domain::ids::WebhookId;

use crate::graphql::context::call;
use crate::graphql::deliveries::types::{Delivery, Webhook};

use crate::graphql::page::{decode_cursor, encode_cursor, page_size};

#[derive(Default)]
pub struct WebhookQuery;

#[Object]
impl WebhookQuery {
    /// The organization's webhooks (administrators).
    async fn webhooks(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Webhook>> {
        let rows = call(ctx, |d, a| d.deliveries().webhooks(a)).await?;
        Ok(rows.into_iter().map(Webhook).collect())
    }

    /// The delivery log, newest first, of one webhook or of all (administrators).
    async fn webhook_deliveries(
        &self,
        ctx: &Context<'_>,
        webhook_id: Option<WebhookId>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, Delivery, EmptyFields, EmptyFields>> {
        let first = page_size(first, 20)?;
        let after = after
            .map(|c| decode_cursor::<DeliveryCursor>(&c))
            .transpose()?;
        let (rows, has_next) = call(ctx, |d, a| {
            d.deliveries().deliveries(a, webhook_id, first, after)
        })
        .await?;
        let mut connection = Connection::new(after.is_some(), has_next);
        connection.edges.extend(rows.into_iter().map(|row| {
            let cursor = encode_cursor(&DeliveryCursor {
                created_at: row.created_at,
                id: row.id,
            });
            Edge::new(cursor, Delivery(row))
        }));
        Ok(connection)
    }
}
