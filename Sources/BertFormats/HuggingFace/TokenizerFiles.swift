import Foundation

/// The tokenizer files of a HuggingFace model. A BERT checkpoint is read as transformers' slow
/// BertTokenizer reads it: vocab.txt and tokenizer_config.json (+ special_tokens_map.json,
/// added_tokens.json); without vocab.txt the vocabulary comes from tokenizer.json; without
/// tokenizer_config.json the settings come from tokenizer.json's normalizer too. Every other family
/// is read as its fast tokenizer is (`source`): tokenizer.json, else the slow files transformers'
/// `convert_slow_tokenizer.py` converts. `bertkit tokenize` and the checkpoint loader (so every
/// .bkm) both read tokenizers here, so a folder and its .bkm tokenize alike.
public struct TokenizerFiles: Sendable {
    public var vocabTxt: String?
    public var tokenizerJSON: String?
    public var tokenizerConfig: String?
    public var specialTokensMap: String?
    /// transformers 4's `added_tokens.json` ({"token": id}); found beside the other files.
    public var addedTokensJSON: String?
    /// RoBERTa's slow files: `vocab.json` and `merges.txt`.
    public var vocabJSON: String?
    public var mergesTxt: String?
    /// A SentencePiece model: `sentencepiece.bpe.model` (XLM-R) or `spiece.model` (ALBERT).
    public var sentencePieceModel: String?
    /// config.json's `model_type`, or nil when unknown: it decides which file is read first.
    public var modelType: String?

    public init(vocabTxt: String?, tokenizerJSON: String?, tokenizerConfig: String?, specialTokensMap: String?,
                modelType: String? = nil) {
        self.vocabTxt = vocabTxt
        self.tokenizerJSON = tokenizerJSON
        self.tokenizerConfig = tokenizerConfig
        self.specialTokensMap = specialTokensMap
        self.modelType = modelType
        if let beside = tokenizerConfig ?? vocabTxt ?? tokenizerJSON {
            let dir = (beside as NSString).deletingLastPathComponent
            func file(_ name: String) -> String? {
                let p = dir + "/" + name
                return FileManager.default.fileExists(atPath: p) ? p : nil
            }
            addedTokensJSON = file("added_tokens.json")
            findSlowFiles(file)
        }
    }

    /// The files of a model folder; `modelType` nil reads it from the folder's config.json, if any.
    public init(folder: String, modelType: String? = nil) {
        func file(_ name: String) -> String? {
            let p = (folder as NSString).appendingPathComponent(name)
            return FileManager.default.fileExists(atPath: p) ? p : nil
        }
        // A config that does not parse is the loader's to report; here it only orders the files.
        let type = modelType ?? file("config.json").flatMap { try? JSONParser.parse(contentsOf: $0) }?.objectValue?["model_type"]?.stringValue
        self.init(vocabTxt: file("vocab.txt"), tokenizerJSON: file("tokenizer.json"),
                  tokenizerConfig: file("tokenizer_config.json"), specialTokensMap: file("special_tokens_map.json"), modelType: type)
        addedTokensJSON = file("added_tokens.json")
        findSlowFiles(file)
    }

    private mutating func findSlowFiles(_ file: (String) -> String?) {
        vocabJSON = file("vocab.json")
        mergesTxt = file("merges.txt")
        sentencePieceModel = file("sentencepiece.bpe.model") ?? file("spiece.model")
    }

    /// A folder's WordPiece vocabulary and settings; a folder without vocab.txt or tokenizer.json,
    /// or whose tokenizer is no BertTokenizer, is an error.
    public static func read(folder: String) throws -> (Vocabulary, TokenizerSettings) {
        let files = TokenizerFiles(folder: folder)
        guard let (v, s) = try files.read() else {
            throw ConfigError(file: folder, key: "vocab.txt", "the folder has no vocab.txt or tokenizer.json")
        }
        guard let v else {
            // The WordPiece reader says what in the tokenizer.json BertTokenizer cannot do.
            if let j = files.tokenizerJSON { _ = try TokenizerJSON.read(path: j) }
            throw ConfigError(file: folder, key: "tokenizer.json", "the folder's tokenizer is not BERT's WordPiece")
        }
        return (v, s)
    }

    /// tokenizer_config.json's `tokenizer_class`, if any.
    var tokenizerClass: String? {
        tokenizerConfig.flatMap { try? JSONParser.parse(contentsOf: $0) }?.objectValue?["tokenizer_class"]?.stringValue
    }

