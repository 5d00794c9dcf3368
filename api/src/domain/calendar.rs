//! Business time for the rules that count working days (R-SLA-5): working hours per weekday in
//! a service centre's own time zone, minus its holidays.

use std::collections::BTreeSet;

use chrono::{
    DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc, Weekday,
};
use chrono_tz::Tz;

/// How far ahead (about five years) a calculation looks for working time. Only a holiday list
/// covering years, or a duration of years, gets there; past it the rest is counted on the wall
/// clock, so a bad calendar gives a late deadline instead of hanging the request.
const MAX_SCAN_DAYS: usize = 5 * 366;

/// Default opening hours (09:00–18:00), checked at compile time.
const OPENING: NaiveTime = time(9, 0);
const CLOSING: NaiveTime = time(18, 0);

const fn time(hour: u32, minute: u32) -> NaiveTime {
    match NaiveTime::from_hms_opt(hour, minute, 0) {
        Some(t) => t,
        None => panic!("invalid time of day"),
    }
}

/// One working interval, in local time; a weekday may have several (e.g. a lunch break).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WorkingHours {
    pub weekday: Weekday,
    pub start: NaiveTime,
    pub end: NaiveTime,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("working hours on {weekday} must end after they start ({start}–{end})")]
    EmptyInterval {
        weekday: Weekday,
        start: NaiveTime,
        end: NaiveTime,
    },
    #[error("working hours on {0} overlap")]
    Overlap(Weekday),
    #[error("a business calendar needs some working hours")]
    NoWorkingTime,
}

#[derive(Clone, Debug)]
pub struct BusinessCalendar {
    tz: Tz,
    /// Sorted by weekday, then start; non-overlapping.
    hours: Vec<WorkingHours>,
    holidays: BTreeSet<NaiveDate>,
}

impl BusinessCalendar {
    /// Rejects calendars the arithmetic cannot use: an empty or overlapping interval would
    /// count time twice or not at all, and a calendar without hours never reaches a deadline.
    pub fn new(
        tz: Tz,
        mut hours: Vec<WorkingHours>,
        holidays: BTreeSet<NaiveDate>,
    ) -> Result<Self, CalendarError> {
        if let Some(h) = hours.iter().find(|h| h.end <= h.start) {
            return Err(CalendarError::EmptyInterval {
                weekday: h.weekday,
                start: h.start,
                end: h.end,
            });
        }
        if hours.is_empty() {
            return Err(CalendarError::NoWorkingTime);
        }
        hours.sort_by_key(|h| (h.weekday.num_days_from_monday(), h.start));
        if let Some(pair) = hours
            .windows(2)
            .find(|w| w[0].weekday == w[1].weekday && w[1].start < w[0].end)
        {
            return Err(CalendarError::Overlap(pair[1].weekday));
        }
        Ok(Self {
            tz,
            hours,
            holidays,
        })
    }

    /// Mon–Fri 09:00–18:00 without holidays: the calendar of a service centre that has none.
    pub fn standard(tz: Tz) -> Self {
        let hours = [
            Weekday::Mon,
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Fri,
        ]
        .map(|weekday| WorkingHours {
            weekday,
            start: OPENING,
            end: CLOSING,
        });
        Self {
            tz,
            hours: hours.to_vec(),
            holidays: BTreeSet::new(),
        }
    }

    pub fn is_working_time(&self, at: DateTime<Utc>) -> bool {
        self.intervals_on(self.local_date(at))
            .any(|(from, to)| from <= at && at < to)
    }

    /// The instant when `duration` of working time has passed since `start`. Counting starts at
    /// the first working instant at or after `start`; a non-positive duration is due then.
    /// Work that ends exactly at closing time is due at closing, not at the next opening.
    pub fn add_business_duration(&self, start: DateTime<Utc>, duration: Duration) -> DateTime<Utc> {
        let mut remaining = duration.max(Duration::zero());
        let mut cursor = start;
        for (from, to) in self.intervals_from(start) {
            if remaining <= to - from {
                return from + remaining;
            }
            remaining -= to - from;
            cursor = to;
        }
        cursor
            .checked_add_signed(remaining)
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    }

    /// Working time between two instants (zero when `to` is not after `from`): how much of a
    /// business-time clock a pause did not use.
    pub fn working_time_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Duration {
        if to <= from {
            return Duration::zero();
        }
        self.intervals_from(from)
            .take_while(|&(start, _)| start < to)
            .map(|(start, end)| end.min(to) - start)
            .sum()
    }

