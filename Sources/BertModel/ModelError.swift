import Foundation
import BertFormats

/// Why the model cannot run on the given parameters or inputs.
public enum ModelError: LocalizedError, Equatable {
    case missingParameter(String)
    case parameterShape(name: String, expected: [Int], found: [Int])
    case emptyBatch
    case raggedBatch(row: Int, length: Int, expected: Int)
    /// `why` says where `maxPositions` comes from (`max_position_embeddings`, or RoBERTa's
    /// `max_position_embeddings 514 − pad_token_id 1 − 1`).
    case sequenceTooLong(length: Int, maxPositions: Int, why: String)
    case tokenIdOutOfRange(row: Int, position: Int, id: Int, vocabSize: Int)
    case tokenTypeOutOfRange(row: Int, position: Int, type: Int, typeVocabSize: Int)
    case badMaskValue(row: Int, position: Int, value: Int)
    case inputSizeMismatch(name: String, count: Int, expected: Int)
    case textTooLong(row: Int, tokens: Int, limit: Int)
    case noTokenizer
    /// sentence_bert_config.json's do_lower_case on a tokenizer that is not BERT's WordPiece.
    case lowercasingNeedsWordPiece
    case noClassifier
    /// The task needs the `expected` head; the model has `found`.
    case wrongHead(expected: HeadKind, found: HeadKind)
    case unknownPrompt(name: String, prompts: [String])

    public var errorDescription: String? {
        switch self {
        case .missingParameter(let n):
            return "the checkpoint has no parameter \(n)"
        case .parameterShape(let n, let e, let f):
            return "parameter \(n) has shape \(f), expected \(e)"
        case .emptyBatch:
            return "the batch is empty: give at least one text with at least one token"
        case .raggedBatch(let r, let l, let e):
            return "row \(r) has \(l) tokens but the batch is \(e) wide; pad every row to the same length"
        case .sequenceTooLong(let l, let m, let why):
            return "a sequence of \(l) tokens is longer than the model's \(m) positions (\(why))"
        case .tokenIdOutOfRange(let r, let p, let id, let v):
            return "row \(r), position \(p): token id \(id) is outside the vocabulary (vocab_size \(v))"
        case .tokenTypeOutOfRange(let r, let p, let t, let v):
            return "row \(r), position \(p): token type \(t) is outside 0..<\(v) (type_vocab_size)"
        case .badMaskValue(let r, let p, let v):
            return "row \(r), position \(p): attention_mask is \(v); it must be 0 or 1"
        case .inputSizeMismatch(let n, let c, let e):
            return "\(n) has \(c) values, expected \(e) (batch × sequence)"
        case .textTooLong(let r, let t, let l):
            return "text \(r + 1) is \(t) tokens long, over the model's limit of \(l) (special tokens included)"
        case .lowercasingNeedsWordPiece:
            return "sentence_bert_config.json sets do_lower_case, which bertkit applies as BertTokenizer's lowercasing; this model's tokenizer is not BERT's WordPiece"
        case .noTokenizer:
            return "the model has no vocabulary (vocab.txt or tokenizer.json), so it cannot tokenize text"
        case .noClassifier:
            return "the model has no sequence-classification head (classifier.weight/bias)"
        case let .wrongHead(expected, found):
            return "the model's head is \(found.rawValue); this needs a \(expected.rawValue) head"
        case .unknownPrompt(let n, let p):
            return "the model has no prompt named \"\(n)\"; "
                + (p.isEmpty ? "it has no prompts (config_sentence_transformers.json)" : "its prompts are \(p.joined(separator: ", "))")
        }
    }
}

extension ModelError {
    /// A row of `length` tokens past what `c`'s position table serves (`BertConfig.maxSequenceLength`).
    static func sequenceTooLong(_ c: BertConfig, length: Int) -> ModelError {
        let why = c.maxSequenceLength == c.maxPositionEmbeddings ? "max_position_embeddings"
            : "max_position_embeddings \(c.maxPositionEmbeddings) − pad_token_id \(c.padTokenId) − 1: \(c.family) positions start after the padding id"
        return .sequenceTooLong(length: length, maxPositions: c.maxSequenceLength, why: why)
    }
}
