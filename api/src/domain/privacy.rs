//! Privacy rules that are not masking: whose reads are audited (R-PRV-3), who may reveal a
//! masked value (R-PRV-2/8), when a ticket is sealed (R-PRV-9), when its personal data has
//! outlived its retention period (R-PRV-6), and how an export is approved and handed out
//! (R-PRV-12), who may record a consent to disclosure and when a partner receives personal
//! data (R-PRV-12).

use chrono::{DateTime, Duration, Utc};
use entity::disclosure_consents::{ConsentChannel, DisclosureBasis};
use entity::users::Role;

use crate::domain::identity::Principal;
use crate::error::{ApiError, ApiResult};

/// Reads of personal data by anyone but the person themselves are recorded: staff and
/// partners (a customer reading their own orders is not an access to someone's data).
pub fn audits_reads_of(principal: &Principal) -> bool {
    !matches!(principal.role(), None | Some(Role::Customer))
}

/// Agents and supervisors (of the ticket's centre: the caller checks it sees the ticket)
/// reveal a masked contact while the ticket is being worked on; once it is finished only a
/// supervisor may (a complaint about it, say). Everyone else sees what their role shows.
pub fn may_reveal(principal: &Principal, finished: bool) -> bool {
    match principal.role() {
        Some(Role::Supervisor) => true,
        Some(Role::Agent) => !finished,
        _ => false,
    }
}

/// R-PRV-9: a ticket closed `seal_after` ago or longer is read-only.
pub fn is_sealed(
    closed_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    seal_after: Duration,
) -> bool {
    closed_at.is_some_and(|closed| now - closed >= seal_after)
}

/// `SEALED` for a change to a sealed ticket.
pub fn ensure_unsealed(
    what: &'static str,
    closed_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    seal_after: Duration,
) -> ApiResult<()> {
    if is_sealed(closed_at, now, seal_after) {
        return Err(ApiError::Sealed(what));
    }
    Ok(())
}

/// R-PRV-6: tickets closed before this instant have outlived a retention period of `days`
/// (the job leaves those on legal hold alone).
pub fn retention_cutoff(now: DateTime<Utc>, days: i32) -> DateTime<Utc> {
    now - Duration::days(i64::from(days))
}

/// R-PRV-6: a retention period is at least as long as the seal (a record is never destroyed
/// while it may still change) and at most 30 years.
pub fn check_retention_days(days: i32, seal_after: Duration) -> ApiResult<()> {
    let min = seal_after.num_days();
    if i64::from(days) < min || days > 30 * 366 {
        return Err(ApiError::bad_input(
            "days",
            format!("a retention period is {min}..={} days", 30 * 366),
        ));
    }
    Ok(())
}

/// Where a bulk export stands (R-PRV-12).
#[derive(Clone, Copy, Debug, PartialEq, Eq, async_graphql::Enum)]
pub enum ExportStatus {
    /// Waits for a second person's approval.
    Requested,
    /// Approved; the file is being produced.
    Approved,
    /// The file waits for its one download.
    Ready,
    /// Downloaded; the file is gone.
    Downloaded,
    /// Not downloaded in time; the file is gone.
    Expired,
}

/// The status of an export from its times.
pub fn export_status(
    approved: bool,
    expires_at: Option<DateTime<Utc>>,
    downloaded: bool,
    now: DateTime<Utc>,
) -> ExportStatus {
    match (approved, expires_at, downloaded) {
        (_, _, true) => ExportStatus::Downloaded,
        (false, _, _) => ExportStatus::Requested,
        (true, None, _) => ExportStatus::Approved,
        (true, Some(expires), _) if now >= expires => ExportStatus::Expired,
        (true, Some(_), _) => ExportStatus::Ready,
    }
}

/// Separation of duties: whoever asked for an export cannot approve it.
pub fn check_approver(requested_by: i64, approver: i64) -> ApiResult<()> {
    if requested_by == approver {
        return Err(ApiError::Forbidden);
    }
    Ok(())
}

/// R-PRV-12: how a disclosure basis is recorded. Consent is written: the customer gives it in
/// the app, or staff enter a signed form by its number (`reference`). A legal basis other than
/// consent is a supervisor's decision and names the law or contract. A partner never records
/// a basis for data to go to itself, and nobody else records one.
pub fn check_disclosure_record(
    role: Role,
    basis: DisclosureBasis,
    channel: ConsentChannel,
    reference: Option<&str>,
) -> ApiResult<()> {
    match role {
        Role::Customer | Role::Agent | Role::Supervisor => {}
        _ => return Err(ApiError::Forbidden),
    }
    let by_customer = role == Role::Customer;
    if basis == DisclosureBasis::LegalBasis && role != Role::Supervisor {
        return Err(ApiError::bad_input(
            "basis",
            "a legal basis is recorded by a supervisor",
        ));
    }
    if by_customer != (channel == ConsentChannel::App) {
        return Err(ApiError::bad_input(
            "channel",
            if by_customer {
                "customers consent in the app (APP)"
            } else {
                "staff enter a signed form (WRITTEN)"
            },
        ));
    }
    if !by_customer && reference.is_none() {
        return Err(ApiError::bad_input(
            "reference",
            "name the signed form, or the law or contract relied on",
        ));
    }
    Ok(())
}

