import Foundation

/// BertTokenizer's settings (`tokenizer_config.json`, or a `tokenizer.json` normalizer), with
/// transformers' defaults.
public struct TokenizerSettings: Sendable, Equatable {
    public var doLowerCase = true
    /// nil: follow `doLowerCase`, as transformers does.
    public var stripAccents: Bool? = nil
    public var tokenizeChineseChars = true
    public var doBasicTokenize = true
    /// Do not cut special tokens out of the text first (BasicTokenizer still keeps a word that is
    /// exactly a special token whole).
    public var splitSpecialTokens = false
    public var neverSplit: [String] = []
    public var modelMaxLength: Int? = nil
    public var unkToken = "[UNK]"
    public var sepToken = "[SEP]"
    public var padToken = "[PAD]"
    public var clsToken = "[CLS]"
    public var maskToken = "[MASK]"
    /// `bos_token` / `eos_token`: RoBERTa's and XLM-R's `<s>` / `</s>`; BERT has none.
    public var bosToken: String? = nil
    public var eosToken: String? = nil
    /// `additional_special_tokens` (transformers 4) or `extra_special_tokens` (5): never split.
    public var additionalSpecialTokens: [String] = []
    /// `added_tokens_decoder` (or a `tokenizer.json`'s `added_tokens`): split out of the text
    /// before anything else runs.
    public var addedTokens: [AddedToken] = []
    /// Where padding and truncation happen: "right" (transformers' default) or "left".
    public var paddingSide = "right"
    public var truncationSide = "right"
    /// Every key of the file, in order, so a round trip keeps it.
    public var raw = JSONObject()

    public init() {}

    /// The accent rule BertTokenizer applies: an explicit flag wins; unset means "when lowercasing".
    public var stripsAccents: Bool { stripAccents ?? doLowerCase }

    /// transformers' `all_special_tokens`, in its order.
    public var specialTokens: [String] {
        var all = [clsToken, sepToken, padToken, unkToken, maskToken]
        for t in additionalSpecialTokens where !all.contains(t) { all.append(t) }
        return all
    }

    /// The special tokens a family's tokenizer class has when its files name none (the `__init__`
    /// defaults of transformers' RobertaTokenizer, XLMRobertaTokenizer, MPNetTokenizer,
    /// AlbertTokenizer, …); BERT's for BERT, DistilBERT, ELECTRA and any family not listed.
    public static func defaults(modelType: String?, tokenizerClass: String?) -> TokenizerSettings {
        var s = TokenizerSettings()
        let cls = tokenizerClass.map { $0.hasSuffix("Fast") ? String($0.dropLast(4)) : $0 }
        let family = modelType ?? [("RobertaTokenizer", "roberta"), ("XLMRobertaTokenizer", "xlm-roberta"),
                                   ("MPNetTokenizer", "mpnet"), ("AlbertTokenizer", "albert"), ("CamembertTokenizer", "camembert")]
            .first { $0.0 == cls }?.1
        switch family {
        case "roberta", "xlm-roberta", "mpnet", "camembert":
            (s.clsToken, s.sepToken, s.padToken, s.unkToken, s.maskToken) = ("<s>", "</s>", "<pad>", "<unk>", "<mask>")
            (s.bosToken, s.eosToken) = ("<s>", "</s>")
        case "albert":
            (s.clsToken, s.sepToken, s.padToken, s.unkToken, s.maskToken) = ("[CLS]", "[SEP]", "<pad>", "<unk>", "[MASK]")
            (s.bosToken, s.eosToken) = ("[CLS]", "[SEP]")
        default:
            break
        }
        return s
    }

