//! Due-time jobs (invitation expiry, after-chat work, AWAY, traffic lights, auto-close): each due
//! time is stored on its row, and one sweep per instance fires what is due.

use crate::error::Result;
use crate::service::Timers;

impl Timers<'_> {
    /// Runs every due timer once: missed invitations, after-chat work, idle operators, traffic
    /// lights, auto-close.
    pub async fn run_due(&self) -> Result<usize> {
        let fired = self.domain.chats().expire_invitations().await?
            + self.domain.chats().end_after_chat_work().await?
            + self.domain.presence().expire_idle_operators().await?
            + self.domain.conversation().advance_traffic_lights().await?
            + self.domain.chats().auto_close_chats().await?;
        // Retries of outbound deliveries may have come due too.
        self.domain.deliveries_due.notify_one();
        Ok(fired)
    }
}
