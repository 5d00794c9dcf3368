//! Technicians' skills and region, and how `technicians(filter)` picks among them.

use entity::users;

use crate::error::{ApiError, ApiResult};

/// Most skills one technician carries.
pub const MAX_SKILLS: usize = 20;
/// Longest skill label and region name.
pub const MAX_LABEL_CHARS: usize = 40;
pub const MAX_REGION_CHARS: usize = 100;

/// The stored skills of a user (none when unset or unreadable).
pub fn skills(user: &users::Model) -> Vec<String> {
    user.skills
        .as_deref()
        .and_then(|json| serde_json::from_str(json).ok())
        .unwrap_or_default()
}

/// Skill labels as given: trimmed, upper-cased (`refrigeration` = `REFRIGERATION`), without
/// duplicates, each 1–40 characters of letters, digits, `_` and `-`, at most 20.
pub fn parse_skills(field: &'static str, given: &[String]) -> ApiResult<Vec<String>> {
    if given.len() > MAX_SKILLS {
        return Err(ApiError::bad_input(
            field,
            format!("at most {MAX_SKILLS} skills"),
        ));
    }
    let mut skills: Vec<String> = Vec::with_capacity(given.len());
    for skill in given {
        let skill = skill.trim().to_uppercase();
        let valid = (1..=MAX_LABEL_CHARS).contains(&skill.chars().count())
            && skill
                .chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '-');
        if !valid {
            return Err(ApiError::bad_input(
                field,
                format!("a skill is 1–{MAX_LABEL_CHARS} letters, digits, '_' or '-'"),
            ));
        }
        if !skills.contains(&skill) {
            skills.push(skill);
        }
    }
    Ok(skills)
}

/// A region name: trimmed, 1–100 characters; empty clears it.
pub fn parse_region(given: &str) -> ApiResult<Option<String>> {
    let region = given.trim();
    if region.chars().count() > MAX_REGION_CHARS || region.contains('\0') {
        return Err(ApiError::bad_input(
            "region",
            format!("at most {MAX_REGION_CHARS} characters"),
        ));
    }
    Ok((!region.is_empty()).then(|| region.to_owned()))
}

/// What an agent asks of the technicians to dispatch.
#[derive(Debug, Default)]
pub struct Wanted {
    /// Every one of these skills.
    pub skills: Vec<String>,
    /// This region, case-insensitively.
    pub region: Option<String>,
}

impl Wanted {
    pub fn matches(&self, user: &users::Model) -> bool {
        let have = skills(user);
        self.skills.iter().all(|s| have.contains(s))
            && self.region.as_deref().is_none_or(|wanted| {
                user.region
                    .as_deref()
                    .is_some_and(|r| r.eq_ignore_ascii_case(wanted))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skills_are_normalised_and_bounded() {
        let given = vec![
            " refrigeration ".into(),
            "REFRIGERATION".into(),
            "gas-safe".into(),
        ];
        assert_eq!(
            parse_skills("skills", &given).unwrap(),
            vec!["REFRIGERATION", "GAS-SAFE"]
        );
        for bad in ["", "a b", "x;DROP", &"x".repeat(41)] {
            assert!(parse_skills("skills", &[bad.to_owned()]).is_err(), "{bad}");
        }
        assert!(parse_skills("skills", &vec!["A".to_owned(); 21]).is_err());
        assert_eq!(parse_region("  ").unwrap(), None);
        assert!(parse_region("a\0b").is_err());
    }
}
