import BertFormats
import BertTokenizer

/// One sentence as run_ner.py feeds it to BertForTokenClassification: the words tokenised with
/// `is_split_into_words=True` (each word on its own), truncated to `max_length` with [CLS] … [SEP]
/// around, and one label per token.
public struct EncodedSentence: Sendable, Equatable {
    public var ids: [Int]
    /// Per token: a class, or −100 (specials, and continuations unless `labelAllTokens`).
    public var labels: [Int]
    /// Per word: the position of its first sub-token; nil when it has none (a word the tokenizer
    /// drops, or one cut off by truncation).
    public var firstToken: [Int?]
}

/// run_ner.py's `tokenize_and_align_labels`: the first sub-token of a word gets its label and the
/// others −100, or with `labelAllTokens` the word's label with B-X turned into I-X (when the
/// labels have I-X: its `b_to_i_label`).
public struct TokenClassificationEncoder: Sendable {
    public let tokenizer: ModelTokenizer
    public let maxLength: Int
    public let labelAllTokens: Bool
    /// b_to_i_label: for each class, the class a continuation gets.
    public let continuation: [Int]

    public init(tokenizer: ModelTokenizer, labels: [String], maxLength: Int, labelAllTokens: Bool) {
        self.tokenizer = tokenizer
        self.maxLength = max(maxLength, 2)
        self.labelAllTokens = labelAllTokens
        continuation = labels.enumerated().map { i, l in
            guard l.hasPrefix("B-") else { return i }
            return labels.firstIndex(of: l.replacingOccurrences(of: "B-", with: "I-")) ?? i
        }
    }

    public func encode(_ s: TaggedSentence) throws -> EncodedSentence {
        var ids = [tokenizer.clsTokenId], labels = [ignoredLabel]
        var first = [Int?](repeating: nil, count: s.words.count)
        let room = maxLength - 2
        words: for (w, word) in s.words.enumerated() {
            for (k, id) in try tokenizer.tokenize(word).ids.enumerated() {
                guard ids.count - 1 < room else { break words }
                if k == 0 { first[w] = ids.count }
                labels.append(k == 0 ? s.tags[w] : labelAllTokens ? continuation[s.tags[w]] : ignoredLabel)
                ids.append(id)
            }
        }
        ids.append(tokenizer.sepTokenId)
        labels.append(ignoredLabel)
        return EncodedSentence(ids: ids, labels: labels, firstToken: first)
    }
}

/// Token classification as a batch source: tagged sentences encoded once; the report metric is
/// the entity F1 (seqeval's default mode) of the words' first sub-tokens over the batches since the
/// last report.
public struct TokenClassificationBatchSource: TrainingBatchSource {
    public let labels: [String]
    public let encoded: [EncodedSentence]
    let sentences: [TaggedSentence]
    let config: BertConfig

    public init(sentences: [TaggedSentence], labels: [String], model: BertModel, maxLength: Int, labelAllTokens: Bool) throws {
        let encoder = TokenClassificationEncoder(tokenizer: try model.makeTokenizer(), labels: labels,
                                                 maxLength: min(maxLength, model.config.maxSequenceLength),
                                                 labelAllTokens: labelAllTokens)
        self.labels = labels
        self.sentences = sentences
        encoded = try sentences.map(encoder.encode)
        config = model.config
    }

    public var count: Int { encoded.count }

    public func batch(rows: [Int], step: Int) throws -> TrainingBatch {
        let input = try BertInput(rows: rows.map { encoded[$0].ids }, config: config)
        var y: [Int] = []
        for r in rows { y += encoded[r].labels + [Int](repeating: ignoredLabel, count: input.seq - encoded[r].labels.count) }
        return TrainingBatch(input: input, targets: .tokenLabels(y), rows: rows)
    }

    public func makeMetric() -> any TrainingTaskMetric { EntityF1Metric(source: self) }

    /// The words' tags from logits [B, S, labels] of `rows` (argmax at each first sub-token; "O"
    /// for a word without one).
    func predictedTags(_ logits: [Float], rows: [Int], seq: Int) -> [[String]] {
        rows.enumerated().map { b, r in
            TokenClassificationEvaluation.wordTags(logits, row: b, seq: seq, firstToken: encoded[r].firstToken, labels: labels)
        }
    }
}

struct EntityF1Metric: TrainingTaskMetric {
    let source: TokenClassificationBatchSource
    var truth: [[String]] = [], predicted: [[String]] = []
    var name: String { "F1" }
    var value: Double {
        (try? EntityScores(truth: truth, predicted: predicted, strict: false))?.micro.f1 ?? 0
    }
    mutating func add(_ result: Trainer.StepResult, batch: TrainingBatch) {
        truth += batch.rows.map { source.sentences[$0].tags.map { source.labels[$0] } }
        predicted += source.predictedTags(result.logits, rows: batch.rows, seq: batch.input.seq)
    }
    mutating func reset() { truth = []; predicted = [] }
}

/// Scores a token-classification model on tagged sentences as run_ner.py's evaluation does with
/// seqeval: one tag per word, read at its first sub-token. A word without one (dropped by the
/// tokenizer, or cut off by truncation) is predicted "O" and counted in `untaggedWords`.
public enum TokenClassificationEvaluation {
    public struct Result: Sendable {
        public var scores: EntityScores
        public var untaggedWords: Int
        public var predicted: [[String]]
    }

    public static func run(model: BertModel, sentences: [TaggedSentence], maxLength: Int = 128, batchSize: Int = 32,
                           strict: Bool = false) throws -> Result {
        guard model.head == .tokenClassification else { throw ModelError.wrongHead(expected: .tokenClassification, found: model.head) }
        let labels = model.config.id2label
        let encoder = TokenClassificationEncoder(tokenizer: try model.makeTokenizer(), labels: labels,
                                                 maxLength: min(maxLength, model.config.maxSequenceLength),
                                                 labelAllTokens: false)
        let encoded = try sentences.map(encoder.encode)
        var predicted: [[String]] = []
        for start in stride(from: 0, to: encoded.count, by: max(batchSize, 1)) {
            let rows = Array(encoded[start..<min(start + batchSize, encoded.count)])
            let input = try BertInput(rows: rows.map(\.ids), config: model.config)
            let logits = try model.run(input).logits!
            for (b, e) in rows.enumerated() {
                predicted.append(wordTags(logits, row: b, seq: input.seq, firstToken: e.firstToken, labels: labels))
            }
        }
        let truth = sentences.map { $0.tags.map { labels[$0] } }
        return Result(scores: try EntityScores(truth: truth, predicted: predicted, strict: strict),
                      untaggedWords: encoded.map { $0.firstToken.filter { $0 == nil }.count }.reduce(0, +),
                      predicted: predicted)
    }

    static func wordTags(_ logits: [Float], row b: Int, seq: Int, firstToken: [Int?], labels: [String]) -> [String] {
        let n = labels.count
        return firstToken.map { p in
            guard let p else { return "O" }
            let base = (b * seq + p) * n
            var best = 0
            for k in stride(from: 1, to: n, by: 1) where logits[base + k] > logits[base + best] { best = k }
            return labels[best]
        }
    }
}
