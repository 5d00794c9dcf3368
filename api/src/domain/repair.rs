//! Repair-order rules: who may do what (R-PRV-1/2/7), the state machine, the arrival deadline
//! (R-SLA-1/2) and what the customer pays (R-REP-1).

use chrono::{DateTime, Days, Duration, Months, NaiveDate, Utc};
use entity::repair_orders::{
    self, FaultCause, RepairSolution, RepairStatus, RequestType, ReturnOutcome,
};
use entity::users::Role;
use rust_decimal::{Decimal, RoundingStrategy};

use super::identity::Principal;
use super::money;
use crate::error::{ApiError, ApiResult};

/// Everything that can be done to an existing order.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum RepairAction {
    Assign,
    Accept,
    StartTravel,
    MarkArrived,
    AddLine,
    /// R-REP-2: the technician records the diagnosis, the fault's cause and the solution.
    Diagnose,
    Complete,
    Confirm,
    Reject,
    Cancel,
    Close,
    ScheduleAppointment,
    AddNote,
    /// The customer adds a public note to their open order (a gate code, a better time).
    CustomerNote,
    /// R-REP-5: an approved parts request puts the order in WAITING_FOR_PARTS.
    WaitForParts,
    /// R-REP-5: the last approved parts request arrived.
    PartsArrived,
    /// R-REP-5: parts are asked for (`requestParts`).
    RequestParts,
    /// R-REP-5: a supervisor approves a parts request.
    ApproveParts,
    /// R-REP-5: a supervisor rejects a parts request.
    RejectParts,
    /// R-REP-5: the parts are taken from stock or bought.
    FillParts,
    /// R-REP-5: the parts of one request arrived.
    ReceiveParts,
    /// R-REP-2: a return, exchange or refund ends with its outcome and closes the order.
    RecordOutcome,
    /// The customer cannot be reached: WAITING_FOR_CUSTOMER.
    MarkUnreachable,
    CustomerReached,
    /// Photos or videos added to the order (attachments).
    Attach,
}

impl RepairAction {
    /// Verb for error messages.
    pub fn verb(self) -> &'static str {
        match self {
            Self::Assign => "assign a technician",
            Self::Accept => "accept the repair",
            Self::StartTravel => "start travel",
            Self::MarkArrived => "mark arrival",
            Self::AddLine => "add a repair line",
            Self::Diagnose => "record the diagnosis",
            Self::Complete => "complete the repair",
            Self::Confirm => "confirm the repair",
            Self::Reject => "reject the repair",
            Self::Cancel => "cancel the repair",
            Self::Close => "close the repair",
            Self::ScheduleAppointment => "schedule an appointment",
            Self::AddNote | Self::CustomerNote => "add a note",
            Self::WaitForParts => "wait for parts",
            Self::PartsArrived | Self::ReceiveParts => "record that the parts arrived",
            Self::RequestParts => "request parts",
            Self::RecordOutcome => "record the outcome of a return",
            Self::ApproveParts => "approve a parts request",
            Self::RejectParts => "reject a parts request",
            Self::FillParts => "fill a parts request",
            Self::MarkUnreachable => "mark the customer unreachable",
            Self::CustomerReached => "record that the customer was reached",
            Self::Attach => "attach files",
        }
    }

    /// Name of the timeline event the action writes.
    pub fn event(self) -> &'static str {
        match self {
            Self::Assign => "ASSIGNED",
            Self::Accept => "ACCEPTED",
            Self::StartTravel => "TRAVEL_STARTED",
            Self::MarkArrived => "ARRIVED",
            Self::AddLine => "LINE_ADDED",
            Self::Diagnose => "DIAGNOSED",
            Self::Complete => "COMPLETED",
            Self::Confirm => "CONFIRMED",
            Self::Reject => "REJECTED",
            Self::Cancel => "CANCELLED",
            Self::Close => "CLOSED",
            Self::ScheduleAppointment => "APPOINTMENT_SCHEDULED",
            Self::AddNote => "NOTE",
            Self::CustomerNote => "CUSTOMER_NOTE",
            Self::WaitForParts => "WAITING_FOR_PARTS",
            Self::PartsArrived => "PARTS_ARRIVED",
            Self::RequestParts => "PARTS_REQUESTED",
            Self::RecordOutcome => "RETURN_OUTCOME_RECORDED",
            Self::ApproveParts => "PARTS_REQUEST_APPROVED",
            Self::RejectParts => "PARTS_REQUEST_REJECTED",
            Self::FillParts => "PARTS_REQUEST_FILLED",
            Self::ReceiveParts => "PARTS_RECEIVED",
            Self::MarkUnreachable => "CUSTOMER_UNREACHABLE",
            Self::CustomerReached => "CUSTOMER_REACHED",
            Self::Attach => "ATTACHMENTS_ADDED",
        }
    }

    /// Roles that may take the action (on orders they can see). Technicians act only on orders
    /// assigned to them, customers on their own, staff on their centre's, partners on their
    /// organization's: that part is `can_view`.
    fn roles(self) -> &'static [Role] {
        use Role::*;
        match self {
            Self::Assign | Self::Close => &[Agent, Supervisor],
            Self::Accept
            | Self::StartTravel
            | Self::MarkArrived
            | Self::AddLine
            | Self::Diagnose
            | Self::Complete => &[Technician],
            Self::Confirm | Self::Reject | Self::CustomerNote => &[Customer],
            Self::Cancel => &[Customer, Agent, Supervisor, Partner],
            Self::ScheduleAppointment => &[Customer, Agent, Supervisor],
            Self::AddNote
            | Self::WaitForParts
            | Self::PartsArrived
            | Self::MarkUnreachable
            | Self::CustomerReached
            | Self::RequestParts
            | Self::ReceiveParts => &[Technician, Agent, Supervisor],
            // R-REP-5: approved by a supervisor; filled by the centre's staff.
            Self::ApproveParts | Self::RejectParts => &[Supervisor],
            Self::FillParts => &[Agent, Supervisor],
            // R-REP-2: the centre hands over the exchange or refund; the technician on site
            // may take the product back.
            Self::RecordOutcome => &[Technician, Agent, Supervisor],
            // Everyone who sees the order shows what they see: the customer's photo of the
            // fault, the technician's of the repair, a partner's from its system.
            Self::Attach => &[Customer, Technician, Agent, Supervisor, Partner],
        }
    }
}

