//! Changes that may open a chat take its number, and a new customer's, in a statement of their
//! own before the change (`store::reserve_numbers`): the organization's row is then held for that
//! statement only, not until the change commits, so a burst of new conversations does not go
//! through one at a time.
//!
//! A change does not always know ahead whether it opens a chat: a customer's message may join
//! their open chat, and finding out costs the reads the change makes anyway. So the first attempt
//! runs without numbers; when it finds it needs them it writes nothing and says so
//! ([`Attempt::Needs`]), the numbers are taken, and it runs once more with them. A change that
//! opens nothing takes no number and runs once.

use crate::customer::NewNumber;
use crate::entity::organization;
use crate::enums::ChatDirection;
use crate::error::Result;
use crate::ids::OrganizationId;
use crate::service::Domain;
use crate::store::reserve_numbers;

/// The numbers a change took before it began.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Numbers {
    /// The new chat's.
    pub chat: Option<i64>,
    /// The new customer's.
    pub customer: Option<i64>,
}

impl Numbers {
    /// How this attempt numbers a customer it has to create: with the number taken for one;
    /// without, once numbers were taken (the customer was not new a moment ago: the change then
    /// takes the organization's next itself, and never asks again); or not at all yet.
    pub(crate) fn new_customer(self) -> NewNumber {
        match (self.customer, self.chat) {
            (Some(number), _) => NewNumber::Reserved(number),
            (None, Some(_)) => NewNumber::Next,
            (None, None) => NewNumber::NotYet,
        }
    }
}

/// What one attempt of a change that may open a chat came to.
pub(crate) enum Attempt<T> {
    Done(T),
    /// It opens a chat, for a new customer (`customer`) or not, and has no numbers yet; it
    /// wrote nothing. Only an attempt without numbers says so.
    Needs {
        customer: bool,
    },
}

impl Domain {
    /// Runs `attempt` (each run retried as [`Domain::retry`] does), first without numbers, and,
    /// if it needs them, once more with the organization's next numbers taken for it: a chat
    /// number of `direction`'s sequence, and a customer number if the customer is new.
    pub(crate) async fn with_numbers<T, F, Fut>(
        &self, organization_id: OrganizationId, direction: ChatDirection, mut attempt: F,
    ) -> Result<T>
    where
        F: FnMut(Numbers) -> Fut,
        Fut: Future<Output = Result<Attempt<T>>>,
    {
        let customer = match self.retry(|| attempt(Numbers::default())).await? {
            Attempt::Done(done) => return Ok(done),
            Attempt::Needs { customer } => customer,
        };
        let (chat, customer) = self
            .reserve_chat_numbers(organization_id, direction, customer)
            .await?;
        let numbers = Numbers {
            chat: Some(chat),
            customer,
        };
        match self.retry(|| attempt(numbers)).await? {
            Attempt::Done(done) => Ok(done),
            Attempt::Needs { .. } => unreachable!("an attempt with its numbers needs no more"),
        }
    }

    /// Takes the organization's next chat number of `direction`'s sequence ("OutgoingChat-N"
    /// chats are numbered apart), and its next customer number for a `new_customer`, in one
    /// statement of their own (`store::reserve_numbers`).
    pub(crate) async fn reserve_chat_numbers(
        &self, organization_id: OrganizationId, direction: ChatDirection, new_customer: bool,
    ) -> Result<(i64, Option<i64>)> {
        let mut sequences = vec![match direction {
            ChatDirection::Inbound => organization::Column::ChatSeq,
            ChatDirection::Outbound => organization::Column::OutgoingChatSeq,
        }];
        if new_customer {
            sequences.push(organization::Column::CustomerSeq);
        }
        let taken = reserve_numbers(&self.db, organization_id, &sequences).await?;
        Ok((taken[0], taken.get(1).copied()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_customer_is_numbered_as_the_numbers_taken_allow() {
        let none = Numbers::default();
        assert_eq!(none.new_customer(), NewNumber::NotYet);
        let chat_only = Numbers {
            chat: Some(7),
            customer: None,
        };
        assert_eq!(chat_only.new_customer(), NewNumber::Next);
        let both = Numbers {
            chat: Some(7),
            customer: Some(3),
        };
        assert_eq!(both.new_customer(), NewNumber::Reserved(3));
    }
}
