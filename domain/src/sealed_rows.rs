//! The sealed columns of stored rows (CRM client secrets, bot tokens, signing secrets): opened
//! with the server's [`Keyring`](crate::sealing::Keyring) where the services hand rows to
//! integrations, and sealed anew under the newest key by `omnipanel secrets rotate`.

use crate::error::Result;

impl crate::service::Domain {
    /// A CRM connection with its client secrets opened.
    pub(crate) fn open_connection(
        &self, mut connection: crate::entity::crm_connection::Model,
    ) -> Result<crate::entity::crm_connection::Model> {
        connection.client_secret = self.keyring.open_opt(connection.client_secret.as_deref())?;
        connection.oauth_client_secret = self
            .keyring
            .open_opt(connection.oauth_client_secret.as_deref())?;
        Ok(connection)
    }

    /// A channel with its credentials (bot token, signing secret) opened.
    pub(crate) fn open_channel(
        &self, mut channel: crate::entity::channel::Model,
    ) -> Result<crate::entity::channel::Model> {
        channel.credentials = self.keyring.open_opt(channel.credentials.as_deref())?;
        Ok(channel)
    }

    /// A webhook with its signing secret opened.
    pub(crate) fn open_webhook(
        &self, mut webhook: crate::entity::webhook::Model,
    ) -> Result<crate::entity::webhook::Model> {
        webhook.secret = self.keyring.open(&webhook.secret)?;
        Ok(webhook)
    }

    /// Seals every stored secret under the newest key (and those stored before sealing);
    /// returns how many values were sealed anew. `omnipanel secrets rotate` runs it after adding
    /// a key.
    pub async fn reseal_secrets(&self) -> Result<usize> {
        use crate::entity::{channel, crm_connection, webhook};
        use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
        let mut count = 0;
        // Seals one value anew if it is not under the newest key; counts it.
        let mut reseal = |value: Option<&mut String>| -> Result<bool> {
            match value {
                Some(value) if !self.keyring.is_current(value) => {
                    *value = self.keyring.seal(&self.keyring.open(value)?);
                    count += 1;
                    Ok(true)
                }
                _ => Ok(false),
            }
        };
        let tx = self.write().await?;
        for mut found in crm_connection::Entity::find().all(&tx).await? {
            let client = reseal(found.client_secret.as_mut())?;
            let oauth = reseal(found.oauth_client_secret.as_mut())?;
            if client || oauth {
                let mut model: crm_connection::ActiveModel = found.clone().into();
                model.client_secret = Set(found.client_secret);
                model.oauth_client_secret = Set(found.oauth_client_secret);
                model.update(&tx).await?;
            }
        }
        for mut found in channel::Entity::find().all(&tx).await? {
            if reseal(found.credentials.as_mut())? {
                let mut model: channel::ActiveModel = found.clone().into();
                model.credentials = Set(found.credentials);
                model.update(&tx).await?;
            }
        }
        for mut found in webhook::Entity::find().all(&tx).await? {
            if reseal(Some(&mut found.secret))? {
                let mut model: webhook::ActiveModel = found.clone().into();
                model.secret = Set(found.secret);
                model.update(&tx).await?;
            }
        }
        tx.commit().await?;
        Ok(count)
    }
}
