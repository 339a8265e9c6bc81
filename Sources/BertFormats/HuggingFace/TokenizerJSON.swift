import Foundation

/// HuggingFace fast-tokenizer files (`tokenizer.json`, the `tokenizers` library's serialization)
/// with a WordPiece model, a BertNormalizer and a BertPreTokenizer: the pieces of a BertTokenizer.
/// Layout: huggingface/tokenizers `tokenizers/src/tokenizer/serialization.rs` and the serde forms of
/// `models/wordpiece`, `normalizers/bert.rs`, `pre_tokenizers/bert.rs`, `processors/{bert,template}.rs`.
public enum TokenizerJSON {
    /// The vocabulary and BertTokenizer settings a `tokenizer.json` describes. Anything a slow
    /// BertTokenizer cannot express (another model type, a different normalizer) is refused by name.
    public static func read(path: String) throws -> (Vocabulary, TokenizerSettings) {
        // tokenizer.json files are large (~0.5 MB for BERT) but flat: the default depth limit holds.
        guard case .object(let root) = try JSONParser.parse(contentsOf: path) else {
            throw ConfigError(file: path, key: "(top level)", "expected an object")
        }
        return try read(root, file: path)
    }

    static func read(_ root: JSONObject, file: String) throws -> (Vocabulary, TokenizerSettings) {
        func object(_ v: JSONValue?, _ key: String) throws -> JSONObject {
            guard let o = v?.objectValue else {
                throw ConfigError(file: file, key: key, "expected an object, found \(v?.kind ?? "nothing")")
            }
            return o
        }
        let model = try object(root["model"], "model")
        let type = model["type"]?.stringValue ?? "(none)"
        // tokenizers omits "type" for WordPiece in some old files; its fields identify it.
        guard type == "WordPiece" || (model["type"] == nil && model["continuing_subword_prefix"] != nil) else {
            throw ConfigError(file: file, key: "model.type",
                              "bertkit reads WordPiece models (BERT); this file has a \(type) model")
        }
        if let p = model["continuing_subword_prefix"], p.stringValue != "##" {
            throw ConfigError(file: file, key: "model.continuing_subword_prefix",
                              "expected \"##\" (BertTokenizer's fixed prefix), found \(p.kind)")
        }
        if let m = model["max_input_chars_per_word"], m.intValue != 100 {
            throw ConfigError(file: file, key: "model.max_input_chars_per_word",
                              "expected 100 (BertTokenizer's fixed limit), found \(m.kind)")
        }
        let vocabulary = try readVocabulary(try object(model["vocab"], "model.vocab"), file: file)

        var s = TokenizerSettings()
        if let u = model["unk_token"]?.stringValue { s.unkToken = u }
        try readNormalizer(root["normalizer"], into: &s, file: file)
        if let p = root["pre_tokenizer"], !p.isNull {
            let t = p.objectValue?["type"]?.stringValue ?? p.kind
            guard t == "BertPreTokenizer" else {
                throw ConfigError(file: file, key: "pre_tokenizer.type", "expected BertPreTokenizer, found \(t)")
            }
        }
        try readPostProcessor(root["post_processor"], into: &s, file: file)
        if let added = root["added_tokens"]?.arrayValue {
            s.addedTokens = try added.enumerated().map { i, t in
                let key = "added_tokens.\(i)"
                guard let id = t.objectValue?["id"]?.intValue, id >= 0 else {
                    throw ConfigError(file: file, key: key + ".id", "expected a token id (a non-negative integer)")
                }
                return try AddedToken(json: t, id: id, file: file, key: key)
            }
        }
        if let pad = root["padding"]?.objectValue {
            if let t = pad["pad_token"]?.stringValue { s.padToken = t }
            if pad["direction"]?.stringValue == "Left" { s.paddingSide = "left" }
        }
        if root["truncation"]?.objectValue?["direction"]?.stringValue == "Left" { s.truncationSide = "left" }
        return (vocabulary, s)
    }

    /// `{"token": id, ...}`: ids must be exactly 0..<count, as vocab.txt line numbers are.
    private static func readVocabulary(_ vocab: JSONObject, file: String) throws -> Vocabulary {
        var tokens = [String?](repeating: nil, count: vocab.count)
        for (token, v) in vocab {
            guard let id = v.intValue, id >= 0, id < vocab.count else {
                throw ConfigError(file: file, key: "model.vocab.\(token)",
                                  "expected an id in 0..<\(vocab.count) (the vocabulary's size), found \(v.kind)")
            }
            if let other = tokens[id] {
                throw ConfigError(file: file, key: "model.vocab.\(token)", "id \(id) is also the id of \"\(other)\"")
            }
            tokens[id] = token
        }
        guard !tokens.isEmpty else { throw ConfigError(file: file, key: "model.vocab", "the vocabulary is empty") }
        // Every id is set: count ids, all distinct, all below count.
        return try Vocabulary(tokens: tokens.map { $0! }, source: file + " (model.vocab)")
    }

    private static func readNormalizer(_ v: JSONValue?, into s: inout TokenizerSettings, file: String) throws {
        guard let v, !v.isNull else {
            throw ConfigError(file: file, key: "normalizer",
                              "expected a BertNormalizer, found none; BertTokenizer always cleans and splits CJK text")
        }
        guard let n = v.objectValue, n["type"]?.stringValue == "BertNormalizer" else {
            let t = v.objectValue?["type"]?.stringValue ?? v.kind
            throw ConfigError(file: file, key: "normalizer.type", "expected BertNormalizer, found \(t)")
        }
        func bool(_ k: String, _ d: Bool?) throws -> Bool? {
            guard let x = n[k], !x.isNull else { return d }
            guard let b = x.boolValue else {
                throw ConfigError(file: file, key: "normalizer." + k, "expected true or false, found \(x.kind)")
            }
            return b
        }
        if try bool("clean_text", true) == false {
            throw ConfigError(file: file, key: "normalizer.clean_text",
                              "clean_text is false; BertTokenizer always cleans text, so bertkit cannot match this file")
        }
        s.tokenizeChineseChars = try bool("handle_chinese_chars", true) ?? true
        s.doLowerCase = try bool("lowercase", true) ?? true
        s.stripAccents = try bool("strip_accents", nil)
    }

    /// The [CLS] and [SEP] tokens, from `BertProcessing` or a `TemplateProcessing` shaped like it.
    private static func readPostProcessor(_ v: JSONValue?, into s: inout TokenizerSettings, file: String) throws {
        guard let p = v?.objectValue else { return }
        switch p["type"]?.stringValue {
        case "BertProcessing":
            if let c = p["cls"]?.arrayValue?.first?.stringValue { s.clsToken = c }
            if let c = p["sep"]?.arrayValue?.first?.stringValue { s.sepToken = c }
        case "TemplateProcessing":
            let single = p["single"]?.arrayValue ?? []
            func special(_ item: JSONValue?) -> String? { item?.objectValue?["SpecialToken"]?.objectValue?["id"]?.stringValue }
            guard single.count == 3, let cls = special(single.first), let sep = special(single.last) else {
                throw ConfigError(file: file, key: "post_processor.single",
                                  "expected BERT's template \"[CLS] $A [SEP]\"")
            }
            s.clsToken = cls
            s.sepToken = sep
        default:
            let t = p["type"]?.stringValue ?? "(none)"
            throw ConfigError(file: file, key: "post_processor.type", "expected BertProcessing or TemplateProcessing, found \(t)")
        }
    }
}
