//! Return-visit rules: when visits are due (R-SLA-7, R-SLA-8), the customer's rest hours
//! (R-SUR-2), what a complete record is (R-SUR-3) and how an answer short of satisfied is
//! followed up (R-SUR-4). Their deadlines are SLA clocks.

use chrono::{DateTime, Duration, LocalResult, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use entity::return_visits::{VisitOutcome, VisitPurpose, VisitSatisfaction};
use entity::ticket_events::TicketKind;
use entity::users::Role;

use crate::error::{ApiError, ApiResult};

/// Who may read return-visit logs (R-PRV-8: call and visit logs are confidential): the staff
/// who make and review the visits, and admins through metrics. The rule for the visit rows and
/// for the rates computed from them; partners and customers get neither.
pub const LOG_READERS: &[Role] = &[Role::Agent, Role::Supervisor, Role::Admin];

/// Who sees (and works on) one visit: the agents and supervisors of its centre; other
/// centres' visits do not exist for them (R-PRV-1/8).
pub fn can_view(principal: &super::identity::Principal, visit_centre_id: i64) -> bool {
    match principal {
        super::identity::Principal::User(user) => {
            matches!(user.role, Role::Agent | Role::Supervisor)
                && user.service_centre_id == Some(visit_centre_id)
        }
        _ => false,
    }
}

/// Local times customers must not be called in (R-SUR-2). Rest runs from `start` to `end`,
/// across midnight when `end` is earlier; both boundaries are callable.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct RestHours {
    pub start: NaiveTime,
    pub end: NaiveTime,
}

impl Default for RestHours {
    /// 21:00–09:00.
    fn default() -> Self {
        Self {
            start: NaiveTime::from_hms_opt(21, 0, 0).unwrap_or(NaiveTime::MIN),
            end: NaiveTime::from_hms_opt(9, 0, 0).unwrap_or(NaiveTime::MIN),
        }
    }
}

impl RestHours {
    pub fn contains(&self, local: NaiveTime) -> bool {
        if self.start <= self.end {
            self.start < local && local < self.end
        } else {
            local > self.start || local < self.end
        }
    }

    /// The latest callable moment at or before `target`: a time in rest hours moves back to
    /// the start of that rest period, so a visit due "within" a limit stays within it.
    pub fn latest_callable(&self, target: DateTime<Utc>, tz: Tz) -> DateTime<Utc> {
        let local = target.with_timezone(&tz);
        let time = local.time();
        if !self.contains(time) {
            return target;
        }
        let date = local.date_naive();
        // After midnight inside an overnight rest: it began the evening before.
        let rest_began = if self.start > self.end && time < self.end {
            date.pred_opt().unwrap_or(date)
        } else {
            date
        };
        local_instant(tz, rest_began, self.start).unwrap_or(target)
    }
}

/// `date` at `time` in `tz`: the earlier instant when clocks go back, `None` in a gap.
fn local_instant(tz: Tz, date: NaiveDate, time: NaiveTime) -> Option<DateTime<Utc>> {
    match tz.from_local_datetime(&date.and_time(time)) {
        LocalResult::Single(at) | LocalResult::Ambiguous(at, _) => Some(at.with_timezone(&Utc)),
        LocalResult::None => None,
    }
}

/// The visits a closed ticket gets: every ticket one after closure (R-SLA-7), a repair also
/// one 30 days after the work (R-SLA-8, "every sale/repair").
pub fn purposes(kind: TicketKind) -> &'static [VisitPurpose] {
    match kind {
        TicketKind::RepairOrder => &[VisitPurpose::AfterClosure, VisitPurpose::ThirtyDay],
        TicketKind::Complaint => &[VisitPurpose::AfterClosure],
        // Return visits and inquiries are not visited.
        TicketKind::ReturnVisit | TicketKind::Inquiry => &[],
    }
}

/// The moments a closed ticket's visit intervals count from.
#[derive(Clone, Copy, Debug)]
pub struct Finished {
    /// When the work was done (a repair's completion; a complaint's resolution).
    pub completed_at: DateTime<Utc>,
    pub closed_at: DateTime<Utc>,
}

/// When the visit of `purpose` is planned: the policy's `interval` after closure (R-SLA-7) or
/// after the work (R-SLA-8), moved back to a callable time so it stays within the limit
/// (R-SUR-2). The limit itself is the visit's SLA clock.
pub fn due_at(
    purpose: VisitPurpose,
    interval: Duration,
    finished: Finished,
    rest: &RestHours,
    tz: Tz,
) -> DateTime<Utc> {
    rest.latest_callable(counts_from(purpose, finished) + interval, tz)
}

/// Where a visit's interval, and its SLA clock, starts: the closure (R-SLA-7) or the work
/// (R-SLA-8).
pub fn counts_from(purpose: VisitPurpose, finished: Finished) -> DateTime<Utc> {
    match purpose {
        VisitPurpose::AfterClosure => finished.closed_at,
        VisitPurpose::ThirtyDay => finished.completed_at,
    }
}

