//! Who is calling, and the account rules (R-PRV-4, R-PRV-5).

use entity::users::Role;

use crate::error::{ApiError, ApiResult};

/// Minimum password length (R-PRV-5).
pub const MIN_PASSWORD_LEN: usize = 10;

/// Lowest zxcvbn score accepted (R-PRV-5): 3 means "safely unguessable", more than 10^8
/// guesses, which the slow password hash makes impractical online and costly offline.
pub const MIN_PASSWORD_SCORE: zxcvbn::Score = zxcvbn::Score::Three;

/// The authenticated caller of one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Principal {
    Anonymous,
    User(UserPrincipal),
    /// A partner system, authenticated by an API key of `organization_id` (R-PRV-7).
    Partner {
        organization_id: i64,
        api_key_id: i64,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserPrincipal {
    pub id: i64,
    pub role: Role,
    pub service_centre_id: Option<i64>,
    pub organization_id: Option<i64>,
    /// A customer's service contract tier (R-SLA-14).
    pub sla_tier: Option<String>,
}

impl From<&entity::users::Model> for UserPrincipal {
    fn from(user: &entity::users::Model) -> Self {
        Self {
            id: user.id,
            role: user.role,
            service_centre_id: user.service_centre_id,
            organization_id: user.organization_id,
            sla_tier: user.sla_tier.clone(),
        }
    }
}

impl Principal {
    pub fn role(&self) -> Option<Role> {
        match self {
            Self::Anonymous => None,
            Self::User(user) => Some(user.role),
            Self::Partner { .. } => Some(Role::Partner),
        }
    }

    /// The caller's role if it is one of `allowed`: `UNAUTHENTICATED` for nobody, `FORBIDDEN`
    /// for anyone else.
    pub fn require(&self, allowed: &[Role]) -> ApiResult<Role> {
        let role = self.role().ok_or(ApiError::Unauthenticated)?;
        if allowed.contains(&role) {
            Ok(role)
        } else {
            Err(ApiError::Forbidden)
        }
    }

    pub fn user(&self) -> ApiResult<&UserPrincipal> {
        match self {
            Self::User(user) => Ok(user),
            Self::Anonymous => Err(ApiError::Unauthenticated),
            Self::Partner { .. } => Err(ApiError::Forbidden),
        }
    }

    /// The centre a staff member works for; others have none to act in.
    pub fn centre(&self) -> ApiResult<i64> {
        self.user()?.service_centre_id.ok_or(ApiError::Forbidden)
    }
}

/// Staff roles work for a service centre and must belong to one.
pub fn is_staff(role: Role) -> bool {
    matches!(role, Role::Technician | Role::Agent | Role::Supervisor)
}

/// E-mail addresses are compared case-insensitively; store and look up this form.
pub fn normalize_email(email: &str) -> ApiResult<String> {
    let email = email.trim().to_lowercase();
    let valid = email.len() <= 254
        && email
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'))
        && !email.contains(char::is_whitespace);
    if valid {
        Ok(email)
    } else {
        Err(ApiError::bad_input("email", "not a valid e-mail address"))
    }
}

/// R-PRV-5: at least ten characters, not the account's e-mail address or phone (nor the
/// e-mail's local part or the phone's digits), and hard to guess: common passwords, words,
/// repeats, sequences and keyboard patterns are refused with zxcvbn's explanation of why.
/// `account` holds the account's e-mail and phone, as far as known.
pub fn check_password_policy(account: &[&str], password: &str) -> ApiResult<()> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(ApiError::bad_input(
            "password",
            format!("password must be at least {MIN_PASSWORD_LEN} characters"),
        ));
    }
    let lowered = password.to_lowercase();
    let mut words: Vec<&str> = Vec::new();
    for item in account {
        words.push(item);
        if let Some((local, _)) = item.split_once('@') {
            words.push(local);
        }
        if let Some(national) = item.strip_prefix('+') {
            words.push(national);
        }
    }
    if words.iter().any(|word| lowered == word.to_lowercase()) {
        return Err(ApiError::bad_input(
            "password",
            "password must not be the e-mail address or phone",
        ));
    }
    let strength = zxcvbn::zxcvbn(password, &words);
    if strength.score() < MIN_PASSWORD_SCORE {
        let mut reasons = vec!["password is too easy to guess.".to_owned()];
        if let Some(feedback) = strength.feedback() {
            reasons.extend(feedback.warning().map(|warning| warning.to_string()));
            reasons.extend(feedback.suggestions().iter().map(ToString::to_string));
        }
        return Err(ApiError::bad_input("password", reasons.join(" ")));
    }
    Ok(())
}

