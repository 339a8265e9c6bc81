import ArgumentParser
import BertFormats
import BertModel
import BertTensors
import BertVerify
import Foundation

struct Finetune: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fine-tune a BERT sequence classifier or regressor on a labelled CSV.",
        discussion: """
            The CSV is either AG News style (no header; first column the class, 1-based or a label name; \
            the other columns joined as the text) or has a header with `text` and `label` columns. A bad \
            row (malformed, unknown label, empty text, bad number) stops with its file:line (exit 2) unless \
            --skip-bad-rows.

            --problem-type is transformers' problem_type (default: the model config's, else \
            single_label_classification) and picks the loss as BertForSequenceClassification does; it is \
            written to the saved config.json.
            - single_label_classification: cross-entropy; the label is one name or class number.
            - multi_label_classification: BCE-with-logits; the label lists names or 1-based class numbers \
            separated by `;` (empty: no label on); `text,label` CSV only.
            - regression: MSE; the label is one number per label, `;`-separated (how many: --num-labels, \
            else the model head's count, else the count in the CSV's first row); `text,label` CSV only.

            An encoder checkpoint gets a new classifier (normal(0, initializer_range) weights, zero bias, \
            from --seed) as transformers does, and the new weights are listed. Batches are padded to their \
            longest row. The model trains as transformers' model.train() does: dropout at the config's rates \
            (hidden, attention probabilities, classifier), with masks drawn from --seed and the step number, \
            so a --resume'd run drops exactly what an uninterrupted one would; --no-dropout turns it off. \
            Every --report-every steps a line `Loss = …, Accuracy = …` (averaged since the last \
            one) goes to stdout; for multi-label the accuracy is per label (row × label decisions at \
            probability 0.5), and regression reports `Loss = …, MAE = …` (the loss is the MSE). Adam's state is saved \
            beside OUT (OUT.optim.safetensors, or optimizer.safetensors inside a folder) so --resume continues. Ctrl-C saves a resumable \
            checkpoint; a NaN loss stops training and keeps the last good one.

            EXAMPLES
              bertkit finetune .cache/models/all-MiniLM-L6-v2 --train golden/data/agnews-mini/train.csv \\
                  --labels World,Sports,Business,Sci/Tech --lr 5e-5 --epochs 2 --max-length 64 -o agnews.bkm
              bertkit finetune agnews.bkm --train more.csv --steps 100 --resume agnews.bkm.optim.safetensors -o agnews2.bkm
              bertkit finetune model --train data.csv --num-labels 3 --reset-head --plot curve.svg -o out-folder
              bertkit finetune golden/fixtures/tiny-bert --train golden/data/problems/topics.csv \
                  --problem-type multi_label_classification --labels sport,money,tech --lr 1e-2 --steps 20 -o topics
              bertkit finetune golden/fixtures/tiny-bert --train golden/data/problems/sentiment.csv \
                  --problem-type regression --num-labels 1 --lr 1e-2 --steps 30 -o sentiment.bkm
            """)

    @Argument(help: "A model folder, weights file or .bkm.") var model: String
    @Option(help: "The training CSV.") var train: String
    @Option(help: "A CSV to evaluate on after training.") var eval: String?
    @Option(help: "single_label_classification, multi_label_classification or regression (default: the model config's problem_type, else single-label).")
    var problemType: String?
    @Option(help: "Number of labels (names LABEL_0…); for regression, targets per row.") var numLabels: Int?
    @Option(help: "Label names, comma-separated, in class order.") var labels: String?
    @Option(help: "Learning rate.") var lr: Float = 2e-5
    @Option(help: "Rows per batch.") var batchSize = 8
    @Option(help: "Optimizer steps (default: --epochs).") var steps: Int?
    @Option(help: "Epochs over the training CSV.") var epochs: Double?
    @Option(help: "Tokens per text at most.") var maxLength = 128
    @Option(help: "adam or adamw.") var optimizer = "adamw"
    @Option(help: "Weight decay (L2 for adam, decoupled for adamw).") var weightDecay: Float = 0
    @Option(help: "Linear warmup steps, then linear decay to 0.") var warmupSteps: Int?
    @Option(help: "Clip the gradient norm to this.") var clipNorm: Float?
    @Option(help: "Seed for the new head, the shuffles and the dropout masks.") var seed: UInt64 = 42
    @Flag(inversion: .prefixedNo, help: "Shuffle each epoch.") var shuffle = true
    @Flag(inversion: .prefixedNo, help: "Dropout at the config's rates, as transformers trains (masks from --seed and the step).")
    var dropout = true
    @Option(help: "Steps between report lines.") var reportEvery = 50
    @Option(help: "Write an SVG of loss and accuracy over steps.") var plot: String?
    @Flag(help: "Skip malformed rows, unknown labels and empty texts instead of stopping.") var skipBadRows = false
    @Flag(help: "Replace an existing classifier head.") var resetHead = false
    @Option(help: "Optimizer state to continue from.") var resume: String?
    @Option(name: .shortAndLong, help: "The fine-tuned model: .bkm or a folder.") var output: String

    func validate() throws {
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
        guard reportEvery >= 1 else { throw ValidationError("--report-every must be at least 1") }
        guard ["adam", "adamw"].contains(optimizer) else { throw ValidationError("--optimizer is adam or adamw") }
        if steps != nil && epochs != nil { throw ValidationError("give --steps or --epochs, not both") }
        if let s = steps, s < 1 { throw ValidationError("--steps must be at least 1") }
        if numLabels != nil && labels != nil { throw ValidationError("give --num-labels or --labels, not both") }
        if let n = numLabels, n < 1 { throw ValidationError("--num-labels must be at least 1") }
        _ = try ProblemType(option: problemType)
    }

    static func optimizerPath(for out: String) -> String {
        (try? OutputFormat.detect(path: out)) == .huggingFaceFolder ? out + "/optimizer.safetensors" : out + ".optim.safetensors"
    }

    func run() throws {
        try runReportingErrors {
            let source = try CheckpointLoader.load(path: model)
            for w in source.report.warnings { Console.log("warning: \(w)") }
            let problem = try ProblemType(option: problemType) ?? source.config.problemType ?? .singleLabel
            let names = try labelNames(source, problem: problem)
            if problem == .singleLabel && names.count < 2 {
                throw ValidationError("single-label classification needs at least 2 labels, found \(names.count) (\(names.joined(separator: ", ")))\n---> HINT: one number per row is --problem-type regression")
            }
            var (checkpoint, created) = try source.forSequenceClassification(labels: names, resetHead: resetHead, seed: seed)
            // As transformers' forward sets it from the labels, and save_pretrained writes it.
            checkpoint.config.problemType = problem
            if !created.isEmpty {
                Console.log("Some weights of BertForSequenceClassification were not initialized from the model checkpoint at \(model) and are newly initialized: \(created)\nYou should probably TRAIN this model on a down-stream task to be able to use it for predictions and inference.")
            }
            let data = try LabelledDataset(contentsOf: train, labels: names, problem: problem, skipBadRows: skipBadRows)
            for s in data.skipped { Console.log("skipped \(train) \(s)") }
            guard !data.examples.isEmpty else { throw FineTuningError.noExamples(path: train) }
            var evalData: LabelledDataset?
            if let e = eval {
                evalData = try LabelledDataset(contentsOf: e, labels: names, problem: problem, skipBadRows: skipBadRows)
                for s in evalData!.skipped { Console.log("skipped \(e) \(s)") }
            }

            let m = try BertModel(checkpoint: checkpoint)
            let settings = AdamOptimizer.Settings(kind: optimizer == "adam" ? .adam : .adamw, learningRate: lr, weightDecay: weightDecay)
            let perEpoch = (data.examples.count + batchSize - 1) / batchSize
            let total = steps ?? max(1, Int((Double(perEpoch) * (epochs ?? 1)).rounded()))
            let trainer = Trainer(model: m, optimizer: settings,
                                  schedule: warmupSteps.map { .linear(warmupSteps: $0, totalSteps: total) } ?? .constant,
                                  clipNorm: clipNorm, problem: problem, dropout: dropout ? nil : .off, seed: seed)
            if let r = resume {
                trainer.optimizer = try OptimizerStateFile.read(path: r, settings: settings, parameterCount: m.parameters.count)
                Console.log("resuming at step \(trainer.optimizer.step) from \(r)")
            }
            var options = FineTuningOptions(steps: total)
            options.batchSize = batchSize
            options.maxLength = maxLength
            options.shuffle = shuffle
            options.seed = seed
            options.reportEvery = reportEvery
            let loop = try FineTuningLoop(trainer: trainer, dataset: data, options: options)

            // The last good state, saved on Ctrl-C and after a NaN.
            let save = { (c: Checkpoint, o: AdamOptimizer) throws in
                try CheckpointExporter.write(c, to: output, replace: true)
                try OptimizerStateFile.write(o, to: Self.optimizerPath(for: output))
            }
            let lock = NSLock()
            nonisolated(unsafe) var good = (m.checkpoint(like: checkpoint), trainer.optimizer)
            Interrupts.onInterrupt {
                lock.lock()
                let (c, o) = good
                do {
                    try save(c, o)
                    Console.log("\ninterrupted at step \(o.step); saved \(output) (resume with --resume \(Self.optimizerPath(for: output)))")
                } catch {
                    Console.error("interrupted; could not save: \(error.localizedDescription)")
                }
                // _exit, not exit: exit() runs OpenBLAS's destructor, which joins its worker threads and
                // can hang forever while the main thread is inside a GEMM.
                fflush(nil)
                _exit(130)
            }
            let started = Date()
            var bar = ProgressLine(enabled: Console.stdoutIsTerminal)
            do {
                let firstStep = trainer.optimizer.step
                try loop.run(onStep: { _, running in
                    let step = running.step
                    // Snapshot cheaply only every report, keeping memory flat on big models.
                    if step % reportEvery == 0 || step == total {
                        lock.lock(); good = (m.checkpoint(like: checkpoint), trainer.optimizer); lock.unlock()
                    }
                    let secs = Date().timeIntervalSince(started)
                    let done = step - firstStep  // this run's steps (a resumed run starts past 0)
                    let rate = Double(done * batchSize) / max(secs, 1e-9)
                    let eta = Int((Double(total - step) * secs / Double(max(done, 1))).rounded())
                    bar.show("step \(step)/\(total)  loss \(String(format: "%.4f", running.loss))  "
                             + "\(running.metricName.lowercased()) \(String(format: "%.4f", running.metric))  "
                             + "\(String(format: "%.1f", rate)) seq/s  ETA \(eta)s")
                }, onReport: { rep in
                    bar.clear()
                    Console.out("Step \(rep.step): Loss = \(String(format: "%.4f", rep.loss)), \(rep.metricName) = \(String(format: "%.4f", rep.metric))")
                })
            } catch let e as FineTuningError {
                bar.clear()
                lock.lock()
                try save(good.0, good.1)
                throw e
            }
            bar.clear()
            lock.lock()
            try save(m.checkpoint(like: checkpoint), trainer.optimizer)
            lock.unlock()
            Console.log("saved \(output) and \(Self.optimizerPath(for: output)) after \(trainer.optimizer.step) steps")
            if let p = plot { try writePlot(loop.reports, to: p) }
            if let e = evalData { try evaluate(m, on: e) }
        }
    }

    /// One line of scores after training, by problem type.
    func evaluate(_ m: BertModel, on e: LabelledDataset) throws {
        let f = { (x: Double?) in x.map { String(format: "%.4f", $0) } ?? "n/a" }
        let scores: String
        switch e.problem {
        case .singleLabel:
            scores = "accuracy = " + f(try ClassifierEvaluation.run(model: m, dataset: e, batchSize: 32, maxLength: maxLength).metrics.accuracy)
        case .multiLabel:
            let r = MultiLabelMetrics(labels: m.config.id2label, truth: e.examples.flatMap(\.values),
                                      logits: try m.classifierLogits(e, maxLength: maxLength), threshold: 0.5)
            scores = "micro F1 = \(f(r.microF1)), subset accuracy = \(f(r.subsetAccuracy))"
        case .regression:
            let r = RegressionMetrics(labels: m.config.id2label, truth: e.examples.flatMap(\.values),
                                      predicted: try m.classifierLogits(e, maxLength: maxLength))
            scores = "MSE = \(f(r.mse)), MAE = \(f(r.mae)), Pearson r = \(f(r.pearson))"
        }
        Console.out("Eval \(scores) on \(e.examples.count) rows of \(eval!)")
    }

    func labelNames(_ c: Checkpoint, problem: ProblemType) throws -> [String] {
        try FineTuningLabels.resolve(explicit: labels.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } },
                                     count: numLabels, model: c, problem: problem, train: train)
    }

    func writePlot(_ reports: [TrainingReport], to path: String) throws {
        let svg = TrainingCurve.svg(title: TrainingCurve.modelName(model), reports: reports)
        try AtomicFileWriter.write(Data(svg.utf8), to: path)
    }
}

/// One overwritten status line on stderr, only when stdout is a terminal.
struct ProgressLine {
    let enabled: Bool
    mutating func show(_ s: String) { if enabled { FileHandle.standardError.write(Data("\r\u{1B}[K\(s)".utf8)) } }
    mutating func clear() { if enabled { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) } }
}

extension ProblemType {
    /// The --problem-type value; nil when not given.
    init?(option: String?) throws {
        guard let o = option else { return nil }
        guard let p = ProblemType(rawValue: o) else {
            throw ValidationError("--problem-type is single_label_classification, multi_label_classification or regression, found \"\(o)\"")
        }
        self = p
    }
}
