//! Complaint rules: who may act (R-PRV-1/7), the state machine, classification (R-CLS-1..4),
//! starting level (R-ESC-1), external cases (R-CMP-8), compensation limit (R-ESC-5), closure
//! approvals (R-ESC-4), rejection (R-CMP-11), the result rating (R-CMP-13), verification and
//! the staff member's monthly count (R-CMP-9/12) and the complainant's anonymity (R-PRV-10).
//! Its clocks are `domain::sla`'s.

use chrono::{DateTime, Utc};
use entity::complaints::{self, ComplaintCategory, ComplaintStatus, ResultRating, Severity};
use entity::users::Role;
use rust_decimal::Decimal;

use super::identity::Principal;
use crate::error::{ApiError, ApiResult};

pub use super::sla::TOP_LEVEL;

/// Who may read a complaint's internals (R-PRV-1/8): its holder, the investigation (cause,
/// responsible party, justified), escalations, internal timeline entries and the penalties
/// they lead to. The one rule for the row's fields and for every aggregate over them, so a
/// report never tells a role what the rows would not: staff handling complaints, and admins,
/// who reach complaints only through metrics. Never partners or customers.
pub const INTERNAL_READERS: &[Role] = &[Role::Agent, Role::Supervisor, Role::Admin];

/// Whether the caller may read a complaint's internals (`INTERNAL_READERS`).
pub fn sees_internals(principal: &Principal) -> bool {
    principal
        .role()
        .is_some_and(|role| INTERNAL_READERS.contains(&role))
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ComplaintAction {
    Acknowledge,
    PostUpdate,
    Investigate,
    Reclassify,
    ApproveCompensation,
    Resolve,
    Reopen,
    ApproveClosure,
    Close,
    Escalate,
    Reassign,
    /// R-CMP-8: a SERIOUS or MAJOR complaint becomes a police or insurer case.
    OpenExternalCase,
    CloseExternalCase,
    /// Photos or videos added to the complaint (attachments).
    Attach,
    /// R-CMP-11: not upheld, with a written reason for the customer.
    Reject,
    /// R-CMP-13: the customer rates the result of the resolution.
    RateResult,
    /// R-CMP-9: a supervisor records whether the complaint is valid and service-caused.
    Verify,
    /// R-ESC-5: a handler proposes the solution (and its compensation).
    ProposeSolution,
    /// R-ESC-5: the top level (or a supervisor, where delegated) approves it.
    ApproveSolution,
    /// R-ESC-7: the top level authorises goodwill compensation for a major client.
    ApproveGoodwill,
}

impl ComplaintAction {
    pub fn verb(self) -> &'static str {
        match self {
            Self::Acknowledge => "acknowledge the complaint",
            Self::PostUpdate => "post a progress update",
            Self::Investigate => "record the investigation",
            Self::Reclassify => "reclassify the complaint",
            Self::ApproveCompensation => "approve compensation",
            Self::Resolve => "resolve the complaint",
            Self::Reopen => "reopen the complaint",
            Self::ApproveClosure => "approve closing",
            Self::Close => "close the complaint",
            Self::Escalate => "escalate the complaint",
            Self::Reassign => "reassign the complaint",
            Self::OpenExternalCase => "open an external case",
            Self::CloseExternalCase => "close the external case",
            Self::Attach => "attach files",
            Self::Reject => "reject the complaint",
            Self::RateResult => "rate the result",
            Self::Verify => "verify the complaint",
            Self::ProposeSolution => "propose a solution",
            Self::ApproveSolution => "approve the solution",
            Self::ApproveGoodwill => "approve goodwill compensation",
        }
    }

    pub fn event(self) -> &'static str {
        match self {
            Self::Acknowledge => "ACKNOWLEDGED",
            Self::PostUpdate => "PROGRESS_UPDATE",
            Self::Investigate => "INVESTIGATION_RECORDED",
            Self::Reclassify => "RECLASSIFIED",
            Self::ApproveCompensation => "COMPENSATION_APPROVED",
            Self::Resolve => "RESOLVED",
            Self::Reopen => "REOPENED",
            Self::ApproveClosure => "CLOSURE_APPROVED",
            Self::Close => "CLOSED",
            Self::Escalate => "ESCALATED",
            Self::Reassign => "REASSIGNED",
            Self::OpenExternalCase => "EXTERNAL_CASE_OPENED",
            Self::CloseExternalCase => "EXTERNAL_CASE_CLOSED",
            Self::Attach => "ATTACHMENTS_ADDED",
            Self::Reject => "NOT_UPHELD",
            Self::RateResult => "RESULT_RATED",
            Self::Verify => "VERIFIED",
            Self::ProposeSolution => "SOLUTION_PROPOSED",
            Self::ApproveSolution => "SOLUTION_APPROVED",
            Self::ApproveGoodwill => "GOODWILL_APPROVED",
        }
    }

    fn roles(self) -> &'static [Role] {
        use Role::*;
        match self {
            Self::ApproveClosure
            | Self::Reassign
            | Self::Verify
            | Self::ApproveSolution
            | Self::ApproveGoodwill => &[Supervisor],
            Self::RateResult => &[Customer],
            Self::Reopen => &[Customer, Agent, Supervisor],
            // The evidence comes from whoever sees the complaint: its customer, a partner
            // filing for them, the staff handling it.
            Self::Attach => &[Customer, Partner, Agent, Supervisor],
            _ => &[Agent, Supervisor],
        }
    }
}

