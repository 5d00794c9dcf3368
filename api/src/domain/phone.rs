//! Phone numbers as the server keeps them: E.164 (`+8613600000001`), parsed with the
//! `phonenumber` crate (Google's libphonenumber metadata). `+86 136 0000 0001`,
//! `136-0000-0001` and `13600000001` (with the default region CN) are one number. Every phone
//! that enters the server (sign-up, login, accounts, lookups, tracking, contact phones) goes
//! through [`Phone::parse`], so stored and searched forms always agree.

use std::fmt;

pub use phonenumber::country::Id as Region;

use crate::error::{ApiError, ApiResult};

/// Longest text accepted as a phone number (formatting included).
const MAX_INPUT_CHARS: usize = 32;

/// A valid phone number in E.164. The only way to get one is [`Phone::parse`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Phone(String);

impl Phone {
    /// `raw` as typed (spaces, dashes, brackets, a leading `+` or the national form of
    /// `region`); `BAD_USER_INPUT` on `field` when it is no valid number.
    pub fn parse(field: &'static str, raw: &str, region: Region) -> ApiResult<Self> {
        let invalid = || ApiError::bad_input(field, "not a valid phone number");
        let raw = raw.trim();
        if raw.is_empty() || raw.chars().count() > MAX_INPUT_CHARS || raw.contains('\0') {
            return Err(invalid());
        }
        let number = phonenumber::parse(Some(region), raw).map_err(|_| invalid())?;
        if !number.is_valid() {
            return Err(invalid());
        }
        Ok(Self(
            number.format().mode(phonenumber::Mode::E164).to_string(),
        ))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_written_forms_of_one_number_are_one_phone() {
        for typed in [
            "+86 136 0000 0001",
            "136-0000-0001",
            "13600000001",
            " (136) 0000 0001 ",
            "+8613600000001",
        ] {
            assert_eq!(
                Phone::parse("phone", typed, Region::CN).unwrap().as_str(),
                "+8613600000001",
                "{typed}"
            );
        }
        // Another country's number written with its code keeps it.
        assert_eq!(
            Phone::parse("phone", "+44 20 7946 0958", Region::CN)
                .unwrap()
                .as_str(),
            "+442079460958"
        );
    }

    #[test]
    fn invalid_numbers_are_bad_input_on_the_field() {
        for bad in [
            "",
            "1",
            "555",
            "abc",
            "136000000011234567",
            "1\u{0}3600000001",
        ] {
            let Err(ApiError::BadUserInput { field, .. }) = Phone::parse("phone", bad, Region::CN)
            else {
                panic!("{bad:?} was accepted");
            };
            assert_eq!(field, "phone");
        }
        assert!(Phone::parse("phone", &"1".repeat(40), Region::CN).is_err());
    }
}