/// The people and organizations an order belongs to.
#[derive(Clone, Debug)]
pub struct OrderParties {
    pub customer_id: i64,
    pub technician_id: Option<i64>,
    pub service_centre_id: i64,
    pub organization_id: Option<i64>,
}

impl From<&repair_orders::Model> for OrderParties {
    fn from(order: &repair_orders::Model) -> Self {
        Self {
            customer_id: order.customer_id,
            technician_id: order.technician_id,
            service_centre_id: order.service_centre_id,
            organization_id: order.organization_id,
        }
    }
}

/// R-PRV-1/7: customers see their own orders, technicians those assigned to them, agents and
/// supervisors their centre's, partners their organization's; admins none.
pub fn can_view(principal: &Principal, order: &OrderParties) -> bool {
    match principal {
        Principal::Anonymous => false,
        Principal::Partner {
            organization_id, ..
        } => order.organization_id == Some(*organization_id),
        Principal::User(user) => match user.role {
            Role::Customer => order.customer_id == user.id,
            Role::Technician => order.technician_id == Some(user.id),
            Role::Agent | Role::Supervisor => {
                user.service_centre_id == Some(order.service_centre_id)
            }
            Role::Admin | Role::Partner => false,
        },
    }
}

/// `NOT_FOUND` when the caller may not see the order (so ids cannot be probed), `FORBIDDEN`
/// when they see it but their role may not take the action.
pub fn authorize(
    principal: &Principal,
    action: RepairAction,
    order: &OrderParties,
) -> ApiResult<()> {
    if principal.role().is_none() {
        return Err(ApiError::Unauthenticated);
    }
    if !can_view(principal, order) {
        return Err(ApiError::NotFound("repair order"));
    }
    principal.require(action.roles()).map(|_| ())
}