/// The people and organizations a complaint belongs to.
#[derive(Clone, Debug)]
pub struct ComplaintParties {
    pub customer_id: i64,
    pub service_centre_id: i64,
    pub organization_id: Option<i64>,
}

impl From<&complaints::Model> for ComplaintParties {
    fn from(complaint: &complaints::Model) -> Self {
        Self {
            customer_id: complaint.customer_id,
            service_centre_id: complaint.service_centre_id,
            organization_id: complaint.organization_id,
        }
    }
}

/// R-PRV-1/7: customers their own, agents and supervisors their centre's, partners their
/// organization's customers'; technicians and admins none.
pub fn can_view(principal: &Principal, complaint: &ComplaintParties) -> bool {
    match principal {
        Principal::Anonymous => false,
        Principal::Partner {
            organization_id, ..
        } => complaint.organization_id == Some(*organization_id),
        Principal::User(user) => match user.role {
            Role::Customer => complaint.customer_id == user.id,
            Role::Agent | Role::Supervisor => {
                user.service_centre_id == Some(complaint.service_centre_id)
            }
            Role::Technician | Role::Admin | Role::Partner => false,
        },
    }
}

/// `NOT_FOUND` when unseen, `FORBIDDEN` when the role may not take the action.
pub fn authorize(
    principal: &Principal,
    action: ComplaintAction,
    complaint: &ComplaintParties,
) -> ApiResult<()> {
    if principal.role().is_none() {
        return Err(ApiError::Unauthenticated);
    }
    if !can_view(principal, complaint) {
        return Err(ApiError::NotFound("complaint"));
    }
    principal.require(action.roles()).map(|_| ())
}

/// The state machine.
pub fn next_status(
    action: ComplaintAction,
    current: ComplaintStatus,
) -> ApiResult<ComplaintStatus> {
    use ComplaintAction as A;
    use ComplaintStatus::*;
    let open = !matches!(current, Resolved | Closed | Rejected);
    let next = match (action, current) {
        (A::Acknowledge, Received) => Some(Acknowledged),
        (
            A::PostUpdate | A::Reclassify | A::Escalate | A::Reassign | A::ApproveGoodwill,
            status,
        ) if open => Some(status),
        (A::ProposeSolution | A::ApproveSolution, Investigating) => Some(Investigating),
        (A::Investigate, Acknowledged | Investigating | Reopened) => Some(Investigating),
        (A::Investigate, ExternalCase) => Some(ExternalCase),
        (A::OpenExternalCase, Acknowledged | Investigating | Reopened) => Some(ExternalCase),
        (A::CloseExternalCase, ExternalCase) => Some(Investigating),
        (A::ApproveCompensation, Investigating) => Some(Investigating),
        (A::Resolve, Investigating) => Some(Resolved),
        (A::Reopen, Resolved) => Some(Reopened),
        (A::ApproveClosure, Resolved) => Some(Resolved),
        (A::Close, Resolved) => Some(Closed),
        (A::Attach, status) if !matches!(status, Closed | Rejected) => Some(status),
        (A::Reject, Investigating) => Some(Rejected),
        // The rating decides: `after_rating` may reopen instead.
        (A::RateResult, Resolved) => Some(Resolved),
        (A::Verify, status) if status != Received => Some(status),
        _ => None,
    };
    next.ok_or_else(|| ApiError::InvalidTransition {
        action: action.verb(),
        current: status_name(current),
    })
}

pub fn status_name(status: ComplaintStatus) -> String {
    use sea_orm::ActiveEnum;
    status.to_value()
}

