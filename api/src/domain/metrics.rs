//! Service metrics as ratios with their parts, so every number can be checked (R-SUR-1 targets,
//! R-SLA-1/2/4, R-CLS-3, R-SLA-10, R-CMP-5).

/// `numerator / denominator`; no value when nothing was counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ratio {
    pub numerator: i64,
    pub denominator: i64,
}

impl Ratio {
    pub fn value(self) -> Option<f64> {
        (self.denominator > 0).then(|| self.numerator as f64 / self.denominator as f64)
    }
}

/// Which rows hold the median of `count` sorted values: `(offset, how many)` — the middle one,
/// or the two middle ones to average.
pub fn median_window(count: i64) -> Option<(i64, i64)> {
    match count {
        0 => None,
        n if n % 2 == 1 => Some((n / 2, 1)),
        n => Some((n / 2 - 1, 2)),
    }
}

/// A month `YYYY-MM` that has ended by `today`: the monthly report covers finished months only
/// (R-CMP-5: last month's report is available from the 1st, well before the 5th).
pub fn finished_month(
    month: &str,
    today: chrono::NaiveDate,
) -> Option<(chrono::NaiveDate, chrono::NaiveDate)> {
    use chrono::{Datelike, Months, NaiveDate};
    let (year, mon) = month.split_once('-')?;
    let start = NaiveDate::from_ymd_opt(year.parse().ok()?, mon.parse().ok()?, 1)?;
    let end = start.checked_add_months(Months::new(1))?;
    let first_of_this_month = today.with_day(1)?;
    (end <= first_of_this_month).then_some((start, end))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn ratio_has_no_value_without_a_denominator() {
        assert_eq!(
            Ratio {
                numerator: 0,
                denominator: 0
            }
            .value(),
            None
        );
        assert_eq!(
            Ratio {
                numerator: 3,
                denominator: 4
            }
            .value(),
            Some(0.75)
        );
    }

    #[test]
    fn median_window_picks_the_middle() {
        assert_eq!(median_window(0), None);
        assert_eq!(median_window(1), Some((0, 1)));
        assert_eq!(median_window(5), Some((2, 1)));
        assert_eq!(median_window(4), Some((1, 2)));
    }

    #[test]
    fn r_cmp_5_only_finished_months() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 3).unwrap();
        assert_eq!(
            finished_month("2026-10", today),
            Some((
                NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(),
                NaiveDate::from_ymd_opt(2026, 11, 1).unwrap()
            ))
        );
        assert_eq!(finished_month("2026-11", today), None);
        assert_eq!(finished_month("2026-13", today), None);
        assert_eq!(finished_month("nope", today), None);
    }
}
