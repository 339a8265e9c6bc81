import Foundation
import TestSupport
import XCTest

/// `run --task multiple-choice` against golden/expected/pipelines/multiple-choice.json
/// (BertForMultipleChoice on run_swag-style inputs, golden/generate_multiple_choice.py).
final class RunMultipleChoiceTests: XCTestCase {
    struct Choice: Decodable {
        var choice: String
        var score: Double
    }
    struct Golden: Decodable {
        struct Case: Decodable {
            var context: String
            var stem: String?
            var choices: [String]
            var output: [Choice]
        }
        var cases: [Case]
    }

    static func golden() throws -> Golden {
        try JSONDecoder().decode(Golden.self, from: Data(contentsOf: URL(fileURLWithPath: Repo.expected("pipelines/multiple-choice.json"))))
    }

    func testJSONIsOneScorePerChoiceInInputOrder() throws {
        let model = try MiniLMWithHead.bkm("multiple-choice")
        for c in try Self.golden().cases {
            let r = try ToolRun.run(["run", model, c.context] + (c.stem.map { ["--pair", $0] } ?? []) + c.choices.flatMap { ["--choice", $0] }
                                    + ["--json"])
            XCTAssertEqual(r.status, 0, r.stderr)
            let got = try JSONDecoder().decode([[Choice]].self, from: Data(r.stdout.utf8))
            XCTAssertEqual(got.count, 1)
            assertSameScalars(got[0].map(\.choice), c.choices, c.context)
            // Softmax of logits that match PyTorch's to ~1e-6; the bar is 1e-5.
            assertClose(got[0].map { Float($0.score) }, c.output.map { Float($0.score) }, atol: 1e-5, label: c.context)
        }
    }

    func testSummaryMarksTheBestChoiceAndMissingChoicesAreRefused() throws {
        let model = try MiniLMWithHead.bkm("multiple-choice")
        let c = try Self.golden().cases[0]
        let r = try ToolRun.run(["run", model, c.context] + c.choices.flatMap { ["--choice", $0] })
        XCTAssertEqual(r.status, 0, r.stderr)
        let best = c.output.indices.max { c.output[$0].score < c.output[$1].score }!
        XCTAssertTrue(r.stdout.contains("→ " + String(format: "%.4f", c.output[best].score) + "  \(best + 1). \(c.choices[best])"), r.stdout)
        let none = try ToolRun.run(["run", model, c.context])
        CLI.assertBadInput(none, names: ["--choice"])
        XCTAssertEqual(none.stdout, "")
    }

    func testLongContextIsTruncatedPerChoiceWithAWarning() throws {
        let long = String(repeating: "the committee met again ", count: 130)
        let r = try ToolRun.run(["run", try MiniLMWithHead.bkm("multiple-choice"), long, "--choice", "It ended.", "--choice", "It went on."])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("warning: text 1 with choice 2 has") && r.stderr.contains("truncated to 512"), r.stderr)
        let refused = try ToolRun.run(["run", try MiniLMWithHead.bkm("multiple-choice"), long, "--choice", "a", "--choice", "b", "--no-truncate"])
        CLI.assertBadInput(refused, names: ["input 1", "choice 1", "512"])
    }
}
