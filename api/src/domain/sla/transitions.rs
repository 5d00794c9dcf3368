//! Which clocks a ticket change starts, meets or stops. Pausing is not listed here: a clock
//! pauses in the statuses its policy names and resumes when the ticket leaves them, whatever
//! action moved it (see `pauses_in`).

use entity::repair_orders::RepairChannel;
use entity::sla_policies::SlaMetric;
use entity::ticket_events::TicketKind;

use crate::domain::complaint::ComplaintAction;
use crate::domain::repair::RepairAction;

use SlaMetric::*;

/// What one ticket change does to its clocks, applied in this order: meet, stop the rest (when
/// `stop_all`), start new cycles.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClockOps {
    /// Open cycles of these metrics are met now.
    pub meet: &'static [SlaMetric],
    /// Every other open clock stops unmet (the ticket ended).
    pub stop_all: bool,
    /// A new cycle of each of these starts now, where the ticket's policy has one.
    pub start: &'static [SlaMetric],
}

const NONE: ClockOps = ClockOps {
    meet: &[],
    stop_all: false,
    start: &[],
};

/// The clocks a new ticket starts: every metric its policy scope has a row for.
pub fn on_creation(kind: TicketKind) -> &'static [SlaMetric] {
    match kind {
        TicketKind::RepairOrder => &[Contact, Arrival, Resolution],
        // PROGRESS_UPDATE stands for the contact rhythm: the engine starts the one that wins
        // (`contact_rhythm`, R-SLA-15).
        TicketKind::Complaint => &[FirstResponse, FirstContact, ProgressUpdate, Resolution],
        // A visit's clocks count from instants of their own (the closure, the call, the
        // filing): `return_visits` starts each.
        TicketKind::ReturnVisit => &[],
        // R-SLA-11: an inquiry not answered on the spot owes the customer a reply.
        TicketKind::Inquiry => &[Reply],
    }
}

/// Clocks a new report meets at once: a customer who phones in or walks in is in contact with
/// the service team (R-SLA-6, R-SLA-14); one reporting from the app or through a partner waits
/// to be contacted.
pub fn met_on_report(channel: RepairChannel) -> &'static [SlaMetric] {
    match channel {
        RepairChannel::Phone | RepairChannel::WalkIn => &[Contact],
        RepairChannel::App | RepairChannel::Partner => &[],
    }
}

/// Repair orders: contact is made by booking the visit, a public message or arriving
/// (R-SLA-6, R-SLA-14); arrival (R-SLA-1/2) and resolution by the technician; completion starts
/// the customer's confirmation period; a rejected repair starts a new arrival and resolution
/// cycle from the rejection.
pub fn repair(action: RepairAction) -> ClockOps {
    use RepairAction as A;
    match action {
        A::ScheduleAppointment => ClockOps {
            meet: &[Contact],
            ..NONE
        },
        A::MarkArrived => ClockOps {
            meet: &[Contact, Arrival],
            ..NONE
        },
        A::Complete => ClockOps {
            meet: &[Contact, Resolution],
            start: &[Confirmation],
            ..NONE
        },
        A::Confirm => ClockOps {
            meet: &[Confirmation],
            ..NONE
        },
        A::Reject => ClockOps {
            meet: &[Confirmation],
            start: &[Arrival, Resolution],
            ..NONE
        },
        A::Cancel | A::Close => ClockOps {
            stop_all: true,
            ..NONE
        },
        // R-REP-2: the outcome of a return resolves the order and ends it.
        A::RecordOutcome => ClockOps {
            meet: &[Contact, Resolution],
            stop_all: true,
            ..NONE
        },
        A::Assign
        | A::Accept
        | A::StartTravel
        | A::AddLine
        | A::Diagnose
        | A::AddNote
        | A::CustomerNote
        | A::WaitForParts
        | A::PartsArrived
        | A::RequestParts
        | A::ApproveParts
        | A::RejectParts
        | A::FillParts
        | A::ReceiveParts
        | A::MarkUnreachable
        | A::CustomerReached
        | A::Attach => NONE,
    }
}

/// A public message on the order is a contact with the customer.
pub const PUBLIC_NOTE: ClockOps = ClockOps {
    meet: &[Contact],
    ..NONE
};

/// Complaints: the acknowledgement is the first response (R-SLA-6) and the first progress
/// update, and starts the solution clock of the person who takes the complaint (R-SLA-5);
/// each update starts the next update cycle (R-SLA-3); resolution meets the rest. Every
/// message to the customer (acknowledgement, update, resolution) is a contact: it meets the
/// first contact and the contact rhythm, 24 h update or weekly contact (R-SLA-15).
pub fn complaint(action: ComplaintAction) -> ClockOps {
    use ComplaintAction as A;
    match action {
        A::Acknowledge => ClockOps {
            meet: &[
                FirstResponse,
                FirstContact,
                ProgressUpdate,
                ProactiveContact,
            ],
            start: &[ProgressUpdate, Solution],
            ..NONE
        },
        A::PostUpdate => ClockOps {
            meet: &[FirstContact, ProgressUpdate, ProactiveContact],
            start: &[ProgressUpdate],
            ..NONE
        },
        A::Investigate => ClockOps {
            meet: &[Solution],
            ..NONE
        },
        A::Resolve => ClockOps {
            meet: &[FirstContact, ProgressUpdate, ProactiveContact, Resolution],
            stop_all: true,
            ..NONE
        },
        A::Reopen => ClockOps {
            start: &[ProgressUpdate, Resolution],
            ..NONE
        },
        A::Close | A::Reject => ClockOps {
            stop_all: true,
            ..NONE
        },
        A::Reclassify
        | A::RateResult
        | A::Verify
        | A::ProposeSolution
        | A::ApproveSolution
        | A::ApproveGoodwill
        | A::ApproveCompensation
        | A::ApproveClosure
        | A::Escalate
        | A::Reassign
        | A::OpenExternalCase
        | A::CloseExternalCase
        | A::Attach => NONE,
    }
}

