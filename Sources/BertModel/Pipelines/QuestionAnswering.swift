import BertFormats
import BertTokenizer
import Foundation

// transformers 4.57.6 pipelines/question_answering.py (the pipeline was removed in 5.3), on the path a
// fast BERT tokenizer takes (padding_side "right", so the question comes first):
//   preprocess   tokenizer(question, context, truncation="only_second", max_length=max_seq_len,
//                stride=doc_stride, return_overflowing_tokens=True), no padding: one window per slice
//                of the context. The slices are cut here as tokenizers' Encoding::truncate cuts the
//                second sequence (QuestionAnswering+Windows.swift).
//   _forward     the model on each window.
//   postprocess  select_starts_ends + decode_spans per window, get_indices (answers widened to whole
//                words), get_answer (answers with the same text summed); QuestionAnswering+Spans.swift.

/// The pipeline's parameters, with its defaults.
public struct QuestionAnsweringOptions: Sendable, Equatable {
    /// Tokens per window, special tokens included. nil: min(model_max_length, 384), and at most
    /// max_position_embeddings.
    public var maxSeqLen: Int?
    /// Context tokens that consecutive windows share. nil: min(max_seq_len / 2, 128).
    public var docStride: Int?
    /// The longest answer, in tokens.
    public var maxAnswerLen: Int
    /// Answers to return.
    public var topK: Int
    /// Also offer the empty answer, scored by the least p_start[0] · p_end[0] over the windows.
    public var handleImpossibleAnswer: Bool

    public init(maxSeqLen: Int? = nil, docStride: Int? = nil, maxAnswerLen: Int = 15, topK: Int = 1,
                handleImpossibleAnswer: Bool = false) {
        self.maxSeqLen = maxSeqLen
        self.docStride = docStride
        self.maxAnswerLen = maxAnswerLen
        self.topK = topK
        self.handleImpossibleAnswer = handleImpossibleAnswer
    }
}

/// One input: a question about a context.
public struct QuestionContext: Sendable, Equatable {
    public var question: String
    public var context: String

    public init(question: String, context: String) {
        self.question = question
        self.context = context
    }
}

/// One answer as the pipeline gives it: `answer` is the context's code points `start..<end` (Python
/// string indices).
public struct Answer: Sendable, Equatable {
    public var score: Double
    public var start: Int
    public var end: Int
    public var answer: String

    public init(score: Double, start: Int, end: Int, answer: String) {
        self.score = score
        self.start = start
        self.end = end
        self.answer = answer
    }
}

/// What the pipeline returns for one input: a single answer as an object, any other number of
/// answers as a list.
public enum AnswerResult: Sendable, Equatable {
    case one(Answer)
    case several([Answer])

    init(_ answers: [Answer]) { self = answers.count == 1 ? .one(answers[0]) : .several(answers) }

    public var answers: [Answer] {
        switch self {
        case .one(let a): [a]
        case .several(let a): a
        }
    }

    /// The pipeline's value as JSON: `{"score", "start", "end", "answer"}` (its key order), or a list of them.
    public var json: JSONValue {
        func object(_ a: Answer) -> JSONValue {
            .object(JSONObject([("score", .double(a.score)), ("start", .int(a.start)), ("end", .int(a.end)),
                                ("answer", .string(a.answer))]))
        }
        return switch self {
        case .one(let a): object(a)
        case .several(let a): .array(a.map(object))
        }
    }
}

/// The question-answering pipeline on a BertForQuestionAnswering model.
public struct QuestionAnswering {
    public let model: BertModel
    public let tokenizer: ModelTokenizer
    public let options: QuestionAnsweringOptions
    /// The resolved window length and stride.
    public let maxSeqLen: Int
    public let docStride: Int
    /// Windows per forward (all inputs' windows are batched together, right-padded).
    public var batchSize = 8

