//! Masking of customer data for operators (K1).
//!
//! Card numbers, IBANs, social security numbers and phone numbers become their characters
//! (spaces dropped) with all but the last four replaced by `*`: `+ 1 (123) 456 7890` →
//! `**********7890`, `+447966197542` → `*********7542`. E-mail addresses keep the first letter
//! and the domain: `melissa@gmail.com` → `m******@gmail.com`. Originals stay in the database for
//! the customer-facing side and for the roles an administrator allows.

use std::sync::LazyLock;

use regex::{Captures, Regex};

use crate::entity::organization_settings;
use crate::enums::Role;

static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
        .expect("valid pattern")
});

/// IBANs: a country code, two check digits, then groups of letters and digits.
static IBAN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b")
        .expect("valid pattern")
});

/// Numbers of seven or more digits, with the separators phones, cards and SSNs use.
static NUMBER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\+?\s*\(?\d[\d\s().-]*\d").expect("valid pattern"));

/// ISO dates look like long numbers but are not personal data.
static ISO_DATE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\d{4}-\d{2}-\d{2}$").expect("valid pattern"));

/// The characters of `value` without whitespace, all but the last four replaced by `*`.
fn keep_last_four(value: &str) -> String {
    let chars: Vec<char> = value.chars().filter(|c| !c.is_whitespace()).collect();
    let keep = chars.len().saturating_sub(4);
    chars
        .iter()
        .enumerate()
        .map(|(i, c)| if i < keep { '*' } else { *c })
        .collect()
}

/// `melissa@gmail.com` → `m******@gmail.com`.
fn mask_email(value: &str) -> String {
    match value.split_once('@') {
        Some((local, domain)) => {
            let mut chars = local.chars();
            let first = chars.next().map(String::from).unwrap_or_default();
            format!("{first}{}@{domain}", "*".repeat(chars.count()))
        }
        None => keep_last_four(value),
    }
}

/// Masks every e-mail, IBAN, card, SSN and phone number in a text.
pub fn mask_text(text: &str) -> String {
    let text = EMAIL.replace_all(text, |c: &Captures| mask_email(&c[0]));
    let text = IBAN.replace_all(&text, |c: &Captures| keep_last_four(&c[0]));
    NUMBER
        .replace_all(&text, |c: &Captures| {
            let found = &c[0];
            let digits = found.chars().filter(char::is_ascii_digit).count();
            if digits >= 7 && !ISO_DATE.is_match(found.trim()) {
                // Keep the whitespace the match started with, so words stay apart.
                let lead: String = found.chars().take_while(|c| c.is_whitespace()).collect();
                format!("{lead}{}", keep_last_four(found))
            } else {
                found.to_owned()
            }
        })
        .into_owned()
}

/// How one viewer sees customer data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Masking {
    Off,
    On,
}

impl Masking {
    /// What the organization's settings say for an operator of `role`; machine clients (the
    /// chatbot, the CRM) are the customer-facing side and see originals.
    pub fn for_viewer(settings: &organization_settings::Model, role: Option<Role>) -> Self {
        let Some(role) = role else {
            return Masking::Off;
        };
        let unmasked: Vec<Role> =
            serde_json::from_value(settings.unmasked_roles.clone()).unwrap_or_default();
        if settings.masking_enabled && !unmasked.contains(&role) {
            Masking::On
        } else {
            Masking::Off
        }
    }

    pub fn apply(self, text: &str) -> String {
        match self {
            Masking::Off => text.to_owned(),
            Masking::On => mask_text(text),
        }
    }

    pub fn apply_opt(self, text: Option<&str>) -> Option<String> {
        text.map(|t| self.apply(t))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_examples_of_k1_exactly() {
        assert_eq!(mask_text("+ 1 (123) 456 7890"), "**********7890");
        assert_eq!(mask_text("+447966197542"), "*********7542");
        assert_eq!(mask_text("melissa@gmail.com"), "m******@gmail.com");
    }

    #[test]
    fn cards_ibans_and_ssns_are_masked_in_text() {
        assert_eq!(
            mask_text("card 4111 1111 1111 1111 please"),
            "card ************1111 please"
        );
        assert_eq!(
            mask_text("IBAN DE89 3704 0044 0532 0130 00"),
            "IBAN ******************3000"
        );
        assert_eq!(mask_text("SSN 123-45-6789."), "SSN *******6789.");
        assert_eq!(
            mask_text("Call +447966197542 or write to melissa@gmail.com"),
            "Call *********7542 or write to m******@gmail.com"
        );
    }

    #[test]
    fn ordinary_text_is_left_alone() {
        for text in [
            "Order A-17 ships on 2026-11-22 at 12:30",
            "Room 101, 3 items",
            "Hello 👋",
        ] {
            assert_eq!(mask_text(text), text);
        }
    }
}
