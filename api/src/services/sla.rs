//! The SLA clock engine: the one place clocks are started, met, stopped, paused, resumed,
//! re-ruled and swept, for every ticket kind. Use cases call it inside their own transaction
//! with what their change does to the clocks (`domain::sla::transitions`); the sweeper calls
//! `sweep_ticket`. Every clock transition writes a timeline row (`SLA_STARTED`, `SLA_PAUSED`,
//! `SLA_RESUMED`, `SLA_WARNING`, `SLA_BREACHED`, `SLA_MET`, `SLA_STOPPED`) in that transaction.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use entity::sla_clocks::{self, Model as Clock};
use entity::sla_policies::{self, SlaMetric};
use entity::ticket_events::TicketKind;
use sea_orm::{ActiveEnum, ConnectionTrait, DatabaseTransaction, IntoActiveModel, Set};

use crate::domain::calendar::BusinessCalendar;
use crate::domain::identity::Principal;
use crate::domain::sla::transitions::{self, ClockOps};
use crate::domain::sla::{self, ClockView, Rule, TOP_LEVEL, Timebase};
use crate::error::ApiResult;
use crate::store::{self, escalations::EscalatedTicket, events::NewEvent};

/// A ticket as its clocks see it.
#[derive(Clone, Debug)]
pub struct ClockTicket {
    pub kind: TicketKind,
    pub id: i64,
    pub service_centre_id: i64,
    pub organization_id: Option<i64>,
    /// The policy scope new clocks start by: a complaint's severity, a repair's tier or
    /// warranty, a visit's purpose.
    pub scope: String,
    /// The status after the change, which decides what pauses.
    pub status: String,
    /// Who holds the ticket: the complaint's owner, the repair's technician; a miss is
    /// theirs (R-ESC-6). Nobody holds a return visit.
    pub holder: Option<i64>,
    pub level: i16,
    /// The timeline the clocks' rows go on: the ticket's own, or the visited ticket's for a
    /// return visit.
    pub timeline: (TicketKind, i64),
}

impl ClockTicket {
    fn escalated(&self) -> EscalatedTicket {
        EscalatedTicket {
            kind: self.kind,
            id: self.id,
            service_centre_id: self.service_centre_id,
            organization_id: self.organization_id,
        }
    }

    fn room(&self) -> i16 {
        (TOP_LEVEL - self.level).max(0)
    }
}

fn rule_of(clock: &Clock) -> Rule {
    Rule::new(
        clock.duration_minutes,
        clock.business_time,
        clock.repeating,
        clock.escalates,
        &clock.warn_percents,
        &clock.pause_states,
    )
    .to_day_end(clock.day_end)
}

fn view_of(clock: &Clock) -> ClockView {
    ClockView {
        started_at: clock.started_at,
        due_at: clock.due_at,
        running: is_open(clock) && clock.paused_since.is_none(),
        breached: clock.breached_at.is_some(),
        warnings_sent: usize::try_from(clock.warnings_sent).unwrap_or(0),
        missed_periods: u32::try_from(clock.missed_periods).unwrap_or(0),
    }
}

fn is_open(clock: &Clock) -> bool {
    clock.met_at.is_none() && clock.stopped_at.is_none()
}

fn metric_name(metric: SlaMetric) -> String {
    metric.to_value()
}

/// Who a miss of this clock costs points (R-ESC-6): the holder at its breach, or now.
fn holder_to_penalize(clock: &Clock, ticket: &ClockTicket) -> Option<i64> {
    clock
        .holder_id
        .or(ticket.holder)
        .filter(|_| transitions::penalized(clock.metric))
}

/// When the sweeper should next look at a clock: at once when something is due already.
fn next_look(
    clock: &Clock,
    ticket: &ClockTicket,
    now: DateTime<Utc>,
    time: Timebase<'_>,
) -> Option<DateTime<Utc>> {
    let penalized = holder_to_penalize(clock, ticket).is_some();
    let found = sla::sweep(
        &rule_of(clock),
        &view_of(clock),
        ticket.room(),
        penalized,
        now,
        time,
    );
    if found.breach || !found.warnings.is_empty() || !found.missed.is_empty() {
        Some(now)
    } else {
        found.next_check
    }
}

/// The centre's calendar, read once per transaction and only when a business-time clock is
/// involved (repair and complaint clocks on the wall clock never read it).
struct Calendar {
    centre_id: i64,
    loaded: Option<BusinessCalendar>,
}

impl Calendar {
    fn new(centre_id: i64) -> Self {
        Self {
            centre_id,
            loaded: None,
        }
    }

    async fn load(&mut self, db: &impl ConnectionTrait, needed: bool) -> ApiResult<()> {
        if needed && self.loaded.is_none() {
            let centre = store::directory::get_service_centre(db, self.centre_id).await?;
            self.loaded = Some(store::calendar::for_centre(db, &centre).await?);
        }
        Ok(())
    }