/// R-CLS-2: property damage and injury are at least SERIOUS, whatever was asked.
pub fn classify(category: ComplaintCategory, requested: Option<Severity>) -> Severity {
    let requested = requested.unwrap_or(Severity::General);
    match category {
        ComplaintCategory::PropertyDamage | ComplaintCategory::Injury => {
            requested.max(Severity::Serious)
        }
        _ => requested,
    }
}

/// The recorded facts that set a complaint's lowest severity (R-CLS-3/4).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Facts {
    /// An earlier complaint about the same event exists.
    pub repeat: bool,
    /// The customer also complained to a regulator or the 12315 consumer hotline.
    pub regulator_complaint: bool,
    /// The matter was exposed in the media.
    pub media_exposure: bool,
    /// A government body penalised the company for it.
    pub government_penalty: bool,
}

impl From<&complaints::Model> for Facts {
    fn from(c: &complaints::Model) -> Self {
        Self {
            repeat: c.repeat_of_id.is_some(),
            regulator_complaint: c.regulator_complaint,
            media_exposure: c.media_exposure,
            government_penalty: c.government_penalty,
        }
    }
}

/// R-CLS-3/4: a regulator or 12315 complaint, media exposure or a government penalty make a
/// complaint MAJOR; a second complaint about the same event is at least SERIOUS. Whoever
/// files or classifies, the severity never goes below this.
pub fn facts_minimum(facts: Facts) -> Severity {
    if facts.regulator_complaint || facts.media_exposure || facts.government_penalty {
        Severity::Major
    } else if facts.repeat {
        Severity::Serious
    } else {
        Severity::General
    }
}

/// R-CLS-3: staff classify. A customer or partner filing may claim a severity, which is
/// recorded (the second value) but not applied: their complaint starts at the category's
/// minimum (R-CLS-2) until staff reclassify it.
pub fn filed_severity(
    filer: Option<Role>,
    category: ComplaintCategory,
    requested: Option<Severity>,
) -> (Severity, Option<Severity>) {
    match filer {
        Some(Role::Agent | Role::Supervisor) => (classify(category, requested), None),
        _ => (classify(category, None), requested),
    }
}

/// R-CLS-2/3, R-ESC-4: anyone handling a complaint may raise its severity; lowering it needs a
/// supervisor, and lowering a MAJOR complaint the top level.
pub fn check_reclassification(
    role: Role,
    top_level: bool,
    from: Severity,
    to: Severity,
) -> ApiResult<()> {
    match (role, from) {
        _ if to >= from => Ok(()),
        (Role::Supervisor, Severity::Major) if top_level => Ok(()),
        (Role::Supervisor, Severity::Serious) => Ok(()),
        _ => Err(ApiError::Forbidden),
    }
}

/// R-ESC-1: GENERAL starts with the agent (L1), SERIOUS with the manager (L2), MAJOR at the top
/// (L3).
pub fn starting_level(severity: Severity) -> i16 {
    match severity {
        Severity::General => 1,
        Severity::Serious => 2,
        Severity::Major => TOP_LEVEL,
    }
}

/// Plain words for customers.
pub fn level_words(level: i16) -> &'static str {
    match level {
        1 => "handled by a customer-service agent",
        2 => "handled by the customer-service manager",
        _ => "handled by senior management",
    }
}

/// A severity as the customer reads it (R-CLS-1..3), without internal terms.
pub fn severity_words(severity: Severity) -> &'static str {
    match severity {
        Severity::General => "general: about the service, with no loss caused",
        Severity::Serious => "serious: property loss or injury",
        Severity::Major => "major: handled by senior management",
    }
}

/// R-CMP-8: only a complaint that caused loss or injury (SERIOUS or worse) becomes a
/// long-running external case.
pub fn check_external_case(severity: Severity) -> ApiResult<()> {
    if severity >= Severity::Serious {
        Ok(())
    } else {
        Err(ApiError::bad_input(
            "id",
            "only a SERIOUS or MAJOR complaint becomes an external case",
        ))
    }
}

/// A compensation amount: positive, at most 2 decimals, within the money range.
pub fn check_amount(field: &'static str, amount: Decimal) -> ApiResult<Decimal> {
    if amount <= Decimal::ZERO {
        return Err(ApiError::bad_input(field, "compensation must be positive"));
    }
    super::money::amount(field, amount)?;
    if amount.scale() > 2 {
        return Err(ApiError::bad_input(
            field,
            "compensation has at most 2 decimals",
        ));
    }
    Ok(amount)
}

