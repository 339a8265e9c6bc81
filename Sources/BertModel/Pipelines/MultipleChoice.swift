import BertFormats
import BertTokenizer
import Foundation

// transformers has no multiple-choice pipeline. The inputs are built as
// examples/pytorch/multiple-choice/run_swag.py builds them: the context repeated once per choice as
// the first segment, `f"{stem} {choice}"` (run_swag's `f"{sent2} {ending}"`) or the choice alone as
// the second, truncation longest-first. BertForMultipleChoice views [B, C, S] as B·C rows, puts
// `classifier` (1 × H) on each pooled output and views the logits as [B, C]; the C scores are their
// softmax.

/// One choice's probability, the choice as given.
public struct ChoiceScore: Codable, Equatable, Sendable {
    public var choice: String
    public var score: Double

    public init(choice: String, score: Double) {
        self.choice = choice
        self.score = score
    }
}

public enum MultipleChoiceError: LocalizedError, Equatable {
    case noChoices

    public var errorDescription: String? { "multiple-choice needs at least one choice to score" }
}

/// Multiple choice: each context against the same list of choices.
public struct MultipleChoice {
    public let model: BertModel
    public let tokenizer: ModelTokenizer

    public struct Output: Sendable {
        /// Per context, one score per choice in input order.
        public let scores: [[ChoiceScore]]
        /// Rows cut to the limit: (context, choice, tokens it had), 0-based.
        public let truncated: [(context: Int, choice: Int, tokens: Int)]
        public let limit: Int
    }

    public init(model: BertModel) throws {
        try PipelineTask.multipleChoice.check(model.architecture)
        self.model = model
        tokenizer = try model.makeTokenizer()
    }

    /// The row (context, stem + choice) for each context and choice, in that order.
    public static func rows(contexts: [String], stems: [String?], choices: [String]) -> [TextInput] {
        contexts.enumerated().flatMap { b, context in
            let stem = b < stems.count ? stems[b] : nil
            return choices.map { choice in TextInput(context, pair: stem.map { "\($0) \(choice)" } ?? choice) }
        }
    }

    /// Scores `choices` for each context; `stems[b]`, when given, starts each choice's segment for
    /// context b. All B·C rows go through the model as one batch.
    public func callAsFunction(contexts: [String], stems: [String?] = [], choices: [String], truncate: Bool = true) throws -> Output {
        let c = choices.count
        guard c > 0 else { throw MultipleChoiceError.noChoices }
        let rows = Self.rows(contexts: contexts, stems: stems, choices: choices)
        let encoded: EncodedTexts
        do {
            encoded = try BertInput.encode(rows, tokenizer: tokenizer, config: model.config, truncate: truncate)
        } catch ModelError.textTooLong(let r, let tokens, let limit) {
            throw PipelineError.badInput(index: r / c, problem: "with choice \(r % c + 1) it is \(tokens) tokens long, over the model's limit of \(limit) (special tokens included)")
        }
        let input = encoded.input
        let buffers = model.makeBuffers(batch: input.batch, seq: input.seq, keepEveryLayer: false)
        buffers.choices = c
        try model.forward(input, into: buffers)
        guard let logits = buffers.logits else { preconditionFailure("a checked multiple-choice head has logits") }
        let scores = contexts.indices.map { b in
            let p = softmax(Array(UnsafeBufferPointer(start: logits + b * c, count: c)))  // [B·C, 1] viewed as [B, C]
            return zip(choices, p).map { ChoiceScore(choice: $0, score: Double($1)) }
        }
        return Output(scores: scores, truncated: encoded.truncated.map { (context: $0.row / c, choice: $0.row % c, tokens: $0.tokens) },
                      limit: encoded.limit)
    }
}