    fn time(&self, business: bool) -> Timebase<'_> {
        match (&self.loaded, business) {
            (Some(calendar), true) => Timebase::Business(calendar),
            _ => Timebase::Wall,
        }
    }
}

/// Timeline rows of clock transitions, written with one statement.
struct Journal<'a> {
    ticket: &'a ClockTicket,
    actor: &'a Principal,
    rows: Vec<(&'static str, String, bool)>,
}

impl<'a> Journal<'a> {
    fn new(ticket: &'a ClockTicket, actor: &'a Principal) -> Self {
        Self {
            ticket,
            actor,
            rows: Vec::new(),
        }
    }

    fn note(&mut self, action: &'static str, clock: &Clock, what: String) {
        let metric = metric_name(clock.metric);
        self.rows
            .push((action, format!("{metric} #{}: {what}", clock.cycle), false));
    }

    /// A row customers and partners read too.
    fn public(&mut self, action: &'static str, note: String) {
        self.rows.push((action, note, true));
    }

    async fn write(self, txn: &DatabaseTransaction, now: DateTime<Utc>) -> ApiResult<()> {
        let events = self
            .rows
            .into_iter()
            .map(|(action, note, public)| NewEvent {
                kind: self.ticket.timeline.0,
                ticket_id: self.ticket.timeline.1,
                actor: self.actor,
                action,
                from_status: None,
                to_status: None,
                note: Some(note),
                public,
            });
        store::events::append_many(txn, events, now).await
    }
}

/// The policy of `metric` for a ticket of `scope`: the scope's own row, else the kind's
/// `ANY` row; none, or one switched off, means the clock does not run for such tickets. A
/// complaint's contact rhythm (PROGRESS_UPDATE or PROACTIVE_CONTACT) is the one that wins
/// (`transitions::contact_rhythm`, R-SLA-15), whichever of the two is asked for.
fn policy_for<'p>(
    policies: &'p [sla_policies::Model],
    scope: &str,
    metric: SlaMetric,
) -> Option<&'p sla_policies::Model> {
    let active = |metric: SlaMetric| {
        let of_scope = |wanted: &str| {
            policies
                .iter()
                .find(|p| p.metric == metric && p.scope == wanted)
        };
        of_scope(scope)
            .or_else(|| of_scope("ANY"))
            .filter(|p| p.active)
    };
    if !transitions::is_contact_rhythm(metric) {
        return active(metric);
    }
    let update = active(SlaMetric::ProgressUpdate);
    let weekly = active(SlaMetric::ProactiveContact);
    match transitions::contact_rhythm(
        update.map(|p| p.duration_minutes),
        weekly.map(|p| p.duration_minutes),
    )? {
        SlaMetric::ProactiveContact => weekly,
        _ => update,
    }
}

/// A new clock of `policy` for the ticket, running from `start`.
fn new_clock(
    ticket: &ClockTicket,
    policy: &sla_policies::Model,
    cycle: i32,
    start: DateTime<Utc>,
    now: DateTime<Utc>,
    calendar: &Calendar,
) -> Clock {
    let mut clock = Clock {
        id: 0,
        ticket_kind: ticket.kind,
        ticket_id: ticket.id,
        service_centre_id: ticket.service_centre_id,
        organization_id: ticket.organization_id,
        metric: policy.metric,
        cycle,
        scope: policy.scope.clone(),
        policy_id: Some(policy.id),
        business_time: policy.business_time,
        duration_minutes: policy.duration_minutes,
        repeating: policy.repeating,
        escalates: policy.escalates,
        warn_percents: policy.warn_percents.clone(),
        pause_states: policy.pause_states.clone(),
        day_end: policy.day_end,
        started_at: start,
        due_at: start,
        customer_due_at: None,
        promised_due_at: None,
        paused_since: None,
        paused_seconds: 0,
        met_at: None,
        stopped_at: None,
        breached_at: None,
        holder_id: None,
        escalation_level: None,
        missed_periods: 0,
        warnings_sent: 0,
        warned_at: None,
        next_check_at: None,
        created_at: now,
        updated_at: now,
    };
    let time = calendar.time(clock.business_time);
    clock.due_at = sla::due_at(&rule_of(&clock), start, Duration::zero(), None, time);
    clock
}

fn insertable(clock: Clock) -> sla_clocks::ActiveModel {
    let mut active = clock.into_active_model();
    active.id = sea_orm::ActiveValue::NotSet;
    active
}

/// A clock to start: now, or from an instant of its own (a return visit counts from the
/// closure, its report from the call, the review from the filing).
#[derive(Clone, Copy, Debug)]
pub struct Start {
    pub metric: SlaMetric,
    pub from: DateTime<Utc>,
    /// A later deadline the customer chose (a call back at their time).
    pub asked: Option<DateTime<Utc>>,
    /// Met as it starts: a customer on the phone is in contact; a report is filed with its
    /// call. Nobody holds a clock that has just started, so a late one costs no points.
    pub met_at: Option<DateTime<Utc>>,
}