/// The state machine: the status `action` leads to from `current`. Leaving a waiting state
/// goes back to the status the order waited in (`resume`).
pub fn next_status(
    action: RepairAction,
    current: RepairStatus,
    resume: Option<RepairStatus>,
) -> ApiResult<RepairStatus> {
    use RepairAction as A;
    use RepairStatus::*;
    let back = resume.filter(|r| !matches!(r, WaitingForParts | WaitingForCustomer));
    let next = match (action, current) {
        (A::Assign, Submitted | Assigned | Accepted | Reopened) => Some(Assigned),
        (A::Accept, Assigned) => Some(Accepted),
        (A::StartTravel, Accepted) => Some(EnRoute),
        (A::MarkArrived, EnRoute) => Some(OnSite),
        (A::AddLine | A::Diagnose, OnSite) => Some(OnSite),
        (A::Complete, OnSite) => Some(Completed),
        (A::Confirm, Completed) => Some(Confirmed),
        (A::Reject, Completed) => Some(Reopened),
        (A::Cancel, Submitted | Assigned | Accepted | WaitingForParts | WaitingForCustomer) => {
            Some(Cancelled)
        }
        (A::Close, Confirmed | WaitingForCustomer) => Some(Closed),
        (A::WaitForParts, Submitted | Assigned | Accepted | EnRoute | OnSite | Reopened) => {
            Some(WaitingForParts)
        }
        (A::PartsArrived, WaitingForParts) => back,
        // R-REP-5: parts are asked for and approved while the repair is still to be done (or
        // already waits for other parts); the approval itself moves the order to
        // WAITING_FOR_PARTS (`WaitForParts`) unless it waits already.
        (
            A::RequestParts | A::ApproveParts,
            Submitted | Assigned | Accepted | EnRoute | OnSite | Reopened | WaitingForParts,
        ) => Some(current),
        // R-REP-2: a return, exchange or refund closes with its outcome, before or after a
        // visit (`check_track` says which orders may).
        (A::RecordOutcome, Submitted | Assigned | Accepted | EnRoute | OnSite | Reopened) => {
            Some(Closed)
        }
        (A::RejectParts | A::FillParts | A::ReceiveParts, status)
            if !matches!(status, Closed | Cancelled) =>
        {
            Some(status)
        }
        (A::MarkUnreachable, Submitted | Assigned | Accepted | EnRoute | Reopened) => {
            Some(WaitingForCustomer)
        }
        (A::CustomerReached, WaitingForCustomer) => back,
        (A::ScheduleAppointment, Submitted | Assigned | Accepted | Reopened) => Some(current),
        (A::AddNote, status) if status != Closed => Some(status),
        (A::CustomerNote, status) if !matches!(status, Closed | Cancelled) => Some(status),
        (A::Attach, status) if !matches!(status, Closed | Cancelled) => Some(status),
        _ => None,
    };
    next.ok_or_else(|| ApiError::InvalidTransition {
        action: action.verb(),
        current: status_name(current),
    })
}

/// R-REP-2: whether an order ends with the outcome of a return, exchange or refund rather than
/// a completed repair: the solution chosen in the diagnosis decides; before a diagnosis, what
/// the customer asked for.
pub fn ends_with_outcome(request: RequestType, solution: Option<RepairSolution>) -> bool {
    match solution {
        Some(RepairSolution::Return | RepairSolution::Exchange | RepairSolution::Refund) => true,
        Some(RepairSolution::Repair | RepairSolution::Replace) => false,
        None => matches!(request, RequestType::Return | RequestType::Exchange),
    }
}

/// R-REP-2: the two ends of the flow exclude each other. A return, exchange or refund takes no
/// repair lines and is not completed as a repair (no technician's completion, no customer
/// confirmation of a repair); a repair or replacement has no return outcome.
/// `INVALID_TRANSITION` with the current status otherwise.
pub fn check_track(
    action: RepairAction,
    current: RepairStatus,
    request: RequestType,
    solution: Option<RepairSolution>,
) -> ApiResult<()> {
    let outcome_track = ends_with_outcome(request, solution);
    let refused = match action {
        RepairAction::AddLine | RepairAction::Complete => outcome_track,
        RepairAction::RecordOutcome => !outcome_track,
        _ => false,
    };
    if refused {
        return Err(ApiError::InvalidTransition {
            action: if outcome_track {
                match action {
                    RepairAction::AddLine => "add a repair line to a return, exchange or refund",
                    _ => "complete a return, exchange or refund as a repair (record its outcome)",
                }
            } else {
                "record a return outcome for a repair"
            },
            current: status_name(current),
        });
    }
    Ok(())
}

/// R-REP-2: the outcome fits what was decided: a RETURN is RETURNED (or REFUNDED when the
/// customer's money goes back), an EXCHANGE is EXCHANGED, a REFUND is REFUNDED.
pub fn check_outcome(
    request: RequestType,
    solution: Option<RepairSolution>,
    outcome: ReturnOutcome,
) -> ApiResult<()> {
    use ReturnOutcome::*;
    let fits = match (solution, request) {
        (Some(RepairSolution::Return), _) | (None, RequestType::Return) => {
            matches!(outcome, Returned | Refunded)
        }
        (Some(RepairSolution::Exchange), _) | (None, RequestType::Exchange) => outcome == Exchanged,
        (Some(RepairSolution::Refund), _) => outcome == Refunded,
        _ => false,
    };
    if fits {
        Ok(())
    } else {
        Err(ApiError::bad_input(
            "outcome",
            "the outcome does not fit the chosen solution (RETURN: RETURNED or REFUNDED, EXCHANGE: EXCHANGED, REFUND: REFUNDED)",
        ))
    }
}

