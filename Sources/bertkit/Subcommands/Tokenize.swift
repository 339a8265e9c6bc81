import ArgumentParser
import BertFormats
import BertTokenizer
import Foundation

struct Tokenize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Tokenize text exactly as transformers' ModelTokenizer does.",
        discussion: """
            Prints each token with its id, or with --json one JSON object per input: input_ids, \
            token_type_ids, attention_mask, tokens and offsets (code-point spans into the input text; \
            [0, 0] for special and padding tokens).

            Inputs: TEXT (and --pair), or --file (one text per line), or --jsonl (one JSON object \
            {"text": ..., "pair": ...} per line; one JSON result line per input line, in order). \
            Use - for stdin. All input is read and checked before anything is printed: a line that is \
            not UTF-8 or not such an object is reported by its number (exit code 2).

            Tokens equal transformers' Python ModelTokenizer's, with every tokenizer_config.json \
            setting. A pair too long for --max-length is cut as transformers' default (Rust-backed) \
            ModelTokenizer and AutoTokenizer cut it; --truncation-rule python cuts it as the Python \
            BertTokenizerLegacy does (they differ when both texts lose tokens and the room left is odd). \
            See formats/tokenizer.md. --benchmark prints throughput instead of tokens.

            EXAMPLES
              bertkit tokenize all-MiniLM-L6-v2 'PyTorch is a great framework for NLP'
              bertkit tokenize model.bkm 'A question?' --pair 'The context.' --max-length 16 --padding max_length --json
              bertkit tokenize all-MiniLM-L6-v2 --jsonl corpus.jsonl --max-length 128 > ids.jsonl
            """)

    @Argument(help: "A HuggingFace model folder (vocab.txt or tokenizer.json, tokenizer_config.json) or a .bkm file.")
    var model: String

    @Argument(help: "The text to tokenize.")
    var text: String?

    @Option(help: "A second text, encoded as a pair: [CLS] TEXT [SEP] PAIR [SEP].")
    var pair: String?

    @Option(help: "Tokenize every line of this file (- for stdin).")
    var file: String?

    @Option(help: "Tokenize every JSON line {\"text\": ..., \"pair\": ...} of this file (- for stdin); writes JSON lines.")
    var jsonl: String?

    @Option(help: "Truncate to this many tokens (special tokens included); with --padding max_length, pad to it.")
    var maxLength: Int?

    @Option(help: "longest_first (default with --max-length), only_first, only_second or do_not_truncate.")
    var truncation: String?

    @Option(help: ArgumentHelp(TruncationRule.help, valueName: "rule"))
    var truncationRule: TruncationRule = .rust

    @Option(help: "longest (to the longest input of a batch) or max_length.")
    var padding: String?

    @Option(help: "Inputs per batch, for --padding longest and for parallel encoding.")
    var batchSize = 1024

    @Flag(help: "Leave out [CLS] and [SEP].")
    var noSpecialTokens = false

    @Flag(help: "Print JSON (one object per input).")
    var json = false

    @Flag(help: "Print no tokens; measure encoding throughput over the inputs: one text at a time on one thread, then as batches on every core.")
    var benchmark = false

    func validate() throws {
        let sources = [text != nil, file != nil, jsonl != nil].filter { $0 }.count
        guard sources == 1 else { throw ValidationError("give exactly one of TEXT, --file or --jsonl") }
        if pair != nil, text == nil { throw ValidationError("--pair goes with TEXT (in --jsonl, give \"pair\" per line)") }
        if let t = truncation, Truncation(rawValue: t) == nil {
            throw ValidationError("--truncation must be one of \(Truncation.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if let p = padding, Padding(rawValue: p) == nil || p == Padding.none.rawValue {
            throw ValidationError("--padding must be longest or max_length")
        }
        if let m = maxLength, m < 1 { throw ValidationError("--max-length must be at least 1") }
        if batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
    }

    func run() throws {
        try runReportingErrors {
            let tokenizer = try TokenizerLoading.load(model)
            // ArgumentParser decodes arguments leniently (bad bytes become U+FFFD, which BertTokenizer
            // then drops): check the raw bytes instead.
            for i in 1..<Int(CommandLine.argc) where CommandLine.unsafeArgv[i].map({ String(validatingCString: $0) == nil }) ?? false {
                throw TokenizerError.invalidOption("command-line argument \(i) is not valid UTF-8")
            }
            let inputs: [TextInput]
            if let text {
                inputs = [TextInput(text, pair: pair)]
            } else if let file {
                inputs = try TextLines.read(file).map { TextInput($0) }
            } else {
                inputs = try TextLines.readJSONL(jsonl!)
            }
            let options = EncodingOptions(
                addSpecialTokens: !noSpecialTokens, maxLength: maxLength,
                truncation: truncation.flatMap(Truncation.init(rawValue:)), truncationRule: truncationRule,
                padding: padding.flatMap(Padding.init(rawValue:)) ?? .none)
            if benchmark { return try Self.benchmark(tokenizer, inputs, options, batchSize: batchSize, json: json) }
            let asJSON = json || jsonl != nil
            var batchStart = 0
            while batchStart < inputs.count {
                let batch = Array(inputs[batchStart..<min(inputs.count, batchStart + batchSize)])
                let encodings: [Encoding]
                do {
                    encodings = try tokenizer.encode(batch, options: options)
                } catch TokenizerError.cannotTruncate(let input, let max, let strategy, let why) where text == nil {
                    throw InputFileError(file: file ?? jsonl!, line: batchStart + input + 1,
                                         problem: "cannot truncate to \(max) tokens with \(strategy.rawValue): \(why)"
                                             + "\n---> HINT: use \(strategy == .longestFirst ? "" : "--truncation longest_first or ")a larger --max-length")
                }
                var out = [UInt8]()
                for (k, e) in encodings.enumerated() {
                    if asJSON {
                        EncodingJSON.append(e, to: &out)
                    } else {
                        if batchStart + k > 0 { out.append(0x0A) }
                        out += Array(table(e, pair: batch[k].pair != nil).utf8)
                    }
                }
                FileHandle.standardOutput.write(Data(out))
                batchStart += batch.count
            }
        }
    }

    private static func benchmark(_ tokenizer: ModelTokenizer, _ inputs: [TextInput], _ options: EncodingOptions,
                                  batchSize: Int, json: Bool) throws {
        let bytes = inputs.reduce(0) { $0 + $1.text.utf8.count + ($1.pair?.utf8.count ?? 0) }
        func measure(_ body: () throws -> Int) rethrows -> (seconds: Double, tokens: Int) {
            let start = ContinuousClock.now
            let tokens = try body()
            let d = ContinuousClock.now - start
            return (Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18, tokens)
        }
        _ = try tokenizer.encode(Array(inputs.prefix(100)), options: options)  // warm up
        let single = try measure {
            var n = 0
            for input in inputs { n += try tokenizer.encode(input.text, pair: input.pair, options: options).count }
            return n
        }
        let batch = try measure {
            var n = 0
            for start in stride(from: 0, to: inputs.count, by: batchSize) {
                let chunk = Array(inputs[start..<min(inputs.count, start + batchSize)])
                n += try tokenizer.encode(chunk, options: options).reduce(0) { $0 + $1.count }
            }
            return n
        }
        let rows = [("per-text", single), ("batch", batch)]
        if json {
            var o = JSONObject([("texts", .int(inputs.count)), ("bytes", .int(bytes)),
                                ("cores", .int(ProcessInfo.processInfo.activeProcessorCount))])
            for (name, r) in rows {
                o[name] = .object(JSONObject([("seconds", .double(r.seconds)), ("tokens", .int(r.tokens))]))
            }
            Console.out(JSONValue.object(o).serialized(indent: 0))
            return
        }
        Console.out("\(inputs.count) texts, \(bytes) bytes of UTF-8")
        for (name, r) in rows {
            Console.out(name.rightPadded(9) + String(format: " %8.3f s  %8.2f MB/s  %12.0f tokens/s", r.seconds,
                               Double(bytes) / 1e6 / r.seconds, Double(r.tokens) / r.seconds))
        }
    }

    /// One row per token: position, token, id, then type, mask and span when they say something.
    private func table(_ e: Encoding, pair: Bool) -> String {
        let padded = e.attentionMask.contains(0)
        let width = max(5, e.tokens.map(\.count).max() ?? 0)
        var s = ""
        for i in 0..<e.count {
            var row = String(i).leftPadded(4) + "  " + e.tokens[i].rightPadded(width) + "  " + String(e.inputIds[i]).leftPadded(6)
            if pair { row += "  type " + String(e.tokenTypeIds[i]) }
            if padded { row += "  mask " + String(e.attentionMask[i]) }
            if !e.offsets[i].isEmpty { row += "  chars \(e.offsets[i].lowerBound)..<\(e.offsets[i].upperBound)" }
            s += row + "\n"
        }
        return s
    }
}