/// What the agent reports about one attempt.
pub struct VisitReport {
    pub visited_at: DateTime<Utc>,
    pub satisfaction: Option<VisitSatisfaction>,
    /// What the customer would improve, in the agent's words.
    pub improvement: Option<String>,
    pub outcome: VisitOutcome,
    pub retry_at: Option<DateTime<Utc>>,
    pub retry_customer_chosen: bool,
    pub raises_complaint: bool,
}

/// R-SUR-4: only SATISFIED is satisfied; AVERAGE is handled like DISSATISFIED.
pub fn is_satisfied(answer: VisitSatisfaction) -> bool {
    answer == VisitSatisfaction::Satisfied
}

/// R-SUR-4: a customer reached and short of satisfied is asked what to improve, apologised to
/// and called again, unless they raised a complaint (its handling is the follow-up).
pub fn follows_up(report: &VisitReport) -> bool {
    report.outcome == VisitOutcome::Ok
        && report
            .satisfaction
            .is_some_and(|answer| !is_satisfied(answer))
}

/// Whether the visit ends with another call at `retryAt`: the customer was not reached
/// (R-SUR-3), or is followed up (R-SUR-4).
pub fn calls_again(report: &VisitReport) -> bool {
    report.outcome == VisitOutcome::Unreachable || follows_up(report)
}

