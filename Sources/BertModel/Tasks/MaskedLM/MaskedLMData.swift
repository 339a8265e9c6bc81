import BertFormats
import BertTokenizer
import Foundation

/// Documents tokenized once ([CLS] text [SEP], cut to the length limit as run_mlm's
/// `--line_by_line` does with `truncation=True, max_length=max_seq_length`), masked per batch.
public struct MaskedLMDocuments: Sendable {
    /// Token ids of each document, specials included, no padding.
    public let rows: [[Int]]
    /// Each document's line in its file.
    public let lines: [Int]
    public let masker: MaskedLMMasker
    /// Documents cut to `limit` tokens.
    public let truncated: Int
    public let limit: Int

    public init(_ data: TextLinesDataset, model: BertModel, masking: MaskingOptions, maxLength: Int) throws {
        let tokenizer = try model.makeTokenizer()
        let limit = min(maxLength, model.config.maxSequenceLength)
        self.limit = limit
        let texts = data.documents.map { TextInput($0.text) }
        let full = try tokenizer.encode(texts, options: EncodingOptions(truncation: Truncation.none))
        truncated = full.filter { $0.count > limit }.count
        let cut = truncated == 0 ? full : try tokenizer.encode(texts, options: EncodingOptions(maxLength: limit, truncation: .longestFirst))
        rows = cut.map(\.inputIds)
        lines = data.documents.map(\.line)
        masker = try MaskedLMMasker(tokenizer: tokenizer, options: masking, modelVocabulary: model.config.vocabSize)
    }

    /// Documents `indices` masked with the streams (`seed`, `a`, `b(k)`) for the k-th of them,
    /// right-padded, labels −100 at padding: the model's input and `.maskedTokens` targets.
    public func batch(_ indices: [Int], seed: UInt64, stream: (Int) -> (Int, Int), config: BertConfig) throws -> (BertInput, TrainingTargets) {
        let masked = indices.enumerated().map { k, i in
            let (a, b) = stream(k)
            return masker.mask(rows[i], seed: seed, a, b)
        }
        let input = try BertInput(rows: masked.map(\.inputIds), config: config)
        let labels = masked.flatMap { $0.labels + [Int](repeating: ignoredLabel, count: input.seq - $0.labels.count) }
        return (input, .maskedTokens(labels))
    }

    /// Training's masks: row k of step `step` uses the stream (seed, step, k).
    public func trainingBatch(_ indices: [Int], seed: UInt64, step: Int, config: BertConfig) throws -> (BertInput, TrainingTargets) {
        try batch(indices, seed: seed, stream: { (step, $0) }, config: config)
    }

    /// Evaluation's masks: document i uses the stream (seed, i, 0) whatever the batch, so two models
    /// (or two batch sizes) are scored on the same masks.
    public func evaluationBatch(_ indices: [Int], seed: UInt64, config: BertConfig) throws -> (BertInput, TrainingTargets) {
        try batch(indices, seed: seed, stream: { (indices[$0], 0) }, config: config)
    }
}
