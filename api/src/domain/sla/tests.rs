use chrono::TimeZone;
use chrono_tz::Tz;

use super::*;

const BERLIN: Tz = chrono_tz::Europe::Berlin;

fn utc(d: u32, h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, d, h, m, 0).unwrap()
}

/// Berlin local time in January 2026 (2026-01-09 is a Friday).
fn local(d: u32, h: u32, m: u32) -> DateTime<Utc> {
    BERLIN
        .with_ymd_and_hms(2026, 1, d, h, m, 0)
        .single()
        .unwrap()
        .with_timezone(&Utc)
}

fn wall(minutes: i32) -> Rule {
    Rule::new(minutes, false, false, true, "75,90", "WAITING_FOR_PARTS")
}

fn view(started: DateTime<Utc>, due: DateTime<Utc>) -> ClockView {
    ClockView {
        started_at: started,
        due_at: due,
        running: true,
        breached: false,
        warnings_sent: 0,
        missed_periods: 0,
    }
}

#[test]
fn rules_parse_their_stored_lists() {
    let rule = Rule::new(60, true, true, false, " 90, 75,abc,0,100,75", "A, ,B");
    assert_eq!(rule.warn_percents, vec![75, 90]);
    assert_eq!(rule.pause_states, vec!["A".to_owned(), "B".to_owned()]);
    assert!(rule.pauses_in("B"));
    assert!(!rule.pauses_in("C"));
    assert!(check_rule(60, "75,90", "WAITING_FOR_PARTS", &["WAITING_FOR_PARTS"]).is_ok());
    assert_eq!(check_rule(0, "", "", &[]).unwrap_err().0, "durationMinutes");
    assert_eq!(
        check_rule(60, "75,x", "", &[]).unwrap_err().0,
        "warnPercents"
    );
    assert_eq!(
        check_rule(60, "100", "", &[]).unwrap_err().0,
        "warnPercents"
    );
    assert_eq!(
        check_rule(60, "", "OPEN", &["X"]).unwrap_err().0,
        "pauseStates"
    );
}

#[test]
fn r_sla_1_wall_clock_due_time_and_pauses_move_it() {
    let rule = wall(12 * 60);
    let start = utc(2, 9, 0);
    assert_eq!(
        due_at(&rule, start, Duration::zero(), None, Timebase::Wall),
        utc(2, 21, 0)
    );
    // R-REP-5: two days waiting for parts move the deadline by two days.
    assert_eq!(
        due_at(&rule, start, Duration::days(2), None, Timebase::Wall),
        utc(4, 21, 0)
    );
    // A later appointment the customer chose wins; an earlier one does not.
    assert_eq!(
        due_at(
            &rule,
            start,
            Duration::zero(),
            Some(utc(3, 12, 0)),
            Timebase::Wall
        ),
        utc(3, 12, 0)
    );
    assert_eq!(
        due_at(
            &rule,
            start,
            Duration::zero(),
            Some(utc(2, 12, 0)),
            Timebase::Wall
        ),
        utc(2, 21, 0)
    );
}

#[test]
fn glpi_15605_a_policy_change_during_a_pause_keeps_the_paused_time() {
    // Started Monday 09:00 with 24 h; paused from 10:00 to Wednesday 10:00 (48 h); the limit
    // is changed to 12 h during the pause. Due = start + new limit + all the paused time.
    let start = utc(2, 9, 0);
    let paused = Timebase::Wall.elapsed(utc(2, 10, 0), utc(4, 10, 0));
    assert_eq!(paused, Duration::hours(48));
    let changed = wall(12 * 60);
    assert_eq!(
        due_at(&changed, start, paused, None, Timebase::Wall),
        utc(4, 21, 0)
    );
}

