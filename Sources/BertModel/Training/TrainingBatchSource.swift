import BertFormats
import BertTensors
import BertTokenizer

/// One training batch: the padded input, the loss's targets, and which examples it holds (indices
/// into the source, for the metric).
public struct TrainingBatch: Sendable {
    public var input: BertInput
    public var targets: TrainingTargets
    public var rows: [Int]
    public init(input: BertInput, targets: TrainingTargets, rows: [Int]) {
        self.input = input
        self.targets = targets
        self.rows = rows
    }
}

/// A task's training data, as `FineTuningLoop` consumes it: a fixed list of examples (already
/// tokenised, windowed …) and a way to batch any subset of them. The loop owns the order
/// (`BatchOrder`); a source that draws randomness per batch (MLM masking) seeds it from `step`, so a
/// resumed run sees exactly the batches an uninterrupted one would.
public protocol TrainingBatchSource {
    /// Examples in one epoch (the rows `batch` indexes).
    var count: Int { get }
    /// The examples `rows`, padded to the longest, with their targets; `step` is the 1-based
    /// optimizer step the batch is for.
    func batch(rows: [Int], step: Int) throws -> TrainingBatch
    /// A running metric for the report lines and the progress bar.
    func makeMetric() -> any TrainingTaskMetric
}

/// The second figure of a report line (`Loss = …, <name> = …`), accumulated over the steps since
/// the last report from each step's head output.
public protocol TrainingTaskMetric {
    /// As on the report line: `Accuracy`, `MAE`, `F1` …
    var name: String { get }
    var value: Double { get }
    mutating func add(_ result: Trainer.StepResult, batch: TrainingBatch)
    mutating func reset()
}

/// The order examples are batched in, as a PyTorch DataLoader(shuffle=…, drop_last=False) walks
/// them: each epoch a new permutation drawn from one seeded generator, the short last batch kept.
/// Replaying `n` batches reproduces the position after step n (resume).
public struct BatchOrder: Sendable {
    public let count: Int
    public let batchSize: Int
    public let shuffle: Bool
    private var order: [Int] = []
    private var cursor = 0
    private var rng: SeededGenerator

    public init(count: Int, batchSize: Int, shuffle: Bool, seed: UInt64) {
        precondition(count > 0 && batchSize > 0)
        self.count = count
        self.batchSize = batchSize
        self.shuffle = shuffle
        rng = SeededGenerator(seed: seed)
    }

    public mutating func next() -> [Int] {
        var rows: [Int] = []
        while rows.count < batchSize {
            if cursor >= order.count {
                // A new epoch; a short last batch is kept (DataLoader's drop_last=False).
                if !rows.isEmpty, !order.isEmpty { break }
                order = Array(0..<count)
                if shuffle { order.shuffle(using: &rng) }
                cursor = 0
            }
            rows.append(order[cursor])
            cursor += 1
        }
        return rows
    }

    /// Skips `batches` batches (the steps a resumed run already took).
    public mutating func skip(_ batches: Int) {
        for _ in 0..<batches { _ = next() }
    }
}

/// Sequence classification and regression as a batch source: `LabelledDataset` rows tokenised once,
/// targets and metric by problem type (`TrainingMetric`).
public struct LabelledBatchSource: TrainingBatchSource {
    public let problem: ProblemType
    public let labels: Int
    let config: BertConfig
    let encoded: [(ids: [Int], types: [Int], example: LabelledExample)]

    public init(dataset: LabelledDataset, model: BertModel, problem: ProblemType, maxLength: Int) throws {
        self.problem = problem
        labels = model.config.numLabels
        config = model.config
        let tok = try model.makeTokenizer()
        let limit = min(maxLength, model.config.maxSequenceLength)
        let encodings = try tok.encode(dataset.examples.map { TextInput($0.text) },
                                       options: EncodingOptions(maxLength: limit, truncation: .longestFirst))
        encoded = zip(encodings, dataset.examples).map { ($0.inputIds, $0.tokenTypeIds, $1) }
    }

    public var count: Int { encoded.count }

    public func batch(rows: [Int], step: Int) throws -> TrainingBatch {
        let input = try BertInput(rows: rows.map { encoded[$0].ids }, tokenTypes: rows.map { encoded[$0].types }, config: config)
        let metric = TrainingMetric(problem: problem, labels: labels)
        return TrainingBatch(input: input, targets: metric.targets(rows.map { encoded[$0].example }), rows: rows)
    }

    public func makeMetric() -> any TrainingTaskMetric { Metric(base: TrainingMetric(problem: problem, labels: labels), source: self) }

    struct Metric: TrainingTaskMetric {
        var base: TrainingMetric
        let source: LabelledBatchSource
        var name: String { base.name }
        var value: Double { base.value }
        mutating func add(_ result: Trainer.StepResult, batch: TrainingBatch) {
            base.add(logits: result.logits, rows: batch.rows.map { source.encoded[$0].example })
        }
        mutating func reset() { base.reset() }
    }
}