    /// "Within N working days" (R-SLA-5): the same local time on the N-th next working day, so
    /// Friday 17:00 + 1 is Monday 17:00, not Monday 09:00 plus the hour left on Friday. A
    /// start outside working hours counts from the next opening (Saturday 11:00 + 1 is
    /// Tuesday 09:00). When the target day closes before that local time the deadline is its
    /// closing time; a time before its opening or in its lunch break is kept, as the full
    /// working day has been given on the days before.
    pub fn add_business_days(&self, start: DateTime<Utc>, days: u32) -> DateTime<Utc> {
        let wall_clock = |from: DateTime<Utc>| from + Duration::days(i64::from(days));
        let Some((anchor, _)) = self.intervals_from(start).next() else {
            return wall_clock(start);
        };
        let Some(nth) = days.checked_sub(1) else {
            return anchor;
        };
        let local = anchor.with_timezone(&self.tz).naive_local();
        let target = local
            .date()
            .iter_days()
            .skip(1)
            .take(MAX_SCAN_DAYS)
            .filter_map(|date| self.intervals_on(date).last().map(|(_, end)| (date, end)))
            .nth(nth as usize);
        match target {
            Some((date, closing)) => self.instant(date.and_time(local.time())).min(closing),
            None => wall_clock(anchor),
        }
    }

    /// The end (local midnight) of the `days`-th working date after `start`'s local date: "the
    /// day after" counted in working days (R-SLA-9), so a Friday call is reported by the end
    /// of Monday, whatever hour the call was.
    pub fn end_of_working_date(&self, start: DateTime<Utc>, days: u32) -> DateTime<Utc> {
        let nth = days.max(1) as usize - 1;
        let date = self.local_date(start);
        let working = date
            .iter_days()
            .skip(1)
            .take(MAX_SCAN_DAYS)
            .filter(|d| self.intervals_on(*d).next().is_some())
            .nth(nth)
            .unwrap_or(date + Duration::days(i64::from(days.max(1))));
        self.instant((working + Duration::days(1)).and_time(NaiveTime::MIN))
    }

    fn local_date(&self, at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&self.tz).date_naive()
    }

    /// A local time as an instant: the earlier one when the clock is turned back, and the end
    /// of the gap when it is turned forward (a shift starting at 02:30 on the night the clock
    /// jumps from 02:00 to 03:00 starts at 03:00).
    fn instant(&self, local: NaiveDateTime) -> DateTime<Utc> {
        local_instant(self.tz, local)
    }

    /// Working intervals of a local date as instants, in order; none on holidays. An interval a
    /// DST gap swallows entirely has no working time and is dropped.
    fn intervals_on(
        &self,
        date: NaiveDate,
    ) -> impl Iterator<Item = (DateTime<Utc>, DateTime<Utc>)> + '_ {
        let holiday = self.holidays.contains(&date);
        self.hours
            .iter()
            .filter(move |h| !holiday && h.weekday == date.weekday())
            .map(move |h| {
                (
                    self.instant(date.and_time(h.start)),
                    self.instant(date.and_time(h.end)),
                )
            })
            .filter(|(from, to)| from < to)
    }

    /// Working intervals from `from` on, the first one cut to start at `from`; a whole interval
    /// per step, so long durations cost one step per working interval, never per minute.
    fn intervals_from(
        &self,
        from: DateTime<Utc>,
    ) -> impl Iterator<Item = (DateTime<Utc>, DateTime<Utc>)> + '_ {
        self.local_date(from)
            .iter_days()
            .take(MAX_SCAN_DAYS)
            .flat_map(move |date| self.intervals_on(date))
            .filter(move |&(_, to)| to > from)
            .map(move |(start, end)| (start.max(from), end))
    }
}

/// A local time in `tz` as an instant: the earlier one when the clock is turned back, the end
/// of the gap when it is turned forward.
fn local_instant(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    // Gaps are whole minutes and shorter than a day (Samoa skipped 2011-12-30 entirely), so
    // stepping by minutes finds the first valid local time within two days.
    (0..=2 * 24 * 60)
        .find_map(|m| {
            tz.from_local_datetime(&(local + Duration::minutes(m)))
                .earliest()
        })
        .map(|t| t.with_timezone(&Utc))
        .expect("time-zone gaps last less than two days")
}

