//! Token lifetimes on the command line: `90d`, `12h`, `30m`, `45s`, `2w`.

use time::Duration;

/// The longest token lifetime: 100 years.
const MAX_DAYS: i64 = 36_500;
const MAX_SECONDS: i64 = MAX_DAYS * 86_400;

pub fn parse(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (digits, unit) = s.split_at(split);
    let n: i64 = digits.parse().map_err(|_| {
        format!("'{s}' is not a duration: use a number and a unit, e.g. 90d, 12h, 30m")
    })?;
    let seconds_per_unit: i64 = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" | "" => 86_400,
        "w" => 604_800,
        _ => {
            return Err(format!(
                "unknown unit '{unit}' in '{s}': use s, m, h, d or w"
            ));
        }
    };
    if n <= 0 {
        return Err(format!("'{s}' is not a positive duration"));
    }
    // Checked: `time` panics when a Duration overflows, and the number comes from the user.
    match n.checked_mul(seconds_per_unit) {
        Some(seconds) if seconds <= MAX_SECONDS => Ok(Duration::seconds(seconds)),
        _ => Err(format!(
            "'{s}' is longer than the longest lifetime a token may have ({MAX_DAYS}d, 100 years)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units() {
        assert_eq!(parse("90d"), Ok(Duration::days(90)));
        assert_eq!(parse("12h"), Ok(Duration::hours(12)));
        assert_eq!(parse("2w"), Ok(Duration::weeks(2)));
        assert!(parse("x").is_err());
        assert!(parse("5y").is_err());
        assert!(parse("0s").is_err());
        assert_eq!(parse("36500d"), Ok(Duration::days(36_500)));
        assert!(parse("36501d").is_err());
        assert!(parse("999999999999999d").is_err());
        assert!(parse("99999999999999999999d").is_err());
    }
}
