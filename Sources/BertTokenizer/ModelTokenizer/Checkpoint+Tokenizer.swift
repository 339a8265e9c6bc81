import BertFormats

extension Checkpoint {
    /// The checkpoint's tokenizer (`ModelTokenizer(vocabulary:settings:files:modelType:source:)`),
    /// nil when it has none. A pipeline tokenizer's ids must fit the embedding rows; a WordPiece
    /// vocabulary was held to exactly them when the checkpoint was bound.
    public func makeTokenizer(source: String, configFile: String) throws -> ModelTokenizer? {
        try ModelTokenizer.checked(vocabulary: vocabulary, settings: tokenizer, files: tokenizerFiles, config: config,
                                   source: source, configFile: configFile)
    }
}

extension ModelTokenizer {
    /// `init(vocabulary:…)` with the pipeline's ids held to the config's embedding rows.
    public static func checked(vocabulary: Vocabulary?, settings: TokenizerSettings?, files: [String: [UInt8]], config: BertConfig,
                               source: String, configFile: String) throws -> ModelTokenizer? {
        guard let t = try ModelTokenizer(vocabulary: vocabulary, settings: settings, files: files, modelType: config.modelType,
                                         source: source) else { return nil }
        if case .pipeline = t.backend, t.vocabularySize > config.vocabSize {
            throw TokenizerError.idsPastEmbeddings(source: source, ids: t.vocabularySize, embeddingRows: config.vocabSize, configFile: configFile)
        }
        return t
    }
}
