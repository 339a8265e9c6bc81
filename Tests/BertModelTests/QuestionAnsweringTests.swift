import BertFormats
@testable import BertModel
import Foundation
import TestSupport
import XCTest

/// bertkit's question answering against transformers' pipeline (4.57.6), from
/// golden/expected/pipelines/question-answering.json (golden/generate_question_answering.py).
final class QuestionAnsweringTests: XCTestCase {
    // Products of two float32 softmax probabilities, from logits that differ from PyTorch's by ~1e-6:
    // the scores differ by at most 2.7e-6 (7e-6 relative); the golden's near-tie margin is 1e-3 relative.
    static let scoreTolerance = 1e-5

    static func golden() throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: Repo.expected("pipelines/question-answering.json")))
        return try JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    static let model: BertModel? = try? BertModel(checkpoint: MiniLMWithHead.checkpoint("question-answering"))

    func pipeline(_ options: [String: Any] = [:]) throws -> QuestionAnswering {
        _ = try Repo.requireMiniLM()
        let model = try XCTUnwrap(Self.model)
        return try QuestionAnswering(model: model, options: QuestionAnsweringOptions(
            maxSeqLen: options["max_seq_len"] as? Int, docStride: options["doc_stride"] as? Int,
            maxAnswerLen: options["max_answer_len"] as? Int ?? 15, topK: options["top_k"] as? Int ?? 1,
            handleImpossibleAnswer: options["handle_impossible_answer"] as? Bool ?? false))
    }

    static func runs() throws -> [[String: Any]] { try golden()["runs"] as! [[String: Any]] }

    func testWindowsAreTheFastTokenizersOverflowWindows() throws {
        for run in try Self.runs() {
            let qa = try pipeline(run["options"] as! [String: Any])
            let resolved = run["resolved"] as! [String: Any]
            XCTAssertEqual(qa.maxSeqLen, resolved["max_seq_len"] as? Int)
            XCTAssertEqual(qa.docStride, resolved["doc_stride"] as? Int)
            for (n, c) in (run["cases"] as! [[String: Any]]).enumerated() {
                let label = "\(run["name"]!) input \(n)"
                let got = try qa.windows(QuestionContext(question: c["question"] as! String, context: c["context"] as! String))
                let want = c["windows"] as! [[String: Any]]
                XCTAssertEqual(got.count, want.count, "\(label): windows")
                for (k, (g, w)) in zip(got, want).enumerated() {
                    XCTAssertEqual(g.inputIds, w["input_ids"] as! [Int], "\(label) window \(k): input_ids")
                    XCTAssertEqual(g.tokenTypeIds, w["token_type_ids"] as! [Int], "\(label) window \(k): token_type_ids")
                    XCTAssertEqual(g.wordIds, (w["word_ids"] as! [Any]).map { $0 as? Int }, "\(label) window \(k): word_ids")
                    XCTAssertEqual(g.offsets.map { [$0.lowerBound, $0.upperBound] }, w["offsets"] as! [[Int]],
                                   "\(label) window \(k): offsets")
                    let types = w["token_type_ids"] as! [Int], ids = w["input_ids"] as! [Int]
                    XCTAssertEqual(Array(g.context), types.indices.filter { types[$0] == 1 && $0 < ids.count - 1 },
                                   "\(label) window \(k): context positions")
                }
            }
        }
    }

    func testAnswersAreThePipelines() throws {
        for run in try Self.runs() {
            let qa = try pipeline(run["options"] as! [String: Any])
            let cases = run["cases"] as! [[String: Any]]
            // All inputs of a run at once: windows of different inputs share forwards.
            let results = try qa.answer(cases.map { QuestionContext(question: $0["question"] as! String, context: $0["context"] as! String) })
            XCTAssertEqual(results.count, cases.count)
            for (n, (r, c)) in zip(results, cases).enumerated() {
                Self.assertSame(r, c["output"]!, "\(run["name"]!) input \(n)")
            }
        }
    }

    /// The same value as the pipeline's: a dict for one answer, else a list; texts and offsets equal.
    static func assertSame(_ r: AnswerResult, _ output: Any, _ label: String, file: StaticString = #filePath, line: UInt = #line) {
        let want: [[String: Any]]
        switch (r, output) {
        case (.one, let d as [String: Any]): want = [d]
        case (.several, let l as [[String: Any]]): want = l
        default: return XCTFail("\(label): \(r) is not shaped like \(output)", file: file, line: line)
        }
        XCTAssertEqual(r.answers.count, want.count, "\(label): answers", file: file, line: line)
        for (k, (a, w)) in zip(r.answers, want).enumerated() {
            // Compared as code points: String == would equate canonically equivalent texts.
            XCTAssertEqual(Array(a.answer.unicodeScalars), Array((w["answer"] as! String).unicodeScalars),
                           "\(label) answer \(k)", file: file, line: line)
            XCTAssertEqual([a.start, a.end], [w["start"] as! Int, w["end"] as! Int], "\(label) answer \(k) span", file: file, line: line)
            XCTAssertEqual(a.score, w["score"] as! Double, accuracy: scoreTolerance, "\(label) answer \(k) score", file: file, line: line)
        }
    }
}