#[test]
fn r_sla_5_business_days_keep_the_local_time_and_pauses_count_working_time_only() {
    let calendar = BusinessCalendar::standard(BERLIN);
    let time = Timebase::Business(&calendar);
    let one_day = Rule::new(24 * 60, true, false, true, "", "");
    // Friday 17:00 + 1 working day = Monday 17:00.
    assert_eq!(
        due_at(&one_day, local(9, 17, 0), Duration::zero(), None, time),
        local(12, 17, 0)
    );
    // A pause from Friday 17:30 to Monday 10:00 used 30 min + 1 h of working time.
    let paused = time.elapsed(local(9, 17, 30), local(12, 10, 0));
    assert_eq!(paused, Duration::minutes(90));
    assert_eq!(
        due_at(&one_day, local(9, 17, 0), paused, None, time),
        local(13, 9, 30)
    );
    // Working hours, not days: 4 h from Friday 16:00 is Monday 11:00.
    let four_hours = Rule::new(4 * 60, true, false, true, "", "");
    assert_eq!(
        due_at(&four_hours, local(9, 16, 0), Duration::zero(), None, time),
        local(12, 11, 0)
    );
}

#[test]
fn zammad_4432_business_warnings_fall_in_working_time() {
    // 8 working hours from Friday 15:00: 75 % on the wall clock would be 21:00 Friday; in
    // working time it is 3 h on Friday and 3 h on Monday: Monday 12:00.
    let calendar = BusinessCalendar::standard(BERLIN);
    let time = Timebase::Business(&calendar);
    let rule = Rule::new(8 * 60, true, false, true, "75", "");
    let start = local(9, 15, 0);
    let due = due_at(&rule, start, Duration::zero(), None, time);
    assert_eq!(due, local(12, 14, 0));
    assert_eq!(warning_at(start, due, 75, time), local(12, 12, 0));
    let at_nine_friday = sweep(&rule, &view(start, due), 2, true, local(9, 21, 0), time);
    assert!(at_nine_friday.warnings.is_empty());
    assert_eq!(at_nine_friday.next_check, Some(local(12, 12, 0)));
    let monday = sweep(&rule, &view(start, due), 2, true, local(12, 12, 0), time);
    assert_eq!(monday.warnings, vec![75]);
    assert_eq!(monday.warnings_sent, 1);
    assert_eq!(monday.next_check, Some(due));
}

#[test]
fn warnings_go_out_once_in_order_and_not_after_the_breach() {
    let rule = wall(100);
    let start = utc(2, 9, 0);
    let due = start + Duration::minutes(100);
    let early = sweep(&rule, &view(start, due), 2, true, start, Timebase::Wall);
    assert!(early.warnings.is_empty());
    assert_eq!(early.next_check, Some(start + Duration::minutes(75)));
    let both = sweep(
        &rule,
        &view(start, due),
        2,
        true,
        start + Duration::minutes(95),
        Timebase::Wall,
    );
    assert_eq!(both.warnings, vec![75, 90]);
    assert_eq!(both.next_check, Some(due));
    let late = sweep(&rule, &view(start, due), 2, true, due, Timebase::Wall);
    assert!(
        late.warnings.is_empty(),
        "a missed clock is not warned about"
    );
    assert_eq!(late.warnings_sent, 2);
    assert!(late.breach);
}

#[test]
fn r_esc_2_an_open_clock_escalates_once_per_missed_period_up_to_the_room_left() {
    let rule = wall(12 * 60);
    let start = utc(2, 9, 0);
    let due = utc(2, 21, 0);
    let first = sweep(&rule, &view(start, due), 2, false, due, Timebase::Wall);
    assert!(first.breach);
    assert_eq!(first.missed, vec![due]);
    assert_eq!(first.next_check, Some(utc(3, 9, 0)));
    let swept = ClockView {
        breached: true,
        missed_periods: 1,
        ..view(start, due)
    };
    let second = sweep(&rule, &swept, 1, false, utc(3, 9, 0), Timebase::Wall);
    assert!(!second.breach);
    assert_eq!(second.missed, vec![utc(3, 9, 0)]);
    assert_eq!(
        second.next_check, None,
        "the top is reached: nothing more to escalate"
    );
    // A sweep after a long outage counts every period, but never past the top.
    let outage = sweep(
        &rule,
        &view(start, due),
        2,
        false,
        utc(9, 9, 0),
        Timebase::Wall,
    );
    assert_eq!(outage.missed, vec![due, utc(3, 9, 0)]);
    assert_eq!(outage.missed_periods, 2);
}