pub fn status_name(status: RepairStatus) -> String {
    use sea_orm::ActiveEnum;
    status.to_value()
}

/// Finished orders: no more field work, no contact data for the technician.
pub fn is_finished(status: RepairStatus) -> bool {
    matches!(status, RepairStatus::Closed | RepairStatus::Cancelled)
}

/// R-PRV-2: the customer's full phone and address go to the customer, the centre's staff and
/// the partner (which also needs the order filed by itself or the customer's consent,
/// `privacy::partner_receives`, R-PRV-12); to the technician only while the order is theirs and
/// open.
pub fn sees_customer_contact(
    principal: &Principal,
    order: &OrderParties,
    status: RepairStatus,
) -> bool {
    match principal {
        Principal::Anonymous => false,
        Principal::Partner { .. } => true,
        Principal::User(user) => match user.role {
            Role::Customer | Role::Agent | Role::Supervisor => true,
            Role::Technician => order.technician_id == Some(user.id) && !is_finished(status),
            Role::Admin | Role::Partner => false,
        },
    }
}

/// Internal timeline entries are for staff; customers and partners see public ones only.
pub fn sees_internal_events(principal: &Principal) -> bool {
    matches!(
        principal.role(),
        Some(Role::Technician | Role::Agent | Role::Supervisor)
    )
}

/// The technician's phone is masked for the customer (R-PRV-2).
pub fn sees_technician_phone(principal: &Principal) -> bool {
    matches!(
        principal.role(),
        Some(Role::Agent | Role::Supervisor | Role::Technician)
    )
}

/// `RO-20261122-000123`: report date and the order's key.
pub fn order_number(reported_at: DateTime<Utc>, id: i64) -> String {
    format!("RO-{}-{id:06}", reported_at.format("%Y%m%d"))
}

/// In warranty when the fault is reported on or before the warranty's last day.
pub fn in_warranty(warranty_ends_on: NaiveDate, reported_on: NaiveDate) -> bool {
    reported_on <= warranty_ends_on
}

/// The longest warranty a product model or a verified asset may have: anything longer is a
/// typing error or a made-up claim.
pub const MAX_WARRANTY_MONTHS: u32 = 120;

/// How far back a purchase date may go.
pub const MAX_ASSET_AGE_YEARS: u32 = 30;

/// The latest calendar date anywhere on earth (UTC+14) at `now`: a purchase dated today in any
/// time zone is not in the future.
pub fn latest_date(now: DateTime<Utc>) -> NaiveDate {
    (now + Duration::hours(14)).date_naive()
}

/// A purchase date that is neither in the future nor absurdly old.
pub fn check_purchase_date(purchased_on: NaiveDate, now: DateTime<Utc>) -> ApiResult<()> {
    let today = latest_date(now);
    if purchased_on > today {
        return Err(ApiError::bad_input(
            "purchaseDate",
            "the purchase date is in the future",
        ));
    }
    let oldest = today
        .checked_sub_months(Months::new(12 * MAX_ASSET_AGE_YEARS))
        .unwrap_or(NaiveDate::MIN);
    if purchased_on < oldest {
        return Err(ApiError::bad_input(
            "purchaseDate",
            format!("the purchase date is more than {MAX_ASSET_AGE_YEARS} years ago"),
        ));
    }
    Ok(())
}

/// A warranty length an admin may give a product model.
pub fn check_warranty_months(months: i32) -> ApiResult<u32> {
    u32::try_from(months)
        .ok()
        .filter(|m| (1..=MAX_WARRANTY_MONTHS).contains(m))
        .ok_or_else(|| {
            ApiError::bad_input(
                "warrantyMonths",
                format!("between 1 and {MAX_WARRANTY_MONTHS} months"),
            )
        })
}

/// The last day covered by a warranty of `months` from the purchase, inclusive.
pub fn warranty_end(purchased_on: NaiveDate, months: u32) -> ApiResult<NaiveDate> {
    purchased_on
        .checked_add_months(Months::new(months))
        .and_then(|end| end.pred_opt())
        .ok_or_else(|| ApiError::bad_input("purchaseDate", "out of range"))
}

