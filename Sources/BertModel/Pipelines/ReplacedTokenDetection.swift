import BertFormats
import BertTokenizer
import Foundation

// ElectraForPreTraining (transformers 5.23 models/electra/modeling_electra.py) has no pipeline; its
// model card (google/electra-*-discriminator) reads the logits per token: positive (sigmoid > 0.5)
// means "replaced". bertkit reports each token the tokenizer did not add (special_tokens_mask 0, as
// the card prints `tokenize(sentence)` without [CLS]/[SEP]) with its offsets and sigmoid(logit).

/// One token's verdict from the discriminator.
public struct ReplacedToken: Sendable, Equatable {
    public var token: String
    /// The token's position in the model input ([CLS] is 0).
    public var index: Int
    /// Code-point offsets into the original text.
    public var start: Int
    public var end: Int
    /// sigmoid(logit): the probability that the token was replaced.
    public var score: Float
    /// score > 0.5 (the card's `round((sign(logit) + 1) / 2)`).
    public var replaced: Bool { score > 0.5 }

    public var json: JSONValue {
        .object(JSONObject([("token", .string(token)), ("index", .int(index)), ("start", .int(start)), ("end", .int(end)),
                            ("score", .double(Double(score))), ("replaced", .bool(replaced))]))
    }
}

/// An ELECTRA discriminator with its tokenizer: texts in, each token's probability of having been replaced out.
public struct ReplacedTokenDetector {
    public let model: BertModel
    public let tokenizer: ModelTokenizer

    /// Throws unless the model is a replaced-token detector (ElectraForPreTraining) with a vocabulary.
    public init(model: BertModel) throws {
        try PipelineTask.replacedTokenDetection.check(model.architecture)
        self.model = model
        tokenizer = try model.makeTokenizer()
    }

    /// Each text's tokens, batched in one forward. A text longer than `limit` tokens (default and at
    /// most the model's sequence limit) is cut to it, or refused when `truncate` is false.
    public func callAsFunction(_ texts: [String], limit: Int? = nil, truncate: Bool = true) throws
        -> (tokens: [[ReplacedToken]], truncated: [(row: Int, tokens: Int)]) {
        let inputs = texts.map { TextInput($0) }
        let encoded = try BertInput.encode(inputs, tokenizer: tokenizer, config: model.config, limit: limit, truncate: truncate)
        let encodings = try tokenizer.encode(inputs, options: EncodingOptions(maxLength: encoded.limit, truncation: .longestFirst))
        let out = try model.run(encoded.input)
        // The discriminator always writes [B, S] logits.
        guard let logits = out.logits else { preconditionFailure("a \(model.architecture.className) forward without logits") }
        let tokens = encodings.enumerated().map { b, e in
            let kept = e.specialTokensMask.isEmpty ? Array(e.inputIds.indices.dropFirst().dropLast())
                : e.inputIds.indices.filter { e.specialTokensMask[$0] == 0 }
            return kept.map { i in
                ReplacedToken(token: e.tokens[i], index: i, start: e.offsets[i].lowerBound, end: e.offsets[i].upperBound,
                              score: 1 / (1 + expf(-logits[b * out.seq + i])))
            }
        }
        return (tokens, encoded.truncated)
    }
}