/// What a partner reads in place of free text it may not receive (R-PRV-12).
pub const WITHHELD: &str = "[withheld: no disclosure consent]";

/// R-PRV-12: a partner receives a customer's personal data on a ticket it filed itself (it
/// supplied that data, to have the service done) or when a consent or legal basis for its
/// organization is in force; otherwise it sees the ticket with the data masked.
pub fn partner_receives(filed_by_partner: bool, basis_in_force: bool) -> bool {
    filed_by_partner || basis_in_force
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::identity::UserPrincipal;

    fn user(role: Role) -> Principal {
        Principal::User(UserPrincipal {
            id: 1,
            role,
            service_centre_id: Some(1),
            organization_id: None,
            sla_tier: None,
        })
    }

    #[test]
    fn r_prv_3_reads_by_staff_and_partners_are_audited_not_a_customers_own() {
        assert!(audits_reads_of(&user(Role::Agent)));
        assert!(audits_reads_of(&user(Role::Technician)));
        assert!(audits_reads_of(&Principal::Partner {
            organization_id: 1,
            api_key_id: 1
        }));
        assert!(!audits_reads_of(&user(Role::Customer)));
        assert!(!audits_reads_of(&Principal::Anonymous));
    }

    #[test]
    fn r_prv_2_reveal_is_for_the_centres_staff_while_the_ticket_is_worked_on() {
        assert!(may_reveal(&user(Role::Agent), false));
        assert!(!may_reveal(&user(Role::Agent), true));
        assert!(may_reveal(&user(Role::Supervisor), true));
        assert!(!may_reveal(&user(Role::Technician), false));
        assert!(!may_reveal(&user(Role::Admin), false));
        assert!(!may_reveal(&user(Role::Customer), false));
    }

    #[test]
    fn r_prv_12_consent_is_written_and_a_legal_basis_is_a_supervisors_call() {
        use ConsentChannel::{App, Written};
        use DisclosureBasis::{Consent, LegalBasis};
        let check = check_disclosure_record;
        assert!(check(Role::Customer, Consent, App, None).is_ok());
        assert!(check(Role::Customer, Consent, Written, Some("F-1")).is_err());
        assert!(check(Role::Customer, LegalBasis, App, None).is_err());
        assert!(check(Role::Agent, Consent, Written, Some("F-1")).is_ok());
        assert!(check(Role::Agent, Consent, Written, None).is_err());
        assert!(check(Role::Agent, Consent, App, Some("F-1")).is_err());
        assert!(check(Role::Agent, LegalBasis, Written, Some("contract 7")).is_err());
        assert!(check(Role::Supervisor, LegalBasis, Written, Some("contract 7")).is_ok());
        for role in [Role::Partner, Role::Admin, Role::Technician] {
            assert!(matches!(
                check(role, Consent, Written, Some("F-1")),
                Err(ApiError::Forbidden)
            ));
        }
        assert!(partner_receives(true, false));
        assert!(partner_receives(false, true));
        assert!(!partner_receives(false, false));
    }

    #[test]
    fn r_prv_12_an_export_needs_another_person_and_is_downloaded_once_in_time() {
        let now = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .unwrap()
            .to_utc();
        assert!(check_approver(7, 7).is_err());
        assert!(check_approver(7, 8).is_ok());
        let later = Some(now + Duration::hours(1));
        assert_eq!(
            export_status(false, None, false, now),
            ExportStatus::Requested
        );
        assert_eq!(
            export_status(true, None, false, now),
            ExportStatus::Approved
        );
        assert_eq!(export_status(true, later, false, now), ExportStatus::Ready);
        assert_eq!(
            export_status(true, Some(now), false, now),
            ExportStatus::Expired
        );
        assert_eq!(
            export_status(true, later, true, now),
            ExportStatus::Downloaded
        );
    }

    #[test]
    fn r_prv_9_sealed_one_year_after_closing() {
        let closed = DateTime::parse_from_rfc3339("2025-11-01T00:00:00Z")
            .unwrap()
            .to_utc();
        let year = Duration::days(365);
        assert!(!is_sealed(None, closed + year, year));
        assert!(!is_sealed(
            Some(closed),
            closed + year - Duration::seconds(1),
            year
        ));
        assert!(is_sealed(Some(closed), closed + year, year));
        assert!(ensure_unsealed("repair order", Some(closed), closed + year, year).is_err());
    }

    #[test]
    fn r_prv_6_retention_counts_whole_days_back_and_is_never_shorter_than_the_seal() {
        let now = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(retention_cutoff(now, 1000), now - Duration::days(1000));
        assert!(check_retention_days(364, Duration::days(365)).is_err());
        assert!(check_retention_days(365, Duration::days(365)).is_ok());
    }
}
