import Foundation

/// Panels stacked top to bottom that share one numeric x axis (training steps), as TensorBoard and
/// W&B draw a run: each panel its own y axis, every axis with nice 1-2-5 ticks (NiceScale), the x
/// axis labelled under the last panel.
///
/// The SVG names its parts for readers and tests: `data-role` is `title`, `x-tick`, `x-label`,
/// `y-tick`, `y-label` or `legend` on text, `panel` on each panel's frame; ticks carry `data-value`
/// and `data-panel`; points carry `data-series`, `data-x` and `data-y`.
public struct StackedChart {
    public struct Series {
        public enum Style: Sendable { case line, markers }
        public var name: String
        public var points: [(x: Double, y: Double)]
        public var style: Style
        public init(name: String, points: [(x: Double, y: Double)], style: Style = .line) {
            self.name = name
            self.points = points
            self.style = style
        }
    }

    public struct Panel {
        public var yLabel: String
        public var series: [Series]
        public init(yLabel: String, series: [Series]) {
            self.yLabel = yLabel
            self.series = series
        }
    }

    public var title: String
    public var xLabel: String
    public var panels: [Panel]
    /// x ticks at whole numbers only (steps).
    public var integerX = true

    public init(title: String, xLabel: String, panels: [Panel]) {
        self.title = title
        self.xLabel = xLabel
        self.panels = panels
    }

    /// The shared x scale: nice ticks over every point of every panel.
    public var xScale: NiceScale {
        let xs = panels.flatMap { $0.series.flatMap { $0.points.map(\.x) } }.filter(\.isFinite)
        // Steps are whole: a tick step below 1 would label steps that do not exist.
        return NiceScale(lo: xs.min() ?? 0, hi: xs.max() ?? 1, count: 6, minStep: integerX ? 1 : 0)
    }

    /// Panel k's y scale: nice ticks over its finite values.
    public func yScale(_ k: Int) -> NiceScale {
        let ys = panels[k].series.flatMap { $0.points.map(\.y) }.filter(\.isFinite)
        return NiceScale(lo: ys.min() ?? 0, hi: ys.max() ?? 1, count: 5)
    }

    public func svg(width: Double = 900, panelHeight: Double = 200) -> String {
        let left = 78.0, right = 170.0, top = 44.0, gap = 26.0, bottom = 56.0
        let pw = width - left - right
        let height = top + Double(panels.count) * panelHeight + Double(max(panels.count - 1, 0)) * gap + bottom
        let xs = xScale
        func x(_ v: Double) -> Double { left + pw * (v - xs.lo) / (xs.hi - xs.lo) }
        var s = SVG(width: width, height: height)
        s.text(title, x: left, y: 24, size: 15, weight: "bold", extra: ["data-role": "title"])
        for (k, panel) in panels.enumerated() {
            let ys = yScale(k)
            let y0 = top + Double(k) * (panelHeight + gap), ph = panelHeight
            func y(_ v: Double) -> Double { y0 + ph * (1 - (v - ys.lo) / (ys.hi - ys.lo)) }
            s.rect(x: left, y: y0, w: pw, h: ph, fill: "none", extra: ["data-role": "panel", "data-panel": String(k), "stroke": "#333"])
            for t in ys.ticks {
                s.line(x1: left, y1: y(t), x2: left + pw, y2: y(t), stroke: "#e5e5e5")
                s.text(ys.label(t), x: left - 6, y: y(t) + 4, size: 10, anchor: "end", fill: "#555",
                       extra: ["data-role": "y-tick", "data-panel": String(k), "data-value": String(t)])
            }
            for t in xs.ticks { s.line(x1: x(t), y1: y0, x2: x(t), y2: y0 + ph, stroke: "#f0f0f0") }
            s.text(panel.yLabel, x: 18, y: y0 + ph / 2, size: 12, anchor: "middle", rotate: -90,
                   extra: ["data-role": "y-label", "data-panel": String(k)])
            for (j, ser) in panel.series.enumerated() {
                let colour = Palette.series[(k + j) % Palette.series.count]
                let finite = ser.points.filter { $0.x.isFinite && $0.y.isFinite }
                if ser.style == .line, finite.count > 1 {
                    s.polyline(finite.map { (x($0.x), y($0.y)) }, stroke: colour, extra: ["data-series": ser.name])
                }
                for p in finite {
                    let value = "\(ser.name) @ \(ValueLabel.step(p.x)): \(String(format: "%.4g", p.y))"
                    let attrs: KeyValuePairs<String, String> = ["data-series": ser.name, "data-x": String(p.x), "data-y": String(p.y)]
                    if ser.style == .markers {
                        s.circle(x: x(p.x), y: y(p.y), r: 4.5, fill: "white", title: value, stroke: colour, extra: attrs)
                    } else {
                        s.circle(x: x(p.x), y: y(p.y), r: 2.5, fill: colour, title: value, extra: attrs)
                    }
                }
                let ly = y0 + 14 + 18 * Double(j)
                if ser.style == .markers {
                    s.circle(x: left + pw + 17, y: ly - 4, r: 4.5, fill: "white", stroke: colour)
                } else {
                    s.rect(x: left + pw + 12, y: ly - 9, w: 10, h: 10, fill: colour)
                }
                s.text(ser.name, x: left + pw + 28, y: ly, size: 11, extra: ["data-role": "legend", "data-panel": String(k)])
            }
        }
        let floor = top + Double(panels.count) * panelHeight + Double(max(panels.count - 1, 0)) * gap
        for t in xs.ticks {
            s.line(x1: x(t), y1: floor, x2: x(t), y2: floor + 4, stroke: "#333")
            s.text(xs.label(t), x: x(t), y: floor + 16, size: 10, anchor: "middle", fill: "#555",
                   extra: ["data-role": "x-tick", "data-value": String(t)])
        }
        s.text(xLabel, x: left + pw / 2, y: floor + 40, size: 12, anchor: "middle", extra: ["data-role": "x-label"])
        return s.render(title: title)
    }
}

enum ValueLabel {
    /// A step as written in point titles: whole steps without a decimal point.
    static func step(_ x: Double) -> String { x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : String(format: "%.4g", x) }
}
