//! Token lifetimes on the command line: `90d`, `12h`, `30m`, `45s`, `2w`.

use time::Duration;

pub fn parse(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (digits, unit) = s.split_at(split);
    let n: i64 = digits.parse().map_err(|_| {
        format!("'{s}' is not a duration: use a number and a unit, e.g. 90d, 12h, 30m")
    })?;
    let d = match unit {
        "s" => Duration::seconds(n),
        "m" => Duration::minutes(n),
        "h" => Duration::hours(n),
        "d" | "" => Duration::days(n),
        "w" => Duration::weeks(n),
        _ => {
            return Err(format!(
                "unknown unit '{unit}' in '{s}': use s, m, h, d or w"
            ));
        }
    };
    if d <= Duration::ZERO {
        return Err(format!("'{s}' is not a positive duration"));
    }
    Ok(d)
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
    }
}
