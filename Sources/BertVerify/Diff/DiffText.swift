import Foundation

/// The plain-text form of a `ModelDiff`: tokenizer and config differences first, then one row per
/// tap, then the weights, then the verdict.
public enum DiffText {
    static func e(_ x: Double) -> String { x.isFinite ? String(format: "%.2e", x) : (x.isNaN ? "nan" : (x > 0 ? "inf" : "-inf")) }
    static func db(_ x: Double) -> String { x.isFinite ? String(format: "%.1f", x) : (x > 0 ? "inf" : "-inf") }

    static let header = ["tap", "max abs", "mean abs", "median abs", "p99 abs", "max rel", "NMSE dB", "cosine", "nan/inf", "min atol", "result"]

    static func cells(_ t: TapComparison) -> [String] {
        [t.goldenName, e(t.maxAbsError), e(t.meanAbsError), e(t.medianAbsError), e(t.p99AbsError), e(t.maxRelError), db(t.nmseDB),
         String(format: "%.9f", t.cosine), "\(t.nanActual + t.nanExpected)/\(t.infActual + t.infExpected)", e(t.requiredAtol),
         t.passed ? "PASS" : "FAIL"]
    }

    /// What must be said before any number: tokenizer, config, shape and membership differences.
    public static func preamble(_ d: ModelDiff) -> [String] {
        var lines: [String] = []
        if let m = d.tokenizer {
            lines.append("TOKENIZERS DIFFER: text \(m.row + 1) (\"\(m.text)\") first differs at token \(m.position): "
                         + "A has \(m.tokenA), B has \(m.tokenB) (\(m.countA) vs \(m.countB) tokens)")
        }
        for c in d.configDifferences { lines.append("config differs: \(c)") }
        lines += d.notes
        for s in d.tapShapeMismatches { lines.append("not compared: \(s.tap) has shape \(s.shapeA) in A, \(s.shapeB) in B") }
        if !d.onlyInA.isEmpty { lines.append("taps only in A: \(d.onlyInA.joined(separator: ", "))") }
        if !d.onlyInB.isEmpty { lines.append("taps only in B: \(d.onlyInB.joined(separator: ", "))") }
        for (side, aliases) in [("A", d.aliasesA), ("B", d.aliasesB)] {
            if let a = aliases.agreementLine(prefix: "aliases in \(side): ") { lines.append(a) }
            lines += aliases.disagreementLines(side)
        }
        return lines
    }

    public static func verdict(_ d: ModelDiff) -> String {
        let tol = "atol \(e(d.tolerance.atol)), rtol \(e(d.tolerance.rtol)), stat \(d.tolerance.stat.rawValue)"
        let selfDisagreements = [("A", d.aliasesA), ("B", d.aliasesB)].compactMap { side, aliases -> String? in
            let n = aliases.filter { !$0.agree }.count
            return n == 0 ? nil : "\(side) disagrees with itself on \(n) pair\(n == 1 ? "" : "s")"
        }.joined(separator: " and ")
        let noun = Set(d.taps.map(\.tap)).count == d.taps.count ? "taps" : "tensors"
        if let f = d.firstDivergent {
            let name = f.goldenName == f.tap ? f.tap : "\(f.tap) (\(f.goldenName))"
            return "FAIL: first divergent tap \(name): max abs \(e(f.maxAbsError)), \(f.failing) of \(f.compared) elements over "
                + "tolerance (\(tol)); it would pass at atol ≥ \(e(f.requiredAtol)). "
                + "\(d.taps.filter { !$0.passed }.count) of \(d.taps.count) \(noun) fail"
                + (selfDisagreements.isEmpty ? "." : "; \(selfDisagreements).")
        }
        if d.taps.isEmpty { return "FAIL: no tap could be compared" }
        if d.tokenizer != nil || !d.tapShapeMismatches.isEmpty {
            return "FAIL: all \(d.taps.count) compared \(noun) within \(tol), but the models differ as listed above"
        }
        if !selfDisagreements.isEmpty { return "FAIL: all \(d.taps.countPhrase) within \(tol), but \(selfDisagreements)" }
        return "PASS: all \(d.taps.countPhrase) within \(tol)"
    }

    public static func render(_ d: ModelDiff, topWeights: Int = 20) -> String {
        var lines = ["A: \(d.a)", "B: \(d.b)", "inputs: \(d.batch)×\(d.seq) tokens; statistics over real (mask 1) positions, B against A"]
        lines += preamble(d)
        lines.append("")
        let widths = [max(34, (d.taps.map(\.goldenName.count).max() ?? 0) + 2), 10, 10, 11, 10, 10, 9, 13, 9, 10, 6]
        func row(_ c: [String]) -> String { zip(c, widths).map { $0 + String(repeating: " ", count: max(0, $1 - $0.count)) }.joined() }
        lines.append(row(header))
        lines += d.taps.map { row(cells($0)) }
        if let w = d.weights {
            lines.append("")
            let moved = w.entries.filter { !$0.identical }
            lines.append("weights: \(w.entries.count) compared, \(moved.count) changed; largest relative change ‖B − A‖/‖A‖:")
            for x in moved.prefix(topWeights) {
                lines.append("  " + x.name.padding(toLength: max(48, x.name.count + 2), withPad: " ", startingAt: 0)
                             + "\(e(x.relativeChange))  max abs \(e(x.maxAbsDifference))")
            }
            for m in w.shapeMismatches { lines.append("  shape differs: \(m.name): \(m.shapeA) in A, \(m.shapeB) in B") }
            if !w.onlyInA.isEmpty { lines.append("  only in A: \(w.onlyInA.joined(separator: ", "))") }
            if !w.onlyInB.isEmpty { lines.append("  only in B: \(w.onlyInB.joined(separator: ", "))") }
        }
        lines.append("")
        lines.append(verdict(d))
        return lines.joined(separator: "\n")
    }
}
