import ArgumentParser
import BertFormats
import BertModel
import BertTensors
import BertTokenizer
import BertVerify
import Foundation

struct Diff: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare two models (or activation dumps) layer by layer and name the first divergent tap.",
        discussion: """
            A and B are each a model (folder, weights file or .bkm) or an activation dump (a golden \
            .safetensors from `bertkit dump`, golden/generate.py or golden/record.py). Both models run on \
            the same tokens: \
            a dump's recorded inputs, else the --text values (or a few default texts), tokenized by A. If \
            B's tokenizer splits a text differently, that is said first, with the first differing token.

            One row per tap, in forward order, B against A over real (attention mask 1) positions: max, \
            mean, median and 99th-percentile absolute error, max relative error, NMSE in dB, cosine \
            similarity, NaN/Inf counts and the smallest atol that would pass (Polygraphy's rule, as in \
            `bertkit verify`). The verdict names the first tap over tolerance. When both are models, the \
            weights are compared too (‖B − A‖/‖A‖ per tensor, ranked; tensors only in one; shape \
            differences). Config or shape differences are listed and whatever has equal shapes is still \
            compared.

            A dump that records a tap under several names (hooks plus output_hidden_states: bert.embeddings \
            and hidden_states.0) gives a row per name, shown under the dump's name (A / B when two dumps \
            name it differently; a name both dumps have is compared with itself). Its tensors for one tap \
            are compared with each other too; a pair that disagrees is named and fails the diff.

            Exit status: 0 when every tap is within tolerance (and tokenizers and shapes agree, and no dump \
            disagrees with itself), 1 otherwise, 2 on unreadable input.

            EXAMPLES
              bertkit diff golden/fixtures/tiny-bert tiny-f16.bkm --atol 5e-2
              bertkit diff .cache/models/all-MiniLM-L6-v2 minilm-f16.bkm --atol 5e-2 --report diff.html
              bertkit diff model.bkm golden/expected/minilm.acts.safetensors --json
              bertkit diff golden/expected/tiny-cls.acts.safetensors golden/expected/tiny-cls.hooks.safetensors
              bertkit diff base/ finetuned/ --text 'a great movie' --text 'a dull movie'
            """)

    @Argument(help: "A model or an activation dump (the reference).") var a: String
    @Argument(help: "A model or an activation dump (compared against A).") var b: String
    @Option(help: "A text to run (repeatable).") var text: [String] = []
    @Option(help: "Inputs: a golden file (its recorded tokens) or a JSONL of {\"text\", \"pair\"}.") var inputs: String?
    @Option(help: "Absolute tolerance.") var atol = Tolerance.f32.atol
    @Option(help: "Relative tolerance.") var rtol = Tolerance.f32.rtol
    @Option(help: "How many elements must pass: max (all), mean, median or p99.") var stat = Tolerance.Stat.max.rawValue
    @Option(help: "Write a self-contained HTML report here.") var report: String?
    @Option(help: "Threads (default: every CPU).") var threads: Int?
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        guard Tolerance.Stat(rawValue: stat) != nil else { throw ValidationError("--stat must be max, mean, median or p99") }
        guard atol >= 0, rtol >= 0, atol.isFinite, rtol.isFinite else { throw ValidationError("--atol and --rtol must be finite and ≥ 0") }
        guard text.isEmpty || inputs == nil else { throw ValidationError("give --text or --inputs, not both") }
    }

    func run() throws {
        try runReportingErrors {
            if let t = threads { ComputeThreads.set(t) }
            let tol = Tolerance(atol: atol, rtol: rtol, stat: Tolerance.Stat(rawValue: stat)!)
            let sa = try DiffSide.load(path: a), sb = try DiffSide.load(path: b)
            var texts: [TextInput]? = text.isEmpty ? nil : text.map { TextInput($0) }
            if let path = inputs {
                if path.hasSuffix(".jsonl") {
                    texts = try Self.readJSONL(path)
                } else {
                    // A golden given as inputs: compare both sides on its tokens, as if it were A's dump.
                    let g = try GoldenFile.read(path: path, layers: sa.config?.appliedLayers ?? sb.config?.appliedLayers ?? 1)
                    let r = try ModelDiff.run(sa, sb, golden: g, tolerance: tol)
                    return try emit(r)
                }
            }
            try emit(try ModelDiff.run(sa, sb, texts: texts, tolerance: tol))
        }
    }

    func emit(_ r: ModelDiff) throws {
        if json {
            try Console.outJSON(DiffJSON(diff: r))
        } else {
            Console.out(DiffText.render(r))
        }
        if let path = report {
            try AtomicFileWriter.write(Data(DiffReport.html(r).utf8), to: path)
            Console.log("wrote \(path)")
        }
        if !r.passed { throw Exit.checkFailed }
    }

    static func readJSONL(_ path: String) throws -> [TextInput] {
        let body = try String(contentsOfFile: path, encoding: .utf8)
        var out: [TextInput] = []
        for (n, line) in body.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
        where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            guard let o = try JSONParser.parse(Array(line.utf8), file: "\(path):\(n + 1)").objectValue, let t = o["text"]?.stringValue else {
                throw ValidationError("\(path):\(n + 1): expected an object with a string \"text\" (and optional \"pair\")")
            }
            out.append(TextInput(t, pair: o["pair"]?.stringValue))
        }
        guard !out.isEmpty else { throw ValidationError("\(path): no texts") }
        return out
    }
}

/// diff --json: the verdict, the first divergent tap, then everything.
struct DiffJSON: Encodable {
    let diff: ModelDiff
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(diff.passed, forKey: .passed)
        try c.encodeIfPresent(diff.firstDivergent?.tap, forKey: .firstDivergent)
        try c.encodeIfPresent(diff.firstDivergent?.goldenName, forKey: .firstDivergentName)
        try c.encode(diff, forKey: .diff)
    }
    enum Key: String, CodingKey { case passed, firstDivergent = "first_divergent", firstDivergentName = "first_divergent_name", diff }
}
