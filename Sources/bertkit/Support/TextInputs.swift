import ArgumentParser
import BertFormats
import BertModel
import BertTokenizer
import Foundation

/// The model and texts run, embed and dump take.
struct TextInputs: ParsableArguments {
    @Argument(help: "A model folder, weights file or .bkm.") var model: String
    @Argument(help: "The texts (one input each).") var texts: [String] = []
    @Option(help: "A second segment for the text at the same position (repeatable, in order; '' for none).")
    var pair: [String] = []
    @Flag(help: "Refuse texts longer than the model allows instead of truncating them.") var noTruncate = false
    @Option(help: ArgumentHelp(TruncationRule.help, valueName: "rule")) var truncationRule: TruncationRule = .rust
    @Option(help: "Threads (default: every CPU).") var threads: Int?
    @OptionGroup var files: ModelFiles
    @OptionGroup(title: "Texts from a file") var source: CorpusSource

    func validate() throws {
        if source.given, !texts.isEmpty { throw ValidationError("give TEXT or --file/--jsonl/--csv, not both") }
        if source.given, !pair.isEmpty { throw ValidationError("--pair goes with TEXT (in --jsonl or --csv, give the pair per row)") }
        guard pair.count <= texts.count else { throw ValidationError("\(pair.count) --pair values for \(texts.count) texts") }
        if let t = threads, t < 1 { throw ValidationError("--threads must be at least 1") }
    }

    /// For commands whose only inputs are the TEXTs.
    func requireTexts() throws {
        guard !texts.isEmpty || source.given else { throw ValidationError("give at least one TEXT (or --file, --jsonl or --csv)") }
    }

    /// Sets --threads and loads the model, warning on stderr about what the loader noticed.
    func loadModel() throws -> BertModel {
        if let t = threads { ComputeThreads.set(t) }
        let checkpoint = try files.load(model)
        for w in checkpoint.report.warnings { Console.log("warning: \(w)") }
        return try BertModel(checkpoint: checkpoint)
    }

    /// Loads the model and encodes the texts (`encode`: by default tokenized as they are, cut to
    /// max_position_embeddings); warns on stderr for each truncated text.
    func load(encode: ((BertModel, [TextInput], _ truncate: Bool) throws -> EncodedTexts)? = nil) throws -> (BertModel, EncodedTexts, [[String]]) {
        let m = try loadModel()
        let inputs = try allInputs()
        let encoded = try encode?(m, inputs, !noTruncate)
            ?? BertInput.encode(inputs, tokenizer: m.makeTokenizer(), config: m.config, truncate: !noTruncate, rule: truncationRule)
        warnTruncated(encoded.truncated, limit: encoded.limit)
        return (m, encoded, inputs.map { [$0.text] + ($0.pair.map { [$0] } ?? []) })
    }

    /// Each TEXT with its --pair; an empty pair is no pair, as transformers treats it.
    var textInputs: [TextInput] {
        texts.enumerated().map { TextInput($1, pair: $0 < pair.count && !pair[$0].isEmpty ? pair[$0] : nil) }
    }

    /// The TEXTs, or every row of the file (which is read whole: for outputs that hold every text).
    func allInputs() throws -> [TextInput] {
        guard source.given else { return textInputs }
        let rows = try source.readAll()
        guard !rows.isEmpty else { throw ValidationError("\(source.path!) has no texts") }
        return rows
    }

    /// The texts encoded for `m`; warns on stderr for each truncated text.
    func encode(for m: BertModel, limit: Int? = nil) throws -> (EncodedTexts, [[String]]) {
        let inputs = textInputs
        let encoded = try BertInput.encode(inputs, tokenizer: m.makeTokenizer(), config: m.config, limit: limit,
                                           truncate: !noTruncate, rule: truncationRule)
        warnTruncated(encoded.truncated, limit: encoded.limit)
        return (encoded, inputs.map { [$0.text] + ($0.pair.map { [$0] } ?? []) })
    }

    func warnTruncated(_ rows: [(row: Int, tokens: Int)], limit: Int) {
        for t in rows {
            Console.log("warning: text \(t.row + 1) has \(t.tokens) tokens; truncated to \(limit) (--no-truncate refuses it)")
        }
    }
}

extension TruncationRule: ExpressibleByArgument {
    static let help = "How a pair too long is cut: rust (default: as transformers' ModelTokenizer and AutoTokenizer, "
        + "Rust-backed) or python (as transformers' Python BertTokenizerLegacy)."
}

func fmt(_ x: Float) -> String { String(format: "%.4f", x) }

func quoted(_ text: [String]) -> String {
    text.map { t in "\"" + (t.count > 60 ? t.prefix(57) + "..." : t) + "\"" }.joined(separator: " + ")
}

/// --config and --vocab, for a bare weights file.
struct ModelFiles: ParsableArguments {
    @Option(help: "A config.json for a bare weights file.") var config: String?
    @Option(help: "A vocab.txt or tokenizer.json for a bare weights file.") var vocab: String?

    func load(_ model: String) throws -> Checkpoint {
        try CheckpointLoader.load(path: model, configOverride: config, vocabOverride: vocab)
    }
}