extension QuestionAnsweringTests {
    func testSlicesStepByLengthMinusStrideUntilTheEnd() {
        XCTAssertEqual(QuestionAnswering.slices(count: 10, length: 4, stride: 1), [0..<4, 3..<7, 6..<10])
        XCTAssertEqual(QuestionAnswering.slices(count: 11, length: 4, stride: 1), [0..<4, 3..<7, 6..<10, 9..<11])
        XCTAssertEqual(QuestionAnswering.slices(count: 5, length: 1, stride: 0), [0..<1, 1..<2, 2..<3, 3..<4, 4..<5])
        XCTAssertEqual(QuestionAnswering.slices(count: 3, length: 4, stride: 2), [0..<3])
    }

    func testSpansAreWidenedToWholeWordsInsideTheWindow() {
        // [CLS] q [SEP] un ##bel ##ie | va ##bly [SEP]: the window starts inside "unbelievably" at "##bel".
        let w = QuestionAnsweringWindow(inputIds: [101, 1, 102, 2, 3, 4, 5, 102], tokenTypeIds: [0, 0, 0, 1, 1, 1, 1, 1],
                                        wordIds: [nil, 0, nil, 4, 4, 5, 5, nil],
                                        offsets: [0..<0, 0..<1, 0..<0, 12..<15, 15..<17, 18..<20, 20..<23, 0..<0], context: 3..<7)
        XCTAssertEqual(QuestionAnswering.characters(ScoredSpan(score: 1, start: 4, end: 5), in: w), 12..<23)
        XCTAssertEqual(QuestionAnswering.characters(ScoredSpan(score: 1, start: 3, end: 3), in: w), 12..<17)
        XCTAssertEqual(QuestionAnswering.characters(ScoredSpan(score: 1, start: 6, end: 6), in: w), 18..<23)
    }

    func testSpanScoresAreProductsOfSoftmaxesOverTheContextAndToken0() {
        // Positions: 0 [CLS], 1 question, 2 [SEP], 3...5 context, 6 [SEP]. The question's and the
        // [SEP]s' logits are large but masked; [CLS] counts in the softmax, then is zeroed.
        let start: [Float] = [1, 50, 50, 2, 0, 1, 50], end: [Float] = [0, 50, 50, 0, 3, 1, 50]
        let (spans, null) = QuestionAnswering.spans(start: start, end: end, context: 3..<6, maxAnswerLen: 2, keep: 10)
        func softmax(_ x: [Double]) -> [Double] { let e = x.map { exp($0) }; return e.map { $0 / e.reduce(0, +) } }
        let ps = softmax([1, 2, 0, 1]), pe = softmax([0, 0, 3, 1])  // positions 0, 3, 4, 5
        XCTAssertEqual(Double(null), ps[0] * pe[0], accuracy: 1e-7)
        let want = [(3, 3), (3, 4), (4, 4), (4, 5), (5, 5)].map { (s, e) in (ps[s - 2] * pe[e - 2], s, e) }
            .sorted { $0.0 > $1.0 }
        XCTAssertEqual(spans.count, 5, "s <= e < s + max_answer_len, inside the context")
        for (g, w) in zip(spans, want) {
            XCTAssertEqual([g.start, g.end], [w.1, w.2])
            XCTAssertEqual(Double(g.score), w.0, accuracy: 1e-7)
        }
        XCTAssertEqual(QuestionAnswering.spans(start: start, end: end, context: 3..<6, maxAnswerLen: 2, keep: 2).spans,
                       Array(spans.prefix(2)))
    }

