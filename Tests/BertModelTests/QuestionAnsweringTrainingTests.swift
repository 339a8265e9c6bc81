import BertFormats
@testable import BertModel
import BertTokenizer
import Foundation
import TestSupport
import XCTest

/// run_qa's training features and postprocessing, and the SQuAD metrics, against
/// golden/expected/question-answering/*.json (golden/generate_question_answering_training.py).
final class QuestionAnsweringTrainingTests: XCTestCase {
    static func golden(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: Repo.expected("question-answering/\(name).json")))
        return try JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    static func example(_ e: [String: Any]) -> SQuADExample {
        SQuADExample(id: e["id"] as! String, context: e["context"] as! String, question: e["question"] as! String,
                     answers: (e["answers"] as! [[String: Any]]).map { SQuADAnswer(text: $0["text"] as! String, start: $0["answer_start"] as! Int) })
    }

    func tokenizer() throws -> ModelTokenizer { ModelTokenizer(try BertTokenizer(folder: Repo.requireMiniLM())) }

    func testTrainingFeaturesAreRunQAs() throws {
        let g = try Self.golden("features"), tok = try tokenizer()
        let examples = (g["examples"] as! [[String: Any]]).map(Self.example)
        for run in g["runs"] as! [[String: Any]] {
            let options = QuestionAnsweringFeatureOptions(maxSeqLength: run["max_seq_length"] as! Int, docStride: run["doc_stride"] as! Int)
            let got = try QuestionAnsweringFeatures.make(examples, tokenizer: tok, options: options)
            let want = run["features"] as! [[String: Any]]
            XCTAssertEqual(got.count, want.count, "\(options): features")
            for (k, (f, w)) in zip(got, want).enumerated() {
                let label = "\(options) feature \(k) (\(examples[f.example].id))"
                XCTAssertEqual(f.example, w["example"] as! Int, label)
                XCTAssertEqual(f.window.inputIds, w["input_ids"] as! [Int], label)
                XCTAssertEqual(f.window.tokenTypeIds, w["token_type_ids"] as! [Int], label)
                let offsets = f.window.offsets.indices.map { f.window.context.contains($0) ? [f.window.offsets[$0].lowerBound, f.window.offsets[$0].upperBound] : [0, 0] }
                XCTAssertEqual(offsets, w["offsets"] as! [[Int]], label)
                XCTAssertEqual(f.startPosition, w["start_position"] as! Int, "\(label): start_position")
                XCTAssertEqual(f.endPosition, w["end_position"] as! Int, "\(label): end_position")
            }
        }
    }

    func testAWindowWithoutTheWholeAnswerPointsAtCLS() throws {
        // Hand-made offsets: context tokens at positions 3...5 cover characters 0..<4, 5..<9, 10..<14.
        let w = QuestionAnsweringWindow(inputIds: [101, 1, 102, 7, 8, 9, 102], tokenTypeIds: [0, 0, 0, 1, 1, 1, 1],
                                        wordIds: [nil, 0, nil, 0, 1, 2, nil],
                                        offsets: [0..<0, 0..<1, 0..<0, 0..<4, 5..<9, 10..<14, 0..<0], context: 3..<6)
        let positions = { (s: Int, text: String) in QuestionAnsweringFeatures.positions(w, answer: SQuADAnswer(text: text, start: s)) }
        XCTAssertTrue(positions(5, "abcd") == (4, 4))
        XCTAssertTrue(positions(6, "bc") == (4, 4), "inside one token")
        XCTAssertTrue(positions(0, "abcd efgh") == (3, 4))
        XCTAssertTrue(positions(12, "xyzw") == (0, 0), "ends past the window")
        XCTAssertTrue(positions(10, "ijkl") == (6, 5), "run_qa's edge case: starts at the last context token")
        XCTAssertTrue(QuestionAnsweringFeatures.positions(w, answer: nil) == (0, 0), "no answer")
    }

    func testQuestionsAreLstrippedAsPythonDoes() {
        XCTAssertEqual(QuestionAnsweringFeatures.lstripped(" \t\u{3000}\u{1F}Why? "), "Why? ")
        XCTAssertEqual(QuestionAnsweringFeatures.lstripped("\u{200B}Why?"), "\u{200B}Why?", "ZWSP is not isspace()")
    }

    func testPostprocessingIsRunQAs() throws {
        let g = try Self.golden("postprocess")
        let inputs = (g["examples"] as! [[String: Any]]).map { e in
            let windows = (e["windows"] as! [[String: Any]]).map { w in
                let isContext = w["is_context"] as! [Bool], ids = w["input_ids"] as! [Int]
                let context = isContext.firstIndex(of: true)!..<(isContext.lastIndex(of: true)! + 1)
                return QuestionAnsweringWindow(inputIds: ids, tokenTypeIds: ids.map { _ in 0 }, wordIds: ids.map { _ in nil },
                                               offsets: (w["offsets"] as! [[Int]]).map { $0[0]..<$0[1] }, context: context)
            }
            let logits = zip(e["start_logits"] as! [[Double]], e["end_logits"] as! [[Double]]).map { ($0.map(Float.init), $1.map(Float.init)) }
            return (Self.example(e["example"] as! [String: Any]), windows, logits)
        }
        var checked = 0
        for run in g["runs"] as! [[String: Any]] {
            let post = QuestionAnsweringPostprocessing(nBest: run["n_best"] as! Int, maxAnswerLength: run["max_answer_length"] as! Int,
                                                       versionTwo: run["v2"] as! Bool, nullScoreDiffThreshold: Float(run["threshold"] as! Double))
            for ((example, windows, logits), want) in zip(inputs, run["predictions"] as! [[String: Any]]) {
                let label = "\(run["name"]!) \(example.id)"
                let p = post.predict(example, windows: windows, logits: logits)
                XCTAssertEqual(p.text, want["text"] as! String, label)
                let nbest = want["nbest"] as! [[String: Any]]
                XCTAssertEqual(p.candidates.map(\.text), nbest.map { $0["text"] as! String }, label)
                XCTAssertEqual(p.candidates.map { [$0.characters.lowerBound, $0.characters.upperBound] }, nbest.map { $0["characters"] as! [Int] }, label)
                // The same float32 logits and sums as numpy's: equal to the bit.
                XCTAssertEqual(p.candidates.map(\.startLogit), nbest.map { Float($0["start_logit"] as! Double) }, label)
                XCTAssertEqual(p.candidates.map(\.endLogit), nbest.map { Float($0["end_logit"] as! Double) }, label)
                // numpy's exp and sum order differ from expf's and a serial sum by a few ulp.
                assertClose(p.candidates.map(\.probability), nbest.map { Float($0["probability"] as! Double) }, atol: 1e-6, rtol: 1e-5,
                            label: "\(label) probabilities")
                if let diff = want["null_score_diff"] as? Double {
                    XCTAssertEqual(p.nullScoreDiff, Float(diff), label)
                    XCTAssertEqual(p.bestNonNull, want["best_non_null"] as? String, label)
                } else {
                    XCTAssertNil(p.nullScoreDiff, label)
                }
                checked += 1
            }
        }
        XCTAssertEqual(checked, 50)
    }

    func testNormalizeAnswerAndPairScoresAreTheOfficialScripts() throws {
        let g = try Self.golden("metrics")
        for p in g["pairs"] as! [[String: Any]] {
            let pred = p["prediction"] as! String, gold = p["gold"] as! String, label = "\(pred.debugDescription) vs \(gold.debugDescription)"
            XCTAssertEqual(SQuADMetrics.normalize(pred), p["normalized_prediction"] as! String, label)
            XCTAssertEqual(SQuADMetrics.normalize(gold), p["normalized_gold"] as! String, label)
            XCTAssertEqual(SQuADMetrics.exactMatch(pred, gold) ? 1 : 0, p["v2_exact"] as! Int, label)
            XCTAssertEqual(SQuADMetrics.f1(pred, gold, v2: true), (p["v2_f1"] as! NSNumber).doubleValue, accuracy: 1e-12, label)
            XCTAssertEqual(SQuADMetrics.f1(pred, gold, v2: false), (p["v1_f1"] as! NSNumber).doubleValue, accuracy: 1e-12, label)
        }
    }

    func testSetScoresAreTheOfficialScripts() throws {
        let g = try Self.golden("metrics")
        for set in g["sets"] as! [[String: Any]] {
            let qs = set["questions"] as! [[String: Any]], v2 = set["v2"] as! Bool, r = set["result"] as! [String: Any]
            let examples = qs.map { q in
                SQuADExample(id: q["id"] as! String, context: "c", question: "q", answers: (q["answers"] as! [String]).map { SQuADAnswer(text: $0, start: 0) })
            }
            let s = SQuADScores(examples: examples, predictions: qs.map { $0["prediction"] as! String }, v2: v2,
                                bestNonNull: v2 ? qs.map { $0["best_non_null"] as! String } : nil,
                                nullScoreDiff: v2 ? qs.map { Float($0["null_score_diff"] as! Double) } : nil)
            func num(_ k: String) -> Double { (r[k] as! NSNumber).doubleValue }
            // Means of a handful of exact fractions: only the summation order can differ.
            let tol = 1e-9
            if !v2 {
                XCTAssertEqual(s.exactMatch, num("exact_match"), accuracy: tol)
                XCTAssertEqual(s.f1, num("f1"), accuracy: tol)
                continue
            }
            XCTAssertEqual(s.exactMatch, num("exact"), accuracy: tol)
            XCTAssertEqual(s.f1, num("f1"), accuracy: tol)
            XCTAssertEqual(s.all.total, r["total"] as! Int)
            XCTAssertEqual(s.hasAnswer?.exact ?? -1, num("HasAns_exact"), accuracy: tol)
            XCTAssertEqual(s.hasAnswer?.f1 ?? -1, num("HasAns_f1"), accuracy: tol)
            XCTAssertEqual(s.hasAnswer?.total, r["HasAns_total"] as? Int)
            XCTAssertEqual(s.noAnswer?.exact ?? -1, num("NoAns_exact"), accuracy: tol)
            XCTAssertEqual(s.noAnswer?.f1 ?? -1, num("NoAns_f1"), accuracy: tol)
            XCTAssertEqual(s.noAnswer?.total, r["NoAns_total"] as? Int)
            XCTAssertEqual(s.bestExact ?? -1, num("best_exact"), accuracy: tol)
            XCTAssertEqual(s.bestExactThreshold ?? -99, num("best_exact_thresh"), accuracy: 1e-6)
            XCTAssertEqual(s.bestF1 ?? -1, num("best_f1"), accuracy: tol)
            XCTAssertEqual(s.bestF1Threshold ?? -99, num("best_f1_thresh"), accuracy: 1e-6)
        }
    }

    /// Worked by hand from the definitions (formats/squad.md), not from a script.
    func testHandWorkedMetricCases() {
        XCTAssertEqual(SQuADMetrics.normalize("  The  Quick, brown fox!  "), "quick brown fox")
        XCTAssertEqual(SQuADMetrics.normalize("An apple a day"), "apple day")
        XCTAssertEqual(SQuADMetrics.normalize("anthem theory"), "anthem theory", "articles only as whole words")
        // pred "cat on the mat" → [cat, on, mat]; gold "the cat sat" → [cat, sat]: 1 shared; P 1/3, R 1/2, F1 0.4.
        XCTAssertEqual(SQuADMetrics.f1("cat on the mat", "the cat sat"), 0.4, accuracy: 1e-12)
        // Multisets: pred [a?]. "b b c" vs "b c c": 2 shared (one b, one c); P = R = 2/3.
        XCTAssertEqual(SQuADMetrics.f1("b b c", "b c c"), 2.0 / 3, accuracy: 1e-12)
        // Best over the golds: EM from "Paris", F1 from the same.
        let s = SQuADMetrics.score("paris", gold: ["in Paris, France", "Paris"], v2: false)
        XCTAssertEqual(s.exact, 1)
        XCTAssertEqual(s.f1, 1)
        // v1.1: gold "the" normalizes to nothing; v2 then scores it as a no-answer question.
        XCTAssertTrue(SQuADMetrics.score("", gold: ["the"], v2: false) == (1, 0))
        XCTAssertTrue(SQuADMetrics.score("", gold: ["the"], v2: true) == (1, 1))
        XCTAssertTrue(SQuADMetrics.score("an answer", gold: [], v2: true) == (0, 0))
        // 3 questions: EM 1, 0, 0 and F1 1, 0.4, 0 → EM 33.3…, F1 46.6…; v2: HasAns the first two, NoAns the third.
        let ex = [("Paris", ["Paris"]), ("cat on the mat", ["the cat sat"]), ("something", [])].enumerated().map { i, q in
            (SQuADExample(id: "\(i)", context: "c", question: "q", answers: q.1.map { SQuADAnswer(text: $0, start: 0) }), q.0)
        }
        let v2 = SQuADScores(examples: ex.map(\.0), predictions: ex.map(\.1), v2: true)
        XCTAssertEqual(v2.exactMatch, 100.0 / 3, accuracy: 1e-9)
        XCTAssertEqual(v2.f1, 140.0 / 3, accuracy: 1e-9)
        XCTAssertEqual(v2.hasAnswer, SQuADScores.Split(exact: 50, f1: 70, total: 2))
        XCTAssertEqual(v2.noAnswer, SQuADScores.Split(exact: 0, f1: 0, total: 1))
        XCTAssertNil(SQuADScores(examples: ex.map(\.0), predictions: ex.map(\.1), v2: false).hasAnswer)
    }

    /// postprocess on a hand-made window: a span too long, one reversed, one in the question are dropped.
    func testPostprocessingHandWorked() {
        // [CLS] q [SEP] c0 c1 c2 [SEP]; context "ab cd ef".
        let w = QuestionAnsweringWindow(inputIds: [101, 1, 102, 5, 6, 7, 102], tokenTypeIds: [0, 0, 0, 1, 1, 1, 1], wordIds: [nil, 0, nil, 0, 1, 2, nil],
                                        offsets: [0..<0, 0..<1, 0..<0, 0..<2, 3..<5, 6..<8, 0..<0], context: 3..<6)
        let e = SQuADExample(id: "x", context: "ab cd ef", question: "q", answers: [])
        //                 CLS  q    SEP  c0   c1   c2   SEP
        let start: [Float] = [1, 9, 0, 2, 4, 0.5, 8], end: [Float] = [1, 9, 0, 0.5, 1, 3, 8]
        let v1 = QuestionAnsweringPostprocessing(maxAnswerLength: 2).predict(e, windows: [w], logits: [(start, end)])
        // c1..c2 = 4 + 3 = 7 is best; c0..c2 (length 3) is too long; question and [SEP] are never spans.
        XCTAssertEqual(v1.text, "cd ef")
        XCTAssertEqual(v1.candidates.map(\.text), ["cd ef", "cd", "ef", "ab cd", "ab"])  // 7, 5, 3.5, 3, 2.5
        XCTAssertEqual(v1.candidates.first?.startLogit, 4)
        // v2: null = 1 + 1 = 2; diff = 2 - 7 = -5: the answer stays unless the threshold is below -5.
        var post = QuestionAnsweringPostprocessing(maxAnswerLength: 2, versionTwo: true)
        XCTAssertEqual(post.predict(e, windows: [w], logits: [(start, end)]).nullScoreDiff, -5)
        XCTAssertEqual(post.predict(e, windows: [w], logits: [(start, end)]).text, "cd ef")
        post.nullScoreDiffThreshold = -5.5
        XCTAssertEqual(post.predict(e, windows: [w], logits: [(start, end)]).text, "")
        // No valid span at all: "empty" comes first (run_qa's fallback).
        let none = QuestionAnsweringPostprocessing(nBest: 1).predict(e, windows: [w], logits: [([0, 9, 0, 0, 0, 0, 8], [0, 9, 0, 0, 0, 0, 8])])
        XCTAssertEqual(none.text, "empty")
    }

    /// The report line's span accuracy: start and end argmax both right, over each window's own positions.
    func testSpanAccuracyCountsWindowsWithBothEndsRight() throws {
        let w3 = QuestionAnsweringWindow(inputIds: [101, 5, 102], tokenTypeIds: [0, 0, 1], wordIds: [nil, 0, nil],
                                         offsets: [0..<0, 0..<1, 0..<0], context: 1..<2)
        let w2 = QuestionAnsweringWindow(inputIds: [101, 102], tokenTypeIds: [0, 1], wordIds: [nil, nil], offsets: [0..<0, 0..<0], context: 1..<1)
        let features = [QuestionAnsweringFeature(window: w3, example: 0, startPosition: 1, endPosition: 1),
                        QuestionAnsweringFeature(window: w2, example: 1, startPosition: 0, endPosition: 0)]
        var m = QuestionAnsweringBatchSource.SpanAccuracy(features: features)
        let input = try BertInput(rows: [w3.inputIds, w2.inputIds], config: BertModel(checkpoint: CheckpointLoader.load(path: Repo.fixture("tiny-bert"))).config)
        // [B=2, S=3, 2]: row 0 start/end argmax at 1 (right); row 1's padding position 2 has the largest
        // logits but is not the window's, so its argmax is 0 (right).
        let logits: [Float] = [0, 0, 5, 5, 1, 1, /* row 1 */ 3, 2, 1, 4, 9, 9]
        let batch = TrainingBatch(input: input, targets: .spans(start: [1, 0], end: [1, 0]), rows: [0, 1])
        m.add(Trainer.StepResult(loss: 0, gradientNorm: 0, learningRate: 0, logits: logits), batch: batch)
        XCTAssertEqual(m.value, 0.5, "row 1's end argmax is position 1 (4 > 2): wrong")
        m.reset()
        m.add(Trainer.StepResult(loss: 0, gradientNorm: 0, learningRate: 0, logits: [0, 0, 5, 5, 1, 1, 3, 4, 1, 2, 9, 9]), batch: batch)
        XCTAssertEqual(m.value, 1)
        XCTAssertEqual(m.name, "Span accuracy")
    }
}