impl Start {
    pub fn now(metric: SlaMetric, now: DateTime<Utc>) -> Self {
        Self {
            metric,
            from: now,
            asked: None,
            met_at: None,
        }
    }
}

/// Starts the first cycle of clocks the ticket does not have yet, by `policies` of its kind
/// (the caller may have read them for its own rules already; `None` reads them): one insert of
/// clocks and one of their timeline rows. A metric the ticket's scope has no policy for does
/// not run.
pub async fn start(
    txn: &DatabaseTransaction,
    actor: &Principal,
    ticket: &ClockTicket,
    policies: Option<Vec<sla_policies::Model>>,
    starts: Vec<Start>,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let ops = ClockOps::default();
    apply(txn, actor, ticket, Vec::new(), (policies, starts), ops, now).await
}

/// Starts a new ticket's clocks for `metrics`, those in `met` met at once.
pub async fn start_new(
    txn: &DatabaseTransaction,
    actor: &Principal,
    ticket: &ClockTicket,
    policies: Vec<sla_policies::Model>,
    (metrics, met): (&'static [SlaMetric], &'static [SlaMetric]),
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let starts = metrics
        .iter()
        .map(|&metric| Start {
            met_at: met.contains(&metric).then_some(now),
            ..Start::now(metric, now)
        })
        .collect();
    start(txn, actor, ticket, Some(policies), starts, now).await
}

/// Applies a ticket change to its clocks (R-SLA-1..9, R-SLA-14, R-REP-5, R-CMP-8): meets,
/// stops and starts what `ops` says, then pauses clocks whose policy names the ticket's new
/// status and resumes those it no longer names.
pub async fn transition(
    txn: &DatabaseTransaction,
    actor: &Principal,
    ticket: &ClockTicket,
    ops: ClockOps,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let clocks = store::sla_clocks::of_ticket(txn, ticket.kind, ticket.id).await?;
    let starts = ops.start.iter().map(|&m| Start::now(m, now)).collect();
    apply(txn, actor, ticket, clocks, (None, starts), ops, now).await
}

async fn apply(
    txn: &DatabaseTransaction,
    actor: &Principal,
    ticket: &ClockTicket,
    clocks: Vec<Clock>,
    (policies, starts): (Option<Vec<sla_policies::Model>>, Vec<Start>),
    ops: ClockOps,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let policies: Vec<_> = match policies {
        _ if starts.is_empty() => Vec::new(),
        Some(policies) => policies,
        None => store::sla_policies::of_kind(txn, ticket.kind).await?,
    };
    let starts: Vec<_> = starts
        .into_iter()
        .filter_map(|start| Some((start, policy_for(&policies, &ticket.scope, start.metric)?)))
        .collect();
    let mut calendar = Calendar::new(ticket.service_centre_id);
    let needed = clocks.iter().any(|c| is_open(c) && c.business_time)
        || starts.iter().any(|(_, p)| p.business_time);
    calendar.load(txn, needed).await?;
    let mut journal = Journal::new(ticket, actor);
    let mut next_cycle: HashMap<SlaMetric, i32> = HashMap::new();
    for clock in &clocks {
        let cycle = next_cycle.entry(clock.metric).or_insert(1);
        *cycle = (*cycle).max(clock.cycle + 1);
    }
    for clock in clocks.into_iter().filter(is_open) {
        let time = calendar.time(clock.business_time);
        let mut changed = clock.clone();
        if ops.meet.contains(&clock.metric) {
            meet(txn, &mut changed, ticket, now, time, &mut journal).await?;
        } else if ops.stop_all {
            changed.stopped_at = Some(now);
            changed.next_check_at = None;
            journal.note("SLA_STOPPED", &changed, "the ticket ended".into());
        } else {
            follow_status(&mut changed, ticket, now, time, &mut journal);
        }
        save(txn, &clock, changed, now).await?;
    }
    let mut started = Vec::new();
    for (start, policy) in starts {
        let cycle = next_cycle.get(&policy.metric).copied().unwrap_or(1);
        let mut clock = new_clock(ticket, policy, cycle, start.from, now, &calendar);
        let time = calendar.time(clock.business_time);
        if start.asked.is_some() {
            clock.customer_due_at = start.asked;
            clock.due_at = recomputed_due(&clock, &rule_of(&clock), time);
        }
        journal.note(
            "SLA_STARTED",
            &clock,
            format!("due {}", clock.due_at.to_rfc3339()),
        );
        if let Some(met) = start.met_at {
            clock.met_at = Some(met);
            let late = met - clock.due_at;
            if late > Duration::zero() {
                clock.breached_at = Some(clock.due_at);
                journal.note(
                    "SLA_MET",
                    &clock,
                    format!("met {} min late", late.num_minutes()),
                );
            } else {
                journal.note("SLA_MET", &clock, "met in time".into());
            }
        } else {
            follow_status(&mut clock, ticket, now, time, &mut journal);
            if clock.paused_since.is_none() {
                clock.next_check_at = next_look(&clock, ticket, now, time);
            }
        }
        started.push(insertable(clock));
    }
    store::sla_clocks::insert_many(txn, started).await?;
    journal.write(txn, now).await
}

