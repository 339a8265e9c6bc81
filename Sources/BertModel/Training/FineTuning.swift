import BertFormats
import BertTensors
import BertTokenizer
import Foundation

/// Errors of preparing or running a fine-tuning.
public enum FineTuningError: LocalizedError, Equatable {
    case headLabelCount(existing: Int, requested: Int)
    case nonFiniteLoss(step: Int)
    case optimizerState(path: String, reason: String)
    case noExamples(path: String)

    public var errorDescription: String? {
        switch self {
        case .headLabelCount(let e, let r):
            return "the model's classifier head has \(e) labels but \(r) were requested"
        case .nonFiniteLoss(let s):
            return "the loss became NaN or infinite at step \(s); training stopped and the last good checkpoint was kept"
        case .optimizerState(let p, let r):
            return "\(p): not usable optimizer state: \(r)"
        case .noExamples(let p):
            return "\(p): no training examples"
        }
    }
}

/// A seeded generator (SplitMix64), so shuffles and new heads repeat for the same seed.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// A standard normal sample (Box–Muller).
    public mutating func normal() -> Double {
        let u1 = max(Double.random(in: 0..<1, using: &self), .leastNonzeroMagnitude), u2 = Double.random(in: 0..<1, using: &self)
        return (-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * .pi * u2)
    }
}

extension Checkpoint {
    /// The checkpoint as transformers' `BertForSequenceClassification.from_pretrained(..., num_labels)`
    /// would load it: a pooler and a classifier, new ones initialised as `_init_weights` does
    /// (normal(0, initializer_range) weights, zero biases), every other head's tensors left out
    /// (listed in `report.unused`, as transformers reports them unexpected). Returns the names it
    /// created, for transformers' "newly initialized" report. A classifier with another label count
    /// is refused unless `resetHead`.
    public func forSequenceClassification(labels: [String], resetHead: Bool, seed: UInt64) throws -> (Checkpoint, newWeights: [String]) {
        var c = self
        let h = config.hiddenSize
        // As from_pretrained: a `classifier` of the right size is loaded whatever head it came from.
        let rows = self[BertParameter.head(.classifierWeight).name]?.shape.first
        if let r = rows, r != labels.count, !resetHead {
            throw FineTuningError.headLabelCount(existing: r, requested: labels.count)
        }
        var rng = SeededGenerator(seed: seed)
        var created: [String] = []
        func normal(_ shape: [Int]) -> RawTensor {
            RawTensor(floats: (0..<shape.reduce(1, *)).map { _ in Float(rng.normal() * config.initializerRange) }, shape: shape)
        }
        let keep = rows == labels.count && !resetHead
        let target = Architecture(modelType: architecture.modelType, head: .sequenceClassification, pooler: true,
                                  tiedDecoder: architecture.tiedDecoder)
        let wanted = Set(target.parameters(config).map(\.name.name))
        c.report.unused += c.parameters.map(\.name).filter { !wanted.contains($0) }
        c.parameters.removeAll { !wanted.contains($0.name) || ($0.name.hasPrefix("classifier.") && !keep) }
        if !keep {
            c.parameters.append((BertParameter.head(.classifierWeight).name, normal([labels.count, h])))
            c.parameters.append((BertParameter.head(.classifierBias).name,
                                 RawTensor(floats: [Float](repeating: 0, count: labels.count), shape: [labels.count])))
            created += [BertParameter.head(.classifierBias).name, BertParameter.head(.classifierWeight).name]
        }
        if !c.parameters.contains(where: { $0.name == BertParameter.pooler(.weight).name }) {
            c.parameters.append((BertParameter.pooler(.weight).name, normal([h, h])))
            c.parameters.append((BertParameter.pooler(.bias).name, RawTensor(floats: [Float](repeating: 0, count: h), shape: [h])))
            created += [BertParameter.pooler(.bias).name, BertParameter.pooler(.weight).name]
        }
        let order = Dictionary(uniqueKeysWithValues: target.parameters(config).enumerated().map { ($1.name.name, $0) })
        c.parameters.sort { order[$0.name]! < order[$1.name]! }
        c.config.id2label = labels
        c.config.architectures = [HeadKind.sequenceClassification.architectureName]
        c.architecture = target
        return (c, created)
    }
}

extension BertModel {
    /// The model's current parameters as a checkpoint (for saving), f32.
    public func checkpoint(like source: Checkpoint) -> Checkpoint {
        var c = source
        c.parameters = parameters.layout.entries.map { e in
            (e.name, RawTensor(floats: parameters.values(e.name), shape: e.shape))
        }
        return c
    }
}

/// The lesson's training loop: shuffled mini-batches, dynamic padding, a `Loss = …, Accuracy = …`
/// line (`MAE` for regression) every `reportEvery` steps averaged since the last one.
public struct FineTuningOptions: Sendable {
    public var batchSize = 8
    public var maxLength = 128
    public var steps: Int
    public var shuffle = true
    public var seed: UInt64 = 0
    public var reportEvery = 50
    public init(steps: Int) { self.steps = steps }
}

