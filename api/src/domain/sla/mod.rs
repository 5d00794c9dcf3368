//! SLA clocks as plain functions (R-SLA-1..10, R-SLA-12, R-SLA-14, R-ESC-2, R-ESC-6): due-time
//! arithmetic on the wall clock or in a centre's working time, pause accounting, warnings,
//! breaches, missed periods, escalation steps and penalty tiers. The services and the sweeper
//! (`services::sla`) load and store clocks; every decision about one is made here.

pub mod transitions;

use chrono::{DateTime, Duration, Utc};
use entity::escalation_routes::EscalationTarget;
use entity::ticket_events::TicketKind;

use super::calendar::BusinessCalendar;

/// Escalation levels: L1 agent, L2 the centre's supervisors (manager), L3 the top level.
pub const TOP_LEVEL: i16 = 3;

/// R-ESC-1: whose inbox a level goes to unless its route says otherwise: the centre's
/// supervisors (the customer-service manager) below the top, the top level (general manager)
/// at it.
pub fn default_target(level: i16) -> EscalationTarget {
    if level >= TOP_LEVEL {
        EscalationTarget::TopLevel
    } else {
        EscalationTarget::CentreSupervisors
    }
}

/// Whether a supervisor reads an inbox: their centre's, and the top level's only when they are
/// top level.
pub fn reads_inbox(top_level: bool, target: EscalationTarget) -> bool {
    top_level || target == EscalationTarget::CentreSupervisors
}

/// Checks a route an admin sets: levels a ticket climbs to (2 and up), kinds that escalate
/// (a return visit does not).
pub fn check_route(kind: TicketKind, level: i32) -> Result<i16, (&'static str, String)> {
    if kind == TicketKind::ReturnVisit {
        return Err(("ticketKind", "return visits do not escalate".into()));
    }
    i16::try_from(level)
        .ok()
        .filter(|l| (2..=TOP_LEVEL).contains(l))
        .ok_or(("level", format!("a level from 2 to {TOP_LEVEL}")))
}

/// What a policy row says about one clock; each clock keeps a copy (rewritten when the policy
/// changes), so the sweeper reads one table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    pub minutes: i32,
    pub business_time: bool,
    /// A new cycle starts where a cycle is met or missed (R-SLA-3).
    pub repeating: bool,
    /// A miss escalates the ticket one level per missed period (R-ESC-2).
    pub escalates: bool,
    /// Percent of the limit at which warnings go out, ascending.
    pub warn_percents: Vec<u8>,
    /// Ticket statuses in which the clock stands still.
    pub pause_states: Vec<String>,
    /// The limit runs to the end of the working date it falls on ("the day after", R-SLA-9);
    /// only business-time rules count dates (a wall clock has no local day).
    pub day_end: bool,
}

impl Rule {
    /// From the stored form: `75,90` and `WAITING_FOR_PARTS,WAITING_FOR_CUSTOMER`.
    pub fn new(
        minutes: i32,
        business_time: bool,
        repeating: bool,
        escalates: bool,
        warn_percents: &str,
        pause_states: &str,
    ) -> Self {
        let mut warn: Vec<u8> = warn_percents
            .split(',')
            .filter_map(|p| p.trim().parse().ok())
            .filter(|p| (1..100).contains(p))
            .collect();
        warn.sort_unstable();
        warn.dedup();
        Self {
            minutes,
            business_time,
            repeating,
            escalates,
            warn_percents: warn,
            pause_states: pause_states
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            day_end: false,
        }
    }

    /// The same rule running to the end of the working date its limit falls on.
    pub fn to_day_end(self, day_end: bool) -> Self {
        Self { day_end, ..self }
    }

    pub fn duration(&self) -> Duration {
        Duration::minutes(i64::from(self.minutes.max(0)))
    }

    pub fn pauses_in(&self, status: &str) -> bool {
        self.pause_states.iter().any(|s| s == status)
    }
}

/// Checks a policy an admin writes: a positive limit, thresholds inside it, known statuses.
pub fn check_rule(
    minutes: i32,
    warn_percents: &str,
    pause_states: &str,
    known: &[&str],
) -> Result<(), (&'static str, String)> {
    if !(1..=MAX_MINUTES).contains(&minutes) {
        return Err((
            "durationMinutes",
            format!("between 1 and {MAX_MINUTES} minutes (a year)"),
        ));
    }
    for part in warn_percents
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        match part.parse::<u8>() {
            Ok(1..=99) => {}
            _ => {
                return Err((
                    "warnPercents",
                    format!("{part:?} is not a percentage between 1 and 99"),
                ));
            }
        }
    }
    for state in pause_states
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        if !known.contains(&state) {
            return Err((
                "pauseStates",
                format!("{state:?} is not a status of this ticket kind"),
            ));
        }
    }
    Ok(())
}