/// R-ESC-5: agents approve compensation up to their limit; above it only a supervisor may.
pub fn check_compensation_approval(
    role: Role,
    amount: Decimal,
    agent_limit: Decimal,
) -> ApiResult<()> {
    check_amount("amount", amount)?;
    match role {
        Role::Supervisor => Ok(()),
        Role::Agent if amount <= agent_limit => Ok(()),
        _ => Err(ApiError::Forbidden),
    }
}

/// R-ESC-5: nobody approves a solution or compensation they proposed themselves.
pub fn check_not_proposer(c: &complaints::Model, approver_id: i64) -> ApiResult<()> {
    if c.solution_proposed_by == Some(approver_id) {
        Err(ApiError::Forbidden)
    } else {
        Ok(())
    }
}

/// R-ESC-5: the top level (總經理) approves a proposed solution; where the policy delegates it
/// (`SOLUTION_APPROVAL_DELEGATED`), any supervisor for a complaint that was never more than
/// GENERAL. Never the one who proposed it.
pub fn check_solution_approval(
    c: &complaints::Model,
    approver_id: i64,
    approver_top_level: bool,
    delegated: bool,
) -> ApiResult<()> {
    if c.proposed_solution.is_none() {
        return Err(ApiError::bad_input("id", "no solution has been proposed"));
    }
    check_not_proposer(c, approver_id)?;
    if approver_top_level || (delegated && c.max_severity == Severity::General) {
        Ok(())
    } else {
        Err(ApiError::Forbidden)
    }
}

/// R-ESC-7: goodwill compensation is for a major client (a PREMIUM service contract) and only
/// the top level authorises it.
pub fn check_goodwill(
    approver_top_level: bool,
    customer_tier: Option<&str>,
    amount: Decimal,
) -> ApiResult<Decimal> {
    if !approver_top_level {
        return Err(ApiError::Forbidden);
    }
    if customer_tier != Some("PREMIUM") {
        return Err(ApiError::bad_input(
            "id",
            "goodwill compensation is for major clients (a PREMIUM contract)",
        ));
    }
    check_amount("amount", amount)
}

/// R-ESC-5: the customer is told only an approved solution, and compensation only as approved
/// at exactly that amount.
pub fn check_resolution(c: &complaints::Model, compensation: Option<Decimal>) -> ApiResult<()> {
    if c.solution_approved_by.is_none() {
        return Err(ApiError::bad_input(
            "id",
            "the solution must be approved before the customer is told",
        ));
    }
    match compensation {
        Some(amount) if amount > Decimal::ZERO => {
            if c.compensation_approved_by.is_some() && c.compensation_amount == Some(amount) {
                Ok(())
            } else {
                Err(ApiError::bad_input(
                    "compensation",
                    "the compensation must be approved before the customer is told",
                ))
            }
        }
        Some(_) => Err(ApiError::bad_input(
            "compensation",
            "compensation must be positive",
        )),
        None => Ok(()),
    }
}

/// Which signature an approval is (R-ESC-4).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Signature {
    Manager,
    TopLevel,
}

/// R-ESC-4 needs two different people for complaints that ever were SERIOUS or MAJOR: a top-level
/// supervisor signs as the top level, any supervisor as the manager; nobody signs twice.
pub fn closure_signature(
    c: &complaints::Model,
    approver_id: i64,
    approver_top_level: bool,
) -> ApiResult<Signature> {
    let signed = |by: Option<i64>| by == Some(approver_id);
    if approver_top_level
        && c.max_severity != Severity::General
        && c.top_approved_by.is_none()
        && !signed(c.supervisor_approved_by)
    {
        Ok(Signature::TopLevel)
    } else if c.supervisor_approved_by.is_none() && !signed(c.top_approved_by) {
        Ok(Signature::Manager)
    } else {
        Err(ApiError::Conflict(
            "nothing left for you to approve on this complaint".into(),
        ))
    }
}

/// R-ESC-4: the manager's approval always; a complaint that ever was SERIOUS or MAJOR also
/// the top level's.
pub fn check_closure(c: &complaints::Model) -> ApiResult<()> {
    if c.supervisor_approved_by.is_none() {
        return Err(ApiError::bad_input(
            "id",
            "closing needs a supervisor's approval first",
        ));
    }
    if c.max_severity != Severity::General && c.top_approved_by.is_none() {
        return Err(ApiError::bad_input(
            "id",
            "closing a SERIOUS or MAJOR complaint needs the top level's approval too",
        ));
    }
    Ok(())
}

/// R-CMP-11: only a complaint the investigation found not justified is rejected, and only
/// with a written reason.
pub fn check_rejection(c: &complaints::Model) -> ApiResult<()> {
    if c.justified == Some(false) {
        Ok(())
    } else {
        Err(ApiError::bad_input(
            "id",
            "only a complaint the investigation found not justified can be rejected",
        ))
    }
}