/// Meets an open clock now; one met after its due time is a breach of whoever held the ticket,
/// also when no sweep saw it (R-ESC-6, R-SLA-10).
async fn meet(
    txn: &DatabaseTransaction,
    clock: &mut Clock,
    ticket: &ClockTicket,
    now: DateTime<Utc>,
    time: Timebase<'_>,
    journal: &mut Journal<'_>,
) -> ApiResult<()> {
    if let Some(since) = clock.paused_since.take() {
        // Met while standing still (an investigation recorded during an external case): the
        // pause counts in full, as if it had ended now.
        clock.paused_seconds += time.elapsed(since, now).num_seconds();
        if clock.breached_at.is_none() {
            clock.due_at = recomputed_due(clock, &rule_of(clock), time);
        }
    }
    clock.met_at = Some(now);
    clock.next_check_at = None;
    let late = now - clock.due_at;
    if late > Duration::zero() {
        if clock.breached_at.is_none() {
            clock.breached_at = Some(clock.due_at);
            clock.holder_id = ticket.holder;
        }
        if let Some(holder) = holder_to_penalize(clock, ticket) {
            let points = sla::penalty_points(late);
            store::penalties::record(txn, clock, holder, late, points, now).await?;
        }
        journal.note(
            "SLA_MET",
            clock,
            format!("met {} min late", late.num_minutes()),
        );
    } else {
        journal.note("SLA_MET", clock, "met in time".into());
    }
    Ok(())
}

/// Pauses a running clock in a status its policy names; resumes a paused one elsewhere, its
/// due time moved on by the paused time in the clock's own time (never lost, also when the
/// policy changed meanwhile).
fn follow_status(
    clock: &mut Clock,
    ticket: &ClockTicket,
    now: DateTime<Utc>,
    time: Timebase<'_>,
    journal: &mut Journal<'_>,
) {
    let rule = rule_of(clock);
    let pauses = rule.pauses_in(&ticket.status);
    match clock.paused_since {
        None if pauses => {
            clock.paused_since = Some(now);
            clock.next_check_at = None;
            journal.note("SLA_PAUSED", clock, ticket.status.clone());
        }
        Some(since) if !pauses => {
            let paused = time.elapsed(since, now);
            clock.paused_seconds += paused.num_seconds();
            clock.paused_since = None;
            if clock.breached_at.is_none() {
                clock.due_at = recomputed_due(clock, &rule, time);
            }
            clock.next_check_at = next_look(clock, ticket, now, time);
            journal.note(
                "SLA_RESUMED",
                clock,
                format!(
                    "paused {} min; due {}",
                    paused.num_minutes(),
                    clock.due_at.to_rfc3339()
                ),
            );
        }
        _ => {}
    }
}

fn recomputed_due(clock: &Clock, rule: &Rule, time: Timebase<'_>) -> DateTime<Utc> {
    if let Some(promised) = clock.promised_due_at {
        // R-SLA-11: the agent's promise replaces the limit, whatever the policy says later.
        return promised;
    }
    sla::due_at(
        rule,
        clock.started_at,
        Duration::seconds(clock.paused_seconds),
        clock.customer_due_at,
        time,
    )
}

/// Writes the fields that differ (so concurrent writers of other fields are not undone).
async fn save(
    txn: &DatabaseTransaction,
    before: &Clock,
    after: Clock,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    if before == &after {
        return Ok(());
    }
    let mut active = sla_clocks::ActiveModel {
        id: sea_orm::ActiveValue::Unchanged(before.id),
        ..Default::default()
    };
    macro_rules! changed {
        ($($field:ident),*) => {$(
            if before.$field != after.$field {
                active.$field = Set(after.$field.clone());
            }
        )*};
    }
    changed!(
        scope,
        policy_id,
        business_time,
        duration_minutes,
        repeating,
        escalates,
        warn_percents,
        pause_states,
        day_end,
        due_at,
        customer_due_at,
        promised_due_at,
        paused_since,
        paused_seconds,
        met_at,
        stopped_at,
        breached_at,
        holder_id,
        escalation_level,
        missed_periods,
        warnings_sent,
        warned_at,
        next_check_at
    );
    active.updated_at = Set(now);
    store::sla_clocks::update(txn, active).await
}

