/// HuggingFace fast-tokenizer files (`tokenizer.json`) with a WordPiece model.
/// (Placeholder until the tokenizer lands.)
public enum TokenizerJSON {
    /// The vocabulary and BertTokenizer settings a `tokenizer.json` describes.
    public static func read(path: String) throws -> (Vocabulary, TokenizerSettings) {
        throw ConfigError(file: path, key: "model", "tokenizer.json is not supported yet")
    }
}
