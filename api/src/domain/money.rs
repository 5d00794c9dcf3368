//! Money amounts (R-REP-1): exact decimals, always shown with cents.

use rust_decimal::Decimal;

use crate::error::{ApiError, ApiResult};

/// The most a money column (`numeric(14,2)`) holds: 999,999,999,999.99.
pub const MAX_AMOUNT: Decimal = Decimal::from_parts(276_447_231, 23_283, 0, false, 2);
/// The most a quantity column (`numeric(12,3)`) holds: 999,999,999.999.
pub const MAX_QUANTITY: Decimal = Decimal::from_parts(3_567_587_327, 232, 0, false, 3);

/// A money input: not negative, whole cents, no more than a money column holds. Past that,
/// PostgreSQL refuses the row (a 500) while SQLite stores it.
pub fn amount(field: &'static str, value: Decimal) -> ApiResult<Decimal> {
    if value.is_sign_negative() && !value.is_zero() {
        return Err(ApiError::bad_input(field, "amount must not be negative"));
    }
    if value.scale() > 2 && value.normalize().scale() > 2 {
        return Err(ApiError::bad_input(field, "amount has at most 2 decimals"));
    }
    if value > MAX_AMOUNT {
        return Err(ApiError::bad_input(
            field,
            format!("amount must be at most {MAX_AMOUNT}"),
        ));
    }
    Ok(value)
}

/// A quantity input: positive, at most 3 decimals, no more than its column holds.
pub fn quantity(field: &'static str, value: Decimal) -> ApiResult<Decimal> {
    if value <= Decimal::ZERO {
        return Err(ApiError::bad_input(field, "quantity must be positive"));
    }
    if value.scale() > 3 && value.normalize().scale() > 3 {
        return Err(ApiError::bad_input(
            field,
            "quantity has at most 3 decimals",
        ));
    }
    if value > MAX_QUANTITY {
        return Err(ApiError::bad_input(
            field,
            format!("quantity must be at most {MAX_QUANTITY}"),
        ));
    }
    Ok(value)
}

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
    fn bounds_are_what_the_columns_hold() {
        assert_eq!(MAX_AMOUNT, dec!(999999999999.99));
        assert_eq!(MAX_QUANTITY, dec!(999999999.999));
        assert!(amount("a", dec!(999999999999.99)).is_ok());
        assert!(amount("a", dec!(1000000000000.00)).is_err());
        assert!(amount("a", Decimal::MAX).is_err());
        assert!(amount("a", dec!(1.005)).is_err());
        assert!(amount("a", dec!(1.500)).is_ok());
        assert!(amount("a", dec!(-0.01)).is_err());
        assert!(quantity("q", dec!(100000000000000000000)).is_err());
        assert!(quantity("q", dec!(0)).is_err());
        assert!(quantity("q", dec!(2.5)).is_ok());
    }

    #[test]
    fn money_always_has_cents() {
        assert_eq!(money(dec!(281)).to_string(), "281.00");
        assert_eq!(money(dec!(120.5)).to_string(), "120.50");
        assert_eq!(money(dec!(0)).to_string(), "0.00");
    }
}
