//! Charts drawn on the server as SVG: no script, no style attributes (the
//! CSP allows neither inline), colours as SVG presentation attributes. Each
//! chart comes with a table of its numbers, for screen readers, for
//! printing, and for anyone who wants the figures rather than the shape.

use askama::filters::HtmlSafe;
use std::fmt::{self, Write};

/// Markup built here, every text in it escaped.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Markup(String);

impl Markup {
    /// The markup as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Markup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl HtmlSafe for Markup {}

/// One series: its name and a value per category.
#[derive(Clone, Copy, Debug)]
pub struct Series<'a> {
    /// What it counts ("Opened").
    pub name: &'a str,
    /// One value per category, in order.
    pub values: &'a [i64],
}

/// A chart and its numbers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chart {
    /// The `<svg>` element.
    pub svg: Markup,
    /// A `<table>` with the same numbers.
    pub table: Markup,
}

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 260.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 34.0;
const BOTTOM: f64 = 36.0;
/// The height of the plotting area: a value of the axis' top is this tall.
pub const PLOT_HEIGHT: f64 = HEIGHT - TOP - BOTTOM;
const BAR_FILL: &str = "#2e90fa";
const LINE_STROKE: &str = "#039855";
const GRID: &str = "#e4e7ec";
const INK: &str = "#475467";

/// Escape text for an element's content or a quoted attribute.
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

/// The top of the value axis and its step: a round step (1, 2 or 5 times
/// a power of ten) giving at most five intervals, the top a whole number
/// of steps at or above `max`. An empty or all-zero chart gets 0..1.
pub fn axis(max: i64) -> (i64, i64) {
    if max <= 0 {
        return (1, 1);
    }
    let mut magnitude = 1;
    loop {
        for m in [1, 2, 5] {
            let step = m * magnitude;
            if max <= step * 5 {
                let top = (max + step - 1) / step * step;
                return (top, step);
            }
        }
        magnitude *= 10;
    }
}

