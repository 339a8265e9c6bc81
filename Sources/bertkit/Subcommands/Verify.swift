import ArgumentParser
import BertFormats
import BertModel
import BertVerify
import Foundation

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a model on a golden's inputs and compare every recorded layer.",
        discussion: """
            GOLDEN is an activation file (formats/golden.md) from transformers (golden/record.py, \
            golden/generate.py) or `bertkit dump`. MODEL runs on the golden's own input_ids, token_type_ids and attention_mask; \
            each recorded tap is compared at the positions whose attention_mask is 1 (for attention.probs, \
            query and key both real). Tap names may be module paths (with or without a leading bert.) or \
            transformers' output names (hidden_states.k, attentions.i, last_hidden_state, pooler_output, \
            logits, prediction_logits, seq_relationship_logits, start_logits, end_logits), as golden/record.py \
            writes them. Head taps: cls.predictions, cls.seq_relationship, classifier, qa_outputs; logits is \
            the head's output (for BertForMultipleChoice, whose inputs may be [examples, choices, seq], the \
            [examples, choices] scores).

            One row per recorded tensor, in forward order, under the name the golden gives it: max and \
            mean absolute error, max relative error, cosine similarity, the worst index, NaN/Inf counts \
            and pass/fail. Then the first failing tap and the smallest tolerance that would have passed it.

            A golden may record one tap under several names (forward hooks plus output_hidden_states give \
            bert.embeddings and hidden_states.0, classifier and logits). Each is compared with bertkit, and \
            each pair with each other by the same rule: two reference tensors that disagree are named, with \
            their max abs difference, and fail the run.

            TOLERANCES (Polygraphy's rule): an element fails only if |a-e| > atol AND |a-e| > rtol·|e|. \
            --stat max (default) requires every element to pass; median and p99 require half or 99% of \
            them to; mean requires the mean excess error (|a-e| where it is over rtol·|e|) to be at most \
            atol. The defaults, atol 1e-4 and rtol 1e-4, suit an f32 model against an f32 reference: \
            bertkit and PyTorch differ only in summation order and in the last bits of erf/exp, which \
            grows to about 1e-5 by the last layer of all-MiniLM-L6-v2. A model stored in f16 passes its \
            f32 original's golden at --atol 2e-2 --rtol 1e-2 (bf16: --atol 2e-1 --rtol 1e-1); see \
            formats/benchmarks.md.

            TRAINING STEP (--train): GOLDEN is a step golden (formats/golden.md, Step goldens) that \
            golden/record.py --train wrote from one PyTorch step on your model and batch. bertkit runs the \
            same step (dropout off, the golden's Adam/AdamW settings, its first batch and targets) and compares \
            the loss, the head's output, every gradient, Adam's exp_avg and exp_avg_sq, and every parameter \
            after the step, in forward order, each by its own rule (1e-5 relative + 1e-5 of the tensor's \
            largest element for gradients; see formats/golden.md), so --atol/--rtol/--stat do not apply. It \
            names the first parameter whose gradient diverges (in forward order) and the last, which is \
            the first that backward computes: where backward goes wrong. Gradients that \
            are 0 in exact arithmetic (the attention key biases, shift-invariant biases) are bounded instead, \
            and their moments and values skipped.

            Exit status: 0 when every tensor passes, 1 when one fails or two tensors of one tap disagree, 2 \
            when the golden does not fit the model (the message names the tensor: a missing gradient, a wrong \
            shape, another architecture, other weights).

            EXAMPLES
              bertkit verify .cache/models/all-MiniLM-L6-v2 golden/expected/minilm.acts.safetensors
              bertkit verify minilm-f16.bkm golden/expected/minilm.acts.safetensors --atol 2e-2 --rtol 1e-2
              bertkit verify golden/fixtures/tiny-cls golden/expected/tiny-cls.acts.safetensors --json --fail-fast
              bertkit verify golden/fixtures/tiny-cls golden/expected/tiny-cls.hooks.safetensors
              bertkit verify golden/fixtures/heads/multiple-choice/bin golden/expected/heads/multiple-choice.acts.safetensors
              bertkit verify golden/fixtures/train-verify/token-classification \\
                  golden/expected/train-verify/token-classification.step.safetensors --train
            """)

    @Argument(help: "A model folder, weights file or .bkm.") var model: String
    @Argument(help: "A golden activation file (.safetensors).") var golden: String
    @Option(help: "Absolute tolerance (default 1e-4).") var atol: Double?
    @Option(help: "Relative tolerance (default 1e-4).") var rtol: Double?
    @Option(help: "How many elements must pass: max (all), mean, median or p99 (default max).") var stat: String?
    @Flag(help: "GOLDEN is a step golden (golden/record.py --train): run one training step and compare it.") var train = false
    @Flag(help: "Stop comparing with bertkit at the first failing tensor.") var failFast = false
    @Option(help: "Threads (default: every CPU).") var threads: Int?
    @Flag(help: "Print JSON.") var json = false
    @OptionGroup var files: ModelFiles

    func validate() throws {
        if train, atol != nil || rtol != nil || stat != nil {
            throw ValidationError("--train judges each tensor by its own rule (formats/golden.md, Step goldens); drop --atol, --rtol and --stat")
        }
        guard Tolerance.Stat(rawValue: stat ?? "max") != nil else { throw ValidationError("--stat must be max, mean, median or p99") }
        for t in [atol, rtol].compactMap({ $0 }) where !(t >= 0 && t.isFinite) {
            throw ValidationError("--atol and --rtol must be finite and ≥ 0")
        }
    }

    func run() throws {
        try runReportingErrors {
            if let t = threads { ComputeThreads.set(t) }
            let m = try BertModel(checkpoint: files.load(model))
            if train { return try verifyStep(m) }
            let g = try GoldenFile.read(path: golden, layers: m.config.appliedLayers, head: m.head)
            let tol = Tolerance(atol: atol ?? Tolerance.f32.atol, rtol: rtol ?? Tolerance.f32.rtol, stat: Tolerance.Stat(rawValue: stat ?? "max")!)
            let r = try Verifier.verify(model: m, golden: g, tolerance: tol, failFast: failFast)
            if json {
                try Console.outJSON(VerifyJSON(report: r))
            } else {
                Console.out(VerifyText.render(r))
            }
            if !r.passed { throw Exit.checkFailed }
        }
    }
}

