import BertFormats
import Foundation

/// Times one full training step (forward with every activation kept, cross-entropy, backward,
/// AdamW update) at one batch shape on synthetic ids, as `bertkit bench --train`.
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

    /// `model` must have a pooler and a classifier.
    public let dropout: Bool

    /// `dropout`: at the config's rates (training as transformers does), else off.
    public static func run(model: BertModel, batch: Int, seq: Int, warmup: Int = 2, runs: Int = 5,
                           dropout: Bool = true) throws -> TrainingBenchmark {
        let input = try ForwardBenchmark.syntheticInput(config: model.config, batch: batch, seq: seq)
        let labels = (0..<batch).map { $0 % max(1, model.config.numLabels) }
        // A small lr: the benchmark should not wreck the weights it times.
        let trainer = Trainer(model: model, optimizer: .init(kind: .adamw, learningRate: 1e-6), dropout: dropout ? nil : .off)
        for _ in 0..<warmup { _ = try trainer.step(input, targets: .classes(labels)) }
        var times: [Double] = []
        for _ in 0..<max(1, runs) {
            let t0 = DispatchTime.now().uptimeNanoseconds
            _ = try trainer.step(input, targets: .classes(labels))
            times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
        }
        let sorted = times.sorted()
        let median = sorted[sorted.count / 2]
        let a = model.makeBuffers(batch: batch, seq: seq, keepEveryLayer: true), g = GradientBuffers(config: model.config, batch: batch, seq: seq)
        let masks = dropout ? DropoutMasks(config: model.config, batch: batch, seq: seq, rates: trainer.dropout).byteCount : 0
        return TrainingBenchmark(batch: batch, seq: seq, threads: ComputeThreads.count, runs: times.count, medianMs: median,
                                 minMs: sorted[0], sequencesPerSecond: Double(batch) / (median / 1000),
                                 peakRSSMiB: ForwardBenchmark.peakRSSMiB(),
                                 activationMiB: Double(a.byteCount + g.byteCount + masks) / 1_048_576,
                                 parameterMiB: Double(model.parameters.count * 4 * 4) / 1_048_576, dropout: dropout)
    }
}