/// The instants a local date begins and ends at in `tz`.
pub fn local_day(tz: Tz, date: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    let next = date.succ_opt().unwrap_or(date);
    (
        local_instant(tz, date.and_time(NaiveTime::MIN)),
        local_instant(tz, next.and_time(NaiveTime::MIN)),
    )
}

/// The local calendar month of `at` in `tz`: `YYYY-MM` and the instants it begins and ends at
/// (R-CMP-9 counts per centre month).
pub fn local_month(tz: Tz, at: DateTime<Utc>) -> (String, DateTime<Utc>, DateTime<Utc>) {
    use chrono::{Datelike, Months};
    let local = at.with_timezone(&tz).date_naive();
    let first = local.with_day(1).unwrap_or(local);
    let next = first.checked_add_months(Months::new(1)).unwrap_or(first);
    (
        first.format("%Y-%m").to_string(),
        local_instant(tz, first.and_time(NaiveTime::MIN)),
        local_instant(tz, next.and_time(NaiveTime::MIN)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const BERLIN: Tz = chrono_tz::Europe::Berlin;

    #[test]
    fn r_cmp_9_local_month_follows_the_centre_time_zone() {
        // 23:30 UTC on 31 January is already February in Berlin.
        let (month, start, end) = local_month(BERLIN, utc(2026, 1, 31, 23, 30));
        assert_eq!(month, "2026-02");
        assert_eq!(start, utc(2026, 1, 31, 23, 0));
        assert_eq!(end, utc(2026, 2, 28, 23, 0));
    }

    /// Berlin local time as an instant (2026-01: CET, UTC+1).
    fn local(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        BERLIN
            .with_ymd_and_hms(y, mo, d, h, mi, 0)
            .single()
            .unwrap()
            .with_timezone(&Utc)
    }

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
    }

    fn hours(weekday: Weekday, start: (u32, u32), end: (u32, u32)) -> WorkingHours {
        WorkingHours {
            weekday,
            start: time(start.0, start.1),
            end: time(end.0, end.1),
        }
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn standard_with_holidays(holidays: &[NaiveDate]) -> BusinessCalendar {
        let standard = BusinessCalendar::standard(BERLIN);
        BusinessCalendar::new(BERLIN, standard.hours, holidays.iter().copied().collect()).unwrap()
    }

    // 2026-01-09 is a Friday, 2026-01-12 the Monday after.

    #[test]
    fn r_sla_5_friday_afternoon_is_due_monday() {
        let cal = BusinessCalendar::standard(BERLIN);
        assert_eq!(
            cal.add_business_days(local(2026, 1, 9, 17, 0), 1),
            local(2026, 1, 12, 17, 0)
        );
    }

    #[test]
    fn r_sla_5_working_day_keeps_the_local_time() {
        let cal = BusinessCalendar::standard(BERLIN);
        assert_eq!(
            cal.add_business_days(local(2026, 1, 13, 10, 0), 1),
            local(2026, 1, 14, 10, 0)
        );
        assert_eq!(
            cal.add_business_days(local(2026, 1, 13, 10, 0), 3),
            local(2026, 1, 16, 10, 0)
        );
        assert_eq!(
            cal.add_business_days(local(2026, 1, 13, 10, 0), 0),
            local(2026, 1, 13, 10, 0)
        );
    }

    #[test]
    fn r_sla_5_outside_hours_counts_from_next_opening() {
        let cal = BusinessCalendar::standard(BERLIN);
        // Saturday 11:00: work starts Monday 09:00, one working day later is Tuesday 09:00.
        assert_eq!(
            cal.add_business_days(local(2026, 1, 10, 11, 0), 1),
            local(2026, 1, 13, 9, 0)
        );
        // Tuesday 19:00, after closing: Wednesday 09:00 + 1 day.
        assert_eq!(
            cal.add_business_days(local(2026, 1, 13, 19, 0), 1),
            local(2026, 1, 15, 9, 0)
        );
    }

    #[test]
    fn r_sla_5_skips_holidays() {
        let cal = standard_with_holidays(&[date(2026, 1, 12)]);
        assert_eq!(
            cal.add_business_days(local(2026, 1, 9, 17, 0), 1),
            local(2026, 1, 13, 17, 0)
        );
    }

    #[test]
    fn r_sla_5_clamps_to_a_shorter_day() {
        let mut week: Vec<_> = [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu]
            .map(|d| hours(d, (9, 0), (18, 0)))
            .to_vec();
        week.push(hours(Weekday::Fri, (9, 0), (13, 0)));
        let cal = BusinessCalendar::new(BERLIN, week, BTreeSet::new()).unwrap();
        assert_eq!(
            cal.add_business_days(local(2026, 1, 15, 17, 0), 1),
            local(2026, 1, 16, 13, 0)
        );
    }

    #[test]
    fn working_time_between_skips_nights_weekends_and_holidays() {
        let cal = standard_with_holidays(&[date(2026, 1, 12)]);
        // Friday 17:00 to Tuesday 10:00: 1 h on Friday, the Monday holiday, 1 h on Tuesday.
        assert_eq!(
            cal.working_time_between(local(2026, 1, 9, 17, 0), local(2026, 1, 13, 10, 0)),
            Duration::hours(2)
        );
        assert_eq!(
            cal.working_time_between(local(2026, 1, 13, 10, 0), local(2026, 1, 13, 10, 0)),
            Duration::zero()
        );
        assert_eq!(
            cal.working_time_between(local(2026, 1, 13, 12, 0), local(2026, 1, 13, 11, 0)),
            Duration::zero()
        );
    }

    #[test]
    fn duration_across_a_weekend() {
        let cal = BusinessCalendar::standard(BERLIN);
        assert_eq!(
            cal.add_business_duration(local(2026, 1, 9, 17, 0), Duration::hours(2)),
            local(2026, 1, 12, 10, 0)
        );
    }

    #[test]
    fn duration_across_a_holiday() {
        let cal = standard_with_holidays(&[date(2026, 1, 12)]);
        assert_eq!(
            cal.add_business_duration(local(2026, 1, 9, 17, 0), Duration::hours(2)),
            local(2026, 1, 13, 10, 0)
        );
    }

    #[test]
    fn duration_from_outside_hours_starts_at_next_opening() {
        let cal = BusinessCalendar::standard(BERLIN);
        let hour = Duration::hours(1);
        assert_eq!(
            cal.add_business_duration(local(2026, 1, 10, 11, 0), hour),
            local(2026, 1, 12, 10, 0)
        );
        assert_eq!(
            cal.add_business_duration(local(2026, 1, 13, 7, 0), hour),
            local(2026, 1, 13, 10, 0)
        );
        assert_eq!(
            cal.add_business_duration(local(2026, 1, 13, 18, 0), hour),
            local(2026, 1, 14, 10, 0)
        );
        assert_eq!(
            cal.add_business_duration(local(2026, 1, 10, 11, 0), Duration::zero()),
            local(2026, 1, 12, 9, 0)
        );
    }

    #[test]
    fn duration_ending_at_closing_is_due_at_closing() {
        let cal = BusinessCalendar::standard(BERLIN);
        assert_eq!(
            cal.add_business_duration(local(2026, 1, 13, 9, 0), Duration::hours(9)),
            local(2026, 1, 13, 18, 0)
        );
    }

    #[test]
    fn duration_spanning_many_days() {
        let cal = BusinessCalendar::standard(BERLIN);
        // Four weeks of 45 h from Monday 2026-01-05 09:00 end Friday 2026-01-30 18:00.
        assert_eq!(
            cal.add_business_duration(local(2026, 1, 5, 9, 0), Duration::hours(4 * 45)),
            local(2026, 1, 30, 18, 0)
        );
        // A year of working time (2026 has 261 weekdays) runs into 2027 without a hitch.
        assert_eq!(
            cal.add_business_duration(local(2026, 1, 1, 0, 0), Duration::hours(261 * 9)),
            local(2026, 12, 31, 18, 0)
        );
    }

    #[test]
    fn duration_across_the_spring_dst_change() {
        let cal = BusinessCalendar::standard(BERLIN);
        // Friday 17:00 CET (16:00 UTC) + 2 h → Monday 10:00 CEST (08:00 UTC).
        assert_eq!(
            cal.add_business_duration(utc(2026, 3, 27, 16, 0), Duration::hours(2)),
            utc(2026, 3, 30, 8, 0)
        );
        // On the night itself, Sunday 01:00–05:00 local holds only 3 h of real time.
        let night = vec![hours(Weekday::Sun, (1, 0), (5, 0))];
        let cal = BusinessCalendar::new(BERLIN, night, BTreeSet::new()).unwrap();
        assert_eq!(
            cal.add_business_duration(utc(2026, 3, 29, 0, 0), Duration::hours(3)),
            utc(2026, 3, 29, 3, 0)
        );
    }

    #[test]
    fn interval_starting_in_the_dst_gap_starts_when_the_clock_jumps() {
        let gap = vec![hours(Weekday::Sun, (2, 30), (4, 0))];
        let cal = BusinessCalendar::new(BERLIN, gap, BTreeSet::new()).unwrap();
        // 02:30 does not exist on 2026-03-29; work starts at 03:00 CEST = 01:00 UTC.
        assert!(!cal.is_working_time(utc(2026, 3, 29, 0, 59)));
        assert!(cal.is_working_time(utc(2026, 3, 29, 1, 0)));
        assert_eq!(
            cal.add_business_duration(utc(2026, 3, 29, 0, 0), Duration::hours(1)),
            utc(2026, 3, 29, 2, 0)
        );
    }

    #[test]
    fn ambiguous_autumn_time_takes_the_earlier_instant() {
        let repeated = vec![hours(Weekday::Sun, (2, 30), (3, 30))];
        let cal = BusinessCalendar::new(BERLIN, repeated, BTreeSet::new()).unwrap();
        // 2026-10-25: 02:30 CEST (00:30 UTC) to 03:30 CET (02:30 UTC) is 2 h of real time.
        assert_eq!(
            cal.add_business_duration(utc(2026, 10, 25, 0, 0), Duration::hours(2)),
            utc(2026, 10, 25, 2, 30)
        );
    }

    #[test]
    fn lunch_break_is_not_working_time() {
        let split = [
            Weekday::Mon,
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Fri,
        ]
        .into_iter()
        .flat_map(|d| [hours(d, (13, 0), (18, 0)), hours(d, (9, 0), (12, 0))])
        .collect();
        let cal = BusinessCalendar::new(BERLIN, split, BTreeSet::new()).unwrap();
        assert!(!cal.is_working_time(local(2026, 1, 13, 12, 30)));
        assert_eq!(
            cal.add_business_duration(local(2026, 1, 13, 11, 0), Duration::hours(2)),
            local(2026, 1, 13, 14, 0)
        );
        assert_eq!(
            cal.add_business_duration(local(2026, 1, 13, 12, 30), Duration::hours(1)),
            local(2026, 1, 13, 14, 0)
        );
    }

    #[test]
    fn working_time_is_half_open_and_skips_weekends_and_holidays() {
        let cal = standard_with_holidays(&[date(2026, 1, 12)]);
        assert!(cal.is_working_time(local(2026, 1, 13, 9, 0)));
        assert!(cal.is_working_time(local(2026, 1, 13, 17, 59)));
        assert!(!cal.is_working_time(local(2026, 1, 13, 18, 0)));
        assert!(!cal.is_working_time(local(2026, 1, 10, 11, 0)));
        assert!(!cal.is_working_time(local(2026, 1, 12, 11, 0)));
    }

    #[test]
    fn constructor_rejects_unusable_calendars() {
        let none = BTreeSet::new();
        assert_eq!(
            BusinessCalendar::new(
                BERLIN,
                vec![hours(Weekday::Mon, (9, 0), (9, 0))],
                none.clone()
            )
            .unwrap_err(),
            CalendarError::EmptyInterval {
                weekday: Weekday::Mon,
                start: time(9, 0),
                end: time(9, 0)
            }
        );
        let overlapping = vec![
            hours(Weekday::Tue, (13, 0), (18, 0)),
            hours(Weekday::Mon, (9, 0), (18, 0)),
            hours(Weekday::Tue, (9, 0), (13, 30)),
        ];
        assert_eq!(
            BusinessCalendar::new(BERLIN, overlapping, none.clone()).unwrap_err(),
            CalendarError::Overlap(Weekday::Tue)
        );
        assert_eq!(
            BusinessCalendar::new(BERLIN, vec![], none.clone()).unwrap_err(),
            CalendarError::NoWorkingTime
        );
        let touching = vec![
            hours(Weekday::Mon, (9, 0), (12, 0)),
            hours(Weekday::Mon, (12, 0), (18, 0)),
        ];
        assert!(BusinessCalendar::new(BERLIN, touching, none).is_ok());
    }

    #[test]
    fn years_of_holidays_fall_back_to_the_wall_clock() {
        let every_day: Vec<_> = date(2026, 1, 1).iter_days().take(6 * 366).collect();
        let cal = standard_with_holidays(&every_day);
        let start = local(2026, 1, 13, 10, 0);
        assert_eq!(
            cal.add_business_duration(start, Duration::hours(1)),
            start + Duration::hours(1)
        );
        assert_eq!(cal.add_business_days(start, 1), start + Duration::days(1));
    }
}