/// A column chart of `bars` with `line` drawn over it, one column per
/// category (labelled by `labels`): axes with round ticks, a legend, a
/// `<title>` and an `aria-label` stating what it shows. Column heights
/// and line points are proportional to the values, on an axis from zero.
/// `category` names one category ("Week"): the table's heading, and the
/// unit of the summary in the `aria-label`.
pub fn bars_and_line(
    title: &str,
    category: &str,
    labels: &[String],
    bars: Series<'_>,
    line: Series<'_>,
) -> Chart {
    let n = labels.len();
    let value = |s: &Series<'_>, i: usize| s.values.get(i).copied().unwrap_or(0).max(0);
    let max = (0..n)
        .map(|i| value(&bars, i).max(value(&line, i)))
        .max()
        .unwrap_or(0);
    let (top, step) = axis(max);
    let plot_w = WIDTH - LEFT - RIGHT;
    let slot = if n == 0 { plot_w } else { plot_w / n as f64 };
    let bar_w = slot * 0.56;
    let base = HEIGHT - BOTTOM;
    let height_of = |v: i64| v as f64 * PLOT_HEIGHT / top as f64;
    let centre = |i: usize| LEFT + slot * (i as f64 + 0.5);
    let total = |s: &Series<'_>| (0..n).map(|i| value(s, i)).sum::<i64>();
    let summary = if n == 0 {
        "no data".to_owned()
    } else {
        format!(
            "{} {} and {} {} across {} {}{}",
            total(&bars),
            bars.name.to_lowercase(),
            total(&line),
            line.name.to_lowercase(),
            n,
            category.to_lowercase(),
            if n == 1 { "" } else { "s" },
        )
    };

    let mut svg = String::new();
    // Writing to a String cannot fail.
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" role="img" aria-label="{}"><title>{}</title>"#,
        escape(&format!("{title}: {summary}")),
        escape(title),
    );
    // Grid lines and value ticks.
    svg.push_str(r#"<g class="grid">"#);
    let mut tick = 0;
    while tick <= top {
        let y = base - height_of(tick);
        let _ = write!(
            svg,
            r#"<line x1="{LEFT}" y1="{y:.1}" x2="{}" y2="{y:.1}" stroke="{GRID}"/><text x="{}" y="{:.1}" text-anchor="end" font-size="11" fill="{INK}">{tick}</text>"#,
            WIDTH - RIGHT,
            LEFT - 6.0,
            y + 4.0,
        );
        tick += step;
    }
    svg.push_str("</g>");
    // Axes.
    let _ = write!(
        svg,
        r#"<g class="axes" stroke="{INK}"><line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{base}"/><line x1="{LEFT}" y1="{base}" x2="{}" y2="{base}"/></g>"#,
        WIDTH - RIGHT,
    );
    // Columns.
    let _ = write!(svg, r#"<g class="series-bars" fill="{BAR_FILL}">"#);
    for (i, label) in labels.iter().enumerate() {
        let v = value(&bars, i);
        let h = height_of(v);
        let _ = write!(
            svg,
            r#"<rect class="bar" x="{:.1}" y="{:.1}" width="{bar_w:.1}" height="{h:.1}" data-value="{v}"><title>{}: {v} {}</title></rect>"#,
            centre(i) - bar_w / 2.0,
            base - h,
            escape(label),
            escape(&bars.name.to_lowercase()),
        );
    }
    svg.push_str("</g>");
    // The line and its points.
    if n > 0 {
        let points: Vec<String> = (0..n)
            .map(|i| format!("{:.1},{:.1}", centre(i), base - height_of(value(&line, i))))
            .collect();
        let _ = write!(
            svg,
            r#"<g class="series-line"><polyline fill="none" stroke="{LINE_STROKE}" stroke-width="2.5" points="{}"/>"#,
            points.join(" ")
        );
        for (i, label) in labels.iter().enumerate() {
            let v = value(&line, i);
            let _ = write!(
                svg,
                r#"<circle class="point" cx="{:.1}" cy="{:.1}" r="3.5" fill="{LINE_STROKE}" data-value="{v}"><title>{}: {v} {}</title></circle>"#,
                centre(i),
                base - height_of(v),
                escape(label),
                escape(&line.name.to_lowercase()),
            );
        }
        svg.push_str("</g>");
    } else {
        let _ = write!(
            svg,
            r#"<text x="{}" y="{}" text-anchor="middle" font-size="13" fill="{INK}">No data</text>"#,
            WIDTH / 2.0,
            TOP + PLOT_HEIGHT / 2.0,
        );
    }
    // Category labels, every one while they fit, else every other.
    let every = if n > 16 { 2 } else { 1 };
    svg.push_str(r#"<g class="labels">"#);
    for (i, label) in labels.iter().enumerate().filter(|(i, _)| i % every == 0) {
        let _ = write!(
            svg,
            r#"<text x="{:.1}" y="{}" text-anchor="middle" font-size="11" fill="{INK}">{}</text>"#,
            centre(i),
            base + 16.0,
            escape(label),
        );
    }
    svg.push_str("</g>");
    // Legend.
    let _ = write!(
        svg,
        r#"<g class="legend" font-size="12" fill="{INK}"><rect x="{LEFT}" y="8" width="12" height="12" fill="{BAR_FILL}"/><text x="{}" y="18">{}</text><line x1="{}" y1="14" x2="{}" y2="14" stroke="{LINE_STROKE}" stroke-width="2.5"/><text x="{}" y="18">{}</text></g></svg>"#,
        LEFT + 18.0,
        escape(bars.name),
        LEFT + 110.0,
        LEFT + 128.0,
        LEFT + 134.0,
        escape(line.name),
    );

    let mut table = String::new();
    let _ = write!(
        table,
        r#"<table class="chart-data"><caption>{}</caption><thead><tr><th scope="col">{}</th><th scope="col">{}</th><th scope="col">{}</th></tr></thead><tbody>"#,
        escape(title),
        escape(category),
        escape(bars.name),
        escape(line.name),
    );
    for (i, label) in labels.iter().enumerate() {
        let _ = write!(
            table,
            r#"<tr data-row="{i}"><th scope="row">{}</th><td data-series="bars">{}</td><td data-series="line">{}</td></tr>"#,
            escape(label),
            value(&bars, i),
            value(&line, i),
        );
    }
    if n == 0 {
        table.push_str(r#"<tr><td colspan="3">No data</td></tr>"#);
    }
    table.push_str("</tbody></table>");
    Chart {
        svg: Markup(svg),
        table: Markup(table),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `height` of each column, with its `data-value`.
    fn bars(svg: &str) -> Vec<(i64, f64)> {
        svg.split(r#"<rect class="bar" "#)
            .skip(1)
            .map(|r| {
                let attr = |name: &str| {
                    let at = r
                        .find(&format!(" {name}=\""))
                        .unwrap_or_else(|| panic!("{name} in {r}"))
                        + name.len()
                        + 3;
                    r[at..].split('"').next().unwrap_or_default().to_owned()
                };
                (
                    attr("data-value").parse().unwrap_or(-1),
                    attr("height").parse().unwrap_or(-1.0),
                )
            })
            .collect()
    }

    /// The `cy` of each point of the line.
    fn points(svg: &str) -> Vec<f64> {
        svg.split(r#"<circle class="point" cx=""#)
            .skip(1)
            .map(|c| {
                let at = c.find("cy=\"").unwrap_or(0) + 4;
                c[at..]
                    .split('"')
                    .next()
                    .unwrap_or_default()
                    .parse()
                    .unwrap_or(-1.0)
            })
            .collect()
    }

    fn labels(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn columns_and_points_are_proportional_to_their_values() {
        let c = bars_and_line(
            "Opened and resolved",
            "Week",
            &labels(&["a", "b", "c", "d"]),
            Series {
                name: "Opened",
                values: &[2, 4, 0, 8],
            },
            Series {
                name: "Resolved",
                values: &[1, 3, 5, 0],
            },
        );
        let svg = c.svg.as_str();
        let b = bars(svg);
        assert_eq!(b.iter().map(|x| x.0).collect::<Vec<_>>(), [2, 4, 0, 8]);
        // Axis 0..8 (step 2): 8 is the whole plot, 4 twice 2, 0 nothing.
        assert_eq!(axis(8), (8, 2));
        assert!((b[3].1 - PLOT_HEIGHT).abs() < 0.11, "{b:?}");
        assert!((b[1].1 - 2.0 * b[0].1).abs() < 0.11, "{b:?}");
        assert_eq!(b[2].1, 0.0);
        // Points: the distance above the base line is proportional too.
        let base = HEIGHT - BOTTOM;
        let p = points(svg);
        assert_eq!(p.len(), 4);
        assert!(((base - p[2]) - 5.0 * (base - p[0])).abs() < 0.5, "{p:?}");
        assert!((base - p[3]).abs() < 0.01, "{p:?}");
        // Ticks 0, 2, ..., 8 and what the chart says it is.
        for t in ["0", "2", "8"] {
            assert!(svg.contains(&format!(">{t}</text>")), "tick {t}");
        }
        assert!(svg.contains(r#"role="img""#));
        assert!(svg.contains("<title>Opened and resolved</title>"));
        assert!(svg.contains(
            r#"aria-label="Opened and resolved: 14 opened and 9 resolved across 4 weeks""#
        ));
        assert!(!svg.contains("style"), "no style attributes under the CSP");
        assert!(!svg.contains("<script"));
        // The table lists every number.
        let t = c.table.as_str();
        assert!(t.contains(r#"<tr data-row="3"><th scope="row">d</th><td data-series="bars">8</td><td data-series="line">0</td></tr>"#), "{t}");
    }

    #[test]
    fn labels_and_names_are_escaped_everywhere() {
        let evil = r#"<script>alert("x")</script> & 'q'"#;
        let c = bars_and_line(
            evil,
            evil,
            &labels(&[evil]),
            Series {
                name: evil,
                values: &[1],
            },
            Series {
                name: evil,
                values: &[1],
            },
        );
        for out in [c.svg.as_str(), c.table.as_str()] {
            assert!(!out.contains("<script"), "{out}");
            assert!(!out.contains(r#""x""#), "{out}");
            assert!(!out.contains("'q'"), "{out}");
            assert!(
                out.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39;")
            );
        }
    }

    #[test]
    fn an_empty_chart_still_has_axes_a_title_and_says_so() {
        let c = bars_and_line(
            "Nothing yet",
            "Week",
            &[],
            Series {
                name: "Opened",
                values: &[],
            },
            Series {
                name: "Resolved",
                values: &[],
            },
        );
        let svg = c.svg.as_str();
        assert!(svg.contains(r#"class="axes""#));
        assert!(svg.contains("<title>Nothing yet</title>"));
        assert!(svg.contains(r#"aria-label="Nothing yet: no data""#));
        assert!(svg.contains(">No data</text>"));
        assert!(bars(svg).is_empty());
        assert!(c.table.as_str().contains("No data"));
        // All zeros: a 0..1 axis, flat columns, nothing divides by zero.
        let zeros = bars_and_line(
            "Quiet",
            "Week",
            &labels(&["a", "b"]),
            Series {
                name: "Opened",
                values: &[0, 0],
            },
            Series {
                name: "Resolved",
                values: &[0, 0],
            },
        );
        assert!(bars(zeros.svg.as_str()).iter().all(|b| b.1 == 0.0));
        assert!(!zeros.svg.as_str().contains("NaN"));
    }

    #[test]
    fn axes_end_on_a_round_number_above_the_largest_value() {
        assert_eq!(axis(0), (1, 1));
        assert_eq!(axis(1), (1, 1));
        assert_eq!(axis(5), (5, 1));
        assert_eq!(axis(6), (6, 2));
        assert_eq!(axis(7), (8, 2));
        assert_eq!(axis(23), (25, 5));
        assert_eq!(axis(120), (150, 50));
        assert_eq!(axis(1000), (1000, 200));
    }
}