/// What the customer's rating of a resolution does (R-CMP-13).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RatingOutcome {
    /// The upper three: the complaint may close.
    MayClose,
    /// The lower two below the top: reopened and escalated to this level.
    Escalate(i16),
    /// The lower two at the top level: reopened, and the top level reviews it.
    TopLevelReview,
}

/// R-CMP-13: very satisfied, satisfied and neutral let the complaint close; dissatisfied and
/// very dissatisfied reopen it one level up, or, at the top, for a top-level review.
pub fn after_rating(rating: ResultRating, level: i16) -> RatingOutcome {
    match rating {
        ResultRating::Neutral | ResultRating::Satisfied | ResultRating::VerySatisfied => {
            RatingOutcome::MayClose
        }
        ResultRating::Dissatisfied | ResultRating::VeryDissatisfied if level < TOP_LEVEL => {
            RatingOutcome::Escalate(level + 1)
        }
        ResultRating::Dissatisfied | ResultRating::VeryDissatisfied => {
            RatingOutcome::TopLevelReview
        }
    }
}

/// A survey score of the result (1–5, 5 best) as the five-point rating (R-CMP-13).
pub fn rating_of_score(score: i16) -> ResultRating {
    match score {
        ..=1 => ResultRating::VeryDissatisfied,
        2 => ResultRating::Dissatisfied,
        3 => ResultRating::Neutral,
        4 => ResultRating::Satisfied,
        _ => ResultRating::VerySatisfied,
    }
}

/// R-CMP-13: a complaint whose current resolution the customer rated in the lower two is not
/// closed (it was reopened); one unrated or rated in the upper three may be.
pub fn check_rating_allows_closure(c: &complaints::Model) -> ApiResult<()> {
    match c.result_rating {
        Some(rating) if after_rating(rating, c.escalation_level) != RatingOutcome::MayClose => Err(
            ApiError::bad_input("id", "the customer is not satisfied with the result"),
        ),
        _ => Ok(()),
    }
}

/// R-CMP-9: nobody verifies a complaint about themselves.
pub fn check_verifier(c: &complaints::Model, verifier_id: i64) -> ApiResult<()> {
    if c.staff_member_id == Some(verifier_id) {
        Err(ApiError::Forbidden)
    } else {
        Ok(())
    }
}

/// R-CMP-9: the verified complaint that counts against its named staff member.
pub fn counts_against_staff(c: &complaints::Model) -> bool {
    c.staff_member_id.is_some() && c.valid == Some(true) && c.service_caused == Some(true)
}

/// R-CMP-9: the count that alerts the supervisors is reached now (once a month: the alert is
/// written for the count reaching the limit, not again for later ones).
pub fn alert_due(count_this_month: i64, limit: i64) -> bool {
    count_this_month >= limit
}

/// R-PRV-10: who may see who complained. Without anonymity everyone who sees the complaint;
/// with it only supervisors who are not the staff member complained about.
pub fn sees_complainant(principal: &Principal, c: &complaints::Model) -> bool {
    if !c.anonymous {
        return true;
    }
    match principal {
        Principal::User(user) => match user.role {
            Role::Customer => user.id == c.customer_id,
            Role::Supervisor => c.staff_member_id != Some(user.id),
            _ => false,
        },
        _ => false,
    }
}

/// R-CMP-10: what a case that cannot be handled on the spot lacks of the order number, the
/// purchase date and the customer's request (the description is always required), as
/// `(field, message)` for one `BAD_USER_INPUT` each.
pub fn missing_case_details(
    order_number: bool,
    purchase_date: bool,
    customer_request: bool,
) -> Vec<(&'static str, String)> {
    [
        (
            "orderNumber",
            order_number,
            "the order number, or the repairOrderId",
        ),
        (
            "purchaseDate",
            purchase_date,
            "the purchase date, or the repairOrderId",
        ),
        (
            "customerRequest",
            customer_request,
            "what the customer asks for",
        ),
    ]
    .into_iter()
    .filter(|(_, given, _)| !given)
    .map(|(field, _, what)| {
        (
            field,
            format!("a case not handled on the spot records {what} (R-CMP-10)"),
        )
    })
    .collect()
}

