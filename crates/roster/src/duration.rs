//! Durations on the command line: token lifetimes (`90d`, `12h`, `30m`, `45s`, `2w`) and
//! timeouts (`500ms`, `30s`, `2m`, `1h`).

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

/// `30s`, `500ms`, `2m`, `1h` (a unit is required); fractions allowed (`1.5s`).
pub fn timeout(s: &str) -> Result<std::time::Duration, String> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let n: f64 = number.parse().map_err(|_| {
        format!("'{s}' is not a timeout: use a number and a unit, e.g. 30s, 500ms, 2m")
    })?;
    let seconds = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        "" => {
            return Err(format!(
                "'{s}' needs a unit: ms, s, m or h (e.g. 500ms, 30s, 2m); a bare number is ambiguous"
            ));
        }
        _ => return Err(format!("unknown unit '{unit}' in '{s}': use ms, s, m or h")),
    };
    let timeout = std::time::Duration::try_from_secs_f64(seconds)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| format!("'{s}' is not a positive timeout"))?;
    if timeout > MAX_TIMEOUT {
        return Err(format!(
            "'{s}' is longer than a day, the longest timeout taken"
        ));
    }
    Ok(timeout)
}

/// No HTTP deadline needs more; beyond it a typo (`30h` for `30s`) is more likely.
const MAX_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_take_units() {
        assert_eq!(timeout("30s"), Ok(std::time::Duration::from_secs(30)));
        assert!(timeout("30").is_err(), "a bare number is ambiguous");
        assert_eq!(timeout("500ms"), Ok(std::time::Duration::from_millis(500)));
        assert_eq!(timeout("1.5s"), Ok(std::time::Duration::from_millis(1500)));
        assert_eq!(timeout("2m"), Ok(std::time::Duration::from_secs(120)));
        assert_eq!(timeout("1h"), Ok(std::time::Duration::from_secs(3600)));
        assert_eq!(timeout("24h"), Ok(std::time::Duration::from_secs(86_400)));
        for bad in [
            "0s",
            "",
            "s",
            "5d",
            "-1s",
            "1e400s",
            "1..2s",
            "25h",
            "99999999999999s",
        ] {
            assert!(timeout(bad).is_err(), "{bad}");
        }
    }

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