/// A customer's appointment window on the open arrival clock: a window that starts after the
/// deadline the policy gives moves the deadline to the window's end (RULES.md, time rules);
/// any other booking puts the policy's deadline back. Returns the deadline when it moved.
pub async fn book_arrival(
    txn: &DatabaseTransaction,
    actor: &Principal,
    ticket: &ClockTicket,
    window: (DateTime<Utc>, DateTime<Utc>),
    customer_requested: bool,
    now: DateTime<Utc>,
) -> ApiResult<Option<(DateTime<Utc>, bool)>> {
    let clocks = store::sla_clocks::of_ticket(txn, ticket.kind, ticket.id).await?;
    let Some(clock) = clocks
        .into_iter()
        .filter(|c| c.metric == SlaMetric::Arrival && is_open(c))
        .max_by_key(|c| c.cycle)
    else {
        return Ok(None);
    };
    let mut calendar = Calendar::new(ticket.service_centre_id);
    calendar.load(txn, clock.business_time).await?;
    let time = calendar.time(clock.business_time);
    let rule = rule_of(&clock);
    let policy_due = sla::due_at(
        &rule,
        clock.started_at,
        Duration::seconds(clock.paused_seconds),
        None,
        time,
    );
    let asked = sla::asked_due(policy_due, window, customer_requested);
    if asked == clock.customer_due_at {
        return Ok(None);
    }
    let mut changed = clock.clone();
    changed.customer_due_at = asked;
    if changed.paused_since.is_none() && changed.breached_at.is_none() {
        changed.due_at = recomputed_due(&changed, &rule, time);
        changed.next_check_at = next_look(&changed, ticket, now, time);
    }
    let moved = (changed.due_at, asked.is_some());
    let mut journal = Journal::new(ticket, actor);
    journal.note(
        "SLA_DUE_MOVED",
        &changed,
        format!(
            "due {}{}",
            changed.due_at.to_rfc3339(),
            if asked.is_some() {
                " (customer's appointment)"
            } else {
                ""
            }
        ),
    );
    save(txn, &clock, changed, now).await?;
    journal.write(txn, now).await?;
    Ok(Some(moved))
}

/// R-SLA-11: the agent promised the customer a reply at `promised`: the open clock of `metric`
/// is due then instead of at its policy's limit (earlier or later). Returns the new due time,
/// `None` when no such clock runs.
pub async fn promise(
    txn: &DatabaseTransaction,
    actor: &Principal,
    ticket: &ClockTicket,
    metric: SlaMetric,
    promised: DateTime<Utc>,
    now: DateTime<Utc>,
) -> ApiResult<Option<DateTime<Utc>>> {
    let clocks = store::sla_clocks::of_ticket(txn, ticket.kind, ticket.id).await?;
    let Some(clock) = clocks
        .into_iter()
        .filter(|c| c.metric == metric && is_open(c))
        .max_by_key(|c| c.cycle)
    else {
        return Ok(None);
    };
    let mut calendar = Calendar::new(ticket.service_centre_id);
    calendar.load(txn, clock.business_time).await?;
    let time = calendar.time(clock.business_time);
    let mut changed = clock.clone();
    changed.promised_due_at = Some(promised);
    if changed.breached_at.is_none() {
        changed.due_at = recomputed_due(&changed, &rule_of(&changed), time);
        changed.warnings_sent = 0;
    }
    if changed.paused_since.is_none() {
        changed.next_check_at = next_look(&changed, ticket, now, time);
    }
    let mut journal = Journal::new(ticket, actor);
    journal.note(
        "SLA_DUE_MOVED",
        &changed,
        format!(
            "due {} (promised to the customer)",
            changed.due_at.to_rfc3339()
        ),
    );
    let due = changed.due_at;
    save(txn, &clock, changed, now).await?;
    journal.write(txn, now).await?;
    Ok(Some(due))
}

/// The ticket's scope changed (a complaint reclassified): open clocks that have not been
/// missed take the rule of the new scope's policy, counted from their own start with their
/// paused time; missed ones keep their breach (it is never escalated twice).
pub async fn rescope(
    txn: &DatabaseTransaction,
    actor: &Principal,
    ticket: &ClockTicket,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let policies = store::sla_policies::of_kind(txn, ticket.kind).await?;
    let clocks = store::sla_clocks::of_ticket(txn, ticket.kind, ticket.id).await?;
    let mut calendar = Calendar::new(ticket.service_centre_id);
    let needed = policies.iter().any(|p| p.business_time)
        || clocks.iter().any(|c| is_open(c) && c.business_time);
    calendar.load(txn, needed).await?;
    let mut journal = Journal::new(ticket, actor);
    for clock in clocks.into_iter().filter(is_open) {
        let Some(policy) =
            policy_for(&policies, &ticket.scope, clock.metric).filter(|p| p.metric == clock.metric)
        else {
            continue;
        };
        let mut changed = clock.clone();
        rerule(&mut changed, policy, ticket, now, &calendar, &mut journal);
        save(txn, &clock, changed, now).await?;
    }
    journal.write(txn, now).await
}