/// `CP-20261122-000042`.
pub fn complaint_number(received_at: DateTime<Utc>, id: i64) -> String {
    format!("CP-{}-{id:06}", received_at.format("%Y%m%d"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn r_cmp_10_a_case_not_handled_on_the_spot_lacks_each_missing_detail() {
        let fields = |o, p, r| -> Vec<&str> {
            super::missing_case_details(o, p, r)
                .into_iter()
                .map(|(f, _)| f)
                .collect()
        };
        assert_eq!(
            fields(false, false, false),
            ["orderNumber", "purchaseDate", "customerRequest"]
        );
        assert_eq!(fields(true, false, true), ["purchaseDate"]);
        assert!(fields(true, true, true).is_empty());
    }

    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn r_prv_8_internals_are_for_staff_only() {
        let partner = Principal::Partner {
            organization_id: 1,
            api_key_id: 1,
        };
        assert!(!sees_internals(&partner));
        assert!(!sees_internals(&Principal::Anonymous));
        let user = |role| {
            Principal::User(super::super::identity::UserPrincipal {
                id: 1,
                role,
                service_centre_id: Some(1),
                organization_id: None,
                sla_tier: None,
            })
        };
        assert!(!sees_internals(&user(Role::Customer)));
        assert!(!sees_internals(&user(Role::Technician)));
        assert!(sees_internals(&user(Role::Agent)));
        assert!(sees_internals(&user(Role::Supervisor)));
    }

    #[test]
    fn r_cls_2_damage_and_injury_are_at_least_serious() {
        assert_eq!(
            classify(ComplaintCategory::PropertyDamage, None),
            Severity::Serious
        );
        assert_eq!(
            classify(ComplaintCategory::Injury, Some(Severity::General)),
            Severity::Serious
        );
        assert_eq!(
            classify(ComplaintCategory::Injury, Some(Severity::Major)),
            Severity::Major
        );
        assert_eq!(
            classify(ComplaintCategory::ServiceAttitude, None),
            Severity::General
        );
        assert_eq!(
            classify(ComplaintCategory::Delay, Some(Severity::Major)),
            Severity::Major
        );
    }

    #[test]
    fn r_esc_1_starting_levels() {
        assert_eq!(starting_level(Severity::General), 1);
        assert_eq!(starting_level(Severity::Serious), 2);
        assert_eq!(starting_level(Severity::Major), 3);
    }

    #[test]
    fn state_machine() {
        use ComplaintAction as A;
        use ComplaintStatus::*;
        assert_eq!(next_status(A::Acknowledge, Received).unwrap(), Acknowledged);
        assert_eq!(
            next_status(A::Investigate, Acknowledged).unwrap(),
            Investigating
        );
        assert_eq!(next_status(A::Resolve, Investigating).unwrap(), Resolved);
        assert_eq!(next_status(A::Reopen, Resolved).unwrap(), Reopened);
        assert_eq!(
            next_status(A::Investigate, Reopened).unwrap(),
            Investigating
        );
        assert_eq!(next_status(A::Close, Resolved).unwrap(), Closed);
        assert!(next_status(A::Resolve, Received).is_err());
        assert!(next_status(A::PostUpdate, Closed).is_err());
        assert!(next_status(A::Acknowledge, Acknowledged).is_err());
        assert_eq!(
            next_status(A::OpenExternalCase, Investigating).unwrap(),
            ExternalCase
        );
        assert_eq!(
            next_status(A::PostUpdate, ExternalCase).unwrap(),
            ExternalCase
        );
        assert!(next_status(A::Resolve, ExternalCase).is_err());
        assert_eq!(
            next_status(A::CloseExternalCase, ExternalCase).unwrap(),
            Investigating
        );
    }

    #[test]
    fn r_cmp_8_only_serious_complaints_become_external_cases() {
        assert!(check_external_case(Severity::General).is_err());
        assert!(check_external_case(Severity::Serious).is_ok());
        assert!(check_external_case(Severity::Major).is_ok());
    }

    #[test]
    fn r_esc_4_serious_needs_two_different_signatures() {
        let mut c = sample(Severity::Serious);
        assert_eq!(closure_signature(&c, 7, true).unwrap(), Signature::TopLevel);
        c.top_approved_by = Some(7);
        assert!(
            closure_signature(&c, 7, true).is_err(),
            "the same person cannot sign twice"
        );
        assert_eq!(closure_signature(&c, 8, false).unwrap(), Signature::Manager);
        c.supervisor_approved_by = Some(8);
        assert!(check_closure(&c).is_ok());
        let mut general = sample(Severity::General);
        assert_eq!(
            closure_signature(&general, 7, true).unwrap(),
            Signature::Manager
        );
        general.supervisor_approved_by = Some(7);
        assert!(check_closure(&general).is_ok());
    }

    fn sample(severity: Severity) -> complaints::Model {
        let at = chrono::DateTime::<Utc>::UNIX_EPOCH;
        complaints::Model {
            id: 1,
            number: "CP".into(),
            customer_id: 1,
            service_centre_id: 1,
            organization_id: None,
            repair_order_id: None,
            channel: entity::complaints::ComplaintChannel::Phone,
            category: ComplaintCategory::Other,
            severity,
            status: ComplaintStatus::Resolved,
            description: "x".into(),
            owner_id: None,
            escalation_level: 1,
            acknowledged_at: None,
            promised_resolution_at: None,
            next_contact_at: None,
            last_update_at: None,
            cause: None,
            responsible_party: None,
            justified: None,
            investigated_at: None,
            resolution: None,
            compensation_amount: None,
            compensation_approved_by: None,
            resolved_at: None,
            supervisor_approved_by: None,
            top_approved_by: None,
            closed_at: None,
            version: 1,
            created_at: at,
            updated_at: at,
            max_severity: severity,
            claimed_severity: None,
            external_reference: None,
            reference_owner: None,
            rejection_reason: None,
            rejected_at: None,
            result_rating: None,
            result_rated_at: None,
            repeat_of_id: None,
            regulator_complaint: false,
            media_exposure: false,
            government_penalty: false,
            staff_member_id: None,
            valid: None,
            service_caused: None,
            verified_at: None,
            anonymous: false,
            proposed_solution: None,
            solution_proposed_by: None,
            solution_approved_by: None,
            goodwill_amount: None,
            goodwill_approved_by: None,
            goodwill_at: None,
            order_number: None,
            purchase_date: None,
            customer_request: None,
        }
    }

    #[test]
    fn r_esc_5_top_level_approves_solutions_not_their_own() {
        let mut c = sample(Severity::General);
        c.status = ComplaintStatus::Investigating;
        assert!(
            check_solution_approval(&c, 7, true, false).is_err(),
            "nothing proposed"
        );
        c.proposed_solution = Some("apologise".into());
        c.solution_proposed_by = Some(5);
        assert!(check_solution_approval(&c, 7, true, false).is_ok());
        assert!(matches!(
            check_solution_approval(&c, 8, false, false),
            Err(ApiError::Forbidden)
        ));
        assert!(
            check_solution_approval(&c, 8, false, true).is_ok(),
            "delegated"
        );
        assert!(matches!(
            check_solution_approval(&c, 5, true, true),
            Err(ApiError::Forbidden)
        ));
        c.max_severity = Severity::Serious;
        assert!(matches!(
            check_solution_approval(&c, 8, false, true),
            Err(ApiError::Forbidden)
        ));
        assert!(check_resolution(&c, None).is_err());
        c.solution_approved_by = Some(7);
        assert!(check_resolution(&c, None).is_ok());
    }

    #[test]
    fn r_esc_7_goodwill_is_the_top_levels_for_major_clients() {
        assert!(check_goodwill(true, Some("PREMIUM"), dec!(200)).is_ok());
        assert!(matches!(
            check_goodwill(false, Some("PREMIUM"), dec!(200)),
            Err(ApiError::Forbidden)
        ));
        assert!(check_goodwill(true, None, dec!(200)).is_err());
        assert!(check_goodwill(true, Some("PREMIUM"), dec!(0)).is_err());
    }

    #[test]
    fn r_cls_4_facts_set_the_lowest_severity() {
        assert_eq!(facts_minimum(Facts::default()), Severity::General);
        let repeat = Facts {
            repeat: true,
            ..Facts::default()
        };
        assert_eq!(facts_minimum(repeat), Severity::Serious);
        for facts in [
            Facts {
                regulator_complaint: true,
                ..repeat
            },
            Facts {
                media_exposure: true,
                ..Facts::default()
            },
            Facts {
                government_penalty: true,
                ..Facts::default()
            },
        ] {
            assert_eq!(facts_minimum(facts), Severity::Major, "{facts:?}");
        }
    }

    #[test]
    fn r_cmp_13_lower_two_reopen_one_level_up_or_for_review_at_the_top() {
        use ResultRating::*;
        for rating in [Neutral, Satisfied, VerySatisfied] {
            assert_eq!(after_rating(rating, 1), RatingOutcome::MayClose);
            assert_eq!(after_rating(rating, 3), RatingOutcome::MayClose);
        }
        assert_eq!(after_rating(Dissatisfied, 1), RatingOutcome::Escalate(2));
        assert_eq!(
            after_rating(VeryDissatisfied, 2),
            RatingOutcome::Escalate(3)
        );
        assert_eq!(after_rating(Dissatisfied, 3), RatingOutcome::TopLevelReview);
        assert_eq!(
            [1, 2, 3, 4, 5].map(rating_of_score),
            [
                VeryDissatisfied,
                Dissatisfied,
                Neutral,
                Satisfied,
                VerySatisfied
            ]
        );
    }

    #[test]
    fn r_cmp_11_only_an_unjustified_complaint_is_rejected() {
        let mut c = sample(Severity::General);
        assert!(check_rejection(&c).is_err());
        c.justified = Some(true);
        assert!(check_rejection(&c).is_err());
        c.justified = Some(false);
        assert!(check_rejection(&c).is_ok());
        assert_eq!(
            next_status(ComplaintAction::Reject, ComplaintStatus::Investigating).unwrap(),
            ComplaintStatus::Rejected
        );
        assert!(next_status(ComplaintAction::PostUpdate, ComplaintStatus::Rejected).is_err());
    }

    #[test]
    fn r_prv_10_anonymous_complainant_is_hidden_from_all_but_other_supervisors() {
        let user = |id, role| {
            Principal::User(super::super::identity::UserPrincipal {
                id,
                role,
                service_centre_id: Some(1),
                organization_id: None,
                sla_tier: None,
            })
        };
        let mut c = sample(Severity::General);
        c.staff_member_id = Some(9);
        assert!(sees_complainant(&user(2, Role::Agent), &c));
        c.anonymous = true;
        assert!(!sees_complainant(&user(2, Role::Agent), &c));
        assert!(!sees_complainant(&user(9, Role::Supervisor), &c));
        assert!(sees_complainant(&user(8, Role::Supervisor), &c));
        assert!(sees_complainant(&user(1, Role::Customer), &c));
    }

    #[test]
    fn r_esc_4_sign_off_follows_the_highest_severity_ever() {
        let mut downgraded = sample(Severity::General);
        downgraded.max_severity = Severity::Serious;
        assert_eq!(
            closure_signature(&downgraded, 7, true).unwrap(),
            Signature::TopLevel
        );
        downgraded.supervisor_approved_by = Some(8);
        assert!(
            check_closure(&downgraded).is_err(),
            "one signature is not enough"
        );
        downgraded.top_approved_by = Some(7);
        assert!(check_closure(&downgraded).is_ok());
    }

    #[test]
    fn r_cls_2_lowering_severity_needs_a_supervisor_and_from_major_the_top_level() {
        use Role::*;
        use Severity::*;
        assert!(check_reclassification(Agent, false, General, Serious).is_ok());
        assert!(check_reclassification(Agent, false, Serious, Major).is_ok());
        assert!(check_reclassification(Agent, false, Serious, Serious).is_ok());
        assert!(matches!(
            check_reclassification(Agent, false, Serious, General),
            Err(ApiError::Forbidden)
        ));
        assert!(check_reclassification(Supervisor, false, Serious, General).is_ok());
        assert!(matches!(
            check_reclassification(Supervisor, false, Major, Serious),
            Err(ApiError::Forbidden)
        ));
        assert!(check_reclassification(Supervisor, true, Major, General).is_ok());
        assert!(check_reclassification(Agent, true, Major, General).is_err());
    }

    #[test]
    fn r_cls_3_customers_and_partners_claim_staff_classify() {
        use ComplaintCategory::*;
        assert_eq!(
            filed_severity(Some(Role::Customer), Delay, Some(Severity::Major)),
            (Severity::General, Some(Severity::Major))
        );
        assert_eq!(
            filed_severity(Some(Role::Partner), PropertyDamage, Some(Severity::Major)),
            (Severity::Serious, Some(Severity::Major))
        );
        assert_eq!(
            filed_severity(Some(Role::Agent), Delay, Some(Severity::Major)),
            (Severity::Major, None)
        );
        assert_eq!(
            filed_severity(Some(Role::Customer), Delay, None),
            (Severity::General, None)
        );
    }

    #[test]
    fn r_esc_5_agent_limit() {
        let limit = dec!(500.00);
        assert!(check_compensation_approval(Role::Agent, dec!(500.00), limit).is_ok());
        assert!(matches!(
            check_compensation_approval(Role::Agent, dec!(500.01), limit),
            Err(ApiError::Forbidden)
        ));
        assert!(check_compensation_approval(Role::Supervisor, dec!(5000), limit).is_ok());
        assert!(check_compensation_approval(Role::Supervisor, dec!(0), limit).is_err());
    }
}
