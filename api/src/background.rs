//! Work that runs beside the HTTP server: the timer scheduler and the cross-instance event
//! listener.

use std::time::Duration;

use omnipanel_domain::Domain;
use tokio::task::JoinHandle;

/// How often the scheduler looks for due timers.
const TICK: Duration = Duration::from_secs(1);

/// Starts the scheduler loop and, on PostgreSQL, the event listener.
pub fn start(domain: &Domain) -> Vec<JoinHandle<()>> {
    let scheduler = {
        let domain = domain.clone();
        tokio::spawn(async move {
            let mut interval = tokio::time::interval(TICK);
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                interval.tick().await;
                match domain.timers().run_due().await {
                    Ok(0) => {}
                    Ok(fired) => tracing::debug!(fired, "timers fired"),
                    Err(error) => tracing::error!(?error, "scheduler run failed"),
                }
            }
        })
    };
    let listener = tokio::spawn(omnipanel_domain::ports::forward_postgres_notices(
        domain.db.clone(),
        domain.bus.clone(),
    ));
    vec![scheduler, listener]
}