    public init(model: BertModel, options: QuestionAnsweringOptions = QuestionAnsweringOptions()) throws {
        try PipelineTask.questionAnswering.check(model.architecture)
        let tokenizer = try model.makeTokenizer()
        guard tokenizer.settings.paddingSide != "left" else { throw QuestionAnsweringError.tokenizerPadsLeft }
        let positions = model.config.maxSequenceLength
        // Beyond max_position_embeddings the pipeline's forward fails; the default stays inside it.
        let maxSeqLen = options.maxSeqLen ?? min(tokenizer.settings.modelMaxLength ?? Int.max, 384, positions)
        guard maxSeqLen >= 1, maxSeqLen <= positions else {
            throw QuestionAnsweringError.badOption(name: "max_seq_len", value: maxSeqLen,
                                                   expected: "1...\(positions) (max_position_embeddings)")
        }
        let docStride = options.docStride ?? min(maxSeqLen / 2, 128)
        guard docStride >= 0, docStride <= maxSeqLen else {
            throw QuestionAnsweringError.badOption(name: "doc_stride", value: docStride,
                                                   expected: "0...\(maxSeqLen) (max_seq_len)")
        }
        guard options.maxAnswerLen >= 1 else {
            throw QuestionAnsweringError.badOption(name: "max_answer_len", value: options.maxAnswerLen, expected: "at least 1")
        }
        guard options.topK >= 1 else {
            throw QuestionAnsweringError.badOption(name: "top_k", value: options.topK, expected: "at least 1")
        }
        self.model = model
        self.tokenizer = tokenizer
        self.options = options
        self.maxSeqLen = maxSeqLen
        self.docStride = docStride
    }

    /// The answers to each input, in order. Every input is tokenized and checked before the model runs.
    public func answer(_ inputs: [QuestionContext]) throws -> [AnswerResult] {
        let windows = try inputs.enumerated().map { try self.windows($1, index: $0) }
        let logits = try run(windows.flatMap { $0 })
        var next = 0
        return zip(inputs, windows).map { input, w in
            defer { next += w.count }
            return AnswerResult(answers(context: input.context, windows: w, logits: logits[next..<next + w.count]))
        }
    }

    /// Start and end logits of each window, at its own length. Windows of similar length share a forward.
    func run(_ windows: [QuestionAnsweringWindow]) throws -> [(start: [Float], end: [Float])] {
        var out = [(start: [Float], end: [Float])](repeating: ([], []), count: windows.count)
        let order = windows.indices.sorted { windows[$0].inputIds.count > windows[$1].inputIds.count }
        for first in stride(from: 0, to: order.count, by: batchSize) {
            let rows = Array(order[first..<min(first + batchSize, order.count)])
            let input = try BertInput(rows: rows.map { windows[$0].inputIds }, tokenTypes: rows.map { windows[$0].tokenTypeIds },
                                      config: model.config)
            let logits = try model.run(input).logits!  // [B, S, 2]: channel 0 start, 1 end
            for (b, w) in rows.enumerated() {
                let n = windows[w].inputIds.count, row = b * input.seq * 2
                out[w] = ((0..<n).map { logits[row + 2 * $0] }, (0..<n).map { logits[row + 2 * $0 + 1] })
            }
        }
        return out
    }
}

/// Options the pipeline cannot run with.
public enum QuestionAnsweringError: LocalizedError, Equatable {
    case badOption(name: String, value: Int, expected: String)
    /// transformers puts the context first for such a tokenizer and then lets every token, question
    /// and special tokens included, be part of an answer; bertkit does not copy that.
    case tokenizerPadsLeft

    public var errorDescription: String? {
        switch self {
        case let .badOption(name, value, expected):
            "\(name) is \(value); it must be \(expected)"
        case .tokenizerPadsLeft:
            "the tokenizer pads on the left (padding_side \"left\"), for which transformers' question-answering pipeline "
                + "puts the context before the question; bertkit supports only the question first"
        }
    }
}

/// An input the pipeline cannot answer, named by its position or, when it came from a file, its line.
public struct QuestionAnsweringInputError: LocalizedError, Equatable {
    public enum Problem: Equatable, Sendable {
        case emptyQuestion
        case emptyContext
        case contextHasNoTokens
        case noRoomForContext(questionTokens: Int, maxSeqLen: Int)
        case strideNotBelowWindow(docStride: Int, contextPerWindow: Int)
    }

    /// 0-based.
    public let index: Int
    public let problem: Problem
    /// Where the input came from ("questions.jsonl:3"); nil: "input N".
    public var location: String?

    public init(index: Int, problem: Problem, location: String? = nil) {
        self.index = index
        self.problem = problem
        self.location = location
    }

    public var errorDescription: String? {
        let what: String = switch problem {
        case .emptyQuestion: "the question is empty"
        case .emptyContext: "the context is empty"
        case .contextHasNoTokens: "the context has no tokens (it is only spaces or characters the tokenizer drops)"
        case let .noRoomForContext(q, m):
            "the question is \(q) tokens long, which with [CLS] and two [SEP] leaves no room for the context "
                + "in a window of \(m) tokens (max_seq_len)"
        case let .strideNotBelowWindow(s, n):
            "doc_stride \(s) must be less than the \(n) context tokens a window holds here "
                + "(max_seq_len minus the question and 3 special tokens), or the windows would not advance"
        }
        return "\(location ?? "input \(index + 1)"): \(what)"
    }
}
