import Foundation

/// The tokenizer files of a HuggingFace model folder, read as transformers' slow BertTokenizer
/// reads them: vocab.txt and tokenizer_config.json (+ special_tokens_map.json, added_tokens.json).
/// A folder without vocab.txt takes the vocabulary from tokenizer.json; without
/// tokenizer_config.json, the settings come from tokenizer.json's normalizer too.
public enum TokenizerFiles {
    public static func read(folder: String) throws -> (Vocabulary, TokenizerSettings) {
        let fm = FileManager.default
        func file(_ name: String) -> String? {
            let p = (folder as NSString).appendingPathComponent(name)
            return fm.fileExists(atPath: p) ? p : nil
        }
        // transformers' slow tokenizer never opens tokenizer.json; bertkit does only without vocab.txt.
        let vocabulary: Vocabulary
        var json: (Vocabulary, TokenizerSettings)? = nil
        if let v = file("vocab.txt") {
            vocabulary = try Vocabulary(contentsOf: v)
        } else if let j = file("tokenizer.json") {
            json = try TokenizerJSON.read(path: j)
            vocabulary = json!.0
        } else {
            throw ConfigError(file: folder, key: "vocab.txt", "the folder has no vocab.txt or tokenizer.json")
        }
        var settings: TokenizerSettings
        if let c = file("tokenizer_config.json") {
            settings = try TokenizerSettings(tokenizerConfig: c, specialTokensMap: file("special_tokens_map.json"))
            if settings.addedTokens.isEmpty, let (_, s) = json { settings.addedTokens = s.addedTokens }
        } else {
            settings = json?.1 ?? TokenizerSettings()
            if let m = file("special_tokens_map.json"), case .object(let o) = try JSONParser.parse(contentsOf: m) {
                try settings.applySpecials(o, file: m)
            }
        }
        if settings.addedTokens.isEmpty, let a = file("added_tokens.json") {
            // {"token": id}: transformers 4's list of tokens added after training.
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
