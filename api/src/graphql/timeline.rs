//! What a timeline entry says, as documented enums: `TimelineEvent.action` and `actorRole`.
//! The wire values are the strings stored in `ticket_events` (and sent in webhook payloads'
//! `action`), so a client reads the same word everywhere.

use async_graphql::{Enum, InputType, Name, Value};

/// What happened on a ticket. Customers and partners see only public entries; `SLA_*` and
/// `DEADLINE_MISSED` are the clocks' own entries (staff only, with `events(sla: true)`).
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum TimelineAction {
    /// A repair order was reported (fault, return or exchange).
    Reported,
    /// A technician was dispatched (or replaced).
    Assigned,
    /// The technician accepted the job.
    Accepted,
    /// The technician set off to the customer.
    TravelStarted,
    /// The technician arrived on site (R-SLA-1/2 arrival).
    Arrived,
    /// A part or labour line was recorded.
    LineAdded,
    /// The technician recorded the diagnosis, the fault's cause and the solution (R-REP-2).
    Diagnosed,
    /// The repair is done and waits for the customer's confirmation.
    Completed,
    /// The customer accepted the result.
    Confirmed,
    /// The customer did not answer in time; the result was taken as accepted.
    AutoConfirmed,
    /// The customer rejected the result; the order was reopened.
    Rejected,
    /// The order was cancelled.
    Cancelled,
    /// The ticket was closed.
    Closed,
    /// A visit window was booked.
    AppointmentScheduled,
    /// The customer's chosen window moved the arrival deadline.
    DeadlineMovedByCustomer,
    /// The arrival deadline went back to the policy's.
    DeadlineRestored,
    /// A staff note (public or internal).
    Note,
    /// A note the customer added to their order (`addCustomerNote`).
    CustomerNote,
    /// Photos or videos were attached (`attachUploads`); the note names the files.
    AttachmentsAdded,
    /// The repair waits for spare parts (R-REP-5).
    WaitingForParts,
    /// The parts arrived; work goes on.
    PartsArrived,
    /// Parts were asked for (R-REP-5); internal.
    PartsRequested,
    /// A supervisor approved a parts request (R-REP-5); internal.
    PartsRequestApproved,
    /// A supervisor rejected a parts request, with the reason (R-REP-5); internal.
    PartsRequestRejected,
    /// A parts request was filled from stock or by purchase (R-REP-5); internal.
    PartsRequestFilled,
    /// The parts of one request arrived (R-REP-5); internal.
    PartsReceived,
    /// A return, exchange or refund ended with its outcome; the order closed (R-REP-2).
    ReturnOutcomeRecorded,
    /// A follow-up case was opened for a need raised on a return visit; on the original and
    /// on the follow-up (R-CMP-7).
    FollowUpOpened,
    /// The customer could not be reached.
    CustomerUnreachable,
    /// The customer was reached again.
    CustomerReached,
    /// A complaint was received (R-CMP-1).
    Received,
    /// The complaint was acknowledged with a promised handling time (R-CMP-2).
    Acknowledged,
    /// A progress update to the customer (R-SLA-3).
    ProgressUpdate,
    /// The investigation's findings were recorded (R-CMP-3); internal.
    InvestigationRecorded,
    /// The complaint's severity changed.
    Reclassified,
    /// A compensation was approved (R-ESC-5).
    CompensationApproved,
    /// A solution was proposed for approval (R-ESC-5); internal.
    SolutionProposed,
    /// The proposed solution was approved (R-ESC-5); internal.
    SolutionApproved,
    /// The top level authorised goodwill compensation for a major client (R-ESC-7); internal.
    GoodwillApproved,
    /// The complaint was resolved.
    Resolved,
    /// The complaint was reopened (the customer was not satisfied).
    Reopened,
    /// The closure was approved (R-ESC-4).
    ClosureApproved,
    /// The ticket went up a level, by hand or by a missed deadline (R-ESC-2/3).
    Escalated,
    /// The complaint got a new owner.
    Reassigned,
    /// The complaint became a long-running external case (R-CMP-8).
    ExternalCaseOpened,
    /// The external case ended.
    ExternalCaseClosed,
    /// The complaint was not upheld; the note is the reason told to the customer (R-CMP-11).
    NotUpheld,
    /// The customer rated the result of the resolution (R-CMP-13).
    ResultRated,
    /// A supervisor verified the complaint: valid or not, service-caused or not (R-CMP-9);
    /// internal.
    Verified,
    /// The staff member the complaint is about reached the monthly count of valid complaints
    /// that alerts the supervisors (R-CMP-9); internal.
    StaffComplaintAlert,
    /// The satisfaction survey was sent (R-SUR-1).
    SurveyIssued,
    /// The customer answered the survey.
    SurveySubmitted,
    /// A return visit was planned (R-SLA-7/8).
    ReturnVisitScheduled,
    /// A return visit was made and recorded (R-SUR-3).
    ReturnVisitRecorded,
    /// A supervisor reviewed the return-visit report (R-SLA-9).
    ReturnVisitReviewed,
    /// An inquiry was asked (R-SLA-11).
    Asked,
    /// The inquiry was passed to the person in charge (R-SLA-11).
    Passed,
    /// The inquiry was answered; the note is the answer (R-SLA-11).
    Answered,
    /// The inquiry turned out to be a fault or a complaint; the note names the repair order
    /// or complaint it became (R-SLA-11).
    Converted,
    /// This repair order or complaint was raised from an inquiry; the note names it (R-SLA-11).
    ConvertedFromInquiry,
    /// A clock started; staff only.
    SlaStarted,
    /// A clock was met in time; staff only.
    SlaMet,
    /// A clock paused (a waiting state); staff only.
    SlaPaused,
    /// A paused clock runs again; staff only.
    SlaResumed,
    /// A clock stopped (the ticket ended); staff only.
    SlaStopped,
    /// A clock's due time moved; staff only.
    SlaDueMoved,
    /// Most of a clock's time is used; staff only.
    SlaWarning,
    /// A clock ran out (R-SLA-10 penalties); staff only.
    SlaBreached,
    /// A deadline was missed at the top level; staff only.
    DeadlineMissed,
    /// An entry of a kind this schema does not name yet; read `note`.
    Other,
}