/// A stated warranty end (a model not in the catalogue): from the purchase day to at most
/// `MAX_WARRANTY_MONTHS` after it.
pub fn check_warranty_end(purchased_on: NaiveDate, ends_on: NaiveDate) -> ApiResult<()> {
    if ends_on < purchased_on {
        return Err(ApiError::bad_input(
            "warrantyEndsOn",
            "the warranty cannot end before the purchase",
        ));
    }
    if ends_on > warranty_end(purchased_on, MAX_WARRANTY_MONTHS)? {
        return Err(ApiError::bad_input(
            "warrantyEndsOn",
            format!("a warranty is at most {MAX_WARRANTY_MONTHS} months long"),
        ));
    }
    Ok(())
}

/// R-REP-1: only a warranty staff verified makes a repair free; a claimed one does not.
pub fn free_of_charge(verified: bool, warranty_ends_on: NaiveDate, reported_on: NaiveDate) -> bool {
    verified && in_warranty(warranty_ends_on, reported_on)
}

/// R-REP-4: a return or exchange asked for within the window after a verified purchase date
/// needs no reason; later ones, those of an unverified purchase, and every repair, must say what
/// is wrong.
pub fn needs_reason(
    request: RequestType,
    purchased_on: NaiveDate,
    purchase_verified: bool,
    asked_on: NaiveDate,
    window_days: u64,
) -> bool {
    match request {
        RequestType::Repair => true,
        RequestType::Return | RequestType::Exchange => {
            !purchase_verified
                || purchased_on
                    .checked_add_days(Days::new(window_days))
                    .is_none_or(|end| asked_on > end)
        }
    }
}

/// The policy scope a new order's clocks run by: the stricter R-SLA-14 tier for an URGENT
/// order or a customer with a PREMIUM contract, else the warranty the customer states: 12 h
/// to arrive in warranty (R-SLA-1), 48 h out (R-SLA-2) by default.
pub fn sla_scope(
    priority: entity::repair_orders::Priority,
    contract_tier: Option<&str>,
    in_warranty: bool,
) -> &'static str {
    match (priority, contract_tier) {
        (entity::repair_orders::Priority::Urgent, _) => "URGENT",
        (_, Some("PREMIUM")) => "PREMIUM",
        _ if in_warranty => "IN_WARRANTY",
        _ => "OUT_OF_WARRANTY",
    }
}

/// A window must be a real interval that has not already started.
pub fn check_window(start: DateTime<Utc>, end: DateTime<Utc>, now: DateTime<Utc>) -> ApiResult<()> {
    if end <= start {
        return Err(ApiError::bad_input(
            "end",
            "the window must end after it starts",
        ));
    }
    if start < now {
        return Err(ApiError::bad_input(
            "start",
            "the window must not start in the past",
        ));
    }
    if end - start > Duration::hours(12) {
        return Err(ApiError::bad_input(
            "end",
            "a window may be at most 12 hours long",
        ));
    }
    Ok(())
}

/// Amount of one part or labour line, rounded to cents.
pub fn line_amount(quantity: Decimal, unit_price: Decimal) -> ApiResult<Decimal> {
    let quantity = money::quantity("quantity", quantity)?;
    let unit_price = money::amount("unitPrice", unit_price)?;
    quantity
        .checked_mul(unit_price)
        .map(|amount| amount.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero))
        .filter(|amount| *amount <= money::MAX_AMOUNT)
        .ok_or_else(|| ApiError::bad_input("unitPrice", "the line's amount is too large"))
}

/// R-REP-1: in warranty the repair of a quality fault is free; a fault the customer caused is
/// paid even within the warranty.
pub fn free_repair(in_warranty: bool, cause: Option<FaultCause>) -> bool {
    in_warranty && cause != Some(FaultCause::CustomerCaused)
}

