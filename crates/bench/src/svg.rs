//! A small SVG writer: line charts (linear or log axes) and grouped bar charts.
//! Output is plain, self-contained SVG text with no scripts or external references.

use std::fmt::Write;

const WIDTH: f64 = 760.0;
const HEIGHT: f64 = 420.0;
const LEFT: f64 = 72.0;
const RIGHT: f64 = 180.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 64.0;
const PALETTE: [&str; 8] = [
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
];

/// One named line of (x, y) points.
#[derive(Debug, Clone)]
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
}

/// Axis scaling.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scale {
    Linear,
    Log10,
}

#[derive(Debug, Clone)]
pub struct LineChart {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub x_scale: Scale,
    pub y_scale: Scale,
    pub series: Vec<Series>,
}

/// Bars grouped by category, one bar per series in each group.
#[derive(Debug, Clone)]
pub struct BarChart {
    pub title: String,
    pub y_label: String,
    pub y_scale: Scale,
    pub categories: Vec<String>,
    /// (series name, one value per category)
    pub series: Vec<(String, Vec<f64>)>,
}

/// Escape text for an SVG text node or attribute.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A compact number label: 1200 → "1.2k", 0.25 → "0.25".
pub fn fmt_num(v: f64) -> String {
    let a = v.abs();
    let trim = |s: String| {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    };
    if a >= 1e6 {
        format!("{}M", trim(format!("{:.1}", v / 1e6)))
    } else if a >= 1e3 {
        format!("{}k", trim(format!("{:.1}", v / 1e3)))
    } else if a >= 1.0 || a == 0.0 {
        trim(format!("{v:.1}"))
    } else {
        trim(format!("{v:.3}"))
    }
}

/// An axis: maps data values to [0, 1] and proposes tick values.
#[derive(Debug, Clone, Copy)]
struct Axis {
    scale: Scale,
    lo: f64,
    hi: f64,
}

impl Axis {
    fn new(scale: Scale, values: impl Iterator<Item = f64>, zero_based: bool) -> Axis {
        let vals: Vec<f64> = values
            .filter(|v| v.is_finite() && (scale == Scale::Linear || *v > 0.0))
            .collect();
        let (mut lo, mut hi) = vals
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
                (a.min(v), b.max(v))
            });
        if vals.is_empty() {
            (lo, hi) = (1.0, 10.0);
        }
        match scale {
            Scale::Log10 => {
                lo = 10f64.powf(lo.log10().floor());
                hi = 10f64.powf(hi.log10().ceil());
                if hi <= lo {
                    hi = lo * 10.0;
                }
            }
            Scale::Linear => {
                if zero_based {
                    lo = lo.min(0.0);
                }
                if hi <= lo {
                    hi = lo + 1.0;
                }
                let step = nice_step((hi - lo) / 5.0);
                lo = (lo / step).floor() * step;
                hi = (hi / step).ceil() * step;
            }
        }
        Axis { scale, lo, hi }
    }

    fn frac(&self, v: f64) -> f64 {
        match self.scale {
            Scale::Linear => (v - self.lo) / (self.hi - self.lo),
            Scale::Log10 => {
                (v.max(self.lo).log10() - self.lo.log10()) / (self.hi.log10() - self.lo.log10())
            }
        }
    }

    fn ticks(&self) -> Vec<f64> {
        match self.scale {
            Scale::Linear => {
                let step = nice_step((self.hi - self.lo) / 5.0);
                let n = ((self.hi - self.lo) / step).round() as i64;
                (0..=n).map(|i| self.lo + i as f64 * step).collect()
            }
            Scale::Log10 => {
                let a = self.lo.log10().round() as i32;
                let b = self.hi.log10().round() as i32;
                (a..=b).map(|e| 10f64.powi(e)).collect()
            }
        }
    }
}

/// 1, 2 or 5 times a power of ten, at least `raw`.
fn nice_step(raw: f64) -> f64 {
    if raw <= 0.0 || !raw.is_finite() {
        return 1.0;
    }
    let mag = 10f64.powf(raw.log10().floor());
    let n = raw / mag;
    let m = if n <= 1.0 {
        1.0
    } else if n <= 2.0 {
        2.0
    } else if n <= 5.0 {
        5.0
    } else {
        10.0
    };
    m * mag
}

fn header(out: &mut String, title: &str) {
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(
        out,
        r#"<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>"#
    );
    let _ = writeln!(
        out,
        r#"<text x="{}" y="22" text-anchor="middle" font-size="15" font-weight="bold">{}</text>"#,
        (LEFT + WIDTH - RIGHT) / 2.0,
        escape(title)
    );
}

fn plot_w() -> f64 {
    WIDTH - LEFT - RIGHT
}
fn plot_h() -> f64 {
    HEIGHT - TOP - BOTTOM
}

