import BertFormats

extension BertModel {
    /// One sentence embedding per row of `input`, as `embed` prints them: the model's
    /// sentence-transformers modules, else mean pooling over the real tokens (what
    /// sentence-transformers builds for a plain BERT).
    public func sentenceEmbeddings(_ input: BertInput) throws -> [[Float]] {
        let out = try run(input)
        if let s = out.sentenceEmbeddings { return (0..<out.batch).map { BertOutput.row(s, $0, width: out.sentenceDimension) } }
        let mean = SentencePooling(mode: .mean)
        return (0..<out.batch).map { SentenceEmbedding.pool(out, row: $0, pooling: mean) }
    }

    /// The width of `sentenceEmbeddings`' rows.
    public var embeddingWidth: Int { pooling != nil ? sentenceDimension : config.hiddenSize }
}