/// R-REP-1: nothing when the repair is free (`free_repair`), otherwise the sum of parts and
/// labour; a sum past what an order's total can hold is refused (it is the line being added
/// that is at fault).
pub fn chargeable_total(
    free: bool,
    amounts: impl IntoIterator<Item = Decimal>,
) -> ApiResult<Decimal> {
    let total = amounts
        .into_iter()
        .try_fold(Decimal::ZERO, Decimal::checked_add)
        .filter(|total| *total <= money::MAX_AMOUNT)
        .ok_or_else(|| ApiError::bad_input("unitPrice", "the order's total would be too large"))?;
    Ok(if free { Decimal::ZERO } else { total })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::identity::UserPrincipal;

    #[test]
    fn r_rep_1_purchase_dates_and_warranty_ranges() {
        let now = Utc.with_ymd_and_hms(2026, 11, 2, 12, 0, 0).unwrap();
        let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert!(check_purchase_date(date(2026, 11, 2), now).is_ok());
        assert!(
            check_purchase_date(date(2026, 11, 3), now).is_ok(),
            "UTC+14 is a day ahead"
        );
        assert!(check_purchase_date(date(2026, 11, 4), now).is_err());
        assert!(check_purchase_date(date(1900, 1, 1), now).is_err());
        assert!(check_purchase_date(date(1997, 1, 1), now).is_ok());
        assert_eq!(
            warranty_end(date(2026, 1, 15), 1).unwrap(),
            date(2026, 2, 14)
        );
        assert_eq!(
            warranty_end(date(2026, 3, 1), 12).unwrap(),
            date(2027, 2, 28)
        );
        assert!(check_warranty_end(date(2026, 3, 1), date(2026, 2, 28)).is_err());
        assert!(check_warranty_end(date(2026, 3, 1), date(2036, 2, 28)).is_ok());
        assert!(check_warranty_end(date(1900, 1, 1), date(9999, 12, 31)).is_err());
        assert!(check_warranty_months(0).is_err());
        assert!(check_warranty_months(121).is_err());
        assert_eq!(check_warranty_months(24).unwrap(), 24);
        assert!(!free_of_charge(false, date(2030, 1, 1), date(2026, 1, 1)));
        assert!(free_of_charge(true, date(2030, 1, 1), date(2026, 1, 1)));
        assert!(!free_of_charge(true, date(2025, 1, 1), date(2026, 1, 1)));
    }
    use chrono::TimeZone;
    use rust_decimal_macros::dec;

    fn user(id: i64, role: Role, centre: Option<i64>) -> Principal {
        Principal::User(UserPrincipal {
            id,
            role,
            service_centre_id: centre,
            organization_id: None,
            sla_tier: None,
        })
    }

    fn parties() -> OrderParties {
        OrderParties {
            customer_id: 1,
            technician_id: Some(2),
            service_centre_id: 10,
            organization_id: Some(100),
        }
    }

    fn at(hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 2, hour, 0, 0).unwrap()
    }

    #[test]
    fn happy_path_walks_every_state() {
        use RepairAction as A;
        use RepairStatus::*;
        let mut status = Submitted;
        for (action, expected) in [
            (A::Assign, Assigned),
            (A::Accept, Accepted),
            (A::StartTravel, EnRoute),
            (A::MarkArrived, OnSite),
            (A::AddLine, OnSite),
            (A::Complete, Completed),
            (A::Confirm, Confirmed),
            (A::Close, Closed),
        ] {
            status = next_status(action, status, None).unwrap();
            assert_eq!(status, expected);
        }
    }

    #[test]
    fn rejection_reopens_and_reassignment_continues() {
        let reopened = next_status(RepairAction::Reject, RepairStatus::Completed, None).unwrap();
        assert_eq!(reopened, RepairStatus::Reopened);
        assert_eq!(
            next_status(RepairAction::Assign, reopened, None).unwrap(),
            RepairStatus::Assigned
        );
    }

    #[test]
    fn cancel_only_from_early_states() {
        use RepairStatus::*;
        for status in [Submitted, Assigned, Accepted] {
            assert_eq!(
                next_status(RepairAction::Cancel, status, None).unwrap(),
                Cancelled
            );
        }
        for status in [
            EnRoute, OnSite, Completed, Confirmed, Closed, Cancelled, Reopened,
        ] {
            let err = next_status(RepairAction::Cancel, status, None).unwrap_err();
            assert!(
                matches!(err, ApiError::InvalidTransition { .. }),
                "{status:?}"
            );
        }
    }

    #[test]
    fn r_rep_5_waiting_states_go_back_where_they_began() {
        use RepairAction as A;
        use RepairStatus::*;
        for from in [Submitted, Assigned, Accepted, EnRoute, OnSite, Reopened] {
            let waiting = next_status(A::WaitForParts, from, None).unwrap();
            assert_eq!(waiting, WaitingForParts);
            assert_eq!(
                next_status(A::PartsArrived, waiting, Some(from)).unwrap(),
                from
            );
        }
        assert!(next_status(A::PartsArrived, WaitingForParts, None).is_err());
        assert!(next_status(A::PartsArrived, OnSite, Some(OnSite)).is_err());
        let unreachable = next_status(A::MarkUnreachable, Assigned, None).unwrap();
        assert_eq!(unreachable, WaitingForCustomer);
        assert_eq!(
            next_status(A::CustomerReached, unreachable, Some(Assigned)).unwrap(),
            Assigned
        );
        assert_eq!(next_status(A::Close, unreachable, None).unwrap(), Closed);
        assert!(next_status(A::MarkUnreachable, OnSite, None).is_err());
    }

    #[test]
    fn r_rep_2_returns_end_with_their_outcome_not_a_completed_repair() {
        use RepairAction as A;
        use RepairStatus::*;
        use ReturnOutcome::*;
        let (ret, exch, rep) = (
            RequestType::Return,
            RequestType::Exchange,
            RequestType::Repair,
        );
        assert!(ends_with_outcome(ret, None));
        assert!(ends_with_outcome(rep, Some(RepairSolution::Refund)));
        assert!(!ends_with_outcome(ret, Some(RepairSolution::Repair)));
        assert!(!ends_with_outcome(rep, None));
        for action in [A::Complete, A::AddLine] {
            assert!(check_track(action, OnSite, rep, Some(RepairSolution::Exchange)).is_err());
            assert!(check_track(action, OnSite, rep, Some(RepairSolution::Replace)).is_ok());
        }
        assert!(check_track(A::RecordOutcome, OnSite, rep, None).is_err());
        assert!(check_track(A::RecordOutcome, Submitted, exch, None).is_ok());
        for from in [Submitted, Assigned, Accepted, EnRoute, OnSite, Reopened] {
            assert_eq!(next_status(A::RecordOutcome, from, None).unwrap(), Closed);
        }
        for from in [Completed, Confirmed, Closed, Cancelled, WaitingForParts] {
            assert!(next_status(A::RecordOutcome, from, None).is_err());
        }
        assert!(check_outcome(ret, None, Returned).is_ok());
        assert!(check_outcome(ret, None, Refunded).is_ok());
        assert!(check_outcome(ret, None, Exchanged).is_err());
        assert!(check_outcome(rep, Some(RepairSolution::Exchange), Exchanged).is_ok());
        assert!(check_outcome(rep, Some(RepairSolution::Refund), Returned).is_err());
        assert!(check_outcome(rep, Some(RepairSolution::Repair), Returned).is_err());
    }

    #[test]
    fn wrong_transition_names_the_current_status() {
        let err = next_status(RepairAction::Close, RepairStatus::OnSite, None).unwrap_err();
        match err {
            ApiError::InvalidTransition { current, .. } => assert_eq!(current, "ON_SITE"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn r_prv_1_visibility_by_role() {
        let order = parties();
        assert!(can_view(&user(1, Role::Customer, None), &order));
        assert!(!can_view(&user(9, Role::Customer, None), &order));
        assert!(can_view(&user(2, Role::Technician, Some(10)), &order));
        assert!(!can_view(&user(3, Role::Technician, Some(10)), &order));
        assert!(can_view(&user(4, Role::Agent, Some(10)), &order));
        assert!(!can_view(&user(4, Role::Agent, Some(11)), &order));
        assert!(can_view(&user(5, Role::Supervisor, Some(10)), &order));
        assert!(!can_view(&user(6, Role::Admin, Some(10)), &order));
        assert!(!can_view(&Principal::Anonymous, &order));
    }

    #[test]
    fn r_prv_7_partner_sees_only_its_organization() {
        let order = parties();
        let own = Principal::Partner {
            organization_id: 100,
            api_key_id: 1,
        };
        let other = Principal::Partner {
            organization_id: 101,
            api_key_id: 2,
        };
        assert!(can_view(&own, &order));
        assert!(!can_view(&other, &order));
        let no_org = OrderParties {
            organization_id: None,
            ..parties()
        };
        assert!(!can_view(&own, &no_org));
    }

    #[test]
    fn authorize_hides_unseen_orders_and_forbids_wrong_roles() {
        let order = parties();
        let stranger = user(9, Role::Customer, None);
        assert!(matches!(
            authorize(&stranger, RepairAction::Confirm, &order),
            Err(ApiError::NotFound(_))
        ));
        let agent = user(4, Role::Agent, Some(10));
        assert!(matches!(
            authorize(&agent, RepairAction::Accept, &order),
            Err(ApiError::Forbidden)
        ));
        assert!(authorize(&agent, RepairAction::Assign, &order).is_ok());
        assert!(matches!(
            authorize(&Principal::Anonymous, RepairAction::Assign, &order),
            Err(ApiError::Unauthenticated)
        ));
    }

    #[test]
    fn r_prv_2_technician_sees_contact_only_while_assigned_and_open() {
        let order = parties();
        let assignee = user(2, Role::Technician, Some(10));
        assert!(sees_customer_contact(
            &assignee,
            &order,
            RepairStatus::OnSite
        ));
        assert!(sees_customer_contact(
            &assignee,
            &order,
            RepairStatus::Confirmed
        ));
        assert!(!sees_customer_contact(
            &assignee,
            &order,
            RepairStatus::Closed
        ));
        assert!(!sees_customer_contact(
            &assignee,
            &order,
            RepairStatus::Cancelled
        ));
        let other = user(3, Role::Technician, Some(10));
        assert!(!sees_customer_contact(&other, &order, RepairStatus::OnSite));
    }

    #[test]
    fn order_number_is_date_and_key() {
        assert_eq!(order_number(at(9), 123), "RO-20261102-000123");
        assert_eq!(order_number(at(9), 12_345_678), "RO-20261102-12345678");
    }

    #[test]
    fn r_sla_1_2_warranty_is_inclusive_of_its_last_day() {
        let ends = NaiveDate::from_ymd_opt(2026, 11, 2).unwrap();
        assert!(in_warranty(ends, ends));
        assert!(!in_warranty(ends, ends.succ_opt().unwrap()));
        use entity::repair_orders::Priority::Normal;
        assert_eq!(sla_scope(Normal, None, true), "IN_WARRANTY");
        assert_eq!(sla_scope(Normal, None, false), "OUT_OF_WARRANTY");
    }

    #[test]
    fn r_rep_4_returns_inside_the_window_need_no_reason() {
        let bought = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        let day = |d| NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
        assert!(!needs_reason(
            RequestType::Return,
            bought,
            true,
            day(16),
            15
        ));
        assert!(needs_reason(RequestType::Return, bought, true, day(17), 15));
        assert!(!needs_reason(
            RequestType::Exchange,
            bought,
            true,
            day(2),
            15
        ));
        assert!(needs_reason(RequestType::Repair, bought, true, day(2), 15));
        assert!(
            needs_reason(RequestType::Return, bought, false, day(2), 15),
            "an unverified purchase date gives no reason-free return"
        );
    }

    #[test]
    fn r_sla_14_urgent_orders_and_premium_contracts_get_the_strict_tier() {
        use entity::repair_orders::Priority;
        assert_eq!(sla_scope(Priority::Urgent, None, false), "URGENT");
        assert_eq!(sla_scope(Priority::Urgent, Some("PREMIUM"), true), "URGENT");
        assert_eq!(
            sla_scope(Priority::Normal, Some("PREMIUM"), false),
            "PREMIUM"
        );
        assert_eq!(sla_scope(Priority::High, None, true), "IN_WARRANTY");
        assert_eq!(
            sla_scope(Priority::Low, Some("STANDARD"), false),
            "OUT_OF_WARRANTY"
        );
    }

    #[test]
    fn windows_must_be_sane() {
        assert!(check_window(at(12), at(14), at(9)).is_ok());
        assert!(check_window(at(14), at(12), at(9)).is_err());
        assert!(check_window(at(8), at(10), at(9)).is_err());
        assert!(check_window(at(10), at(23), at(9)).is_err());
    }

    #[test]
    fn r_rep_1_a_fault_the_customer_caused_is_paid_even_in_warranty() {
        assert!(free_repair(true, None));
        assert!(free_repair(true, Some(FaultCause::Quality)));
        assert!(!free_repair(true, Some(FaultCause::CustomerCaused)));
        assert!(!free_repair(false, Some(FaultCause::Quality)));
    }

    #[test]
    fn r_rep_1_in_warranty_is_free() {
        let amounts = [dec!(120.50), dec!(80.00)];
        assert_eq!(chargeable_total(true, amounts).unwrap(), Decimal::ZERO);
        assert_eq!(chargeable_total(false, amounts).unwrap(), dec!(200.50));
        // What the order's total column cannot hold is refused, in warranty too.
        let huge = [money::MAX_AMOUNT, dec!(0.01)];
        assert!(chargeable_total(false, huge).is_err());
        assert!(chargeable_total(true, huge).is_err());
    }

    #[test]
    fn line_amounts_are_exact_decimals() {
        assert_eq!(line_amount(dec!(3), dec!(0.10)).unwrap(), dec!(0.30));
        // Half a cent rounds away from zero, as money does.
        assert_eq!(line_amount(dec!(1.5), dec!(33.33)).unwrap(), dec!(50.00));
        assert_eq!(line_amount(dec!(0.5), dec!(0.05)).unwrap(), dec!(0.03));
        assert!(line_amount(dec!(0), dec!(1)).is_err());
        assert!(line_amount(dec!(1), dec!(-1)).is_err());
        assert!(line_amount(dec!(1), dec!(1.001)).is_err());
        assert!(line_amount(dec!(100000000000000000000), dec!(1)).is_err());
        assert!(line_amount(dec!(1000), Decimal::MAX).is_err());
        assert!(line_amount(dec!(999999999), dec!(999999999)).is_err());
    }
}
