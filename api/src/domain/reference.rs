//! Client references (issue 13): the id a client gives something it creates
//! (`externalReference`, e.g. a dealer's job number or the app's id for a queued report),
//! unique per owner — a partner organization (all its keys) or a user. A create that carries a
//! reference its owner used before returns what the first one made, so an offline client's
//! queued retries cannot duplicate.

use crate::domain::identity::Principal;
use crate::error::{ApiError, ApiResult};

pub const MAX_REFERENCE: usize = 100;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientReference {
    /// `org:<id>` or `user:<id>`.
    pub owner: String,
    pub reference: String,
}

/// The caller's reference, checked: 1–100 characters after trimming, no control characters.
pub fn client_reference(
    principal: &Principal,
    raw: Option<&str>,
) -> ApiResult<Option<ClientReference>> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    let reference = raw.trim();
    let bad = |message: &str| Err(ApiError::bad_input("externalReference", message));
    if reference.is_empty() || reference.chars().count() > MAX_REFERENCE {
        return bad("externalReference must be 1 to 100 characters");
    }
    if reference.chars().any(char::is_control) {
        return bad("externalReference must not contain control characters");
    }
    let owner = match principal {
        Principal::Partner {
            organization_id, ..
        } => format!("org:{organization_id}"),
        Principal::User(user) => format!("user:{}", user.id),
        Principal::Anonymous => return Err(ApiError::Unauthenticated),
    };
    Ok(Some(ClientReference {
        owner,
        reference: reference.to_owned(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn partner() -> Principal {
        Principal::Partner {
            organization_id: 7,
            api_key_id: 3,
        }
    }

    #[test]
    fn references_belong_to_the_organization_and_are_checked() {
        let found = client_reference(&partner(), Some("  DLR-0042 ")).unwrap();
        assert_eq!(
            found,
            Some(ClientReference {
                owner: "org:7".into(),
                reference: "DLR-0042".into()
            })
        );
        assert_eq!(client_reference(&partner(), None).unwrap(), None);
        let long = "x".repeat(MAX_REFERENCE + 1);
        for bad in ["", "   ", "a\u{0}b", "line\nbreak", long.as_str()] {
            assert!(
                matches!(
                    client_reference(&partner(), Some(bad)),
                    Err(ApiError::BadUserInput {
                        field: "externalReference",
                        ..
                    })
                ),
                "{bad:?}"
            );
        }
        assert!(client_reference(&partner(), Some(&"工".repeat(MAX_REFERENCE))).is_ok());
    }
}