impl TimelineAction {
    /// The action stored as `action`; unknown words read as `OTHER`.
    pub fn of(action: &str) -> Self {
        parse(action).unwrap_or(Self::Other)
    }
}

/// Who made a timeline entry.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum ActorRole {
    /// The ticket's customer.
    Customer,
    /// A field technician.
    Technician,
    /// A customer-service agent.
    Agent,
    /// A customer-service manager (supervisor).
    Supervisor,
    /// An operator (user administration, policies).
    Admin,
    /// An integrating partner system (API key).
    Partner,
    /// The server itself: clocks, the sweeper, follow-ups.
    System,
    /// Any staff member, as a customer's `ComplaintTracking.timeline` names them.
    ServiceTeam,
}

impl ActorRole {
    /// The role stored as `actor_role`; anything else reads as `SYSTEM`.
    pub fn of(role: &str) -> Self {
        parse(role).unwrap_or(Self::System)
    }
}

/// The enum value whose GraphQL name is `word`.
fn parse<T: InputType>(word: &str) -> Option<T> {
    let name = Name::new(word);
    T::parse(Some(Value::Enum(name))).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_words_read_as_their_values() {
        assert_eq!(
            TimelineAction::of("TRAVEL_STARTED"),
            TimelineAction::TravelStarted
        );
        assert_eq!(
            TimelineAction::of("SLA_DUE_MOVED"),
            TimelineAction::SlaDueMoved
        );
        assert_eq!(
            TimelineAction::of("DEADLINE_MOVED_BY_CUSTOMER"),
            TimelineAction::DeadlineMovedByCustomer
        );
        assert_eq!(TimelineAction::of("LATE_NOTE"), TimelineAction::Other);
        assert_eq!(ActorRole::of("SERVICE_TEAM"), ActorRole::ServiceTeam);
        assert_eq!(ActorRole::of("AGENT"), ActorRole::Agent);
    }

    #[test]
    fn every_action_the_domain_writes_has_a_value() {
        use crate::domain::complaint::ComplaintAction;
        use crate::domain::repair::RepairAction;
        let repair = [
            RepairAction::Assign,
            RepairAction::Accept,
            RepairAction::StartTravel,
            RepairAction::MarkArrived,
            RepairAction::AddLine,
            RepairAction::Diagnose,
            RepairAction::Complete,
            RepairAction::Confirm,
            RepairAction::Reject,
            RepairAction::Cancel,
            RepairAction::Close,
            RepairAction::ScheduleAppointment,
            RepairAction::AddNote,
            RepairAction::CustomerNote,
            RepairAction::Attach,
            RepairAction::WaitForParts,
            RepairAction::PartsArrived,
            RepairAction::RequestParts,
            RepairAction::ApproveParts,
            RepairAction::RejectParts,
            RepairAction::FillParts,
            RepairAction::ReceiveParts,
            RepairAction::RecordOutcome,
            RepairAction::MarkUnreachable,
            RepairAction::CustomerReached,
        ];
        for action in repair {
            assert_ne!(
                TimelineAction::of(action.event()),
                TimelineAction::Other,
                "{action:?}"
            );
        }
        use ComplaintAction as C;
        let complaint = [
            C::Acknowledge,
            C::PostUpdate,
            C::Investigate,
            C::Reclassify,
            C::ApproveCompensation,
            C::Resolve,
            C::Reopen,
            C::ApproveClosure,
            C::Close,
            C::Attach,
            C::Escalate,
            C::Reassign,
            C::OpenExternalCase,
            C::CloseExternalCase,
        ];
        for action in complaint {
            assert_ne!(
                TimelineAction::of(action.event()),
                TimelineAction::Other,
                "{action:?}"
            );
        }
        use crate::domain::inquiry::InquiryAction as I;
        for action in [I::Pass, I::Answer, I::Convert] {
            assert_ne!(
                TimelineAction::of(action.name()),
                TimelineAction::Other,
                "{action:?}"
            );
        }
        assert_eq!(TimelineAction::of("ASKED"), TimelineAction::Asked);
        assert_eq!(
            TimelineAction::of("CONVERTED_FROM_INQUIRY"),
            TimelineAction::ConvertedFromInquiry
        );
    }
}