/// The longest limit a policy may set.
pub const MAX_MINUTES: i32 = 366 * 24 * 60;

/// The time a clock counts in: the wall clock, or the centre's working time.
#[derive(Clone, Copy)]
pub enum Timebase<'a> {
    Wall,
    Business(&'a BusinessCalendar),
}

impl Timebase<'_> {
    /// `duration` of this clock's time after `from`. Business time in whole days means "within
    /// N working days": the same local time on the N-th working day (R-SLA-5); other business
    /// durations count working hours.
    pub fn add(&self, from: DateTime<Utc>, duration: Duration) -> DateTime<Utc> {
        const DAY: i64 = 24 * 60;
        match self {
            Self::Wall => from + duration,
            Self::Business(calendar) => {
                let minutes = duration.num_minutes();
                match u32::try_from(minutes / DAY) {
                    Ok(days) if minutes > 0 && minutes % DAY == 0 => {
                        calendar.add_business_days(from, days)
                    }
                    _ => calendar.add_business_duration(from, duration),
                }
            }
        }
    }

    /// Moves a deadline on by paused time, which is counted in the same time.
    pub fn extend(&self, from: DateTime<Utc>, paused: Duration) -> DateTime<Utc> {
        match self {
            Self::Wall => from + paused,
            Self::Business(calendar) if paused > Duration::zero() => {
                // Counting starts at the next working instant; a deadline at closing time
                // moves into the next working day, not past it.
                calendar.add_business_duration(from, paused)
            }
            Self::Business(_) => from,
        }
    }

    /// How much of this clock's time lies between two instants.
    pub fn elapsed(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Duration {
        match self {
            Self::Wall => (to - from).max(Duration::zero()),
            Self::Business(calendar) => calendar.working_time_between(from, to),
        }
    }
}

/// When a clock runs out: its start plus the limit (to the end of that working date for a
/// day-end rule), moved on by the time it stood still, and no earlier than a later time the
/// customer asked for.
pub fn due_at(
    rule: &Rule,
    started_at: DateTime<Utc>,
    paused: Duration,
    customer_due: Option<DateTime<Utc>>,
    time: Timebase<'_>,
) -> DateTime<Utc> {
    let limit = match time {
        Timebase::Business(calendar) if rule.day_end => {
            let days = rule.duration().num_days().max(1);
            calendar.end_of_working_date(started_at, u32::try_from(days).unwrap_or(u32::MAX))
        }
        _ => time.add(started_at, rule.duration()),
    };
    let due = time.extend(limit, paused);
    customer_due.map_or(due, |asked| asked.max(due))
}

/// An appointment window the customer chose that starts after the deadline the policy gives
/// moves the deadline to the window's end (RULES.md, time rules); a window staff pick on their
/// own, or one within the limit, moves nothing.
pub fn asked_due(
    policy_due: DateTime<Utc>,
    window: (DateTime<Utc>, DateTime<Utc>),
    customer_requested: bool,
) -> Option<DateTime<Utc>> {
    (customer_requested && window.0 > policy_due).then_some(window.1)
}

/// When `percent` of a clock's span (start to due, in its own time) has passed: for business
/// clocks always a working instant, so no warning falls due at night or on a weekend.
pub fn warning_at(
    started_at: DateTime<Utc>,
    due: DateTime<Utc>,
    percent: u8,
    time: Timebase<'_>,
) -> DateTime<Utc> {
    let span = time.elapsed(started_at, due);
    let share = span * i32::from(percent) / 100;
    match time {
        Timebase::Wall => started_at + share,
        Timebase::Business(calendar) => calendar.add_business_duration(started_at, share),
    }
}

/// A clock as stored, as far as the sweeper's decisions go.
#[derive(Clone, Debug)]
pub struct ClockView {
    pub started_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    /// Neither met, stopped nor paused.
    pub running: bool,
    pub breached: bool,
    pub warnings_sent: usize,
    pub missed_periods: u32,
}

/// What the sweeper finds on one clock at `now`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sweep {
    /// Warning thresholds crossed since the last look (percent); none once due.
    pub warnings: Vec<u8>,
    pub warnings_sent: usize,
    /// The clock ran out now (at `due_at`).
    pub breach: bool,
    /// Ends of the periods missed since the last look, each worth one level (R-ESC-2); the
    /// first is the due time itself when the clock breaches now.
    pub missed: Vec<DateTime<Utc>>,
    pub missed_periods: u32,
    /// A repeating clock's next cycle starts where this one was missed.
    pub next_cycle_at: Option<DateTime<Utc>>,
    /// When to look again; `None` when nothing more can happen without a ticket change.
    pub next_check: Option<DateTime<Utc>>,
}

/// Lateness at which a missed clock's penalty moves up a tier (R-SLA-10): past 10 and past 30
/// started minutes.
const TIER_STEPS: [Duration; 2] = [
    Duration::seconds(10 * 60 + 1),
    Duration::seconds(30 * 60 + 1),
];