private extension String {
    func leftPadded(_ n: Int) -> String { String(repeating: " ", count: max(0, n - count)) + self }
    func rightPadded(_ n: Int) -> String { self + String(repeating: " ", count: max(0, n - count)) }
}

/// The tokenizer of a MODEL argument: a HuggingFace folder, a file inside one, or a .bkm (whose
/// header carries the vocabulary and settings read from its source folder).
enum TokenizerLoading {
    static func load(_ model: String) throws -> ModelTokenizer {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: model, isDirectory: &isDir) else {
            throw ConfigError(file: model, key: "MODEL", "no such file or folder")
        }
        if !isDir.boolValue, (try? WeightsFormat.detect(path: model)) == .bkm {
            let bkm = try BKMFile.open(path: model)
            if let vocabulary = bkm.vocabulary {
                try Checkpoint.checkVocabularySize(vocabulary, tokenizer: bkm.tokenizer, config: bkm.config,
                                                   vocabularyFile: model + ": header.vocabulary", configFile: model + ": header.config")
            }
            guard let t = try ModelTokenizer.checked(vocabulary: bkm.vocabulary, settings: bkm.tokenizer, files: bkm.tokenizerFiles,
                                                     config: bkm.config, source: model, configFile: model + ": header.config") else {
                throw ConfigError(file: model, key: "vocabulary",
                                  "this .bkm carries no tokenizer (its source had no vocab.txt, tokenizer.json, vocab.json + merges.txt or SentencePiece model)")
            }
            return t
        }
        // A folder, or a weights or config file whose folder holds the tokenizer files.
        let folder = isDir.boolValue ? model : (model as NSString).deletingLastPathComponent
        let files = TokenizerFiles(folder: folder)
        guard let (vocabulary, settings) = try files.read() else {
            throw ConfigError(file: folder, key: "vocab.txt",
                              "the folder has no vocab.txt, tokenizer.json, vocab.json + merges.txt or SentencePiece model")
        }
        // Ids past the model's embedding rows would be tokens no model can take.
        let configPath = (folder as NSString).appendingPathComponent("config.json")
        let config = FileManager.default.fileExists(atPath: configPath) ? try BertConfig(contentsOf: configPath) : nil
        if let config, let vocabulary, let vocabularyFile = files.vocabularyFile {
            try Checkpoint.checkVocabularySize(vocabulary, tokenizer: settings, config: config,
                                               vocabularyFile: vocabularyFile, configFile: configPath)
        }
        let verbatim = try files.verbatim()
        if let config {
            return try ModelTokenizer.checked(vocabulary: vocabulary, settings: settings, files: verbatim, config: config,
                                              source: folder, configFile: configPath)!
        }
        return try ModelTokenizer(vocabulary: vocabulary, settings: settings, files: verbatim, modelType: files.modelType, source: folder)!
    }
}
