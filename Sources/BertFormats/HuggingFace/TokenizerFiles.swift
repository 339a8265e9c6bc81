import Foundation

/// The tokenizer files of a HuggingFace model, read as transformers' slow BertTokenizer reads
/// them: vocab.txt and tokenizer_config.json (+ special_tokens_map.json, added_tokens.json).
/// Without vocab.txt the vocabulary comes from tokenizer.json; without tokenizer_config.json the
/// settings come from tokenizer.json's normalizer too. `bertkit tokenize` and the checkpoint
/// loader (so every .bkm) both read tokenizers here, so a folder and its .bkm tokenize alike.
public struct TokenizerFiles: Sendable {
    public var vocabTxt: String?
    public var tokenizerJSON: String?
    public var tokenizerConfig: String?
    public var specialTokensMap: String?
    /// transformers 4's `added_tokens.json` ({"token": id}); found beside the other files.
    public var addedTokensJSON: String?

    public init(vocabTxt: String?, tokenizerJSON: String?, tokenizerConfig: String?, specialTokensMap: String?) {
        self.vocabTxt = vocabTxt
        self.tokenizerJSON = tokenizerJSON
        self.tokenizerConfig = tokenizerConfig
        self.specialTokensMap = specialTokensMap
        if let beside = tokenizerConfig ?? vocabTxt ?? tokenizerJSON {
            let a = (beside as NSString).deletingLastPathComponent + "/added_tokens.json"
            addedTokensJSON = FileManager.default.fileExists(atPath: a) ? a : nil
        }
    }

    /// The files of a model folder.
    public init(folder: String) {
        func file(_ name: String) -> String? {
            let p = (folder as NSString).appendingPathComponent(name)
            return FileManager.default.fileExists(atPath: p) ? p : nil
        }
        self.init(vocabTxt: file("vocab.txt"), tokenizerJSON: file("tokenizer.json"),
                  tokenizerConfig: file("tokenizer_config.json"), specialTokensMap: file("special_tokens_map.json"))
    }

    /// A folder's vocabulary and settings; a folder without vocab.txt or tokenizer.json is an error.
    public static func read(folder: String) throws -> (Vocabulary, TokenizerSettings) {
        guard let r = try TokenizerFiles(folder: folder).read() else {
            throw ConfigError(file: folder, key: "vocab.txt", "the folder has no vocab.txt or tokenizer.json")
        }
        return r
    }

    /// The files a checkpoint keeps byte for byte (`Checkpoint.tokenizerFiles`), by the name each has
    /// in a model folder, so that an export writes back what the parsed settings leave out.
    public static let verbatimNames = ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json"]

    /// The files of `verbatimNames` this model has: (name in a folder, path).
    public var verbatimPaths: [(name: String, path: String)] {
        zip(Self.verbatimNames, [tokenizerJSON, tokenizerConfig, specialTokensMap, addedTokensJSON]).compactMap { n, p in p.map { (n, $0) } }
    }

    /// The contents of `verbatimPaths`. They are JSON, so UTF-8; anything else is refused.
    public func verbatim() throws -> [String: [UInt8]] {
        var out: [String: [UInt8]] = [:]
        for (name, path) in verbatimPaths {
            guard let d = FileManager.default.contents(atPath: path) else { throw LoadError.notFound(path: path) }
            let bytes = [UInt8](d)
            guard String(validating: bytes, as: UTF8.self) != nil else {
                throw ConfigError(file: path, key: "(bytes)", "not UTF-8 text, which a tokenizer file must be")
            }
            out[name] = bytes
        }
        return out
    }

    /// The file the vocabulary comes from: vocab.txt, else tokenizer.json.
    public var vocabularyFile: String? { vocabTxt ?? tokenizerJSON }

    /// The files actually read (for provenance).
    public var used: [String] {
        [vocabTxt ?? tokenizerJSON, tokenizerConfig, specialTokensMap, addedTokensJSON].compactMap { $0 }
    }

    /// nil when there is neither vocab.txt nor tokenizer.json.
    public func read() throws -> (Vocabulary, TokenizerSettings)? {
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
