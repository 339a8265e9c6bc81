import Foundation

/// Horizontal bars, one per labelled value, in the order given (callers rank them).
public struct BarChart {
    public var title: String
    public var bars: [(label: String, value: Double)]
    public var valueLabel: String
    public var logX: Bool

    public init(title: String, bars: [(label: String, value: Double)], valueLabel: String, logX: Bool = false) {
        self.title = title
        self.bars = bars
        self.valueLabel = valueLabel
        self.logX = logX
    }

    public func svg(width: Double = 900, barHeight: Double = 16) -> String {
        let labelWidth = min(420, 7 * Double(bars.map(\.label.count).max() ?? 10) + 10)
        let top = 40.0, left = labelWidth, right = 90.0
        let height = top + Double(bars.count) * (barHeight + 4) + 30
        let pw = width - left - right
        func t(_ v: Double) -> Double { logX ? log10(max(v, 1e-12)) : v }
        let finite = bars.map(\.value).filter(\.isFinite)
        // The value axis has nice 1-2-5 ticks (NiceScale) from 0, or decades on a log axis.
        let linear = NiceScale(lo: 0, hi: finite.max() ?? 1)
        let ticks = logX ? NiceScale.decades(lo: finite.map(t).min() ?? 0, hi: finite.map(t).max() ?? 1) : linear.ticks
        let lo = ticks.first!, hi = ticks.last!
        var s = SVG(width: width, height: height)
        s.text(title, x: 10, y: 20, size: 14, weight: "bold", extra: ["data-role": "title"])
        s.text(valueLabel, x: left + pw, y: 34, size: 10, anchor: "end", fill: "#555", extra: ["data-role": "x-label"])
        let axis = top + Double(bars.count) * (barHeight + 4)
        for v in ticks {
            let x = left + pw * (v - lo) / (hi - lo)
            s.line(x1: x, y1: top - 2, x2: x, y2: axis, stroke: "#e5e5e5")
            s.text(logX ? "1e\(Int(v))" : linear.label(v), x: x, y: axis + 14, size: 10, anchor: "middle", fill: "#555",
                   extra: ["data-role": "x-tick", "data-value": logX ? String(pow(10, v)) : String(v)])
        }
        for (i, b) in bars.enumerated() {
            let y = top + Double(i) * (barHeight + 4)
            let w = b.value.isFinite ? pw * (t(b.value) - lo) / (hi - lo) : pw
            s.text(b.label, x: left - 6, y: y + barHeight - 4, size: 10, anchor: "end")
            s.rect(x: left, y: y, w: w, h: barHeight, fill: b.value.isFinite ? Palette.series[0] : "#c00",
                   title: "\(b.label): \(String(format: "%.4g", b.value))", extra: ["data-value": String(b.value)])
            s.text(String(format: "%.3g", b.value), x: left + w + 4, y: y + barHeight - 4, size: 10, fill: "#444")
        }
        return s.render(title: title)
    }
}
