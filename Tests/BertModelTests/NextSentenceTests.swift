import BertFormats
import BertModel
import BertTokenizer
import Foundation
import TestSupport
import XCTest

/// golden/expected/pipelines/next-sentence.json (golden/generate_next_sentence.py):
/// BertForNextSentencePrediction's softmaxed logits on (A, B) pairs, MiniLM under a random NSP head.
struct NextSentenceGolden: Decodable {
    struct Case: Decodable {
        var text: String
        var pair: String
        var input_ids: [Int]
        var output: NextSentenceScores
    }
    struct PreTraining: Decodable { var cases: [Case] }
    var cases: [Case]
    var pre_training: PreTraining

    static func load() throws -> NextSentenceGolden {
        try JSONDecoder().decode(NextSentenceGolden.self, from: Data(contentsOf: URL(fileURLWithPath: Repo.expected("pipelines/next-sentence.json"))))
    }
}

final class NextSentenceTests: XCTestCase {
    func check(_ model: String, _ cases: [NextSentenceGolden.Case], file: StaticString = #filePath, line: UInt = #line) throws {
        let pipeline = try NextSentence(model: try FillMaskTests.model(model))
        let pairs = cases.map { TextInput($0.text, pair: $0.pair) }
        for (p, c) in zip(pairs, cases) {
            XCTAssertEqual(try pipeline.tokenizer.encode(p.text, pair: p.pair).inputIds, c.input_ids, c.text, file: file, line: line)
        }
        let out = try pipeline(pairs)
        // Probabilities near 0.5 from logits that match PyTorch's to ~1e-6: 1e-5 is the bar, and a
        // swap of is_next and not_next moves each by ≥ 2e-4 (the golden script checks).
        assertClose(out.scores.flatMap { [Float($0.isNext), Float($0.notNext)] },
                    cases.flatMap { [Float($0.output.isNext), Float($0.output.notNext)] }, atol: 1e-5, label: model,
                    file: file, line: line)
    }

    func testScoresEqualTheModels() throws {
        _ = try Repo.requireMiniLM()
        try check("next-sentence", try NextSentenceGolden.load().cases)
    }

    func testPreTrainingHeadScoresPairs() throws {
        _ = try Repo.requireMiniLM()
        try check("pre-training", try NextSentenceGolden.load().pre_training.cases)
    }

    func testTextWithoutSentenceBIsRefused() throws {
        _ = try Repo.requireMiniLM()
        let pipeline = try NextSentence(model: try FillMaskTests.model("next-sentence"))
        XCTAssertThrowsError(try pipeline([TextInput("A.", pair: "B."), TextInput("Only A.")])) { e in
            XCTAssertEqual(e as? PipelineError, .badInput(index: 1, problem: "next-sentence needs a second sentence B to score against the text"))
        }
        XCTAssertThrowsError(try NextSentence(model: try FillMaskTests.model("fill-mask"))) { e in
            XCTAssertEqual(e as? PipelineError, .taskNotSupported(task: "next-sentence", architecture: "BertForMaskedLM",
                                                                  supportedBy: ["BertForNextSentencePrediction", "BertForPreTraining"]))
        }
    }
}
