import ArgumentParser
import BertFormats
import BertModel
import BertTensors
import BertVerify
import Foundation

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "A pre-deployment gate: structure, numbers, behaviour, fidelity, quality and latency checks.",
        discussion: """
            Every check prints PASS, FAIL or WARN with its reason. Structure: every tensor present and \
            shaped as config.json says; vocabulary rows = embedding rows; id2label = classifier rows; a \
            pooler under a classification head; special tokens in the vocabulary; for a .bkm, every \
            tensor's CRC-32C (all of them, naming each bad tensor). Numbers: no NaN/Inf weight (named, \
            with counts); no all-zero LayerNorm weight; finite outputs on probe texts. Behaviour: the \
            same input twice is bit-identical; a padded batch equals the single input within 1e-4; the \
            tokenizer keeps its special tokens whole. Fidelity (--golden): every tap passes as in \
            `bertkit verify`. Quality (--data CSV, scored as `bertkit evaluate` does, by the config's \
            problem_type): single-label, accuracy ≥ --min-accuracy with the confusion matrix; \
            multi-label, per-label accuracy at probability 0.5 ≥ --min-accuracy and micro F1 ≥ --min-f1 \
            (exact-match accuracy reported); regression, MSE ≤ --max-mse (MAE, Pearson r reported); \
            token classification (CoNLL/IOB2 or JSONL --data), seqeval's micro entity F1 ≥ --min-f1 \
            (--strict: IOB2 strict mode) with per-type scores. \
            A BertForQuestionAnswering is scored on SQuAD JSON or JSONL (formats/squad.md) as `evaluate \
            --task question-answering` does with run_qa's defaults: SQuAD exact match ≥ --min-exact-match and \
            F1 ≥ --min-f1, both as fractions (0.75 = 75.0), the first wrong answers listed. \
            Without a bound the check is WARN with its figures. A bad CSV row stops with its file:line \
            (exit 2), as in `finetune`. A masked-LM head: --data is one document a line, perplexity \
            ≤ --max-perplexity (masks from seed 0, 15%). A multiple-choice head: --data is a SWAG CSV or \
            JSONL, accuracy ≥ --min-accuracy. Latency (--max-latency-ms): median of 5 forwards at --batch × --seq.

            --manifest writes JSON (atomically) with the SHA-256 of every input file, every check and \
            its figures.

            Exit status: 0 when no check fails (WARN allowed), 1 when one fails, 2 on bad input (a bad \
            --data row, or a bound the model's problem type does not have).

            EXAMPLES
              bertkit validate ner.bkm --data golden/data/ner/test.conll --min-f1 0.85
              bertkit validate model.bkm
              bertkit validate tiny-cls.bkm --golden golden/expected/tiny-cls.acts.safetensors
              bertkit validate finetuned/ --data test.csv --min-accuracy 0.9 --manifest release.json
              bertkit validate topics/ --data golden/data/problems/topics.csv --min-accuracy 0.8 --min-f1 0.6
              bertkit validate sentiment.bkm --data golden/data/problems/sentiment.csv --max-mse 0.5 --json
              bertkit validate qa.bkm --data golden/data/squad-mini/dev.jsonl --min-exact-match 0.5 --min-f1 0.6
              bertkit validate minilm.bkm --max-latency-ms 20 --batch 1 --seq 128 --json
            """)

    @Argument(help: "A model folder, weights file or .bkm.") var model: String
    @Option(help: "A golden activation file: every tap must pass.") var golden: String?
    @Option(help: "Absolute tolerance for --golden.") var atol = Tolerance.f32.atol
    @Option(help: "Relative tolerance for --golden.") var rtol = Tolerance.f32.rtol
    @Option(help: "Labelled CSV (text,label or AG News) for the quality check, read by the model's problem_type.") var data: String?
    @Option(help: "Smallest accuracy that passes (0–1); multi-label: per-label accuracy at 0.5.") var minAccuracy: Double?
    @Option(help: "Multi-label: smallest micro F1; token classification: smallest micro entity F1; question answering: smallest SQuAD F1 (all 0–1).") var minF1: Double?
    @Option(help: "Question answering: smallest SQuAD exact match that passes (0–1).") var minExactMatch: Double?
    @Flag(help: "Token classification: score in seqeval's strict IOB2 mode.") var strict = false
    @Option(help: "Regression: largest mean squared error that passes.") var maxMse: Double?
    @Option(help: "Masked LM: largest perplexity that passes (--data: one document a line, masks from seed 0).") var maxPerplexity: Double?
    @Option(help: "Largest median forward latency that passes, in ms.") var maxLatencyMs: Double?
    @Option(help: "Batch for the latency check.") var batch = 1
    @Option(help: "Sequence length for the latency check.") var seq = 128
    @Option(help: "Write a JSON manifest (file hashes, checks, figures).") var manifest: String?
    @Option(help: "Threads (default: every CPU).") var threads: Int?
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        if let m = minAccuracy, !(0...1).contains(m) { throw ValidationError("--min-accuracy must be between 0 and 1") }
        if let m = minF1, !(0...1).contains(m) { throw ValidationError("--min-f1 must be between 0 and 1") }
        if let m = minExactMatch, !(0...1).contains(m) { throw ValidationError("--min-exact-match must be between 0 and 1") }
        if let m = maxMse, !(m >= 0) { throw ValidationError("--max-mse must be a number ≥ 0") }
        for (flag, given) in [("--min-accuracy", minAccuracy), ("--min-f1", minF1), ("--max-mse", maxMse),
                              ("--min-exact-match", minExactMatch), ("--max-perplexity", maxPerplexity)] where given != nil && data == nil {
            throw ValidationError("\(flag) needs --data")
        }
        guard batch >= 1, seq >= 1 else { throw ValidationError("--batch and --seq must be at least 1") }
    }

    func run() throws {
        try runReportingErrors {
            if let t = threads { ComputeThreads.set(t) }
            var o = Validator.Options()
            o.golden = golden
            o.goldenTolerance = Tolerance(atol: atol, rtol: rtol)
            o.data = data
            o.minAccuracy = minAccuracy
            o.minF1 = minF1
            o.minExactMatch = minExactMatch
            o.entityStrict = strict
            o.maxMSE = maxMse
            o.maxPerplexity = maxPerplexity
            o.maxLatencyMs = maxLatencyMs
            o.batch = batch
            o.seq = seq
            let r = try Validator.gate(path: model, options: o)
            // Hash the inputs (a model can be gigabytes) only when a document is asked for, and once.
            let doc = json || manifest != nil
                ? try Console.jsonData(ValidateJSON(report: r, files: try Self.hashes(of: [model, golden, data].compactMap { $0 })))
                : nil
            if json, let d = doc {
                Console.out(String(decoding: d, as: UTF8.self))
            } else {
                Console.out(Self.render(r))
            }
            if let m = manifest, let d = doc {
                try AtomicFileWriter.write(d, to: m)
                Console.log("wrote \(m)")
            }
            if !r.passed { throw Exit.checkFailed }
        }
    }

    static func render(_ r: ValidationReport) -> String {
        var lines = ["validate \(r.model)"]
        for c in r.checks {
            lines.append("\(c.status.rawValue)  \(c.family.padding(toLength: 10, withPad: " ", startingAt: 0))\(c.name): \(c.reason)")
        }
        if !r.details.isEmpty { lines.append(""); lines += r.details }
        lines.append("")
        let warn = r.checks.filter { $0.status == .warn }.count
        lines.append(r.passed ? "PASS: \(r.checks.count) checks, \(warn) warnings"
                              : "FAIL: \(r.failed.count) of \(r.checks.count) checks fail: \(r.failed.map(\.name).joined(separator: ", "))")
        return lines.joined(separator: "\n")
    }

    /// SHA-256 of every file given; a folder contributes each regular file in it.
    static func hashes(of paths: [String]) throws -> [String: String] {
        var out: [String: String] = [:]
        let fm = FileManager.default
        for p in paths {
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: p, isDirectory: &isDir) else { continue }
            if isDir.boolValue {
                for f in (try fm.contentsOfDirectory(atPath: p)).sorted() {
                    let full = (p as NSString).appendingPathComponent(f)
                    var d: ObjCBool = false
                    if fm.fileExists(atPath: full, isDirectory: &d), !d.boolValue { out[full] = try FileDigest.sha256Streaming(path: full) }
                }
            } else {
                out[p] = try FileDigest.sha256Streaming(path: p)
            }
        }
        return out
    }
}

/// validate --json and --manifest.
struct ValidateJSON: Encodable {
    let report: ValidationReport
    let files: [String: String]
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(report.passed, forKey: .passed)
        try c.encode(report.model, forKey: .model)
        try c.encode(files, forKey: .sha256)
        try c.encode(report.checks, forKey: .checks)
        try c.encode(report.details, forKey: .details)
        try c.encode("bertkit \(BertKitVersion.string)", forKey: .producer)
    }
    enum Key: String, CodingKey { case passed, model, sha256, checks, details, producer }
}