#[test]
fn r_sla_3_a_repeating_clock_starts_its_next_cycle_where_it_was_missed() {
    let rule = Rule::new(24 * 60, false, true, true, "", "");
    let start = utc(2, 9, 0);
    let due = utc(3, 9, 0);
    let missed = sweep(
        &rule,
        &view(start, due),
        2,
        false,
        utc(3, 10, 0),
        Timebase::Wall,
    );
    assert!(missed.breach);
    assert_eq!(missed.missed, vec![due]);
    assert_eq!(missed.next_cycle_at, Some(due));
    assert_eq!(
        missed.next_check, None,
        "the next cycle escalates the next miss"
    );
}

#[test]
fn r_sla_10_missed_clocks_are_looked_at_again_when_their_penalty_rises() {
    let rule = Rule::new(60, false, false, false, "", "");
    let start = utc(2, 9, 0);
    let due = utc(2, 10, 0);
    let missed = sweep(&rule, &view(start, due), 2, true, due, Timebase::Wall);
    assert!(missed.breach);
    assert!(missed.missed.is_empty(), "a clock that does not escalate");
    assert_eq!(missed.next_check, Some(due + Duration::seconds(601)));
    let swept = ClockView {
        breached: true,
        ..view(start, due)
    };
    let later = sweep(
        &rule,
        &swept,
        2,
        true,
        due + Duration::minutes(11),
        Timebase::Wall,
    );
    assert_eq!(later.next_check, Some(due + Duration::seconds(1801)));
    let done = sweep(
        &rule,
        &swept,
        2,
        true,
        due + Duration::hours(1),
        Timebase::Wall,
    );
    assert_eq!(done.next_check, None);
    let paused = ClockView {
        running: false,
        ..view(start, due)
    };
    assert_eq!(
        sweep(&rule, &paused, 2, true, due, Timebase::Wall),
        Sweep::default()
    );
}

#[test]
fn r_esc_2_coinciding_misses_climb_one_level() {
    let t = utc(3, 9, 0);
    let u = utc(4, 9, 0);
    assert_eq!(climb(1, [t, t, u]), vec![(1, 2, t), (2, 3, u)]);
    assert_eq!(climb(2, [u, t]), vec![(2, 3, t)]);
    assert!(climb(TOP_LEVEL, [t]).is_empty());
}

#[test]
fn r_sla_10_penalty_tiers() {
    let late = |m: i64, s: i64| penalty_points(Duration::minutes(m) + Duration::seconds(s));
    assert_eq!(late(0, 0), 0);
    assert_eq!(late(-5, 0), 0);
    assert_eq!(late(0, 1), 5);
    assert_eq!(late(10, 0), 5);
    assert_eq!(late(10, 1), 10);
    assert_eq!(
        penalty_points(Duration::minutes(10) + Duration::milliseconds(500)),
        10
    );
    assert_eq!(late(30, 0), 10);
    assert_eq!(late(30, 1), 20);
    assert_eq!(late(600, 0), 20);
    assert_eq!(penalty_points(TIER_STEPS[0]), 10);
    assert_eq!(penalty_points(TIER_STEPS[1]), 20);
}

