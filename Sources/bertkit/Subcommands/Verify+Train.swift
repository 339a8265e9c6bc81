import ArgumentParser
import BertModel
import BertVerify
import Foundation

// verify --train: one training step against a step golden (golden/record.py --train).
extension Verify {
    func verifyStep(_ m: BertModel) throws {
        guard m.head != .none else {
            throw ValidationError("\(model) is a BertModel without a head: there is no loss to train\n---> HINT: record and verify the model with its head (config.json architectures)")
        }
        let g = try StepGolden.read(path: golden)
        let r = try StepVerifier.verify(model: m, golden: g, failFast: failFast)
        if json {
            try Console.outJSON(StepVerifyJSON(report: r))
        } else {
            Console.out(StepVerifyText.render(r))
        }
        if !r.passed { throw Exit.checkFailed }
    }
}

/// verify --train --json: as verify --json, plus each row's kind and rule, the first divergent gradient
/// (forward order) and where backward goes wrong (the last in forward order).
struct StepVerifyJSON: Encodable {
    let report: StepVerifyReport
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(report.passed, forKey: .passed)
        try c.encode(report.golden, forKey: .golden)
        try c.encodeIfPresent(report.firstFailure?.comparison.tap, forKey: .firstFailure)
        try c.encodeIfPresent(report.firstFailure?.comparison.goldenName, forKey: .firstFailureName)
        try c.encodeIfPresent(report.firstDivergentGradient, forKey: .firstDivergentGradient)
        try c.encodeIfPresent(report.divergenceOrigin, forKey: .divergenceOrigin)
        try c.encode(report.rows, forKey: .taps)
        try c.encode(report.skipped, forKey: .skipped)
        try c.encode(report.notCompared, forKey: .notCompared)
    }
    enum Key: String, CodingKey {
        case passed, golden, firstFailure = "first_failure", firstFailureName = "first_failure_name"
        case firstDivergentGradient = "first_divergent_gradient", divergenceOrigin = "divergence_origin", taps, skipped, notCompared = "not_compared"
    }
}

enum StepVerifyText {
    static func render(_ r: StepVerifyReport) -> String {
        let e = VerifyText.e
        var lines = VerifyText.table(r.rows.map(\.comparison), notCompared: r.notCompared, heading: "tensor")
        lines.append("")
        for s in r.skipped { lines.append("skipped \(s.name): \(s.reason)") }
        let failing = r.rows.filter { !$0.comparison.passed }
        if let f = r.firstFailure {
            let c = f.comparison
            if let p = r.firstDivergentGradient { lines.append("first divergent gradient: \(p) (in forward order)") }
            if let p = r.divergenceOrigin {
                lines.append("backward goes wrong at: \(p) (the first divergent gradient backward computes, the last in forward order)")
            }
            lines.append("first failing tensor: \(c.goldenName): \(c.failing) of \(c.compared) elements fail; "
                         + "worst \(c.worstIndex): \(c.worstActual) vs \(c.worstExpected) (rule: atol \(e(f.tolerance.atol)), rtol \(e(f.tolerance.rtol)))")
            lines.append("FAIL: \(failing.count) of \(r.rows.count) tensors of the step fail")
        } else {
            lines.append("PASS: all \(r.rows.count) tensors of the step (loss, gradients, moments, parameters) within their rules")
        }
        return lines.joined(separator: "\n")
    }
}