    /// [CLS] q [SEP] c [SEP] with the one context token at code points `chars` of "x y".
    static func oneTokenWindow(word: Int, chars: Range<Int>) -> QuestionAnsweringWindow {
        QuestionAnsweringWindow(inputIds: [101, 1037, 102, 1038, 102], tokenTypeIds: [0, 0, 0, 1, 1],
                                wordIds: [nil, 0, nil, word, nil], offsets: [0..<0, 0..<1, 0..<0, chars, 0..<0], context: 3..<4)
    }

    func testTheNullAnswerIsTheLeastOverWindowsAndEqualScoresKeepTheirOrder() throws {
        let qa = try pipeline(["top_k": 5, "handle_impossible_answer": true])
        let x = Self.oneTokenWindow(word: 0, chars: 0..<1), y = Self.oneTokenWindow(word: 1, chars: 2..<3)
        // Equal logits at [CLS] and the context token: p = 1/2 each, so "x" and the null both score 1/4
        // (the null's 1/4 is the least: y's window has p[0] = e/(1+e)).
        let even: [Float] = [0, 9, 9, 0, 9], cls: [Float] = [1, 9, 9, 0, 9]
        let a = qa.answers(context: "x y", windows: [x, y], logits: [(even, even), (cls, cls)])
        let py = 1 / (1 + exp(1.0))
        XCTAssertEqual(a.map(\.answer), ["x", "", "y"], "equal scores in the order found, the null answer last")
        for (got, want) in zip(a.map(\.score), [0.25, 0.25, py * py]) { XCTAssertEqual(got, want, accuracy: 1e-7) }
        XCTAssertEqual([a[1].start, a[1].end], [0, 0])
        // Both windows alike: "x" before "y", then the null answer.
        XCTAssertEqual(qa.answers(context: "x y", windows: [x, y], logits: [(even, even), (even, even)]).map(\.answer), ["x", "y", ""])
    }

    func testAnswersAreComparedLowercasedAsPythonDoes() {
        func lower(_ s: String) -> String { String(String.UnicodeScalarView(QuestionAnswering.pythonLowercased(s.unicodeScalars))) }
        // Expected values from Python 3.11's str.lower().
        XCTAssertEqual(Array(lower("ΣΑΣ ΟΔΟΣ.").unicodeScalars), Array("σας οδος.".unicodeScalars))
        XCTAssertEqual(Array(lower("Σ ΑΣ'Α").unicodeScalars), Array("σ ασ'α".unicodeScalars))
        XCTAssertEqual(Array(lower("İstanbul ÉLODIE").unicodeScalars), Array("i\u{307}stanbul élodie".unicodeScalars))
    }

    func testFewerPositiveSpansThanTopKGiveFewerAnswers() throws {
        // "No." has 3 spans; the pipeline would pad its 16 candidates with zero-score cells.
        let qa = try pipeline(["top_k": 10])
        let r = try qa.answer([QuestionContext(question: "Is it raining?", context: "No.")])[0]
        XCTAssertEqual(r.answers.map(\.answer).sorted(), [".", "No", "No."])
        XCTAssertTrue(r.answers.allSatisfy { $0.score > 0 })
    }
}

extension QuestionAnsweringTests {
    func inputError(_ qa: QuestionAnswering, _ inputs: [QuestionContext]) -> QuestionAnsweringInputError? {
        do {
            _ = try qa.answer(inputs)
            return nil
        } catch {
            return error as? QuestionAnsweringInputError
        }
    }

