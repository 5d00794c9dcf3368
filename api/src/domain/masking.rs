//! Masking of personal data for roles and moments that do not need it (R-PRV-2).

use entity::users::Role;

use crate::domain::identity::Principal;

/// Agents and supervisors work through lists of many customers' tickets: there, phones and
/// addresses are masked (names stay, to greet the caller) and one value at a time is revealed,
/// with an audit entry, when a call or visit needs it. A ticket opened by itself shows them.
pub fn masked_in_lists(principal: &Principal) -> bool {
    matches!(principal.role(), Some(Role::Agent | Role::Supervisor))
}

/// `13812345678` → `138****5678`: enough to recognise a number, not to call it.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() < 8 {
        let keep = chars.len().min(2);
        let hidden = chars.len() - keep;
        return "*".repeat(hidden) + &chars[hidden..].iter().collect::<String>();
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}****{tail}")
}

/// Keeps the coarse part of an address (first six characters: city or district), hides the
/// rest.
pub fn mask_address(address: &str) -> String {
    let head: String = address.chars().take(6).collect();
    format!("{head}****")
}

/// `Zhang Wei` → `Z*******`: initial only.
pub fn mask_name(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => std::iter::once(first).chain(chars.map(|_| '*')).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r_prv_2_phone_keeps_head_and_tail() {
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone("+8613812345678"), "+86****5678");
        assert_eq!(mask_phone("12345"), "***45");
        assert_eq!(mask_phone(""), "");
    }

    #[test]
    fn r_prv_2_name_keeps_the_initial() {
        assert_eq!(mask_name("Zhang Wei"), "Z********");
        assert_eq!(mask_name("张伟"), "张*");
    }

    #[test]
    fn r_prv_2_address_keeps_only_the_area() {
        assert_eq!(
            mask_address("上海市浦东新区世纪大道100号"),
            "上海市浦东新****"
        );
        assert_eq!(mask_address("Bay 1"), "Bay 1****");
    }
}