    /// Reads `tokenizer_config.json` over `defaults`; `special_tokens_map.json` may override the
    /// special tokens.
    public init(tokenizerConfig path: String, specialTokensMap: String? = nil, defaults: TokenizerSettings = TokenizerSettings()) throws {
        guard case .object(let o) = try JSONParser.parse(contentsOf: path) else {
            throw ConfigError(file: path, key: "(top level)", "expected an object")
        }
        self = defaults
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
        if let b = try bool("split_special_tokens") { splitSpecialTokens = b }
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
        for k in ["padding_side", "truncation_side"] {
            guard let v = o[k], !v.isNull else { continue }
            guard let side = v.stringValue, side == "left" || side == "right" else {
                throw ConfigError(file: file, key: k, "expected \"left\" or \"right\", found \(v.kind)")
            }
            if k == "padding_side" { paddingSide = side } else { truncationSide = side }
        }
        if let v = o["added_tokens_decoder"], !v.isNull {
            guard let d = v.objectValue else {
                throw ConfigError(file: file, key: "added_tokens_decoder", "expected an object of id: token, found \(v.kind)")
            }
            addedTokens = try d.map { id, t in
                guard let i = Int(id), i >= 0 else {
                    throw ConfigError(file: file, key: "added_tokens_decoder.\(id)", "expected a token id (a non-negative integer) as key")
                }
                return try AddedToken(json: t, id: i, file: file, key: "added_tokens_decoder.\(id)")
            }
        }
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
        if let t = try token("bos_token") { bosToken = t }
        if let t = try token("eos_token") { eosToken = t }
        for k in ["additional_special_tokens", "extra_special_tokens"] {
            guard let v = o[k], !v.isNull else { continue }
            // A list of tokens, or (transformers 5) a map from attribute names to tokens.
            let items = v.arrayValue ?? v.objectValue?.map(\.value)
            guard let items else { throw ConfigError(file: file, key: k, "expected a list of tokens, found \(v.kind)") }
            for item in items {
                guard let t = item.stringValue ?? item.objectValue?["content"]?.stringValue else {
                    throw ConfigError(file: file, key: k, "expected a token string, found \(item.kind)")
                }
                if !additionalSpecialTokens.contains(t) { additionalSpecialTokens.append(t) }
            }
        }
    }

    /// The settings as a `tokenizer_config.json` object.
    public var json: JSONObject {
        var o = raw
        o["do_lower_case"] = .bool(doLowerCase)
        o["strip_accents"] = stripAccents.map { .bool($0) } ?? .null
        o["tokenize_chinese_chars"] = .bool(tokenizeChineseChars)
        o["do_basic_tokenize"] = .bool(doBasicTokenize)
        if splitSpecialTokens || o["split_special_tokens"] != nil { o["split_special_tokens"] = .bool(splitSpecialTokens) }
        o["never_split"] = neverSplit.isEmpty ? .null : .array(neverSplit.map { .string($0) })
        if let m = modelMaxLength { o["model_max_length"] = .int(m) }
        o["unk_token"] = .string(unkToken)
        o["sep_token"] = .string(sepToken)
        o["pad_token"] = .string(padToken)
        o["cls_token"] = .string(clsToken)
        o["mask_token"] = .string(maskToken)
        if let t = bosToken { o["bos_token"] = .string(t) }
        if let t = eosToken { o["eos_token"] = .string(t) }
        if !additionalSpecialTokens.isEmpty, o["additional_special_tokens"] == nil, o["extra_special_tokens"] == nil {
            o["additional_special_tokens"] = .array(additionalSpecialTokens.map { .string($0) })
        }
        if !addedTokens.isEmpty {
            o["added_tokens_decoder"] = .object(JSONObject(addedTokens.map { (String($0.id), .object($0.json)) }))
        }
        if paddingSide != "right" || o["padding_side"] != nil { o["padding_side"] = .string(paddingSide) }
        if truncationSide != "right" || o["truncation_side"] != nil { o["truncation_side"] = .string(truncationSide) }
        if o["tokenizer_class"] == nil { o["tokenizer_class"] = .string("BertTokenizer") }
        return o
    }
}

/// A token matched in the raw text before tokenization (transformers' `AddedToken`).
public struct AddedToken: Sendable, Equatable {
    public var content: String
    public var id: Int
    /// Strip whitespace on the token's left / right side.
    public var lstrip = false
    public var rstrip = false
    public var singleWord = false
    public var normalized = false
    public var special = true

    public init(content: String, id: Int, special: Bool = true) {
        self.content = content
        self.id = id
        self.special = special
    }

    /// `{"content": ..., "lstrip": ..., ...}` as transformers writes it; `key` names it in errors.
    public init(json v: JSONValue, id: Int, file: String, key: String) throws {
        guard let o = v.objectValue, let c = o["content"]?.stringValue, !c.isEmpty else {
            throw ConfigError(file: file, key: key, "expected an added token {\"content\": ...}, found \(v.kind)")
        }
        self.init(content: c, id: id)
        func flag(_ k: String, _ d: Bool) throws -> Bool {
            guard let x = o[k], !x.isNull else { return d }
            guard let b = x.boolValue else { throw ConfigError(file: file, key: key + "." + k, "expected true or false, found \(x.kind)") }
            return b
        }
        lstrip = try flag("lstrip", false)
        rstrip = try flag("rstrip", false)
        singleWord = try flag("single_word", false)
        normalized = try flag("normalized", false)
        special = try flag("special", true)
    }

    public var json: JSONObject {
        JSONObject([("content", .string(content)), ("lstrip", .bool(lstrip)), ("normalized", .bool(normalized)),
                    ("rstrip", .bool(rstrip)), ("single_word", .bool(singleWord)), ("special", .bool(special))])
    }
}