/// Gives a clock the rule of `policy`: a clock not yet missed gets its due time recomputed from
/// its start plus the new limit and the paused time it has (glpi#15605 loses that time).
fn rerule(
    clock: &mut Clock,
    policy: &sla_policies::Model,
    ticket: &ClockTicket,
    now: DateTime<Utc>,
    calendar: &Calendar,
    journal: &mut Journal<'_>,
) {
    clock.scope = policy.scope.clone();
    clock.policy_id = Some(policy.id);
    clock.business_time = policy.business_time;
    clock.duration_minutes = policy.duration_minutes;
    clock.repeating = policy.repeating;
    clock.escalates = policy.escalates;
    clock.warn_percents = policy.warn_percents.clone();
    clock.pause_states = policy.pause_states.clone();
    clock.day_end = policy.day_end;
    let time = calendar.time(clock.business_time);
    if clock.breached_at.is_none() {
        let rule = rule_of(clock);
        let due = recomputed_due(clock, &rule, time);
        if due != clock.due_at {
            clock.due_at = due;
            journal.note("SLA_DUE_MOVED", clock, format!("due {}", due.to_rfc3339()));
        }
    }
    if clock.paused_since.is_none() {
        clock.next_check_at = next_look(clock, ticket, now, time);
    }
}

/// An admin changes a policy (limit, business time, warnings, pausing states): the clocks
/// running by it take the new rule in the same transaction, counted from their own start with
/// the paused time they have (see `rerule`); tickets created later start by it.
pub async fn update_policy(
    env: &super::Env<'_>,
    kind: TicketKind,
    metric: SlaMetric,
    scope: &str,
    change: store::sla_policies::PolicyChange,
) -> ApiResult<sla_policies::Model> {
    let known = transitions::pausing_statuses(kind);
    let (minutes, warn, pauses) = (
        change.duration_minutes.unwrap_or(1),
        change.warn_percents.as_deref().unwrap_or(""),
        change.pause_states.as_deref().unwrap_or(""),
    );
    sla::check_rule(minutes, warn, pauses, known)
        .map_err(|(field, message)| crate::error::ApiError::bad_input(field, message))?;
    let txn = store::begin_write(env.db).await?;
    let policy = store::sla_policies::update(&txn, kind, metric, scope, change, env.now).await?;
    if policy.day_end && !policy.business_time {
        // Dropped unchanged: a wall clock has no local day to end.
        return Err(crate::error::ApiError::bad_input(
            "businessTime",
            "this limit runs to the end of a working day: it counts in business time",
        ));
    }
    let clocks = store::sla_clocks::open_of_policy(&txn, policy.id).await?;
    rerule_all(&txn, clocks, |_| Some(policy.clone()), env.now).await?;
    txn.commit().await?;
    Ok(policy)
}

/// A centre's working hours or holidays changed: its open business-time clocks are recomputed.
pub async fn calendar_changed(
    txn: &DatabaseTransaction,
    centre_id: i64,
    now: DateTime<Utc>,
) -> ApiResult<usize> {
    let clocks = store::sla_clocks::open_business_of_centre(txn, centre_id).await?;
    let policies = store::sla_policies::all(txn).await?;
    rerule_all(
        txn,
        clocks,
        |clock| {
            let mut same = policies
                .iter()
                .find(|p| Some(p.id) == clock.policy_id)?
                .clone();
            // Keep the clock's own rule: only the calendar under it changed.
            same.duration_minutes = clock.duration_minutes;
            same.business_time = clock.business_time;
            Some(same)
        },
        now,
    )
    .await
}

async fn rerule_all(
    txn: &DatabaseTransaction,
    clocks: Vec<Clock>,
    policy_of: impl Fn(&Clock) -> Option<sla_policies::Model>,
    now: DateTime<Utc>,
) -> ApiResult<usize> {
    let mut calendars: HashMap<i64, Calendar> = HashMap::new();
    let system = Principal::Anonymous;
    let mut count = 0;
    for clock in clocks {
        let Some(policy) = policy_of(&clock) else {
            continue;
        };
        let calendar = calendars
            .entry(clock.service_centre_id)
            .or_insert_with(|| Calendar::new(clock.service_centre_id));
        calendar.load(txn, policy.business_time).await?;
        let ticket = ticket_of_clock(txn, &clock).await?;
        let mut journal = Journal::new(&ticket, &system);
        let mut changed = clock.clone();
        rerule(&mut changed, &policy, &ticket, now, calendar, &mut journal);
        save(txn, &clock, changed, now).await?;
        journal.write(txn, now).await?;
        count += 1;
    }
    Ok(count)
}

/// The ticket a clock belongs to.
async fn ticket_of_clock(txn: &DatabaseTransaction, clock: &Clock) -> ApiResult<ClockTicket> {
    let (kind, id) = (clock.ticket_kind, clock.ticket_id);
    let missing = || crate::error::ApiError::Internal(format!("{kind:?} {id} of clock missing"));
    Ok(match kind {
        TicketKind::Complaint => (&store::complaints::find(txn, id)
            .await?
            .ok_or_else(missing)?)
            .into(),
        TicketKind::RepairOrder => (&store::repair_orders::find(txn, id)
            .await?
            .ok_or_else(missing)?)
            .into(),
        TicketKind::ReturnVisit => (&store::return_visits::find(txn, id)
            .await?
            .ok_or_else(missing)?)
            .into(),
        TicketKind::Inquiry => {
            (&store::inquiries::find(txn, id).await?.ok_or_else(missing)?).into()
        }
    })
}