    /// The files a checkpoint keeps byte for byte (`Checkpoint.tokenizerFiles`), by the name each has
    /// in a model folder, so that an export writes back what the parsed settings leave out.
    public static let verbatimNames = ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json"]
        + slowNames
    /// The slow tokenizer files another family's tokenizer is built from when it has no tokenizer.json.
    public static let slowNames = ["vocab.json", "merges.txt", "sentencepiece.bpe.model", "spiece.model"]
    /// The binary files among `verbatimNames` (SentencePiece protobufs); the others are UTF-8 text.
    public static func isBinary(_ name: String) -> Bool { name.hasSuffix(".model") }

    /// The files of `verbatimNames` this model has: (name in a folder, path). The slow files are
    /// kept only when they are what the tokenizer is built from (`source`), so a BERT checkpoint
    /// keeps exactly the four it always kept.
    public var verbatimPaths: [(name: String, path: String)] {
        var files: [(String, String?)] = [("tokenizer.json", tokenizerJSON), ("tokenizer_config.json", tokenizerConfig),
                                          ("special_tokens_map.json", specialTokensMap), ("added_tokens.json", addedTokensJSON)]
        switch source {
        case .vocabMerges: files += [("vocab.json", vocabJSON), ("merges.txt", mergesTxt)]
        case .sentencePiece(let name): files.append((name, sentencePieceModel))
        default: break
        }
        return files.compactMap { n, p in p.map { (n, $0) } }
    }

    /// The contents of `verbatimPaths`. The JSON and text files must be UTF-8; anything else is refused.
    public func verbatim() throws -> [String: [UInt8]] {
        var out: [String: [UInt8]] = [:]
        for (name, path) in verbatimPaths {
            guard let d = FileManager.default.contents(atPath: path) else { throw LoadError.notFound(path: path) }
            let bytes = [UInt8](d)
            guard Self.isBinary(name) || String(validating: bytes, as: UTF8.self) != nil else {
                throw ConfigError(file: path, key: "(bytes)", "not UTF-8 text, which a tokenizer file must be")
            }
            out[name] = bytes
        }
        return out
    }

    /// Where a checkpoint's tokenizer comes from.
    public enum Source: Sendable, Equatable {
        /// vocab.txt, or a WordPiece tokenizer.json of a BERT checkpoint: transformers' BertTokenizer.
        case bertWordPiece
        /// A tokenizer.json pipeline, run as the `tokenizers` library runs it.
        case tokenizerJSON
        /// vocab.json + merges.txt, converted as transformers' RobertaConverter does.
        case vocabMerges
        /// A SentencePiece model (`sentencepiece.bpe.model` or `spiece.model`), converted as
        /// transformers' XLMRobertaConverter / AlbertConverter do.
        case sentencePiece(String)
    }

    /// Whether this checkpoint is read as BERT's slow tokenizer reads it: vocab.txt before
    /// tokenizer.json. That is BERT's rule (transformers' slow BertTokenizer never opens
    /// tokenizer.json, and bertkit's BERT goldens are its ids). Without a config, the
    /// tokenizer_config.json's `tokenizer_class` decides; with neither, BERT.
    public var readsLikeBERT: Bool {
        if let t = modelType { return t == "bert" }
        guard let c = tokenizerConfig, let cls = (try? JSONParser.parse(contentsOf: c))?.objectValue?["tokenizer_class"]?.stringValue else {
            return true
        }
        return cls == "BertTokenizer" || cls == "BertTokenizerFast"
    }

    /// The file the tokenizer is built from, in the order transformers would use them, or nil
    /// when there is none.
    /// - BERT (`readsLikeBERT`): vocab.txt, else tokenizer.json (a WordPiece one read into
    ///   BertTokenizer's settings, as before; any other model as a pipeline).
    /// - Every other family: AutoTokenizer loads the fast tokenizer, which reads tokenizer.json
    ///   when there is one (`PreTrainedTokenizerFast.__init__`, `tokenizer_file`); only without it
    ///   does it convert the slow files (`convert_slow_tokenizer`): vocab.txt for the WordPiece
    ///   families (DistilBERT, ELECTRA, MPNet: BertConverter / MPNetConverter), vocab.json +
    ///   merges.txt for RoBERTa (RobertaConverter), the SentencePiece model for XLM-R
    ///   (XLMRobertaConverter) and ALBERT (AlbertConverter).
    public var source: Source? {
        if readsLikeBERT {
            if vocabTxt != nil { return .bertWordPiece }
            if let j = tokenizerJSON { return Self.isWordPiece(j) ? .bertWordPiece : .tokenizerJSON }
        } else {
            if tokenizerJSON != nil { return .tokenizerJSON }
            if vocabTxt != nil { return .bertWordPiece }
        }
        if vocabJSON != nil, mergesTxt != nil { return .vocabMerges }
        if let m = sentencePieceModel { return .sentencePiece((m as NSString).lastPathComponent) }
        return nil
    }

