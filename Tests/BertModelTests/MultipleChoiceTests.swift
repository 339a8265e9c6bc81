import BertFormats
import BertModel
import BertTokenizer
import Foundation
import TestSupport
import XCTest

/// golden/expected/pipelines/multiple-choice.json (golden/generate_multiple_choice.py):
/// BertForMultipleChoice on run_swag-style inputs, MiniLM under a random classifier.
struct MultipleChoiceGolden: Decodable {
    struct Case: Decodable {
        var context: String
        var stem: String?
        var choices: [String]
        var input_ids: [[Int]]
        var output: [ChoiceScore]
    }
    var cases: [Case]

    static func load() throws -> MultipleChoiceGolden {
        try JSONDecoder().decode(MultipleChoiceGolden.self, from: Data(contentsOf: URL(fileURLWithPath: Repo.expected("pipelines/multiple-choice.json"))))
    }
}

final class MultipleChoiceTests: XCTestCase {
    func testScoresEqualTheModels() throws {
        _ = try Repo.requireMiniLM()
        let pipeline = try MultipleChoice(model: try FillMaskTests.model("multiple-choice"))
        for c in try MultipleChoiceGolden.load().cases {
            let rows = MultipleChoice.rows(contexts: [c.context], stems: [c.stem], choices: c.choices)
            XCTAssertEqual(try rows.map { try pipeline.tokenizer.encode($0.text, pair: $0.pair).inputIds }, c.input_ids, c.context)
            let out = try pipeline(contexts: [c.context], stems: [c.stem], choices: c.choices)
            XCTAssertEqual(out.scores.count, 1)
            assertSameScalars(out.scores[0].map(\.choice), c.choices, c.context)
            // Softmax of logits that match PyTorch's to ~1e-6; the choices' scores differ by > 1e-3.
            assertClose(out.scores[0].map { Float($0.score) }, c.output.map { Float($0.score) }, atol: 1e-5, label: c.context)
        }
    }

    func testSeveralContextsRunAsOneBatch() throws {
        _ = try Repo.requireMiniLM()
        let pipeline = try MultipleChoice(model: try FillMaskTests.model("multiple-choice"))
        let cases = try MultipleChoiceGolden.load().cases.filter { $0.choices.count == 3 }
        XCTAssertEqual(cases.count, 2)
        let out = try pipeline(contexts: cases.map(\.context), stems: cases.map(\.stem), choices: cases[0].choices)
        let alone = try pipeline(contexts: [cases[1].context], stems: [cases[1].stem], choices: cases[0].choices)
        assertClose(out.scores[0].map { Float($0.score) }, cases[0].output.map { Float($0.score) }, atol: 1e-5, label: "first context")
        assertClose(out.scores[1].map { Float($0.score) }, alone.scores[0].map { Float($0.score) }, atol: 1e-6, label: "second context, batched vs alone")
    }

    func testNoChoicesOrAnotherHeadIsRefused() throws {
        _ = try Repo.requireMiniLM()
        let pipeline = try MultipleChoice(model: try FillMaskTests.model("multiple-choice"))
        XCTAssertThrowsError(try pipeline(contexts: ["A context."], choices: [])) { e in
            XCTAssertEqual(e as? MultipleChoiceError, .noChoices)
        }
        XCTAssertThrowsError(try MultipleChoice(model: try FillMaskTests.model("fill-mask"))) { e in
            XCTAssertEqual(e as? PipelineError, .taskNotSupported(task: "multiple-choice", architecture: "BertForMaskedLM",
                                                                  supportedBy: ["BertForMultipleChoice"]))
        }
    }
}