fn y_axis(out: &mut String, axis: &Axis, label: &str) {
    for t in axis.ticks() {
        let y = TOP + plot_h() * (1.0 - axis.frac(t));
        let _ = writeln!(
            out,
            r##"<line x1="{LEFT}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#e0e0e0"/><text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"##,
            LEFT + plot_w(),
            LEFT - 6.0,
            y + 4.0,
            fmt_num(t)
        );
    }
    let cy = TOP + plot_h() / 2.0;
    let _ = writeln!(
        out,
        r#"<text x="16" y="{cy:.1}" text-anchor="middle" transform="rotate(-90 16 {cy:.1})">{}</text>"#,
        escape(label)
    );
}

fn frame_and_legend(out: &mut String, names: &[String]) {
    let _ = writeln!(
        out,
        r##"<rect x="{LEFT}" y="{TOP}" width="{:.1}" height="{:.1}" fill="none" stroke="#444"/>"##,
        plot_w(),
        plot_h()
    );
    for (i, name) in names.iter().enumerate() {
        let x = WIDTH - RIGHT + 14.0;
        let y = TOP + 10.0 + i as f64 * 18.0;
        let _ = writeln!(
            out,
            r#"<rect x="{x:.1}" y="{:.1}" width="12" height="12" fill="{}"/><text x="{:.1}" y="{:.1}">{}</text>"#,
            y - 10.0,
            PALETTE[i % PALETTE.len()],
            x + 17.0,
            y,
            escape(name)
        );
    }
}

impl LineChart {
    pub fn render(&self) -> String {
        let pts = || self.series.iter().flat_map(|s| s.points.iter());
        let xa = Axis::new(self.x_scale, pts().map(|p| p.0), false);
        let ya = Axis::new(self.y_scale, pts().map(|p| p.1), true);
        let mut out = String::new();
        header(&mut out, &self.title);
        y_axis(&mut out, &ya, &self.y_label);
        for t in xa.ticks() {
            let x = LEFT + plot_w() * xa.frac(t);
            let _ = writeln!(
                out,
                r##"<line x1="{x:.1}" y1="{TOP}" x2="{x:.1}" y2="{:.1}" stroke="#f0f0f0"/><text x="{x:.1}" y="{:.1}" text-anchor="middle">{}</text>"##,
                TOP + plot_h(),
                TOP + plot_h() + 16.0,
                fmt_num(t)
            );
        }
        let _ = writeln!(
            out,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            LEFT + plot_w() / 2.0,
            HEIGHT - 14.0,
            escape(&self.x_label)
        );
        for (i, s) in self.series.iter().enumerate() {
            let color = PALETTE[i % PALETTE.len()];
            let coords: Vec<String> = s
                .points
                .iter()
                .filter(|(x, y)| {
                    x.is_finite()
                        && y.is_finite()
                        && (self.x_scale == Scale::Linear || *x > 0.0)
                        && (self.y_scale == Scale::Linear || *y > 0.0)
                })
                .map(|&(x, y)| {
                    format!(
                        "{:.1},{:.1}",
                        LEFT + plot_w() * xa.frac(x),
                        TOP + plot_h() * (1.0 - ya.frac(y))
                    )
                })
                .collect();
            if coords.len() == 1 {
                let mut it = coords[0].split(',');
                let (cx, cy) = (it.next().unwrap_or("0"), it.next().unwrap_or("0"));
                let _ = writeln!(out, r#"<circle cx="{cx}" cy="{cy}" r="3" fill="{color}"/>"#);
            } else if !coords.is_empty() {
                let _ = writeln!(
                    out,
                    r#"<polyline fill="none" stroke="{color}" stroke-width="1.5" points="{}"/>"#,
                    coords.join(" ")
                );
            }
        }
        let names: Vec<String> = self.series.iter().map(|s| s.name.clone()).collect();
        frame_and_legend(&mut out, &names);
        out.push_str("</svg>\n");
        out
    }
}

impl BarChart {
    pub fn render(&self) -> String {
        let ya = Axis::new(
            self.y_scale,
            self.series.iter().flat_map(|(_, v)| v.iter().copied()),
            true,
        );
        let mut out = String::new();
        header(&mut out, &self.title);
        y_axis(&mut out, &ya, &self.y_label);
        let groups = self.categories.len().max(1) as f64;
        let group_w = plot_w() / groups;
        let bar_w = group_w * 0.8 / self.series.len().max(1) as f64;
        let base = TOP + plot_h();
        for (ci, cat) in self.categories.iter().enumerate() {
            let gx = LEFT + ci as f64 * group_w;
            for (si, (_, values)) in self.series.iter().enumerate() {
                let Some(&v) = values.get(ci) else { continue };
                if !v.is_finite() || (self.y_scale == Scale::Log10 && v <= 0.0) {
                    continue;
                }
                let y = TOP + plot_h() * (1.0 - ya.frac(v).clamp(0.0, 1.0));
                let _ = writeln!(
                    out,
                    r#"<rect x="{:.1}" y="{y:.1}" width="{bar_w:.1}" height="{:.1}" fill="{}"><title>{}: {}</title></rect>"#,
                    gx + group_w * 0.1 + si as f64 * bar_w,
                    (base - y).max(0.0),
                    PALETTE[si % PALETTE.len()],
                    escape(cat),
                    fmt_num(v)
                );
            }
            // Slanted, so long kind names in narrow groups do not overlap.
            let (lx, ly) = (gx + group_w / 2.0, base + 12.0);
            let _ = writeln!(
                out,
                r#"<text x="{lx:.1}" y="{ly:.1}" text-anchor="end" font-size="11" transform="rotate(-25 {lx:.1} {ly:.1})">{}</text>"#,
                escape(cat)
            );
        }
        let names: Vec<String> = self.series.iter().map(|(n, _)| n.clone()).collect();
        frame_and_legend(&mut out, &names);
        out.push_str("</svg>\n");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart(y_scale: Scale) -> LineChart {
        LineChart {
            title: "p50 <latency> & \"more\"".into(),
            x_label: "seconds".into(),
            y_label: "ms".into(),
            x_scale: Scale::Linear,
            y_scale,
            series: vec![
                Series {
                    name: "get-by-id".into(),
                    points: vec![(0.0, 0.5), (1.0, 0.7), (2.0, 0.6)],
                },
                Series {
                    name: "one".into(),
                    points: vec![(1.0, 3.0)],
                },
            ],
        }
    }

    #[test]
    fn line_chart_is_well_formed_svg() {
        let svg = chart(Scale::Linear).render();
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.trim_end().ends_with("</svg>"));
        assert_eq!(svg.matches("<polyline").count(), 1);
        assert_eq!(svg.matches("<circle").count(), 1);
        assert!(svg.contains("get-by-id"));
        // The title is escaped, never raw markup.
        assert!(svg.contains("p50 &lt;latency&gt; &amp; &quot;more&quot;"));
        assert!(!svg.contains("<latency>"));
        // Every opened element is closed or self-closed.
        assert_eq!(svg.matches("<text").count(), svg.matches("</text>").count());
    }