    func testAQuestionThatLeavesNoRoomIsAnErrorNamingTheInput() throws {
        let qa = try pipeline(["max_seq_len": 12, "doc_stride": 0])
        let ok = QuestionContext(question: "Why?", context: "Because.")
        // 9 question tokens + 3 special tokens fill the 12.
        let long = QuestionContext(question: "one two three four five six seven eight nine", context: "A context.")
        let e = try XCTUnwrap(inputError(qa, [ok, long]))
        XCTAssertEqual(e.index, 1)
        XCTAssertEqual(e.problem, .noRoomForContext(questionTokens: 9, maxSeqLen: 12))
        XCTAssertTrue(e.localizedDescription.hasPrefix("input 2: the question is 9 tokens long"), e.localizedDescription)
        // One token less leaves a window of 1 context token: 3 windows for "A context."
        let fits = QuestionContext(question: "one two three four five six seven eight", context: "A context.")
        XCTAssertEqual(try qa.windows(fits).map(\.context.count), [1, 1, 1])
    }

    func testAStrideThatDoesNotAdvanceIsAnError() throws {
        let qa = try pipeline(["max_seq_len": 12, "doc_stride": 5])
        let e = try XCTUnwrap(inputError(qa, [QuestionContext(question: "one two three four", context: "a b c d e f g h i")]))
        XCTAssertEqual(e.problem, .strideNotBelowWindow(docStride: 5, contextPerWindow: 5))
        // A context that fits needs no stride.
        XCTAssertEqual(try qa.windows(QuestionContext(question: "one two three four", context: "a b c d e")).count, 1)
    }

    func testEmptyInputsAreErrors() throws {
        let qa = try pipeline()
        XCTAssertEqual(inputError(qa, [QuestionContext(question: "", context: "x")])?.problem, .emptyQuestion)
        XCTAssertEqual(inputError(qa, [QuestionContext(question: "Why?", context: "")])?.problem, .emptyContext)
        XCTAssertEqual(inputError(qa, [QuestionContext(question: "Why?", context: " \t\u{200B} ")])?.problem, .contextHasNoTokens)
    }

    func testOptionsOutOfRangeAreRefused() throws {
        func refusal(_ o: [String: Any]) -> QuestionAnsweringError? {
            do {
                _ = try pipeline(o)
                return nil
            } catch {
                return error as? QuestionAnsweringError
            }
        }
        XCTAssertEqual(refusal(["max_seq_len": 64, "doc_stride": 65]),
                       .badOption(name: "doc_stride", value: 65, expected: "0...64 (max_seq_len)"))
        XCTAssertEqual(refusal(["max_seq_len": 513]),
                       .badOption(name: "max_seq_len", value: 513, expected: "1...512 (max_position_embeddings)"))
        XCTAssertEqual(refusal(["top_k": 0]), .badOption(name: "top_k", value: 0, expected: "at least 1"))
        XCTAssertEqual(refusal(["max_answer_len": 0]), .badOption(name: "max_answer_len", value: 0, expected: "at least 1"))
        XCTAssertNil(refusal(["max_seq_len": 64, "doc_stride": 64]), "the pipeline allows doc_stride == max_seq_len")
    }

    func testATokenizerThatPadsOnTheLeftIsRefused() throws {
        // transformers would put the context first and let every token be part of an answer.
        _ = try Repo.requireMiniLM()
        var checkpoint = try MiniLMWithHead.checkpoint("question-answering")
        checkpoint.tokenizer?.paddingSide = "left"
        XCTAssertThrowsError(try QuestionAnswering(model: BertModel(checkpoint: checkpoint))) { e in
            XCTAssertEqual(e as? QuestionAnsweringError, .tokenizerPadsLeft)
        }
    }

    func testAModelWithAnotherHeadIsRefused() throws {
        let model = try BertModel(checkpoint: CheckpointLoader.load(path: Repo.fixture("tiny-cls")))
        XCTAssertThrowsError(try QuestionAnswering(model: model)) { e in
            XCTAssertEqual(e as? PipelineError, .taskNotSupported(task: "question-answering", architecture: "BertForSequenceClassification",
                                                                  supportedBy: ["BertForQuestionAnswering"]))
        }
    }
}
