import BertFormats
import BertModel
import Foundation

/// One compared tensor of a step: what it is, the rule it was judged by and the statistics.
public struct StepComparison: Sendable, Encodable {
    public enum Kind: String, Sendable, Codable { case loss, logits, gradient, exp_avg, exp_avg_sq, parameter }
    public let kind: Kind
    /// The parameter (nil for the loss and logits).
    public let parameter: String?
    public let tolerance: Tolerance
    public let comparison: TapComparison

    enum Key: String, CodingKey { case kind, parameter, tolerance }
    /// The comparison's fields (as `verify --json`'s taps) plus kind, parameter and tolerance.
    public func encode(to encoder: Encoder) throws {
        try comparison.encode(to: encoder)
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(kind, forKey: .kind)
        try c.encodeIfPresent(parameter, forKey: .parameter)
        try c.encode(tolerance, forKey: .tolerance)
    }
}

/// `bertkit verify --train`: bertkit's step on a step golden's batch, compared tensor by tensor.
public struct StepVerifyReport: Sendable, Encodable {
    public struct Skipped: Sendable, Codable, Equatable {
        public let name: String
        public let reason: String
    }

    public let golden: String
    /// The loss, the head's output, then per kind (gradients, exp_avg, exp_avg_sq, parameters after
    /// the step) every trained parameter in forward order. Stops after a failure with fail-fast.
    public let rows: [StepComparison]
    public let notCompared: [String]
    public let skipped: [Skipped]
    public var passed: Bool { notCompared.isEmpty && rows.allSatisfy(\.comparison.passed) }
    public var firstFailure: StepComparison? { rows.first { !$0.comparison.passed } }
    /// The first parameter in forward order whose gradient is outside its rule.
    public var firstDivergentGradient: String? { rows.first { $0.kind == .gradient && !$0.comparison.passed }?.parameter }
    /// The last one in forward order, which is the first that backward computes: a mistake in backward
    /// spoils the gradients it computes and every one computed after it (all earlier layers), so this is
    /// where backward goes wrong. nil with fail-fast, which stops at the first.
    public var divergenceOrigin: String? {
        notCompared.isEmpty ? rows.last { $0.kind == .gradient && !$0.comparison.passed }?.parameter : nil
    }
}

public enum StepVerifier {
    /// Runs one step of `model` on the golden's batch (dropout off, the golden's optimizer) and
    /// compares it. Throws (naming the tensor) when the golden does not fit the model.
    public static func verify(model: BertModel, golden g: StepGolden, failFast: Bool = false) throws -> StepVerifyReport {
        let t = Trainer(model: model, optimizer: g.optimizer, clipNorm: g.clipNorm, dropout: .off)
        try g.check(against: t)
        let input = try g.input(config: model.config)
        let targets = try g.targets(head: model.head, problem: t.problem, batch: input.batch, seq: input.seq)
        // PyTorch records .grad before clipping and the step: take them from a pass of their own.
        let loss: Float, logits: [Float]
        do {
            (loss, logits) = try t.lossAndGradients(input, targets: targets)
        } catch let e as TrainingTargetsError {
            throw StepGoldenError.badTargets(file: g.path, name: "batch.0 targets", problem: e.errorDescription ?? "\(e)")
        }
        let layout = t.gradients.layout
        let grads = Array(UnsafeBufferPointer(start: t.gradients.base, count: t.gradients.count))
        _ = try t.step(input, targets: targets)

        let frozen = Set(t.frozen.map(\.name))
        let trained = layout.entries.filter { !frozen.contains($0.name) }
        var rows: [StepComparison] = [], rest: [String] = [], skipped: [StepVerifyReport.Skipped] = []
        func largest(_ v: [Float]) -> Double { Double(v.lazy.map(abs).max() ?? 0) }
        func compare(_ kind: StepComparison.Kind, _ name: String, parameter: String?, actual: [Float], shape: [Int],
                     expected given: [Float]? = nil, include: @escaping (Int) -> Bool = { _ in true },
                     tolerance: (_ expected: [Float]) -> Tolerance) throws {
            if failFast, rows.last?.comparison.passed == false { rest.append(name); return }
            let expected = try given ?? g.tensor(name, "").floats()
            guard expected.count == actual.count else {
                throw StepGoldenError.shape(file: g.path, name: name, expected: [actual.count], found: g.file[name]?.shape ?? [])
            }
            let tol = tolerance(expected)
            let c = actual.withUnsafeBufferPointer {
                TapComparison(tap: parameter ?? name, goldenName: name, shape: shape, actual: $0, expected: expected, tolerance: tol,
                              include: include)
            }
            rows.append(StepComparison(kind: kind, parameter: parameter, tolerance: tol, comparison: c))
        }

        // Longer goldens record every step's loss; step 1's is the first.
        let torchLoss = try g.tensor("loss", "the step's loss").floats().prefix(1)
        try compare(.loss, "loss", parameter: nil, actual: [loss], shape: [1], expected: Array(torchLoss)) {
            StepTolerance.output(largest: largest($0))
        }
        if let l = g.file["logits.0"] {
            try compare(.logits, "logits.0", parameter: nil, actual: logits, shape: l.shape) { StepTolerance.output(largest: largest($0)) }
        }
        let torchGrads = Dictionary(uniqueKeysWithValues: trained.map { ($0.name, g.file["grad." + $0.name]!.floats()) })
        for e in trained {
            let mine = Array(grads[e.offset..<e.offset + e.count])
            if g.cancelling.contains(e.name) {
                let sibling = e.name.hasSuffix(".bias") ? String(e.name.dropLast(4)) + "weight" : e.name
                let s = largest(torchGrads[sibling] ?? [])
                try compare(.gradient, "grad." + e.name, parameter: e.name, actual: mine, shape: e.shape) { _ in
                    StepTolerance.cancelling(siblingLargest: s)
                }
            } else {
                try compare(.gradient, "grad." + e.name, parameter: e.name, actual: mine, shape: e.shape) {
                    StepTolerance.gradient(largest: largest($0))
                }
            }
        }
        let reason = "0 in exact arithmetic (shift invariance): PyTorch's gradient is rounding noise, which Adam turns into updates of up to lr"
        let eps = g.optimizer.eps
        for (kind, prefix) in [(StepComparison.Kind.exp_avg, "exp_avg."), (.exp_avg_sq, "exp_avg_sq."), (.parameter, "param1.")] {
            for e in trained {
                if g.cancelling.contains(e.name) {
                    skipped.append(.init(name: prefix + e.name, reason: reason))
                    continue
                }
                let range = e.offset..<e.offset + e.count
                switch kind {
                case .exp_avg:
                    try compare(kind, prefix + e.name, parameter: e.name, actual: Array(t.optimizer.exp_avg[range]), shape: e.shape) {
                        StepTolerance.firstMoment(largest: largest($0))
                    }
                case .exp_avg_sq:
                    try compare(kind, prefix + e.name, parameter: e.name, actual: Array(t.optimizer.exp_avg_sq[range]), shape: e.shape) {
                        StepTolerance.secondMoment(largest: largest($0))
                    }
                default:
                    let torch = torchGrads[e.name]!
                    let lr = Double(g.optimizer.learningRate)
                    try compare(kind, prefix + e.name, parameter: e.name, actual: model.parameters.values(e.name), shape: e.shape,
                                include: { !StepTolerance.nearEps(torch[$0], eps: eps) }) { _ in StepTolerance.parameter(learningRate: lr) }
                }
            }
        }
        return StepVerifyReport(golden: g.path, rows: rows, notCompared: rest, skipped: skipped)
    }
}