#[test]
fn states_clients_see() {
    let due = utc(2, 10, 0);
    let before = utc(2, 9, 0);
    let after = utc(2, 11, 0);
    assert_eq!(
        state(due, false, None, false, None, before),
        ClockState::Running
    );
    assert_eq!(
        state(due, false, None, false, None, after),
        ClockState::Breached
    );
    assert_eq!(
        state(due, true, None, false, None, after),
        ClockState::Paused
    );
    assert_eq!(
        state(due, false, Some(before), false, None, after),
        ClockState::Met
    );
    assert_eq!(
        state(due, false, Some(after), false, None, after),
        ClockState::Breached
    );
    assert_eq!(
        state(due, false, None, true, None, after),
        ClockState::Stopped
    );
    assert_eq!(
        state(due, false, None, true, Some(due), after),
        ClockState::Breached
    );
    assert_eq!(remaining_seconds(due, None, true, before), Some(3600));
    assert_eq!(
        remaining_seconds(due, Some(before), true, after),
        Some(3600)
    );
    assert_eq!(remaining_seconds(due, None, false, before), None);
}

#[test]
fn transitions_start_meet_and_stop_the_right_clocks() {
    use crate::domain::complaint::ComplaintAction;
    use crate::domain::repair::RepairAction;
    use entity::sla_policies::SlaMetric::*;
    use transitions::{complaint, repair};
    assert_eq!(repair(RepairAction::MarkArrived).meet, &[Contact, Arrival]);
    assert_eq!(repair(RepairAction::Reject).start, &[Arrival, Resolution]);
    assert!(repair(RepairAction::Cancel).stop_all);
    assert_eq!(
        repair(RepairAction::WaitForParts),
        transitions::ClockOps::default()
    );
    let ack = complaint(ComplaintAction::Acknowledge);
    assert_eq!(
        ack.meet,
        &[
            FirstResponse,
            FirstContact,
            ProgressUpdate,
            ProactiveContact
        ]
    );
    assert_eq!(ack.start, &[ProgressUpdate, Solution]);
    assert!(complaint(ComplaintAction::Resolve).stop_all);
    assert_eq!(
        complaint(ComplaintAction::OpenExternalCase),
        transitions::ClockOps::default()
    );
}

#[test]
fn r_sla_1_a_later_window_the_customer_chose_moves_the_arrival_deadline() {
    let policy = utc(2, 21, 0);
    let late = (utc(2, 22, 0), utc(2, 23, 0));
    assert_eq!(asked_due(policy, late, true), Some(utc(2, 23, 0)));
    assert_eq!(asked_due(policy, late, false), None, "staff's own choice");
    assert_eq!(
        asked_due(policy, (utc(2, 12, 0), utc(2, 14, 0)), true),
        None
    );
}

#[test]
fn r_sla_9_a_day_end_limit_runs_to_the_end_of_the_next_working_date() {
    let calendar = BusinessCalendar::standard(BERLIN);
    let time = Timebase::Business(&calendar);
    let next_day = Rule::new(24 * 60, true, false, false, "", "").to_day_end(true);
    let due = |at| due_at(&next_day, at, Duration::zero(), None, time);
    // A call on Wednesday at 10:00 or at 23:00 is reported by the end of Thursday.
    assert_eq!(due(local(7, 10, 0)), local(9, 0, 0));
    assert_eq!(due(local(7, 23, 0)), local(9, 0, 0));
    // Friday evening and Saturday: by the end of Monday.
    assert_eq!(due(local(9, 20, 0)), local(13, 0, 0));
    assert_eq!(due(local(10, 11, 0)), local(13, 0, 0));
    // Without day end the same rule keeps the local time (R-SLA-5).
    let same_time = Rule::new(24 * 60, true, false, false, "", "");
    assert_eq!(
        due_at(&same_time, local(7, 10, 0), Duration::zero(), None, time),
        local(8, 10, 0)
    );
    // A wall-clock rule has no local day: the limit is plain time.
    assert_eq!(
        due_at(
            &next_day,
            local(7, 10, 0),
            Duration::zero(),
            None,
            Timebase::Wall
        ),
        local(8, 10, 0)
    );
}