/// Users hold every role but `PARTNER`, which belongs to API keys.
pub fn check_assignable_role(role: Role) -> ApiResult<()> {
    if role == Role::Partner {
        Err(ApiError::bad_input(
            "role",
            "PARTNER access is granted with an API key, not a user account",
        ))
    } else {
        Ok(())
    }
}

/// R-PRV-7: a ticket a customer or partner raises goes to the customer's own centre (the
/// related order's, else the customer's home centre); naming another one is refused. Only a
/// customer with neither chooses.
pub fn own_centre(requested: Option<i64>, own: Option<i64>) -> ApiResult<Option<i64>> {
    match (requested, own) {
        (Some(asked), Some(own)) if asked != own => Err(ApiError::bad_input(
            "serviceCentreId",
            "a ticket goes to the customer's own service centre",
        )),
        (asked, own) => Ok(own.or(asked)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r_prv_7_tickets_go_to_the_customers_own_centre() {
        assert_eq!(own_centre(None, Some(1)).unwrap(), Some(1));
        assert_eq!(own_centre(Some(1), Some(1)).unwrap(), Some(1));
        assert!(own_centre(Some(2), Some(1)).is_err());
        assert_eq!(own_centre(Some(2), None).unwrap(), Some(2));
        assert_eq!(own_centre(None, None).unwrap(), None);
    }

    #[test]
    fn r_prv_5_password_min_length() {
        assert!(check_password_policy(&["a@b.co"], "nG7#qL2z!").is_err());
        assert!(check_password_policy(&["a@b.co"], "nG7#qL2z!x").is_ok());
    }

    #[test]
    fn r_prv_5_common_and_low_entropy_passwords_are_refused_with_a_reason() {
        for weak in [
            "aaaaaaaaaa",
            "1234567890",
            "password12",
            "qwertyuiop",
            "abcdefghij",
        ] {
            let Err(ApiError::BadUserInput { field, message }) =
                check_password_policy(&["a@b.co"], weak)
            else {
                panic!("{weak:?} was accepted");
            };
            assert_eq!(field, "password");
            assert!(
                message.starts_with("password is too easy to guess."),
                "{message}"
            );
            assert!(
                message.len() > "password is too easy to guess.".len(),
                "{message}"
            );
        }
    }

    #[test]
    fn r_prv_5_passwords_built_on_the_account_are_refused() {
        assert!(check_password_policy(&["zhang.wei@b.co"], "zhang.wei2026").is_err());
    }

    #[test]
    fn r_prv_5_strong_passwords_pass() {
        for strong in [
            "correct horse battery staple",
            "a long enough password",
            "Tq8vR2mXw9LpZc4s",
        ] {
            assert!(
                check_password_policy(&["a@b.co"], strong).is_ok(),
                "{strong:?}"
            );
        }
    }

    #[test]
    fn r_prv_5_password_not_the_phone() {
        assert!(check_password_policy(&["+8613600000001"], "8613600000001").is_err());
        assert!(check_password_policy(&["+8613600000001"], "+8613600000001").is_err());
    }

    #[test]
    fn r_prv_5_password_not_the_email() {
        assert!(check_password_policy(&["alice.long@b.co"], "ALICE.LONG@B.CO").is_err());
        assert!(check_password_policy(&["alice.long@b.co"], "alice.long").is_err());
    }

    #[test]
    fn email_is_normalized_and_checked() {
        assert_eq!(
            normalize_email(" Bob@Example.COM ").unwrap(),
            "bob@example.com"
        );
        assert!(normalize_email("bob").is_err());
        assert!(normalize_email("bob@localhost").is_err());
        assert!(normalize_email("b ob@x.io").is_err());
    }

    #[test]
    fn require_distinguishes_anonymous_from_wrong_role() {
        let anon = Principal::Anonymous;
        assert!(matches!(
            anon.require(&[Role::Admin]),
            Err(ApiError::Unauthenticated)
        ));
        let partner = Principal::Partner {
            organization_id: 1,
            api_key_id: 1,
        };
        assert!(matches!(
            partner.require(&[Role::Admin]),
            Err(ApiError::Forbidden)
        ));
        assert_eq!(partner.require(&[Role::Partner]).unwrap(), Role::Partner);
    }
}
