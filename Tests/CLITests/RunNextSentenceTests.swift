import Foundation
import TestSupport
import XCTest

/// `run --task next-sentence` against golden/expected/pipelines/next-sentence.json
/// (BertForNextSentencePrediction's softmaxed logits, golden/generate_next_sentence.py).
final class RunNextSentenceTests: XCTestCase {
    struct Scores: Decodable {
        var is_next: Double
        var not_next: Double
    }
    struct Golden: Decodable {
        struct Case: Decodable {
            var text: String
            var pair: String
            var output: Scores
        }
        struct PreTraining: Decodable { var cases: [Case] }
        var cases: [Case]
        var pre_training: PreTraining
    }

    static func golden() throws -> Golden {
        try JSONDecoder().decode(Golden.self, from: Data(contentsOf: URL(fileURLWithPath: Repo.expected("pipelines/next-sentence.json"))))
    }

    func check(_ model: String, _ cases: [Golden.Case], extra: [String] = [], file: StaticString = #filePath, line: UInt = #line) throws {
        let r = try ToolRun.run(["run", try MiniLMWithHead.bkm(model)] + cases.map(\.text) + cases.flatMap { ["--pair", $0.pair] }
                                + extra + ["--json"])
        XCTAssertEqual(r.status, 0, r.stderr, file: file, line: line)
        let got = try JSONDecoder().decode([Scores].self, from: Data(r.stdout.utf8))
        // Softmax of logits that match PyTorch's to ~1e-6; the bar is 1e-5.
        assertClose(got.flatMap { [Float($0.is_next), Float($0.not_next)] },
                    cases.flatMap { [Float($0.output.is_next), Float($0.output.not_next)] }, atol: 1e-5, label: model, file: file, line: line)
    }

    func testJSONIsTheSoftmaxOfTheNSPLogits() throws {
        try check("next-sentence", try Self.golden().cases)
    }

    func testPreTrainingModelDoesNextSentenceWhenAsked() throws {
        try check("pre-training", try Self.golden().pre_training.cases, extra: ["--task", "next-sentence"])
    }

    func testSummaryAndMissingSentenceB() throws {
        let model = try MiniLMWithHead.bkm("next-sentence")
        let c = try Self.golden().cases[0]
        let r = try ToolRun.run(["run", model, c.text, "--pair", c.pair])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("is_next " + String(format: "%.4f", c.output.is_next)), r.stdout)
        let bad = try ToolRun.run(["run", model, c.text, "Only A.", "--pair", c.pair, "--json"])
        CLI.assertBadInput(bad, names: ["input 2", "second sentence"])
        XCTAssertEqual(bad.stdout, "")
    }
}