    #[test]
    fn points_stay_inside_the_plot_area() {
        let svg = chart(Scale::Log10).render();
        let poly = svg
            .lines()
            .find(|l| l.starts_with("<polyline"))
            .expect("polyline");
        let pts = poly
            .split("points=\"")
            .nth(1)
            .unwrap()
            .trim_end_matches("\"/>");
        for p in pts.split(' ') {
            let (x, y) = p.split_once(',').unwrap();
            let (x, y): (f64, f64) = (x.parse().unwrap(), y.parse().unwrap());
            assert!((LEFT..=WIDTH - RIGHT).contains(&x), "x {x}");
            assert!((TOP..=HEIGHT - BOTTOM).contains(&y), "y {y}");
        }
    }

    #[test]
    fn log_axis_ticks_are_powers_of_ten() {
        let a = Axis::new(Scale::Log10, [0.3, 250.0].into_iter(), true);
        assert_eq!(a.ticks(), vec![0.1, 1.0, 10.0, 100.0, 1000.0]);
        assert_eq!(a.frac(0.1), 0.0);
        assert_eq!(a.frac(1000.0), 1.0);
    }

    #[test]
    fn linear_axis_ticks_are_round() {
        let a = Axis::new(Scale::Linear, [0.0, 9.3].into_iter(), true);
        assert_eq!(a.ticks(), vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
    }

    #[test]
    fn empty_chart_still_renders() {
        let c = LineChart {
            series: Vec::new(),
            ..chart(Scale::Log10)
        };
        let svg = c.render();
        assert!(svg.contains("</svg>"));
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
    }

    #[test]
    fn bar_chart_has_one_rect_per_value() {
        let c = BarChart {
            title: "throughput".into(),
            y_label: "req/s".into(),
            y_scale: Scale::Log10,
            categories: vec!["get".into(), "post".into()],
            series: vec![
                ("roster".into(), vec![5000.0, 2000.0]),
                ("peer".into(), vec![100.0, 0.0]),
            ],
        };
        let svg = c.render();
        // 3 drawable bars (a zero cannot be drawn on a log axis) + 2 legend swatches
        // + background + frame.
        assert_eq!(svg.matches("<rect").count(), 3 + 2 + 2);
        assert!(svg.contains("<title>get: 5k</title>"));
    }

    #[test]
    fn number_labels() {
        assert_eq!(fmt_num(0.0), "0");
        assert_eq!(fmt_num(0.25), "0.25");
        assert_eq!(fmt_num(12.0), "12");
        assert_eq!(fmt_num(1500.0), "1.5k");
        assert_eq!(fmt_num(100000.0), "100k");
        assert_eq!(fmt_num(2_000_000.0), "2M");
    }
}
