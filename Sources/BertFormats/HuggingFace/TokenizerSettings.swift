import Foundation

/// BertTokenizer's settings (`tokenizer_config.json`, or a `tokenizer.json` normalizer), with
/// transformers' defaults.
public struct TokenizerSettings: Sendable, Equatable {
    public var doLowerCase = true
    /// nil: follow `doLowerCase`, as transformers does.
    public var stripAccents: Bool? = nil
    public var tokenizeChineseChars = true
    public var doBasicTokenize = true
    public var neverSplit: [String] = []
    public var modelMaxLength: Int? = nil
    public var unkToken = "[UNK]"
    public var sepToken = "[SEP]"
    public var padToken = "[PAD]"
    public var clsToken = "[CLS]"
    public var maskToken = "[MASK]"
    /// Every key of the file, in order, so a round trip keeps it.
    public var raw = JSONObject()

    public init() {}

    /// The accent rule BertTokenizer applies: an explicit flag wins; unset means "when lowercasing".
    public var stripsAccents: Bool { stripAccents ?? doLowerCase }

    public var specialTokens: [String] { [unkToken, sepToken, padToken, clsToken, maskToken] }

    /// Reads `tokenizer_config.json`; `special_tokens_map.json` may override the special tokens.
    public init(tokenizerConfig path: String, specialTokensMap: String? = nil) throws {
        guard case .object(let o) = try JSONParser.parse(contentsOf: path) else {
            throw ConfigError(file: path, key: "(top level)", "expected an object")
        }
        try apply(o, file: path)
        if let m = specialTokensMap, FileManager.default.fileExists(atPath: m),
           case .object(let s) = try JSONParser.parse(contentsOf: m) {
            try applySpecials(s, file: m)
        }
        raw = o
    }

    public mutating func apply(_ o: JSONObject, file: String) throws {
        func bool(_ k: String) throws -> Bool? {
            guard let v = o[k], !v.isNull else { return nil }
            guard let b = v.boolValue else { throw ConfigError(file: file, key: k, "expected true or false, found \(v.kind)") }
            return b
        }
        if let b = try bool("do_lower_case") { doLowerCase = b }
        stripAccents = try bool("strip_accents")
        if let b = try bool("tokenize_chinese_chars") { tokenizeChineseChars = b }
        if let b = try bool("do_basic_tokenize") { doBasicTokenize = b }
        if let v = o["never_split"], !v.isNull {
            guard let a = v.arrayValue, a.allSatisfy({ $0.stringValue != nil }) else {
                throw ConfigError(file: file, key: "never_split", "expected an array of strings, found \(v.kind)")
            }
            neverSplit = a.compactMap(\.stringValue)
        }
        if let v = o["model_max_length"], !v.isNull {
            // transformers writes 1e30 ("no limit") for some models.
            if let i = v.intValue, i > 0 { modelMaxLength = i } else if v.doubleValue == nil {
                throw ConfigError(file: file, key: "model_max_length", "expected an integer, found \(v.kind)")
            }
        }
        try applySpecials(o, file: file)
    }

    mutating func applySpecials(_ o: JSONObject, file: String) throws {
        func token(_ k: String) throws -> String? {
            guard let v = o[k], !v.isNull else { return nil }
            if let s = v.stringValue { return s }
            // AddedToken serialised as an object: {"content": "[UNK]", ...}
            if let c = v.objectValue?["content"]?.stringValue { return c }
            throw ConfigError(file: file, key: k, "expected a token string, found \(v.kind)")
        }
        if let t = try token("unk_token") { unkToken = t }
        if let t = try token("sep_token") { sepToken = t }
        if let t = try token("pad_token") { padToken = t }
        if let t = try token("cls_token") { clsToken = t }
        if let t = try token("mask_token") { maskToken = t }
    }

    /// The settings as a `tokenizer_config.json` object.
    public var json: JSONObject {
        var o = raw
        o["do_lower_case"] = .bool(doLowerCase)
        o["strip_accents"] = stripAccents.map { .bool($0) } ?? .null
        o["tokenize_chinese_chars"] = .bool(tokenizeChineseChars)
        o["do_basic_tokenize"] = .bool(doBasicTokenize)
        o["never_split"] = neverSplit.isEmpty ? .null : .array(neverSplit.map { .string($0) })
        if let m = modelMaxLength { o["model_max_length"] = .int(m) }
        o["unk_token"] = .string(unkToken)
        o["sep_token"] = .string(sepToken)
        o["pad_token"] = .string(padToken)
        o["cls_token"] = .string(clsToken)
        o["mask_token"] = .string(maskToken)
        if o["tokenizer_class"] == nil { o["tokenizer_class"] = .string("BertTokenizer") }
        return o
    }
}
