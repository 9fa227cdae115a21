//! Due-time jobs. Every due time lives on its row (an invitation's expiry, the end of after-chat
//! work, an operator's AWAY, a chat's next traffic-light change, a quiet chat's auto-close, a
//! delivery's next attempt), so nothing depends on one process's memory: each instance sweeps
//! every second (`App`'s one tick loop), and a manual clock sweeps when a test advances it.
//!
//! Every job has the same shape, written once in [`crate::sweep`]: the query that finds its due
//! rows, and what firing one does after the row is locked and re-checked.

use crate::chat::close::{AfterChatWorkEnd, AutoClose};
use crate::chat::invitation::InvitationExpiry;
use crate::conversation::light::TrafficLightChange;
use crate::error::Result;
use crate::presence::status::AwayTimer;
use crate::service::Timers;
use crate::sweep::sweep;

impl Timers<'_> {
    /// Runs every due job once: missed invitations, after-chat work, idle operators, traffic
    /// lights, auto-close, and retention (once a minute); then wakes the delivery worker, whose
    /// due retries it claims itself.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn run_due(self) -> Result<usize> {
        let domain = self.domain;
        let fired = sweep::<InvitationExpiry>(domain).await?
            + sweep::<AfterChatWorkEnd>(domain).await?
            + sweep::<AwayTimer>(domain).await?
            + sweep::<TrafficLightChange>(domain).await?
            + sweep::<AutoClose>(domain).await?;
        let pruned = self.prune_if_due(domain.now()).await?;
        domain.deliveries_due.notify_one();
        Ok(fired + pruned.total() as usize)
    }
}