/// An inquiry's reply clock (R-SLA-11) runs by its kind's `ANY` policy; the person in charge
/// holds it, so a late reply is theirs (R-ESC-6).
impl From<&entity::inquiries::Model> for ClockTicket {
    fn from(inquiry: &entity::inquiries::Model) -> Self {
        Self {
            kind: TicketKind::Inquiry,
            id: inquiry.id,
            service_centre_id: inquiry.service_centre_id,
            organization_id: inquiry.organization_id,
            scope: "ANY".into(),
            status: crate::domain::inquiry::status_name(inquiry.status),
            holder: inquiry.handler_id,
            level: inquiry.escalation_level,
            timeline: (TicketKind::Inquiry, inquiry.id),
        }
    }
}

impl From<&entity::complaints::Model> for ClockTicket {
    fn from(c: &entity::complaints::Model) -> Self {
        Self {
            kind: TicketKind::Complaint,
            id: c.id,
            service_centre_id: c.service_centre_id,
            organization_id: c.organization_id,
            scope: c.severity.to_value(),
            status: crate::domain::complaint::status_name(c.status),
            holder: c.owner_id,
            level: c.escalation_level,
            timeline: (TicketKind::Complaint, c.id),
        }
    }
}

impl From<&entity::repair_orders::Model> for ClockTicket {
    fn from(order: &entity::repair_orders::Model) -> Self {
        Self {
            kind: TicketKind::RepairOrder,
            id: order.id,
            service_centre_id: order.service_centre_id,
            organization_id: order.organization_id,
            scope: order.sla_scope.clone(),
            status: crate::domain::repair::status_name(order.status),
            holder: order.technician_id,
            level: order.escalation_level,
            timeline: (TicketKind::RepairOrder, order.id),
        }
    }
}

/// A return visit runs by its purpose's policies; its clock rows go on the visited ticket's
/// timeline. Its visits do not climb levels (their policies do not escalate) and nobody holds
/// it: the agent who records it meets its clock, the report's and the review's.
impl From<&entity::return_visits::Model> for ClockTicket {
    fn from(visit: &entity::return_visits::Model) -> Self {
        let status = match (visit.recorded_at, visit.reviewed_at) {
            (None, _) => "PENDING",
            (Some(_), None) => "RECORDED",
            (Some(_), Some(_)) => "REVIEWED",
        };
        Self {
            kind: TicketKind::ReturnVisit,
            id: visit.id,
            service_centre_id: visit.service_centre_id,
            organization_id: visit.organization_id,
            scope: visit.purpose.to_value(),
            status: status.into(),
            holder: None,
            level: 1,
            timeline: (visit.ticket_kind, visit.ticket_id),
        }
    }
}

/// What one sweep of a ticket did.
#[derive(Debug, Default)]
pub struct Swept {
    pub kind: Option<TicketKind>,
    pub ticket_id: i64,
    /// Levels climbed (R-ESC-2).
    pub escalations: usize,
    pub breaches: usize,
    pub warnings: usize,
    /// A clock breached or a further period passed.
    pub missed: bool,
    /// Clocks that ran out and ask for an action of their own (a repair confirmed for an
    /// unresponsive customer), for the sweeper to carry out.
    pub follow_ups: Vec<SlaMetric>,
}