/// Clocks that act when they run out instead of escalating: a completed repair the customer
/// neither confirms nor rejects is confirmed for them.
pub fn acts_when_missed(metric: SlaMetric) -> bool {
    metric == Confirmation
}

/// Whether missing the clock is late handling by whoever holds the ticket (R-ESC-6): every
/// clock but the customer's own confirmation period and the first contact within a working day
/// (R-SLA-15), the looser line of the 24 h first response: the same acknowledgement meets
/// both and the first response is never due later, so its miss is charged there once; a missed
/// first contact still shows as BREACHED.
pub fn penalized(metric: SlaMetric) -> bool {
    !acts_when_missed(metric) && metric != FirstContact
}

/// Clocks a customer or partner sees, in plain words; the others are the staff's business.
pub fn customer_words(kind: TicketKind, metric: SlaMetric) -> Option<&'static str> {
    match (kind, metric) {
        (TicketKind::RepairOrder, Contact) => Some("we contact you"),
        (TicketKind::RepairOrder, Arrival) => Some("a technician is at your place"),
        (TicketKind::RepairOrder, Resolution) => Some("the repair is done"),
        (TicketKind::RepairOrder, Confirmation) => {
            Some("the repair counts as accepted unless you tell us otherwise")
        }
        (TicketKind::Complaint, FirstResponse) => Some("we reply to your complaint"),
        (TicketKind::Complaint, FirstContact) => Some("we get in touch with you"),
        (TicketKind::Complaint, ProgressUpdate | ProactiveContact) => {
            Some("we tell you how your complaint is going")
        }
        (TicketKind::Complaint, Resolution) => Some("your complaint is resolved"),
        (TicketKind::Inquiry, Reply) => Some("we answer your question"),
        _ => None,
    }
}

/// Timeline rows of clock transitions (`SLA_STARTED`, `SLA_MET`, …): listed only when asked
/// for, so a timeline reads as what people did.
pub fn is_clock_event(action: &str) -> bool {
    action.starts_with("SLA_")
}

/// The statuses a policy of `kind` may name as pausing.
pub fn pausing_statuses(kind: TicketKind) -> &'static [&'static str] {
    match kind {
        TicketKind::RepairOrder => &["WAITING_FOR_PARTS", "WAITING_FOR_CUSTOMER"],
        TicketKind::Complaint => &["EXTERNAL_CASE"],
        TicketKind::ReturnVisit | TicketKind::Inquiry => &[],
    }
}

/// R-SLA-15: a complaint's contact rhythm is one clock, the 24 h progress update (R-SLA-3) or
/// the weekly proactive contact, whichever of the two policies (`(metric, minutes)` of each
/// that is active for the ticket's scope) has the shorter limit; a tie goes to the update. By
/// default both are on and the 24 h update wins; an admin who switches PROGRESS_UPDATE off for
/// a severity moves it to the weekly rhythm. `None`: both are off.
pub fn contact_rhythm(update: Option<i32>, weekly: Option<i32>) -> Option<SlaMetric> {
    match (update, weekly) {
        (Some(u), Some(w)) if w < u => Some(ProactiveContact),
        (Some(_), _) => Some(ProgressUpdate),
        (None, Some(_)) => Some(ProactiveContact),
        (None, None) => None,
    }
}

/// Whether `metric` is one of a complaint's two contact rhythms (R-SLA-15).
pub fn is_contact_rhythm(metric: SlaMetric) -> bool {
    matches!(metric, ProgressUpdate | ProactiveContact)
}

#[cfg(test)]
mod rhythm_tests {
    use super::*;

    #[test]
    fn the_shorter_active_rhythm_wins_and_the_update_by_default() {
        assert_eq!(
            contact_rhythm(Some(1440), Some(10080)),
            Some(ProgressUpdate)
        );
        assert_eq!(contact_rhythm(Some(1440), Some(1440)), Some(ProgressUpdate));
        assert_eq!(contact_rhythm(None, Some(10080)), Some(ProactiveContact));
        assert_eq!(
            contact_rhythm(Some(20000), Some(10080)),
            Some(ProactiveContact)
        );
        assert_eq!(contact_rhythm(Some(1440), None), Some(ProgressUpdate));
        assert_eq!(contact_rhythm(None, None), None);
    }

    #[test]
    fn every_message_to_the_customer_meets_the_first_contact() {
        for action in [
            ComplaintAction::Acknowledge,
            ComplaintAction::PostUpdate,
            ComplaintAction::Resolve,
        ] {
            let ops = complaint(action);
            assert!(ops.meet.contains(&FirstContact), "{action:?}");
            assert!(ops.meet.contains(&ProactiveContact), "{action:?}");
        }
        assert!(
            !complaint(ComplaintAction::Investigate)
                .meet
                .contains(&FirstContact)
        );
    }
}