/// R-SUR-3, R-SUR-2, R-SUR-4: a reached customer's answer is recorded; one short of satisfied
/// comes with what to improve and a follow-up call; an unreachable customer gets a retry. A
/// call again is in the future and outside rest hours unless the customer chose it; a raised
/// complaint comes with its details, and only then.
pub fn check_report(
    report: &VisitReport,
    now: DateTime<Utc>,
    rest: &RestHours,
    tz: Tz,
) -> ApiResult<()> {
    if report.visited_at > now {
        return Err(ApiError::bad_input(
            "visitedAt",
            "visitedAt must not be in the future",
        ));
    }
    let unreachable = report.outcome == VisitOutcome::Unreachable;
    match (unreachable, report.satisfaction) {
        (false, None) => {
            return Err(ApiError::bad_input(
                "satisfaction",
                "record whether the customer is satisfied",
            ));
        }
        (true, Some(_)) => {
            return Err(ApiError::bad_input(
                "satisfaction",
                "an unreachable customer gave no answer",
            ));
        }
        (false, Some(_)) if follows_up(report) && report.improvement.is_none() => {
            return Err(ApiError::bad_input(
                "improvement",
                "ask what we should improve and record the answer",
            ));
        }
        _ => {}
    }
    let raised = report.outcome == VisitOutcome::ComplaintRaised;
    if raised != report.raises_complaint {
        return Err(ApiError::bad_input(
            "complaint",
            "give the complaint exactly when the outcome is COMPLAINT_RAISED",
        ));
    }
    match (calls_again(report), report.retry_at) {
        (true, None) => Err(ApiError::bad_input(
            "retryAt",
            "an unreachable or not satisfied customer is called again: give the time",
        )),
        (false, Some(_)) => Err(ApiError::bad_input(
            "retryAt",
            "only unreachable or not satisfied customers are called again",
        )),
        (true, Some(at)) if at <= now => Err(ApiError::bad_input(
            "retryAt",
            "retryAt must be in the future",
        )),
        (true, Some(at))
            if !report.retry_customer_chosen && rest.contains(at.with_timezone(&tz).time()) =>
        {
            Err(ApiError::bad_input(
                "retryAt",
                "retryAt falls in the customer's rest hours; only the customer may choose such a time",
            ))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHANGHAI: Tz = chrono_tz::Asia::Shanghai;

    fn utc(day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, day, hour, minute, 0)
            .unwrap()
    }

    fn report() -> VisitReport {
        VisitReport {
            visited_at: utc(5, 2, 0),
            satisfaction: Some(VisitSatisfaction::Satisfied),
            improvement: None,
            outcome: VisitOutcome::Ok,
            retry_at: None,
            retry_customer_chosen: false,
            raises_complaint: false,
        }
    }

    fn bad_field(report: VisitReport) -> &'static str {
        match check_report(&report, utc(5, 3, 0), &RestHours::default(), SHANGHAI) {
            Err(ApiError::BadUserInput { field, .. }) => field,
            other => panic!("expected bad input, got {other:?}"),
        }
    }

    #[test]
    fn r_sur_2_rest_hours_cross_midnight_and_keep_boundaries_callable() {
        let rest = RestHours::default();
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap();
        assert!(!rest.contains(t(21, 0)));
        assert!(rest.contains(t(21, 1)));
        assert!(rest.contains(t(3, 0)));
        assert!(!rest.contains(t(9, 0)));
        assert!(!rest.contains(t(14, 0)));
        let day = RestHours {
            start: t(12, 0),
            end: t(14, 0),
        };
        assert!(day.contains(t(13, 0)));
        assert!(!day.contains(t(22, 0)));
    }

    #[test]
    fn r_sur_2_a_due_time_in_rest_hours_moves_back_to_the_evening_before() {
        let rest = RestHours::default();
        // 22:30 local → 21:00 local the same evening.
        assert_eq!(
            rest.latest_callable(utc(5, 14, 30), SHANGHAI),
            utc(5, 13, 0)
        );
        // 02:00 local on the 6th → 21:00 local on the 5th.
        assert_eq!(rest.latest_callable(utc(5, 18, 0), SHANGHAI), utc(5, 13, 0));
        // 15:00 local stays.
        assert_eq!(rest.latest_callable(utc(5, 7, 0), SHANGHAI), utc(5, 7, 0));
    }

    #[test]
    fn r_sla_7_r_sla_8_repairs_get_two_visits_complaints_one() {
        assert_eq!(
            purposes(TicketKind::RepairOrder),
            [VisitPurpose::AfterClosure, VisitPurpose::ThirtyDay]
        );
        assert_eq!(
            purposes(TicketKind::Complaint),
            [VisitPurpose::AfterClosure]
        );
    }

    #[test]
    fn r_sla_7_r_sla_8_intervals_count_from_closure_and_completion() {
        let finished = Finished {
            completed_at: utc(2, 6, 0), // 14:00 local
            closed_at: utc(3, 7, 0),    // 15:00 local
        };
        let rest = RestHours::default();
        let due = |purpose, interval| due_at(purpose, interval, finished, &rest, SHANGHAI);
        assert_eq!(
            due(VisitPurpose::AfterClosure, Duration::days(3)),
            utc(6, 7, 0)
        );
        assert_eq!(
            due(VisitPurpose::ThirtyDay, Duration::days(30)),
            finished.completed_at + Duration::days(30)
        );
        // The interval is the policy's, not a constant.
        assert_eq!(
            due(VisitPurpose::AfterClosure, Duration::days(1)),
            utc(4, 7, 0)
        );
        // 3 days and 8 hours after 15:00 local is 23:00 local: back to 21:00 (R-SUR-2).
        assert_eq!(
            due(VisitPurpose::AfterClosure, Duration::hours(80)),
            utc(6, 13, 0)
        );
    }

    #[test]
    fn r_sur_3_report_is_complete_and_retries_respect_rest_hours() {
        assert!(check_report(&report(), utc(5, 3, 0), &RestHours::default(), SHANGHAI).is_ok());
        assert_eq!(
            bad_field(VisitReport {
                visited_at: utc(5, 4, 0),
                ..report()
            }),
            "visitedAt"
        );
        assert_eq!(
            bad_field(VisitReport {
                satisfaction: None,
                ..report()
            }),
            "satisfaction"
        );
        assert_eq!(
            bad_field(VisitReport {
                outcome: VisitOutcome::ComplaintRaised,
                ..report()
            }),
            "complaint"
        );
        let unreachable = || VisitReport {
            outcome: VisitOutcome::Unreachable,
            satisfaction: None,
            retry_at: Some(utc(6, 2, 0)), // 10:00 local
            ..report()
        };
        assert!(
            check_report(
                &unreachable(),
                utc(5, 3, 0),
                &RestHours::default(),
                SHANGHAI
            )
            .is_ok()
        );
        assert_eq!(
            bad_field(VisitReport {
                retry_at: None,
                ..unreachable()
            }),
            "retryAt"
        );
        let at_night = || VisitReport {
            retry_at: Some(utc(5, 15, 0)), // 23:00 local
            ..unreachable()
        };
        assert_eq!(bad_field(at_night()), "retryAt");
        let chosen = VisitReport {
            retry_customer_chosen: true,
            ..at_night()
        };
        assert!(check_report(&chosen, utc(5, 3, 0), &RestHours::default(), SHANGHAI).is_ok());
    }

    #[test]
    fn r_sur_4_average_is_followed_up_like_dissatisfied() {
        assert!(is_satisfied(VisitSatisfaction::Satisfied));
        for answer in [VisitSatisfaction::Average, VisitSatisfaction::Dissatisfied] {
            assert!(!is_satisfied(answer));
            let short = || VisitReport {
                satisfaction: Some(answer),
                improvement: Some("Call before coming".into()),
                retry_at: Some(utc(6, 2, 0)),
                ..report()
            };
            assert!(check_report(&short(), utc(5, 3, 0), &RestHours::default(), SHANGHAI).is_ok());
            let no_improvement = VisitReport {
                improvement: None,
                ..short()
            };
            assert_eq!(bad_field(no_improvement), "improvement");
            let no_call = VisitReport {
                retry_at: None,
                ..short()
            };
            assert_eq!(bad_field(no_call), "retryAt");
        }
        // A satisfied customer is not called again.
        assert_eq!(
            bad_field(VisitReport {
                retry_at: Some(utc(6, 2, 0)),
                ..report()
            }),
            "retryAt"
        );
    }
}
