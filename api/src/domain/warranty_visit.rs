//! R-SLA-13: a return visit is made one month before the warranty of a sold product expires.

use chrono::{Months, NaiveDate};

/// The day the warranty-end visit is due: one month before the warranty's last day (the same
/// day of the month before, or that month's last day).
pub fn due_on(warranty_ends_on: NaiveDate) -> Option<NaiveDate> {
    warranty_ends_on.checked_sub_months(Months::new(1))
}

/// The visit is scheduled from its due day until the warranty's last day: a product registered
/// or a job that was down within the last month still gets its call; once the warranty has
/// ended it is too late.
pub fn is_due(warranty_ends_on: NaiveDate, today: NaiveDate) -> bool {
    due_on(warranty_ends_on).is_some_and(|due| due <= today) && today <= warranty_ends_on
}

/// The warranty ends the job looks for on `today`: from `today` to a month later.
pub fn window(today: NaiveDate) -> (NaiveDate, NaiveDate) {
    let until = today
        .checked_add_months(Months::new(1))
        .unwrap_or(NaiveDate::MAX);
    (today, until)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2027, m, d).unwrap()
    }

    #[test]
    fn r_sla_13_the_visit_is_due_one_month_before_the_warranty_ends() {
        assert_eq!(due_on(day(6, 15)), Some(day(5, 15)));
        assert_eq!(due_on(day(3, 31)), Some(day(2, 28)));
        assert!(!is_due(day(6, 15), day(5, 14)));
        assert!(is_due(day(6, 15), day(5, 15)));
        assert!(is_due(day(6, 15), day(6, 15)));
        assert!(!is_due(day(6, 15), day(6, 16)), "too late once it ended");
        let (from, until) = window(day(5, 15));
        assert!(from <= day(6, 15) && day(6, 15) <= until);
        assert!(day(6, 16) > until);
    }
}