    /// A tokenizer.json whose model is WordPiece (or untyped with WordPiece's fields), which
    /// `TokenizerJSON.read` takes; a file that does not parse counts as one, so that reading it
    /// reports why.
    static func isWordPiece(_ path: String) -> Bool {
        guard let model = (try? JSONParser.parse(contentsOf: path))?.objectValue?["model"]?.objectValue else { return true }
        let type = model["type"]?.stringValue
        return type == "WordPiece" || (type == nil && model["continuing_subword_prefix"] != nil)
    }

    /// The file the vocabulary comes from: vocab.txt, else tokenizer.json (WordPiece only).
    public var vocabularyFile: String? {
        switch source {
        case .bertWordPiece: vocabTxt ?? tokenizerJSON
        case .tokenizerJSON: tokenizerJSON
        case .vocabMerges: vocabJSON
        case .sentencePiece: sentencePieceModel
        case nil: nil
        }
    }

    /// The files actually read (for provenance).
    public var used: [String] {
        var files = [vocabularyFile, tokenizerConfig, specialTokensMap, addedTokensJSON]
        if source == .vocabMerges { files.insert(mergesTxt, at: 1) }
        return files.compactMap { $0 }
    }

    /// The tokenizer read: a WordPiece vocabulary and BertTokenizer's settings (`.bertWordPiece`),
    /// or, for the other sources, no vocabulary and the settings of tokenizer_config.json and
    /// special_tokens_map.json over the family's defaults (the pipeline itself is built from the
    /// verbatim files by the tokenizer library). nil when there is no tokenizer file.
    public func read() throws -> (Vocabulary?, TokenizerSettings)? {
        guard let source else { return nil }
        guard source == .bertWordPiece else {
            var settings = TokenizerSettings.defaults(modelType: modelType, tokenizerClass: tokenizerClass)
            if let c = tokenizerConfig {
                let defaults = settings
                settings = try TokenizerSettings(tokenizerConfig: c, specialTokensMap: specialTokensMap, defaults: defaults)
            } else if let m = specialTokensMap, case .object(let o) = try JSONParser.parse(contentsOf: m) {
                try settings.applySpecials(o, file: m)
            }
            return (nil, settings)
        }
        // transformers' slow tokenizer never opens tokenizer.json; bertkit does only without vocab.txt.
        let vocabulary: Vocabulary
        var json: (Vocabulary, TokenizerSettings)? = nil
        if let v = vocabTxt {
            vocabulary = try Vocabulary(contentsOf: v)
        } else if let j = tokenizerJSON {
            json = try TokenizerJSON.read(path: j)
            vocabulary = json!.0
        } else {
            return nil
        }
        var settings: TokenizerSettings
        if let c = tokenizerConfig {
            settings = try TokenizerSettings(tokenizerConfig: c, specialTokensMap: specialTokensMap)
            if settings.addedTokens.isEmpty, let (_, s) = json { settings.addedTokens = s.addedTokens }
        } else {
            settings = json?.1 ?? TokenizerSettings()
            if let m = specialTokensMap, case .object(let o) = try JSONParser.parse(contentsOf: m) {
                try settings.applySpecials(o, file: m)
            }
        }
        if settings.addedTokens.isEmpty, let a = addedTokensJSON {
            guard case .object(let o) = try JSONParser.parse(contentsOf: a) else {
                throw ConfigError(file: a, key: "(top level)", "expected an object of token: id")
            }
            settings.addedTokens = try o.map { token, v in
                guard let id = v.intValue, id >= 0 else { throw ConfigError(file: a, key: token, "expected a token id, found \(v.kind)") }
                return AddedToken(content: token, id: id, special: false)
            }
        }
        return (vocabulary, settings)
    }
}
