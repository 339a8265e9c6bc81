import BertFormats
import BertModel
import BertTokenizer
import Foundation

/// `bertkit validate`: a pre-deployment gate. Runs every check family and collects PASS/FAIL/WARN
/// lines; a load failure is itself a failed check, not an exception.
public enum Validator {
    public struct Options: Sendable {
        public var golden: String?
        public var goldenTolerance: Tolerance = .f32
        public var data: String?
        /// Single-label accuracy, or multi-label per-label accuracy.
        public var minAccuracy: Double?
        /// Multi-label micro F1; token classification: micro entity F1.
        public var minF1: Double?
        /// Question answering: SQuAD exact match (0–1).
        public var minExactMatch: Double?
        /// Token classification: seqeval's strict IOB2 mode.
        public var entityStrict = false
        /// Regression mean squared error.
        public var maxMSE: Double?
        /// Masked-LM perplexity.
        public var maxPerplexity: Double?
        public var maxLatencyMs: Double?
        public var batch = 1
        public var seq = 128
        public init() {}
    }

    public static let probes: [TextInput] = [
        TextInput("Hello, world!"), TextInput("PyTorch is a great framework for NLP"),
        TextInput("The quick brown fox jumps over the lazy dog near the river bank.", pair: "Is it quick?"),
    ]

    /// Every check; a --data file that cannot be read (a bad row, a bound the model's problem type
    /// does not have) is a failed Quality check.
    public static func run(path: String, options: Options) -> ValidationReport {
        run(path: path, options: options) { ValidationCheck("Quality", $0, .fail, $1.localizedDescription) }
    }

    /// As `run`, but a --data file that cannot be read throws instead: it is bad input (as in
    /// `finetune` and `evaluate`), not a property of the model.
    public static func gate(path: String, options: Options) throws -> ValidationReport {
        try run(path: path, options: options) { throw $1 }
    }

    static func run(path: String, options o: Options, badData: (String, Error) throws -> ValidationCheck) rethrows -> ValidationReport {
        var checks: [ValidationCheck] = []
        var details: [String] = []
        func guarded(_ family: String, _ name: String, _ body: () throws -> Void) {
            do { try body() } catch { checks.append(ValidationCheck(family, name, .fail, error.localizedDescription)) }
        }
        let checkpoint: Checkpoint
        do {
            if path.hasSuffix(".bkm") {
                let f = try BKMFile.open(path: path)
                checks.append(StructureChecks.checksums(f))
                checkpoint = try f.checkpoint(verify: false)
            } else {
                checkpoint = try CheckpointLoader.load(path: path)
            }
        } catch {
            checks.append(ValidationCheck("Structure", "loads", .fail, error.localizedDescription))
            return ValidationReport(model: path, checks: checks, details: details)
        }
        checks += StructureChecks.run(checkpoint)
        checks += NumberChecks.weights(checkpoint)
        let model: BertModel
        do { model = try BertModel(checkpoint: checkpoint) } catch {
            checks.append(ValidationCheck("Structure", "binds to the model", .fail, error.localizedDescription))
            return ValidationReport(model: path, checks: checks, details: details)
        }
        guarded("Numbers", "outputs finite on probe inputs") {
            let tokenizer = try model.makeTokenizer()
            let e = try BertInput.encode(probes, tokenizer: tokenizer, config: model.config).input
            checks.append(NumberChecks.outputs(try model.run(e), model: model))
            checks += try BehaviourChecks.run(model, tokenizer, probes: probes)
        }
        if PipelineTask.default(for: model.head) != .featureExtraction, model.head != .sequenceClassification {
            guarded("Behaviour", "\(PipelineTask.default(for: model.head).rawValue) runs") {
                if let c = try TaskChecks.run(model) { checks.append(c) }
            }
        }
        if let g = o.golden {
            guarded("Fidelity", "golden taps") { checks.append(try FidelityQualityChecks.fidelity(model, golden: g, tolerance: o.goldenTolerance)) }
        }
        if let d = o.data, model.head != .sequenceClassification {
            let name = TaskQualityChecks.name(model.head)
            var scoring: TaskQualityChecks.Scoring?
            do { scoring = try TaskQualityChecks.prepare(model, data: d, o) } catch { checks.append(try badData(name, error)) }
            if let score = scoring {
                guarded("Quality", name) {
                    let (c, lines) = try score()
                    checks.append(c)
                    details += lines
                }
            }
        } else if let d = o.data {
            let problem = ProblemQualityChecks.problem(of: model), name = ProblemQualityChecks.name(problem)
            var dataset: LabelledDataset?
            do {
                try ProblemQualityChecks.checkBounds(o, problem: problem)
                dataset = try LabelledDataset(contentsOf: d, labels: model.config.id2label, problem: problem)
            } catch {
                checks.append(try badData(name, error))
            }
            if let ds = dataset {
                guarded("Quality", name) {
                    let (c, lines) = try ProblemQualityChecks.run(model, data: d, ds, o)
                    checks.append(c)
                    details += lines
                }
            }
        }
        if let ms = o.maxLatencyMs {
            guarded("Latency", "forward latency") { checks.append(try FidelityQualityChecks.latency(model, maxMs: ms, batch: o.batch, seq: o.seq)) }
        }
        return ValidationReport(model: path, checks: checks, details: details)
    }
}
