import ArgumentParser
import BertFormats
import BertModel
import Foundation

/// run's question-answering inputs, and the pipeline's parameters under their transformers names.
struct QuestionAnsweringArguments: ParsableArguments {
    @Option(help: "A question (repeatable); it goes with the --context at the same position.")
    var question: [String] = []
    @Option(help: "The text the --question at the same position is about (repeatable).")
    var context: [String] = []
    @Option(help: "Tokens per window, special tokens included (default: min(model_max_length, 384)).")
    var maxSeqLen: Int?
    @Option(help: "Context tokens that consecutive windows share (default: min(max-seq-len / 2, 128)).")
    var docStride: Int?
    @Option(help: "The longest answer, in tokens (default: 15).")
    var maxAnswerLen: Int?
    @Flag(help: "Also offer the empty answer (the context does not answer the question).")
    var handleImpossibleAnswer = false

    static let textsRefused = "question-answering takes --question Q --context C (repeatable) or --jsonl FILE, not TEXT"

    /// --question/--context given (--jsonl, read as questions by a question-answering model, is TextInputs').
    var given: Bool { !question.isEmpty || !context.isEmpty }

    /// Tuning options given.
    var tuned: Bool { maxSeqLen != nil || docStride != nil || maxAnswerLen != nil || handleImpossibleAnswer }

    func validate() throws {
        if let v = maxSeqLen, v < 1 { throw ValidationError("--max-seq-len must be at least 1") }
        if let v = docStride, v < 0 { throw ValidationError("--doc-stride must be at least 0") }
        if let v = maxAnswerLen, v < 1 { throw ValidationError("--max-answer-len must be at least 1") }
    }

    /// Run.validate, when these inputs are not given.
    func validateUnused(with inputs: TextInputs) throws {
        if tuned, inputs.source.jsonl == nil {
            throw ValidationError("--max-seq-len, --doc-stride, --max-answer-len and --handle-impossible-answer "
                                  + "are for question-answering, with --question/--context or --jsonl")
        }
    }

    /// Run.validate, when these inputs are given: they replace TEXT.
    func validate(with inputs: TextInputs) throws {
        guard inputs.texts.isEmpty else { throw ValidationError(Self.textsRefused) }
        if inputs.noTruncate {
            throw ValidationError("--no-truncate does not apply to question-answering: long contexts are split into windows")
        }
        if inputs.source.given {
            throw ValidationError("give --question/--context or --jsonl, not both")
        } else if question.count != context.count {
            throw ValidationError("\(question.count) --question and \(context.count) --context values: give them in pairs")
        }
    }

    /// The pipeline's parameters; `topK` is run's --top-k, shared with fill-mask.
    func options(topK: Int?) -> QuestionAnsweringOptions {
        var o = QuestionAnsweringOptions(maxSeqLen: maxSeqLen, docStride: docStride, handleImpossibleAnswer: handleImpossibleAnswer)
        if let v = maxAnswerLen { o.maxAnswerLen = v }
        if let v = topK { o.topK = v }
        return o
    }

    func read(jsonl: String?) throws -> [QuestionContext] {
        if let path = jsonl { return try QuestionContext.readJSONL(path) }
        return zip(question, context).map { QuestionContext(question: $0, context: $1) }
    }
}

extension Run {
    /// question-answering: every input is read and checked before anything is printed.
    func answerQuestions(_ model: BertModel) throws {
        if let t = task, t != .questionAnswering {
            throw ValidationError("--question, --context and --jsonl are inputs for --task question-answering, not \(t.rawValue)")
        }
        let questions = try qa.read(jsonl: inputs.source.jsonl)
        let pipeline = try QuestionAnswering(model: model, options: qa.options(topK: topK))
        let results: [AnswerResult]
        do {
            results = try pipeline.answer(questions)
        } catch var e as QuestionAnsweringInputError {
            if let path = inputs.source.jsonl { e.location = "\(path):\(e.index + 1)" }
            throw e
        }
        if json { return Console.out(JSONValue.array(results.map(\.json)).serialized(indent: 2)) }
        var lines: [String] = []
        for (i, (q, r)) in zip(questions, results).enumerated() {
            lines.append("question \(i + 1): \(quoted([q.question]))")
            let answers = r.answers
            for (k, a) in answers.enumerated() {
                let rank = answers.count > 1 ? "\(k + 1). " : ""
                let text = a.answer.isEmpty && a.end == 0 ? "(no answer)" : "\"\(a.answer)\""
                lines.append("  \(rank)\(text)  score \(fmt(Float(a.score))), characters \(a.start)..<\(a.end)")
            }
        }
        Console.out(lines.joined(separator: "\n"))
    }
}
