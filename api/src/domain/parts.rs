//! R-REP-5: parts requests of a repair order. A technician on the order or an agent asks for
//! parts (code, name, quantity, urgency); a supervisor of the centre who did not ask approves
//! or rejects the request; it is filled from stock or by purchase; the parts arrive. An
//! approved request puts the order in WAITING_FOR_PARTS (its clocks pause by the policies);
//! the arrival of the last approved request resumes it where it waited.

use entity::parts_requests::PartsRequestStatus;
use entity::repair_orders::Priority;

use super::identity::Principal;
use crate::error::{ApiError, ApiResult, FieldErrors};

/// Most parts one request lists.
pub const MAX_ITEMS: usize = 20;
/// Most pieces of one part.
pub const MAX_QUANTITY: i32 = 9999;

/// What is done to a parts request.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum PartsStep {
    Approve,
    Reject,
    Fill,
    Receive,
}

impl PartsStep {
    fn verb(self) -> &'static str {
        match self {
            Self::Approve => "approve the parts request",
            Self::Reject => "reject the parts request",
            Self::Fill => "fill the parts request",
            Self::Receive => "record that the parts arrived",
        }
    }
}

/// The request's state machine: `REQUESTED → APPROVED | REJECTED`, `APPROVED → FILLED`,
/// `FILLED → ARRIVED`.
pub fn next_status(step: PartsStep, current: PartsRequestStatus) -> ApiResult<PartsRequestStatus> {
    use PartsRequestStatus::*;
    match (step, current) {
        (PartsStep::Approve, Requested) => Ok(Approved),
        (PartsStep::Reject, Requested) => Ok(Rejected),
        (PartsStep::Fill, Approved) => Ok(Filled),
        (PartsStep::Receive, Filled) => Ok(Arrived),
        _ => Err(ApiError::InvalidTransition {
            action: step.verb(),
            current: status_name(current),
        }),
    }
}

pub fn status_name(status: PartsRequestStatus) -> String {
    use sea_orm::ActiveEnum;
    status.to_value()
}

/// A supervisor decides on a request, never on their own (R-REP-5: "approved by a
/// supervisor"; nobody approves what they asked for).
pub fn check_decider(principal: &Principal, requested_by: i64) -> ApiResult<()> {
    match principal {
        Principal::User(user) if user.id == requested_by => Err(ApiError::Forbidden),
        _ => Ok(()),
    }
}

/// The request holds the order in WAITING_FOR_PARTS until its parts arrive.
pub fn holds_order(status: PartsRequestStatus) -> bool {
    matches!(
        status,
        PartsRequestStatus::Approved | PartsRequestStatus::Filled
    )
}

/// One part as asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Part {
    pub code: String,
    pub name: String,
    pub quantity: i32,
    pub urgency: Priority,
}

/// Checks every part at once; `parts.code`, `parts.name` and `parts.quantity` name the bad
/// fields, the message says which part (counted from 1).
pub fn check_parts(parts: Vec<Part>) -> ApiResult<Vec<Part>> {
    if parts.is_empty() || parts.len() > MAX_ITEMS {
        return Err(ApiError::bad_input(
            "parts",
            format!("ask for 1 to {MAX_ITEMS} parts"),
        ));
    }
    let mut errors = FieldErrors::default();
    let mut checked = Vec::with_capacity(parts.len());
    for (i, part) in parts.into_iter().enumerate() {
        let n = i + 1;
        let code = errors.check(text("parts.code", n, &part.code, 64))?;
        let name = errors.check(text("parts.name", n, &part.name, 200))?;
        let quantity = errors.check(if (1..=MAX_QUANTITY).contains(&part.quantity) {
            Ok(part.quantity)
        } else {
            Err(ApiError::bad_input(
                "parts.quantity",
                format!("part {n}: between 1 and {MAX_QUANTITY} pieces"),
            ))
        })?;
        if let (Some(code), Some(name), Some(quantity)) = (code, name, quantity) {
            checked.push(Part {
                code,
                name,
                quantity,
                urgency: part.urgency,
            });
        }
    }
    errors.finish()?;
    Ok(checked)
}

/// Trimmed, 1 to `max` characters, no control characters.
fn text(field: &'static str, n: usize, value: &str, max: usize) -> ApiResult<String> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > max || value.chars().any(char::is_control) {
        return Err(ApiError::bad_input(
            field,
            format!("part {n}: 1 to {max} characters, no control characters"),
        ));
    }
    Ok(value.to_owned())
}

/// The most urgent of the parts' urgencies, which the request is handled by.
pub fn urgency(urgencies: impl IntoIterator<Item = Priority>) -> Priority {
    use Priority::*;
    let rank = |p: Priority| match p {
        Low => 0,
        Normal => 1,
        High => 2,
        Urgent => 3,
    };
    urgencies
        .into_iter()
        .max_by_key(|p| rank(*p))
        .unwrap_or(Normal)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::identity::UserPrincipal;
    use entity::users::Role;

    fn part(code: &str, quantity: i32, urgency: Priority) -> Part {
        Part {
            code: code.into(),
            name: "Condenser fan".into(),
            quantity,
            urgency,
        }
    }

    #[test]
    fn r_rep_5_a_request_is_decided_then_filled_then_arrives() {
        use PartsRequestStatus::*;
        use PartsStep::*;
        assert_eq!(next_status(Approve, Requested).unwrap(), Approved);
        assert_eq!(next_status(Reject, Requested).unwrap(), Rejected);
        assert_eq!(next_status(Fill, Approved).unwrap(), Filled);
        assert_eq!(next_status(Receive, Filled).unwrap(), Arrived);
        for (step, from) in [
            (Fill, Requested),
            (Receive, Approved),
            (Approve, Approved),
            (Approve, Rejected),
            (Reject, Approved),
            (Receive, Arrived),
        ] {
            assert!(
                matches!(
                    next_status(step, from),
                    Err(ApiError::InvalidTransition { .. })
                ),
                "{step:?} from {from:?}"
            );
        }
        assert!(holds_order(Approved) && holds_order(Filled));
        assert!(!holds_order(Requested) && !holds_order(Rejected) && !holds_order(Arrived));
    }

    #[test]
    fn r_rep_5_nobody_approves_their_own_request() {
        let supervisor = Principal::User(UserPrincipal {
            id: 7,
            role: Role::Supervisor,
            service_centre_id: Some(1),
            organization_id: None,
            sla_tier: None,
        });
        assert!(matches!(
            check_decider(&supervisor, 7),
            Err(ApiError::Forbidden)
        ));
        assert!(check_decider(&supervisor, 8).is_ok());
    }

    #[test]
    fn r_rep_5_parts_are_checked_all_at_once() {
        let ok = check_parts(vec![part(" FAN-12 ", 2, Priority::High)]).unwrap();
        assert_eq!(ok[0].code, "FAN-12");
        assert!(check_parts(vec![]).is_err());
        match check_parts(vec![
            part("", 0, Priority::Low),
            part("A\u{0}", 1, Priority::Low),
        ]) {
            Err(ApiError::InvalidFields(fields)) => assert_eq!(fields.len(), 3),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            urgency([Priority::Low, Priority::Urgent, Priority::High]),
            Priority::Urgent
        );
        assert_eq!(urgency([]), Priority::Normal);
    }
}
