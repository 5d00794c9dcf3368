//! Time-limit arithmetic shared by the ticket kinds: penalty tiers (R-SLA-10) and repeating
//! deadlines (R-ESC-2).

use chrono::{DateTime, Duration, Utc};

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

/// R-ESC-2 with a repeating clock: how many whole periods have been missed since `due` (the
/// first miss counts at `due` itself), and when the next one will be missed.
pub fn missed_periods(
    due: DateTime<Utc>,
    period: Duration,
    now: DateTime<Utc>,
) -> (u32, DateTime<Utc>) {
    if now < due || period <= Duration::zero() {
        return (0, due);
    }
    let extra = (now - due).num_seconds() / period.num_seconds().max(1);
    let missed = u32::try_from(extra + 1).unwrap_or(u32::MAX);
    (
        missed,
        due + period * i32::try_from(extra + 1).unwrap_or(i32::MAX),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

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
    }

    #[test]
    fn r_esc_2_each_missed_period_counts_once() {
        let due = Utc.with_ymd_and_hms(2026, 11, 3, 9, 0, 0).unwrap();
        let day = Duration::hours(24);
        assert_eq!(
            missed_periods(due, day, due - Duration::seconds(1)),
            (0, due)
        );
        assert_eq!(missed_periods(due, day, due), (1, due + day));
        assert_eq!(
            missed_periods(due, day, due + Duration::hours(23)),
            (1, due + day)
        );
        assert_eq!(missed_periods(due, day, due + day), (2, due + day * 2));
        assert_eq!(
            missed_periods(due, day, due + Duration::hours(50)),
            (3, due + day * 3)
        );
    }
}
