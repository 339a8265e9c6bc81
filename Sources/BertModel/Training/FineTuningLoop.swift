import BertFormats
import BertTensors
import Foundation

/// The lesson's training loop, for any task: batches from a `TrainingBatchSource` in `BatchOrder`,
/// a `Loss = …, <metric> = …` report every `reportEvery` steps averaged since the last one, and
/// optional evaluation every `evalEvery` steps and at the end.
public struct FineTuningOptions: Sendable {
    public var batchSize = 8
    public var maxLength = 128
    public var steps: Int
    public var shuffle = true
    public var seed: UInt64 = 0
    public var reportEvery = 50
    /// Steps between evaluations when an evaluator is given (nil: only after the last step).
    public var evalEvery: Int?
    public init(steps: Int) { self.steps = steps }
}

/// One report of the loop.
public struct TrainingReport: Sendable, Equatable {
    public let step: Int
    public let loss: Double
    /// The task's metric (`TrainingTaskMetric`): accuracy, MAE for regression, …
    public let metric: Double
    /// Its name on the report line: `Accuracy`, `MAE`, …
    public let metricName: String
}

/// One evaluation during or after training: the task's headline figure (for the plot's eval
/// points) and a one-line summary of every figure (for the report).
public struct EvalPoint: Sendable, Equatable {
    public var step: Int
    public var name: String
    public var value: Double
    /// e.g. "accuracy = 0.9375" or "F1 = 0.8123, precision = …".
    public var summary: String
    public init(step: Int, name: String, value: Double, summary: String) {
        self.step = step
        self.name = name
        self.value = value
        self.summary = summary
    }
}

public final class FineTuningLoop: @unchecked Sendable {
    public let trainer: Trainer
    public let options: FineTuningOptions
    public let source: any TrainingBatchSource
    private var order: BatchOrder
    public private(set) var reports: [TrainingReport] = []
    public private(set) var evalPoints: [EvalPoint] = []
    /// The last state known good (taken at the start and at every report), for Ctrl-C and NaN;
    /// nil unless the loop was given a template checkpoint.
    public let lastGood: TrainingSnapshot?
    /// Steps done (also counts steps before a resume).
    public var step: Int { trainer.optimizer.step }

    /// `template`: the checkpoint the model came from (config, vocabulary …), to take snapshots of.
    public init(trainer: Trainer, source: any TrainingBatchSource, options: FineTuningOptions, template: Checkpoint? = nil) throws {
        self.trainer = trainer
        self.options = options
        self.source = source
        guard source.count > 0 else { throw FineTuningError.noExamples(path: "the training data") }
        order = BatchOrder(count: source.count, batchSize: options.batchSize, shuffle: options.shuffle, seed: options.seed)
        // Resuming: replay the shuffles of the steps already taken, so the data order continues.
        order.skip(trainer.optimizer.step)
        lastGood = template.map { TrainingSnapshot(trainer.model.checkpoint(like: $0), trainer.optimizer) }
    }

    /// Sequence classification or regression on `dataset` (by the trainer's problem type).
    public convenience init(trainer: Trainer, dataset: LabelledDataset, options: FineTuningOptions, template: Checkpoint? = nil) throws {
        try self.init(trainer: trainer,
                      source: LabelledBatchSource(dataset: dataset, model: trainer.model, problem: trainer.problem,
                                                  maxLength: options.maxLength),
                      options: options, template: template)
    }

    /// Runs the remaining steps. `onStep(result, running)` after each, `running` being the loss and
    /// metric averaged since the last report (for a progress line); `onReport` every `reportEvery`
    /// steps; `evaluate(step)` every `evalEvery` steps and after the last, then `onEval`. A NaN loss
    /// stops with `nonFiniteLoss` before the update (`lastGood` holds the state to keep).
    public func run(onStep: (Trainer.StepResult, TrainingReport) throws -> Void = { _, _ in },
                    onReport: (TrainingReport) -> Void = { _ in },
                    evaluate: ((Int) throws -> EvalPoint)? = nil,
                    onEval: (EvalPoint) -> Void = { _ in }) throws {
        var lossSum = 0.0, stepsSince = 0
        var metric = source.makeMetric()
        while step < options.steps {
            let batch = try source.batch(rows: order.next(), step: step + 1)
            let r = try trainer.step(batch.input, targets: batch.targets)
            guard r.loss.isFinite else { throw FineTuningError.nonFiniteLoss(step: step + 1) }
            lossSum += Double(r.loss)
            stepsSince += 1
            metric.add(r, batch: batch)
            let report = TrainingReport(step: step, loss: lossSum / Double(stepsSince), metric: metric.value, metricName: metric.name)
            // Snapshot only every report, keeping memory traffic flat on big models.
            if step % options.reportEvery == 0 || step == options.steps { lastGood?.update(trainer) }
            try onStep(r, report)
            if step % options.reportEvery == 0 || step == options.steps {
                reports.append(report)
                onReport(report)
                lossSum = 0; stepsSince = 0
                metric.reset()
            }
            if let evaluate, step == options.steps || options.evalEvery.map({ step % $0 == 0 }) == true {
                let p = try evaluate(step)
                evalPoints.append(p)
                onEval(p)
            }
        }
    }
}

/// A model and its optimizer state at one step, kept for saving from another thread (Ctrl-C) or
/// after a failure. Writing holds the lock, so an interrupt during a save waits for it.
public final class TrainingSnapshot: @unchecked Sendable {
    private let lock = NSLock()
    private var template: Checkpoint
    private var optimizer: AdamOptimizer

    public init(_ checkpoint: Checkpoint, _ optimizer: AdamOptimizer) {
        template = checkpoint
        self.optimizer = optimizer
    }

    /// Copies the trainer's current parameters and moments.
    public func update(_ trainer: Trainer) {
        let c = trainer.model.checkpoint(like: template), o = trainer.optimizer
        lock.lock()
        (template, optimizer) = (c, o)
        lock.unlock()
    }

    public var step: Int {
        lock.lock()
        defer { lock.unlock() }
        return optimizer.step
    }

    /// Writes the model to `output` and Adam's state beside it (`optimizerPath(for:)`). `hold`
    /// keeps the lock afterwards, so nothing saves again while the process exits. Returns the step saved.
    @discardableResult
    public func save(to output: String, hold: Bool = false) throws -> Int {
        lock.lock()
        defer { if !hold { lock.unlock() } }
        try Self.write(template, optimizer, to: output)
        return optimizer.step
    }

    public static func write(_ c: Checkpoint, _ o: AdamOptimizer, to output: String) throws {
        try CheckpointExporter.write(c, to: output, replace: true)
        try OptimizerStateFile.write(o, to: optimizerPath(for: output))
    }

    /// Where Adam's state goes beside a saved model: OUT.optim.safetensors, or optimizer.safetensors
    /// inside a HF folder.
    public static func optimizerPath(for out: String) -> String {
        (try? OutputFormat.detect(path: out)) == .huggingFaceFolder ? out + "/optimizer.safetensors" : out + ".optim.safetensors"
    }
}
