import BertFormats
import BertTokenizer

// transformers has no next-sentence pipeline. BertForNextSentencePrediction (and BertForPreTraining)
// put `cls.seq_relationship` (2 × H) on the pooled output of [CLS] A [SEP] B [SEP]; label 0 means
// "B continues A" (modeling_bert.py). bertkit reports the softmax of the two logits under names.

/// The probability that B follows A, and that it does not (softmax of the two NSP logits).
public struct NextSentenceScores: Codable, Equatable, Sendable {
    public var isNext: Double
    public var notNext: Double

    enum CodingKeys: String, CodingKey {
        case isNext = "is_next"
        case notNext = "not_next"
    }

    public init(isNext: Double, notNext: Double) {
        self.isNext = isNext
        self.notNext = notNext
    }
}

/// Next-sentence prediction on (A, B) pairs.
public struct NextSentence {
    public let model: BertModel
    public let tokenizer: ModelTokenizer

    public struct Output: Sendable {
        public let scores: [NextSentenceScores]
        public let truncated: [(row: Int, tokens: Int)]
        public let limit: Int
    }

    public init(model: BertModel) throws {
        try PipelineTask.nextSentence.check(model.architecture)
        self.model = model
        tokenizer = try model.makeTokenizer()
    }

    /// Every input needs its B (`pair`). Pairs are batched, right-padded; longer ones are cut to the
    /// model's length (longest first), or refused when `truncate` is false.
    public func callAsFunction(_ pairs: [TextInput], truncate: Bool = true) throws -> Output {
        if let i = pairs.firstIndex(where: { ($0.pair ?? "").isEmpty }) {
            throw PipelineError.badInput(index: i, problem: "next-sentence needs a second sentence B to score against the text")
        }
        let encoded = try BertInput.encode(pairs, tokenizer: tokenizer, config: model.config, truncate: truncate)
        let out = try model.run(encoded.input)
        guard let logits = out.nextSentenceLogits else { preconditionFailure("a checked next-sentence head has NSP logits") }
        let scores = (0..<out.batch).map { b in
            let p = softmax(BertOutput.row(logits, b, width: 2))
            return NextSentenceScores(isNext: Double(p[0]), notNext: Double(p[1]))
        }
        return Output(scores: scores, truncated: encoded.truncated, limit: encoded.limit)
    }
}