/// One report of the loop.
public struct TrainingReport: Sendable, Equatable {
    public let step: Int
    public let loss: Double
    /// Accuracy, or for regression the mean absolute error (`TrainingMetric`).
    public let metric: Double
    /// `Accuracy` or `MAE`.
    public let metricName: String
}

public final class FineTuningLoop: @unchecked Sendable {
    public let trainer: Trainer
    public let options: FineTuningOptions
    private let encoded: [(ids: [Int], types: [Int], example: LabelledExample)]
    private var order: [Int] = []
    private var cursor = 0
    private var rng: SeededGenerator
    public private(set) var reports: [TrainingReport] = []
    /// Steps done (also counts steps before a resume).
    public var step: Int { trainer.optimizer.step }

    public init(trainer: Trainer, dataset: LabelledDataset, options: FineTuningOptions) throws {
        self.trainer = trainer
        self.options = options
        let tok = try trainer.model.makeTokenizer()
        let limit = min(options.maxLength, trainer.model.config.maxPositionEmbeddings)
        let encodings = try tok.encode(dataset.examples.map { TextInput($0.text) },
                                       options: EncodingOptions(maxLength: limit, truncation: .longestFirst))
        encoded = zip(encodings, dataset.examples).map { ($0.inputIds, $0.tokenTypeIds, $1) }
        rng = SeededGenerator(seed: options.seed)
        // Resuming: replay the shuffles of the steps already taken, so the data order continues.
        for _ in 0..<trainer.optimizer.step { _ = nextBatch() }
    }

    private func nextBatch() -> [Int] {
        var rows: [Int] = []
        while rows.count < options.batchSize {
            if cursor >= order.count {
                // A new epoch; a short last batch is kept (DataLoader's drop_last=False).
                if !rows.isEmpty, !order.isEmpty { break }
                order = Array(encoded.indices)
                if options.shuffle { order.shuffle(using: &rng) }
                cursor = 0
            }
            rows.append(order[cursor])
            cursor += 1
        }
        return rows
    }

    /// Runs the remaining steps. `onStep(result, running)` after each, `running` being the loss and
    /// metric averaged since the last report (for a progress line); `onReport` every `reportEvery`
    /// steps. A NaN loss stops with `nonFiniteLoss` before the update.
    public func run(onStep: (Trainer.StepResult, TrainingReport) throws -> Void = { _, _ in },
                    onReport: (TrainingReport) -> Void = { _ in }) throws {
        var lossSum = 0.0, stepsSince = 0
        var metric = TrainingMetric(problem: trainer.problem, labels: trainer.model.config.numLabels)
        while step < options.steps {
            let rows = nextBatch()
            let input = try BertInput(rows: rows.map { encoded[$0].ids }, tokenTypes: rows.map { encoded[$0].types },
                                      config: trainer.model.config)
            let examples = rows.map { encoded[$0].example }
            let r = try trainer.step(input, targets: metric.targets(examples))
            guard r.loss.isFinite else { throw FineTuningError.nonFiniteLoss(step: step + 1) }
            lossSum += Double(r.loss)
            stepsSince += 1
            metric.add(logits: r.logits, rows: examples)
            let report = TrainingReport(step: step, loss: lossSum / Double(stepsSince), metric: metric.value, metricName: metric.name)
            try onStep(r, report)
            if step % options.reportEvery == 0 || step == options.steps {
                reports.append(report)
                onReport(report)
                lossSum = 0; stepsSince = 0
                metric.reset()
            }
        }
    }
}

/// Adam's state beside a saved model: `OUT.optim.safetensors` (moments as F32 tensors laid out like
/// the parameters; step and settings in the metadata).
public enum OptimizerStateFile {
    public static func write(_ o: AdamOptimizer, to path: String) throws {
        let meta: [(key: String, value: String)] = [
            ("format", "bertkit-optimizer"), ("step", String(o.step)), ("kind", o.settings.kind.rawValue),
            ("lr", String(o.settings.learningRate)), ("weight_decay", String(o.settings.weightDecay)),
        ]
        try SafeTensorsWriter.write([("exp_avg", RawTensor(floats: o.exp_avg, shape: [o.exp_avg.count])),
                                     ("exp_avg_sq", RawTensor(floats: o.exp_avg_sq, shape: [o.exp_avg_sq.count]))],
                                    metadata: meta, to: path)
    }

    public static func read(path: String, settings: AdamOptimizer.Settings, parameterCount: Int) throws -> AdamOptimizer {
        let f = try SafeTensorsFile.read(path: path)
        guard let m = f["exp_avg"], let v = f["exp_avg_sq"], m.dtype == .f32, v.dtype == .f32,
              m.elementCount == parameterCount, v.elementCount == parameterCount
        else { throw FineTuningError.optimizerState(path: path, reason: "expected F32 exp_avg and exp_avg_sq of \(parameterCount) values") }
        guard let s = f.metadataDictionary["step"].flatMap(Int.init), s >= 0 else {
            throw FineTuningError.optimizerState(path: path, reason: "no step count in the metadata")
        }
        return AdamOptimizer(settings: settings, step: s, exp_avg: m.floats(), exp_avg_sq: v.floats())
    }
}