/// verify --json: the report plus the verdict and the first failure.
struct VerifyJSON: Encodable {
    let report: VerifyReport
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(report.passed, forKey: .passed)
        try c.encode(report.golden, forKey: .golden)
        try c.encode(report.tolerance, forKey: .tolerance)
        try c.encodeIfPresent(report.firstFailure?.tap, forKey: .firstFailure)
        try c.encodeIfPresent(report.firstFailure?.goldenName, forKey: .firstFailureName)
        try c.encode(report.taps, forKey: .taps)
        try c.encode(report.aliases, forKey: .aliases)
        try c.encode(report.notCompared, forKey: .notCompared)
    }
    enum Key: String, CodingKey {
        case passed, golden, tolerance, firstFailure = "first_failure", firstFailureName = "first_failure_name", taps, aliases
        case notCompared = "not_compared"
    }
}

enum VerifyText {
    static func e(_ x: Double) -> String { x.isFinite ? String(format: "%.2e", x) : (x.isNaN ? "nan" : "inf") }

    /// One row per compared tensor (verify and verify --train share it), then those --fail-fast left out.
    static func table(_ rows: [TapComparison], notCompared: [String], heading: String = "tap") -> [String] {
        let width = max(34, ((rows.map(\.goldenName) + notCompared).map(\.count).max() ?? 0) + 2)
        var lines = [heading.padded(width) + "max abs   mean abs  max rel   cosine       worst index      nan/inf  result"]
        for t in rows {
            let nonFinite = "\(t.nanActual + t.nanExpected)/\(t.infActual + t.infExpected)"
            let cells: [String] = [
                t.goldenName.padded(width), e(t.maxAbsError).padded(10), e(t.meanAbsError).padded(10), e(t.maxRelError).padded(10),
                String(format: "%.9f", t.cosine).padded(13), "\(t.worstIndex)".padded(17), nonFinite.padded(9),
                t.passed ? "pass" : "FAIL",
            ]
            lines.append(cells.joined())
        }
        for n in notCompared { lines.append(n.padded(width) + "(not compared: --fail-fast)") }
        return lines
    }

    static func render(_ r: VerifyReport) -> String {
        var lines = table(r.taps, notCompared: r.notCompared)
        let tol = "atol \(e(r.tolerance.atol)), rtol \(e(r.tolerance.rtol)), stat \(r.tolerance.stat.rawValue)"
        let bad = r.aliasDisagreements.count
        let selfDisagreement = "the golden disagrees with itself on \(bad) pair\(bad == 1 ? "" : "s")"
        let noun = Set(r.taps.map(\.tap)).count == r.taps.count ? "taps" : "tensors"
        lines.append("")
        if let a = r.aliases.agreementLine(prefix: "aliases: ") { lines.append(a) }
        lines += r.aliases.disagreementLines("golden")
        if let f = r.firstFailure {
            let rtolPart = f.requiredRtol.map { ", or rtol ≥ \(e($0)) at atol \(e(r.tolerance.atol))" } ?? ""
            lines.append("first failing tap: \(f.tap) (golden name \(f.goldenName)): \(f.failing) of \(f.compared) elements fail; "
                         + "worst \(f.worstIndex): \(f.worstActual) vs \(f.worstExpected)")
            lines.append("it would pass with atol ≥ \(e(f.requiredAtol)) at rtol \(e(r.tolerance.rtol))\(rtolPart)")
            lines.append("FAIL: \(r.taps.filter { !$0.passed }.count) of \(r.taps.count) \(noun) fail (\(tol))"
                         + (bad > 0 ? ", and \(selfDisagreement)" : ""))
        } else if bad > 0 {
            lines.append("FAIL: all \(r.taps.countPhrase) within \(tol), but \(selfDisagreement)")
        } else {
            lines.append("PASS: all \(r.taps.countPhrase) within \(tol)")
        }
        return lines.joined(separator: "\n")
    }
}

extension String {
    func padded(_ n: Int) -> String { self + String(repeating: " ", count: max(0, n - count)) }
}
