import ArgumentParser
import BertFormats
import BertModel
import BertTensors
import BertVerify
import Foundation

struct Finetune: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fine-tune a BERT sequence classifier on a labelled CSV.",
        discussion: """
            The CSV is either AG News style (no header; first column the class, 1-based or a label name; \
            the other columns joined as the text) or has a header with `text` and `label` columns. A bad \
            row (malformed, unknown label, empty text) stops with its line number (exit 2) unless \
            --skip-bad-rows.

            An encoder checkpoint gets a new classifier (normal(0, initializer_range) weights, zero bias, \
            from --seed) as transformers does, and the new weights are listed. Batches are padded to their \
            longest row. Every --report-every steps a line `Loss = …, Accuracy = …` (averaged since the last \
            one) goes to stdout. Adam's state is saved beside OUT (OUT.optim.safetensors, or \
            optimizer.safetensors inside a folder) so --resume continues. Ctrl-C saves a resumable \
            checkpoint; a NaN loss stops training and keeps the last good one.

            EXAMPLES
              bertkit finetune .cache/models/all-MiniLM-L6-v2 --train golden/data/agnews-mini/train.csv \\
                  --labels World,Sports,Business,Sci/Tech --lr 5e-5 --epochs 2 --max-length 64 -o agnews.bkm
              bertkit finetune agnews.bkm --train more.csv --steps 100 --resume agnews.bkm.optim.safetensors -o agnews2.bkm
              bertkit finetune model --train data.csv --num-labels 3 --reset-head --plot curve.svg -o out-folder
            """)

    @Argument(help: "A model folder, weights file or .bkm.") var model: String
    @Option(help: "The training CSV.") var train: String
    @Option(help: "A CSV to evaluate on after training.") var eval: String?
    @Option(help: "Number of labels (names LABEL_0…).") var numLabels: Int?
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
    }

    static func optimizerPath(for out: String) -> String {
        (try? OutputFormat.detect(path: out)) == .huggingFaceFolder ? out + "/optimizer.safetensors" : out + ".optim.safetensors"
    }

    func run() throws {
        try runReportingErrors {
            let source = try CheckpointLoader.load(path: model)
            for w in source.report.warnings { Console.log("warning: \(w)") }
            let names = try labelNames(source)
            let (checkpoint, created) = try source.forSequenceClassification(labels: names, resetHead: resetHead, seed: seed)
            if !created.isEmpty {
                Console.log("Some weights of BertForSequenceClassification were not initialized from the model checkpoint at \(model) and are newly initialized: \(created)\nYou should probably TRAIN this model on a down-stream task to be able to use it for predictions and inference.")
            }
            let data = try LabelledDataset(contentsOf: train, labels: names, skipBadRows: skipBadRows)
            for s in data.skipped { Console.log("skipped \(train) \(s)") }
            guard !data.examples.isEmpty else { throw FineTuningError.noExamples(path: train) }
            var evalData: LabelledDataset?
            if let e = eval { evalData = try LabelledDataset(contentsOf: e, labels: names, skipBadRows: skipBadRows) }

            let m = try BertModel(checkpoint: checkpoint)
            let settings = AdamOptimizer.Settings(kind: optimizer == "adam" ? .adam : .adamw, learningRate: lr, weightDecay: weightDecay)
            let perEpoch = (data.examples.count + batchSize - 1) / batchSize
            let total = steps ?? max(1, Int((Double(perEpoch) * (epochs ?? 1)).rounded()))
            let trainer = Trainer(model: m, optimizer: settings,
                                  schedule: warmupSteps.map { .linear(warmupSteps: $0, totalSteps: total) } ?? .constant,
                                  clipNorm: clipNorm, problem: .singleLabel, dropout: dropout ? nil : .off, seed: seed)
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
                // _exit: exit() would run OpenBLAS's destructor, which joins its worker threads and can
                // hang forever when the main thread is inside a GEMM at that moment.
                fflush(nil)
                _exit(130)
            }
            let started = Date()
            var bar = ProgressLine(enabled: Console.stdoutIsTerminal)
            do {
                try loop.run(onStep: { r, step in
                    // Snapshot cheaply only every report, keeping memory flat on big models.
                    if step % reportEvery == 0 || step == total {
                        lock.lock(); good = (m.checkpoint(like: checkpoint), trainer.optimizer); lock.unlock()
                    }
                    let secs = Date().timeIntervalSince(started)
                    let rate = Double(step - (loop.reports.first.map { _ in 0 } ?? 0)) * Double(batchSize) / max(secs, 1e-9)
                    bar.show("step \(step)/\(total)  loss \(String(format: "%.4f", r.loss))  \(String(format: "%.1f", rate)) seq/s  ETA \(Int(Double(total - step) * secs / Double(max(step, 1))))s")
                }, onReport: { rep in
                    bar.clear()
                    Console.out("Step \(rep.step): Loss = \(String(format: "%.4f", rep.loss)), Accuracy = \(String(format: "%.4f", rep.accuracy))")
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
            if let e = evalData {
                let r = try ClassifierEvaluation.run(model: m, dataset: e, batchSize: 32, maxLength: maxLength)
                Console.out("Eval accuracy = \(String(format: "%.4f", r.metrics.accuracy)) on \(e.examples.count) rows of \(eval!)")
            }
        }
    }

    /// --labels, else --num-labels, else the model's own labels, else those the training CSV uses.
    func labelNames(_ c: Checkpoint) throws -> [String] {
        if let l = labels { return l.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
        if let n = numLabels {
            if c.hasClassifier && c.config.numLabels == n { return c.config.id2label }
            return (0..<n).map { "LABEL_\($0)" }
        }
        if c.hasClassifier { return c.config.id2label }
        let found = try LabelledDataset.labelNames(in: train)
        let numbers = found.compactMap(Int.init)
        if numbers.count == found.count, let top = numbers.max(), top >= 1 { return (0..<top).map { "LABEL_\($0)" } }
        return found
    }

    func writePlot(_ reports: [TrainingReport], to path: String) throws {
        let chart = LineChart(title: "Fine-tuning \(model)", xLabels: reports.map { String($0.step) },
                              series: [.init(name: "loss", values: reports.map(\.loss)),
                                       .init(name: "accuracy", values: reports.map(\.accuracy))],
                              logY: false, yLabel: "loss / accuracy")
        try AtomicFileWriter.write(Data(chart.svg().utf8), to: path)
    }
}

/// One overwritten status line on stderr, only when stdout is a terminal.
struct ProgressLine {
    let enabled: Bool
    mutating func show(_ s: String) { if enabled { FileHandle.standardError.write(Data("\r\u{1B}[K\(s)".utf8)) } }
    mutating func clear() { if enabled { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) } }
}
