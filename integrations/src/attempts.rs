//! What an outbound POST's answer makes of a delivery attempt.

use omnipanel_domain::deliveries::Attempt;

/// The failed attempt of a POST that got no success: the HTTP status `who` (the receiver, the
/// provider) answered with, or why nothing came back.
pub(crate) fn failed(sent: reqwest::Result<reqwest::Response>, who: &str) -> Attempt {
    match sent {
        Ok(response) => {
            let status = response.status().as_u16();
            Attempt::failed(
                Some(i32::from(status)),
                format!("The {who} answered HTTP {status}"),
            )
        }
        Err(error) if error.is_timeout() => {
            Attempt::failed(None, format!("The {who} did not answer in time"))
        }
        Err(_) => Attempt::failed(None, format!("The {who} could not be reached")),
    }
}