/// The sweeper's work on the ticket of `claimed` at `now` (the caller holds the ticket's row,
/// `store::tickets::try_lock`): warnings, breaches with the holder
/// at breach and their penalty, the next cycle of repeating clocks, one level per missed
/// period (coinciding misses count once, R-ESC-2) routed by level, penalties raised as the
/// lateness grows (R-SLA-10).
pub async fn sweep_ticket(
    txn: &DatabaseTransaction,
    claimed: &Clock,
    now: DateTime<Utc>,
) -> ApiResult<Swept> {
    let ticket = ticket_of_clock(txn, claimed).await?;
    let due = store::sla_clocks::claim_due_of_ticket(txn, ticket.kind, ticket.id, now).await?;
    let mut calendar = Calendar::new(ticket.service_centre_id);
    calendar
        .load(txn, due.iter().any(|c| c.business_time))
        .await?;
    let system = Principal::Anonymous;
    let mut swept = Swept {
        kind: Some(ticket.kind),
        ticket_id: ticket.id,
        ..Swept::default()
    };
    let mut notes = Journal::new(&ticket, &system);
    let journal = &mut notes;
    let mut missed: Vec<(DateTime<Utc>, Clock)> = Vec::new();
    let mut next_cycles = Vec::new();
    let mut updated = Vec::new();
    for clock in due {
        let time = calendar.time(clock.business_time);
        let rule = rule_of(&clock);
        let penalized = holder_to_penalize(&clock, &ticket).is_some();
        let found = sla::sweep(&rule, &view_of(&clock), ticket.room(), penalized, now, time);
        let mut changed = clock.clone();
        for percent in &found.warnings {
            journal.note(
                "SLA_WARNING",
                &changed,
                format!("{percent} % used; due {}", clock.due_at.to_rfc3339()),
            );
            changed.warned_at = Some(now);
            swept.warnings += 1;
        }
        changed.warnings_sent = i16::try_from(found.warnings_sent).unwrap_or(i16::MAX);
        changed.missed_periods = i32::try_from(found.missed_periods).unwrap_or(i32::MAX);
        if found.breach {
            changed.breached_at = Some(clock.due_at);
            changed.holder_id = ticket.holder;
            journal.note(
                "SLA_BREACHED",
                &changed,
                format!("missed at {}", clock.due_at.to_rfc3339()),
            );
            swept.breaches += 1;
            if transitions::acts_when_missed(clock.metric) {
                swept.follow_ups.push(clock.metric);
            }
        }
        if let Some(holder) = holder_to_penalize(&changed, &ticket)
            .filter(|_| is_open(&changed) && changed.breached_at.is_some())
        {
            {
                let late = now - clock.due_at;
                store::penalties::record(
                    txn,
                    &changed,
                    holder,
                    late,
                    sla::penalty_points(late),
                    now,
                )
                .await?;
            }
        }
        if let Some(start) = found.next_cycle_at {
            next_cycles.push((clock.metric, clock.scope.clone(), start));
        }
        missed.extend(found.missed.iter().map(|at| (*at, changed.clone())));
        changed.next_check_at = found.next_check;
        updated.push((clock, changed));
    }
    // R-ESC-2: one level per missed period; R-ESC-1 routing follows the level reached.
    let instants: Vec<_> = missed.iter().map(|(at, _)| *at).collect();
    swept.missed = swept.breaches > 0 || !instants.is_empty();
    let done = if instants.is_empty() {
        Vec::new()
    } else {
        store::escalations::already_escalated_at(txn, ticket.kind, ticket.id, &instants).await?
    };
    let steps = sla::climb(
        ticket.level,
        instants.iter().copied().filter(|at| !done.contains(at)),
    );
    for &(from, to, at) in &steps {
        let clocks: Vec<&Clock> = missed
            .iter()
            .filter(|(when, _)| *when == at)
            .map(|(_, c)| c)
            .collect();
        let names: Vec<String> = clocks.iter().map(|c| metric_name(c.metric)).collect();
        // The escalation points at the first of the clocks; the reason names them all.
        let (first, first_metric) = clocks
            .first()
            .map_or((claimed.id, claimed.metric), |c| (c.id, c.metric));
        store::escalations::insert(
            txn,
            ticket.escalated(),
            store::escalations::NewEscalation {
                from_level: from,
                to_level: to,
                reason: format!("{} deadline missed (R-ESC-2)", names.join(" and ")),
                missed: Some((metric_name(first_metric), at, first)),
                escalated_by: None,
                from_user_id: ticket.holder,
            },
            now,
        )
        .await?;
        swept.escalations += 1;
    }
    if let Some(&(_, level, _)) = steps.last() {
        store::tickets::raise_level(txn, ticket.kind, ticket.id, level, now).await?;
        for (_, changed) in &mut updated {
            if missed.iter().any(|(_, c)| c.id == changed.id) {
                changed.escalation_level = Some(level);
            }
        }
        journal.public(
            "ESCALATED",
            crate::domain::complaint::level_words(level).to_owned(),
        );
    } else if !instants.is_empty() && ticket.level >= TOP_LEVEL {
        for (_, clock) in &missed {
            journal.note("DEADLINE_MISSED", clock, "missed at the top level".into());
        }
    }
    for (before, after) in updated {
        save(txn, &before, after, now).await?;
    }
    // R-SLA-3: a missed repeating clock's next cycle runs from where it was missed.
    let mut started = Vec::new();
    let all_cycles = if next_cycles.is_empty() {
        Vec::new()
    } else {
        store::sla_clocks::of_ticket(txn, ticket.kind, ticket.id).await?
    };
    let mut ticket = ticket.clone();
    if let Some(&(_, level, _)) = steps.last() {
        ticket.level = level;
    }
    for (metric, scope, start) in next_cycles {
        let policies = store::sla_policies::of_kind(txn, ticket.kind).await?;
        let Some(policy) = policy_for(&policies, &scope, metric) else {
            continue;
        };
        // The contact rhythm may have switched (R-SLA-15): the next cycle is the winner's.
        let cycle = all_cycles
            .iter()
            .filter(|c| c.metric == policy.metric)
            .map(|c| c.cycle)
            .max()
            .unwrap_or(0)
            + 1;
        let mut clock = new_clock(&ticket, policy, cycle, start, now, &calendar);
        let time = calendar.time(clock.business_time);
        clock.next_check_at = next_look(&clock, &ticket, now, time);
        journal.note(
            "SLA_STARTED",
            &clock,
            format!("due {}", clock.due_at.to_rfc3339()),
        );
        started.push(insertable(clock));
    }
    store::sla_clocks::insert_many(txn, started).await?;
    notes.write(txn, now).await?;
    Ok(swept)
}
