import Foundation

/// Lines over a shared categorical x axis (taps), optionally on a log₁₀ y axis, with nice 1-2-5
/// ticks (NiceScale). Training curves, over a numeric step axis, are StackedChart's.
/// Points that are missing, non-finite, or ≤ 0 on a log axis are left out of the line.
public struct LineChart {
    public struct Series {
        public var name: String
        public var values: [Double?]
        public init(name: String, values: [Double?]) { self.name = name; self.values = values }
    }

    public var title: String
    public var xLabels: [String]
    public var series: [Series]
    public var logY: Bool
    public var yLabel: String
    /// Horizontal reference lines (thresholds), drawn dashed.
    public var thresholds: [(label: String, value: Double)] = []
    /// An x position to mark (the first divergent tap).
    public var marker: (index: Int, label: String)?

    public init(title: String, xLabels: [String], series: [Series], logY: Bool, yLabel: String) {
        self.title = title
        self.xLabels = xLabels
        self.series = series
        self.logY = logY
        self.yLabel = yLabel
    }

    public func svg(width: Double = 900, height: Double = 420) -> String {
        // Rotated (-45°) x labels reach down and to the left by about 0.7 × their length.
        let longest = Double(xLabels.map(\.count).max() ?? 4)
        let left = max(70, 4.2 * Double(xLabels.first?.count ?? 0) + 10), right = 160.0, top = 36.0
        let bottom = max(60, 20 + 4.6 * longest)
        let pw = width - left - right, ph = height - top - bottom
        func usable(_ v: Double?) -> Double? {
            guard let v, v.isFinite, !logY || v > 0 else { return nil }
            return logY ? log10(v) : v
        }
        var all = series.flatMap { $0.values.compactMap(usable) } + thresholds.compactMap { usable($0.value) }
        if all.isEmpty { all = [0, 1] }
        // Nice 1-2-5 ticks (NiceScale); on a log axis, decades (every 2nd or 5th when there are many).
        let ticks = logY ? NiceScale.decades(lo: all.min()!, hi: all.max()!) : NiceScale(lo: all.min()!, hi: all.max()!).ticks
        let scale = logY ? nil : NiceScale(lo: all.min()!, hi: all.max()!)
        let lo = ticks.first!, hi = ticks.last!
        let n = max(xLabels.count, 1)
        func x(_ i: Int) -> Double { left + (n == 1 ? pw / 2 : pw * Double(i) / Double(n - 1)) }
        func y(_ v: Double) -> Double { top + ph * (1 - (v - lo) / (hi - lo)) }

        var s = SVG(width: width, height: height)
        s.text(title, x: left, y: 20, size: 14, weight: "bold", extra: ["data-role": "title"])
        for t in ticks {
            s.line(x1: left, y1: y(t), x2: left + pw, y2: y(t), stroke: "#e5e5e5")
            let label = logY ? "1e\(Int(t))" : scale!.label(t)
            s.text(label, x: left - 6, y: y(t) + 4, size: 10, anchor: "end", fill: "#555",
                   extra: ["data-role": "y-tick", "data-value": logY ? String(pow(10, t)) : String(t)])
        }
        s.text(yLabel, x: 16, y: top + ph / 2, size: 11, anchor: "middle", rotate: -90, extra: ["data-role": "y-label"])
        s.line(x1: left, y1: top + ph, x2: left + pw, y2: top + ph, stroke: "#333")
        s.line(x1: left, y1: top, x2: left, y2: top + ph, stroke: "#333")
        // x labels (thinned so they stay legible)
        let every = max(1, Int((Double(n) / (pw / 14)).rounded(.up)))
        for (i, l) in xLabels.enumerated() where i % every == 0 {
            s.text(l, x: x(i), y: top + ph + 12, size: 9, anchor: "end", rotate: -45, fill: "#444")
        }
        for t in thresholds {
            guard let v = usable(t.value) else { continue }
            s.line(x1: left, y1: y(v), x2: left + pw, y2: y(v), stroke: "#c00", dash: "4 3")
            s.text(t.label, x: left + pw + 4, y: y(v) + 4, size: 10, fill: "#c00")
        }
        if let m = marker, m.index < n {
            s.line(x1: x(m.index), y1: top, x2: x(m.index), y2: top + ph, stroke: "#c00", width: 1.5)
            s.text(m.label, x: x(m.index) + 4, y: top + 12, size: 10, fill: "#c00")
        }
        for (k, ser) in series.enumerated() {
            let colour = Palette.series[k % Palette.series.count]
            var run: [(Double, Double)] = []
            func flush() { if run.count > 1 { s.polyline(run, stroke: colour, extra: ["data-series": ser.name]) }; run = [] }
            for (i, v) in ser.values.enumerated() {
                if logY, v == 0 {
                    // Exactly equal: no place on a log axis, so an open marker on the floor.
                    flush()
                    s.raw("<circle cx=\"\(SVG.num(x(i)))\" cy=\"\(SVG.num(top + ph))\" r=\"3\" fill=\"white\" stroke=\"\(colour)\"><title>\(SVG.escape(ser.name)) @ \(SVG.escape(i < xLabels.count ? xLabels[i] : String(i))): 0 (exact)</title></circle>")
                    continue
                }
                if let u = usable(v) {
                    run.append((x(i), y(u)))
                    s.circle(x: x(i), y: y(u), r: 2.5, fill: colour,
                             title: "\(ser.name) @ \(i < xLabels.count ? xLabels[i] : String(i)): \(String(format: "%.4g", v!))")
                } else { flush() }
            }
            flush()
            s.rect(x: left + pw + 10, y: top + 16 * Double(k) + 40, w: 10, h: 10, fill: colour)
            s.text(ser.name, x: left + pw + 24, y: top + 16 * Double(k) + 49, size: 11)
        }
        return s.render(title: title)
    }
}
