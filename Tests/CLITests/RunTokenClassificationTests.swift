import Foundation
import TestSupport
import XCTest

/// `bertkit run` on golden/fixtures/tiny-tokcls against transformers' token-classification pipeline
/// (golden/generate_token_classification.py).
final class RunTokenClassificationTests: XCTestCase {
    let model = Repo.fixture("tiny-tokcls")
    // Probabilities from logits that match PyTorch's to ~3e-7 on this model; the issue asks for 1e-5.
    let tolerance = 1e-5

    func entities(_ r: ToolRun, file: StaticString = #filePath, line: UInt = #line) -> [[[String: Any]]] {
        XCTAssertEqual(r.status, 0, r.stderr, file: file, line: line)
        guard let a = try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[[String: Any]]] else {
            XCTFail("not a JSON array of lists of objects: \(r.stdout.prefix(300))", file: file, line: line)
            return []
        }
        return a
    }

    func assertCase(_ c: TokenClassificationGolden.Case, _ extra: [String] = [], file: StaticString = #filePath, line: UInt = #line) throws {
        let r = try ToolRun.run(["run", model] + c.inputs + ["--json"] + extra)
        let got = entities(r, file: file, line: line)
        XCTAssertEqual(got.count, c.inputs.count, "one element per text", file: file, line: line)
        for (i, (a, e)) in zip(got, c.outputs).enumerated() {
            assertEntities(a, e, scoreTolerance: tolerance, label: "\(c.name), text \(i + 1)", file: file, line: line)
        }
    }

    /// Before the encoder/head split, a BertForTokenClassification checkpoint loaded without error
    /// and `run` printed a label and near-uniform probabilities from a classifier on a pooler the
    /// checkpoint does not have. Now it prints the pipeline's per-token entities.
    func testATokenClassifierPrintsThePipelinesEntitiesPerToken() throws {
        let golden = try TokenClassificationGolden.load()
        let c = golden.cases(model: "tiny-tokcls").first { $0.aggregation == "none" && $0.ignoreLabels == nil }!
        XCTAssertGreaterThan(c.outputs.map(\.count).reduce(0, +), 20)
        try assertCase(c)
    }

    func testEveryAggregationAndIgnoreLabelsMatchThePipeline() throws {
        let golden = try TokenClassificationGolden.load()
        let cases = golden.cases(model: "tiny-tokcls").filter { $0.inputs.count > 1 }
        XCTAssertEqual(cases.count, 7)
        for c in cases {
            var extra = ["--aggregation", c.aggregation]
            if let ignore = c.ignoreLabels { extra += ["--ignore-labels", ignore.joined(separator: ",")] }
            try assertCase(c, extra)
        }
    }

    func testALongTextIsTruncatedWithAWarningLikeThePipelineOrRefused() throws {
        let golden = try TokenClassificationGolden.load()
        let c = golden.cases(model: "tiny-tokcls").first { $0.inputs.count == 1 }!
        let r = try ToolRun.run(["run", model, c.inputs[0], "--json", "--aggregation", "simple"])
        XCTAssertTrue(r.stderr.contains("warning: text 1 has") && r.stderr.contains("truncated to 64"), r.stderr)
        assertEntities(entities(r)[0], c.outputs[0], scoreTolerance: tolerance, label: "long text")
        let refused = try ToolRun.run(["run", model, c.inputs[0], "--no-truncate"])
        CLI.assertBadInput(refused, names: ["text 1", "--no-truncate"])
        XCTAssertEqual(refused.stdout, "")
    }

    func testTheSummaryShowsEachEntity() throws {
        let r = try ToolRun.run(["run", model, "hello world, the cat sat on the mat!", "", "--aggregation", "first"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let golden = try TokenClassificationGolden.load()
        let c = golden.cases(model: "tiny-tokcls").first { $0.aggregation == "first" && $0.ignoreLabels == nil }!
        let first = c.outputs[1][0]
        let line = "  \(first["entity_group"] as! String)"
        XCTAssertTrue(r.stdout.hasPrefix("text 1: \"hello world, the cat sat on the mat!\"\n"), r.stdout)
        XCTAssertTrue(r.stdout.contains(line) && r.stdout.contains("\"\(first["word"] as! String)\"  [\(first["start"]!), \(first["end"]!))"),
                      r.stdout)
        XCTAssertTrue(r.stdout.hasSuffix("text 2: \"\"\n  (no entities)\n"), r.stdout)
    }

    func testBadOptionsAreBadInput() throws {
        let pair = try ToolRun.run(["run", model, "hello", "--pair", "world"])
        CLI.assertBadInput(pair, names: ["--pair", "token-classification"])
        XCTAssertEqual(pair.stdout, "")
        let label = try ToolRun.run(["run", model, "hello", "--ignore-labels", "O,PERSON"])
        CLI.assertBadInput(label, names: ["--ignore-labels", "\"PERSON\"", "B-PER"])
        XCTAssertEqual(label.stdout, "")
        let task = try ToolRun.run(["run", Repo.fixture("tiny-cls"), "hello", "--aggregation", "simple"])
        CLI.assertBadInput(task, names: ["--aggregation", "text-classification"])
        XCTAssertEqual(try ToolRun.run(["run", model, "hello", "--aggregation", "mean"]).status, 64)
    }
}
