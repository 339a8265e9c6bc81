import Foundation

/// `bertkit diff --report`: one self-contained HTML page (inline SVG, no network assets) with the
/// per-tap error curves, the weight-drift bars and the table.
public enum DiffReport {
    /// The statistics drawn, one log-scale chart each: (title, value of a row, threshold line).
    static func curves(_ d: ModelDiff) -> [(String, (TapComparison) -> Double, Double?)] {
        [("max abs error", \.maxAbsError, d.tolerance.atol), ("mean abs error", \.meanAbsError, d.tolerance.atol),
         ("median abs error", \.medianAbsError, d.tolerance.atol), ("99th-percentile abs error", \.p99AbsError, d.tolerance.atol),
         ("max rel error", \.maxRelError, d.tolerance.rtol), ("min atol that passes", \.requiredAtol, d.tolerance.atol),
         ("1 − cosine", { 1 - $0.cosine }, nil)]
    }

    public static func html(_ d: ModelDiff) -> String {
        var r = HTMLReport(title: "bertkit diff: \(d.a) vs \(d.b)")
        r.paragraph(DiffText.verdict(d), cssClass: d.passed ? "pass" : "fail")
        for line in DiffText.preamble(d) { r.paragraph(line) }
        let labels = d.taps.map(\.goldenName)
        let marker = d.taps.firstIndex { !$0.passed }
        for (title, value, threshold) in curves(d) where !d.taps.isEmpty {
            // An exact match (0) is drawn as an open marker on the floor of the log axis.
            var c = LineChart(title: "\(title) per tap", xLabels: labels,
                              series: [.init(name: title, values: d.taps.map { let v = value($0); return v >= 0 && v.isFinite ? v : nil })],
                              logY: true, yLabel: title)
            if let t = threshold, t > 0 { c.thresholds = [(label: "tolerance \(t)", value: t)] }
            if let m = marker { c.marker = (index: m, label: "first divergent: \(labels[m])") }
            r.figure(c.svg())
        }
        if let w = d.weights, !w.entries.isEmpty {
            let bars = w.entries.prefix(30).map { (label: $0.name, value: $0.relativeChange) }
            r.figure(BarChart(title: "weight drift ‖B − A‖ / ‖A‖ (top 30)", bars: Array(bars), valueLabel: "relative change").svg())
        }
        r.heading("Taps")
        r.table(header: DiffText.header, rows: d.taps.map(DiffText.cells), id: "taps")
        if let w = d.weights {
            r.heading("Weights")
            r.table(header: ["parameter", "relative change", "max abs diff", "elements", "identical"],
                    rows: w.entries.map { [$0.name, DiffText.e($0.relativeChange), DiffText.e($0.maxAbsDifference), "\($0.elements)", "\($0.identical)"] },
                    id: "weights")
        }
        return r.render()
    }
}
