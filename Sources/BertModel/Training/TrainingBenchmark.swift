import BertFormats
import Foundation

/// Times one full training step (forward with every activation kept, the head's loss, backward,
/// AdamW update) at one batch shape on synthetic ids and targets, as `bertkit bench --train`.
public struct TrainingBenchmark: Sendable, Codable {
    public let batch: Int
    public let seq: Int
    public let threads: Int
    public let runs: Int
    public let medianMs: Double
    public let minMs: Double
    public let sequencesPerSecond: Double
    public let peakRSSMiB: Double
    /// Kept activations, dropout masks and gradient scratch; parameters' gradients and Adam's two moments.
    public let activationMiB: Double
    public let parameterMiB: Double

    public let dropout: Bool
    /// The head trained (HeadKind's raw value).
    public let task: String

    /// `dropout`: at the config's rates (training as transformers does), else off.
    public static func run(model: BertModel, batch: Int, seq: Int, warmup: Int = 2, runs: Int = 5,
                           dropout: Bool = true) throws -> TrainingBenchmark {
        let input = try ForwardBenchmark.syntheticInput(config: model.config, batch: batch, seq: seq)
        let targets = syntheticTargets(model: model, input: input)
        // A small lr: the benchmark should not wreck the weights it times.
        let trainer = Trainer(model: model, optimizer: .init(kind: .adamw, learningRate: 1e-6), dropout: dropout ? nil : .off)
        for _ in 0..<warmup { _ = try trainer.step(input, targets: targets) }
        var times: [Double] = []
        for _ in 0..<max(1, runs) {
            let t0 = DispatchTime.now().uptimeNanoseconds
            _ = try trainer.step(input, targets: targets)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
        }
        let sorted = times.sorted()
        let median = sorted[sorted.count / 2]
        let a = model.makeBuffers(batch: batch, seq: seq, keepEveryLayer: true)
        let g = GradientBuffers(config: model.config, batch: batch, seq: seq, head: model.head)
        let masks = dropout ? DropoutMasks(config: model.config, batch: batch, seq: seq, rates: trainer.dropout, head: model.head).byteCount : 0
        // The masked-LM head's buffers grow with the labelled positions: count them as the step held them.
        let labelled = input.inputIds.indices.filter { $0 % 7 == 1 }.count
        let maskedLM = model.head.hasMaskedLM ? labelled * (7 * model.config.hiddenSize + 2 + 2 * model.config.vocabSize) * 4 : 0
        return TrainingBenchmark(batch: batch, seq: seq, threads: ComputeThreads.count, runs: times.count, medianMs: median,
                                 minMs: sorted[0], sequencesPerSecond: Double(batch) / (median / 1000),
                                 peakRSSMiB: ForwardBenchmark.peakRSSMiB(),
                                 activationMiB: Double(a.byteCount + g.byteCount + masks + maskedLM) / 1_048_576,
                                 parameterMiB: Double(model.parameters.count * 4 * 4) / 1_048_576, dropout: dropout,
                                 task: model.head.rawValue)
    }

    /// Targets for the model's head on `input`: classes and labels cycling through the labels, a
    /// label on every seventh token for masked LM (about the collator's 15%), the span 1...2 for
    /// QA, and for multiple choice two choices per example (one example of all rows when odd).
    static func syntheticTargets(model: BertModel, input: BertInput) -> TrainingTargets {
        let b = input.batch, s = input.seq, labels = max(1, model.config.numLabels)
        let masked = input.inputIds.indices.map { $0 % 7 == 1 ? Int(input.inputIds[$0]) : -100 }
        switch model.head {
        case .tokenClassification: return .tokenLabels((0..<b * s).map { $0 % s == 0 ? -100 : $0 % labels })
        case .questionAnswering: return .spans(start: [Int](repeating: min(1, s - 1), count: b), end: [Int](repeating: min(2, s - 1), count: b))
        case .maskedLM: return .maskedTokens(masked)
        case .nextSentence: return .nextSentence((0..<b).map { $0 % 2 })
        case .preTraining: return .preTraining(maskedTokens: masked, nextSentence: (0..<b).map { $0 % 2 })
        case .multipleChoice:
            let examples = b % 2 == 0 ? b / 2 : 1
            return .choices((0..<examples).map { $0 % (b / examples) })
        case .sequenceClassification, .none: return .classes((0..<b).map { $0 % labels })
        case .replacedTokenDetection: return .replacedTokens((0..<b * s).map { $0 % 7 == 1 ? 1 : 0 })
        }
    }
}