/// The sweeper's decision for one clock. `room` is how many levels the ticket can still climb;
/// periods past it are not counted. `penalized`: someone holds the ticket, so a miss costs
/// points that rise with the lateness.
pub fn sweep(
    rule: &Rule,
    clock: &ClockView,
    room: i16,
    penalized: bool,
    now: DateTime<Utc>,
    time: Timebase<'_>,
) -> Sweep {
    let mut out = Sweep {
        warnings_sent: clock.warnings_sent,
        missed_periods: clock.missed_periods,
        ..Sweep::default()
    };
    if !clock.running {
        return out;
    }
    let due = clock.due_at;
    let breached = clock.breached || due <= now;
    let mut next: Vec<DateTime<Utc>> = Vec::new();
    if !clock.breached {
        for &percent in rule.warn_percents.iter().skip(clock.warnings_sent) {
            let at = warning_at(clock.started_at, due, percent, time);
            if at > now {
                if !breached && at < due {
                    next.push(at);
                }
                break;
            }
            if !breached {
                out.warnings.push(percent);
            }
            out.warnings_sent += 1;
        }
        if breached {
            out.breach = true;
            out.missed_periods = 1;
            if rule.escalates {
                out.missed.push(due);
            }
            if rule.repeating {
                out.next_cycle_at = Some(due);
            }
        } else {
            next.push(due);
        }
    }
    // A clock that stays open after its miss escalates again each further period.
    if breached && rule.escalates && !rule.repeating && rule.duration() > Duration::zero() {
        loop {
            let factor = i32::try_from(out.missed_periods).unwrap_or(i32::MAX);
            let end = time.add(due, rule.duration() * factor);
            let climbed = i16::try_from(out.missed.len()).unwrap_or(i16::MAX);
            if climbed >= room {
                break;
            }
            if end > now {
                next.push(end);
                break;
            }
            out.missed.push(end);
            out.missed_periods += 1;
        }
    }
    if breached && penalized {
        next.extend(
            TIER_STEPS
                .iter()
                .map(|step| due + *step)
                .find(|at| *at > now),
        );
    }
    out.next_check = next.into_iter().min();
    out
}

/// R-ESC-2: the ticket climbs one level per missed period, up to the top; periods of several
/// clocks that end at the same instant are one miss. Returns `(from, to, period end)`.
pub fn climb(
    level: i16,
    missed: impl IntoIterator<Item = DateTime<Utc>>,
) -> Vec<(i16, i16, DateTime<Utc>)> {
    let mut instants: Vec<_> = missed.into_iter().collect();
    instants.sort_unstable();
    instants.dedup();
    (level.max(1)..TOP_LEVEL)
        .zip(instants)
        .map(|(from, at)| (from, from + 1, at))
        .collect()
}

/// R-SLA-10: points for handling late, by whole started minutes of lateness: 1–10 → 5,
/// 11–30 → 10, more → 20; on time → 0. (10 min 30 s late is the 11th minute.)
pub fn penalty_points(lateness: Duration) -> u32 {
    // Microseconds: the precision stored times have, so 10 min 0.5 s is the 11th minute.
    let micros = lateness.num_microseconds().unwrap_or(i64::MAX);
    if micros <= 0 {
        return 0;
    }
    const MINUTE: i64 = 60_000_000;
    match micros.saturating_add(MINUTE - 1) / MINUTE {
        1..=10 => 5,
        11..=30 => 10,
        _ => 20,
    }
}

/// What clients see of a clock.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ClockState {
    Running,
    Paused,
    Met,
    Breached,
    /// The ticket ended (cancelled, closed) before the clock was met.
    Stopped,
}

/// A missed clock stays BREACHED when it is met late or stopped; an overdue one the sweeper
/// has not seen yet is BREACHED too.
pub fn state(
    due: DateTime<Utc>,
    paused: bool,
    met_at: Option<DateTime<Utc>>,
    stopped: bool,
    breached_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> ClockState {
    let missed = breached_at.is_some();
    match met_at {
        Some(met) if missed || met > due => ClockState::Breached,
        Some(_) => ClockState::Met,
        None if missed => ClockState::Breached,
        None if stopped => ClockState::Stopped,
        None if paused => ClockState::Paused,
        None if now >= due => ClockState::Breached,
        None => ClockState::Running,
    }
}

/// Seconds left while running; frozen at the pause while paused; `None` once met or stopped.
pub fn remaining_seconds(
    due: DateTime<Utc>,
    paused_since: Option<DateTime<Utc>>,
    open: bool,
    now: DateTime<Utc>,
) -> Option<i64> {
    open.then(|| (due - paused_since.unwrap_or(now)).num_seconds())
}

#[cfg(test)]
mod tests;
