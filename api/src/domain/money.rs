//! Money amounts (R-REP-1): exact decimals, always shown with cents.

use rust_decimal::Decimal;

/// `120.5` → `120.50`. Some databases (SQLite) do not keep a decimal's scale, so amounts are
/// given their two places on the way out.
pub fn money(amount: Decimal) -> Decimal {
    let mut amount = amount.round_dp(2);
    amount.rescale(2);
    amount
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn money_always_has_cents() {
        assert_eq!(money(dec!(281)).to_string(), "281.00");
        assert_eq!(money(dec!(120.5)).to_string(), "120.50");
        assert_eq!(money(dec!(0)).to_string(), "0.00");
    }
}
