import BertFormats
import BertModel
import Foundation

/// Fidelity (every golden tap as in `verify`), Quality (accuracy on single-label data; the other
/// problem types are in ProblemQualityChecks.swift), Latency.
enum FidelityQualityChecks {
    static func fidelity(_ model: BertModel, golden: String, tolerance: Tolerance) throws -> ValidationCheck {
        let g = try GoldenFile.read(path: golden, layers: model.config.appliedLayers, head: model.head)
        let r = try Verifier.verify(model: model, golden: g, tolerance: tolerance)
        let worst = r.taps.map(\.maxAbsError).max() ?? 0
        if let f = r.firstFailure {
            return ValidationCheck("Fidelity", "golden taps", .fail,
                                   "\(r.taps.filter { !$0.passed }.count) of \(r.taps.count) taps fail; first \(f.tap) (max abs \(String(format: "%.2e", f.maxAbsError)), atol \(tolerance.atol))",
                                   figures: ["max_abs_error": worst])
        }
        if let a = r.aliasDisagreements.first {
            return ValidationCheck("Fidelity", "golden taps", .fail,
                                   "\(golden) disagrees with itself: \(a.names[0]) and \(a.names[1]) both record \(a.tap), max abs difference "
                                   + String(format: "%.2e", a.maxAbsDifference), figures: ["max_abs_error": worst])
        }
        return ValidationCheck("Fidelity", "golden taps", .pass,
                               "all \(r.taps.countPhrase) of \(golden) within atol \(tolerance.atol), rtol \(tolerance.rtol) (worst max abs \(String(format: "%.2e", worst)))",
                               figures: ["max_abs_error": worst])
    }

    static func quality(_ model: BertModel, data: String, _ ds: LabelledDataset, minAccuracy: Double?) throws -> (ValidationCheck, [String]) {
        let e = try ClassifierEvaluation.run(model: model, dataset: ds)
        let acc = e.metrics.accuracy
        var lines = ["confusion matrix (rows: true label, columns: predicted) on \(ds.examples.count) examples of \(data):"]
        let labels = e.metrics.labels
        let w = max(8, (labels.map(\.count).max() ?? 0) + 2)
        func pad(_ s: String) -> String { s + String(repeating: " ", count: max(0, w - s.count)) }
        lines.append(pad("") + labels.map(pad).joined())
        for (i, row) in e.metrics.confusion.enumerated() { lines.append(pad(labels[i]) + row.map { pad("\($0)") }.joined()) }
        let figure = ["accuracy": acc, "examples": Double(ds.examples.count)]
        guard let m = minAccuracy else {
            return (ValidationCheck("Quality", "accuracy", .warn, String(format: "accuracy %.4f (no --min-accuracy given)", acc), figures: figure), lines)
        }
        return (.passIf(acc >= m, "Quality", "accuracy", pass: String(format: "accuracy %.4f ≥ %.4f", acc, m),
                        fail: String(format: "accuracy %.4f < %.4f", acc, m), figures: figure), lines)
    }

    static func latency(_ model: BertModel, maxMs: Double, batch: Int, seq: Int) throws -> ValidationCheck {
        let ids = (0..<batch).flatMap { _ in (0..<seq).map { $0 == 0 ? 1 : min(1000, model.config.vocabSize - 1) } }
        let input = try BertInput(batch: batch, seq: seq, inputIds: ids, config: model.config)
        _ = try model.run(input)  // warm-up: buffers and BLAS threads
        var times: [Double] = []
        for _ in 0..<5 {
            let t0 = DispatchTime.now().uptimeNanoseconds
            _ = try model.run(input)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
        }
        let median = times.sorted()[times.count / 2]
        return .passIf(median <= maxMs, "Latency", "forward latency",
                       pass: String(format: "median %.2f ms ≤ %.2f ms at batch %d × seq %d (5 runs)", median, maxMs, batch, seq),
                       fail: String(format: "median %.2f ms > %.2f ms at batch %d × seq %d (5 runs)", median, maxMs, batch, seq),
                       figures: ["latency_ms": median])
    }
}
