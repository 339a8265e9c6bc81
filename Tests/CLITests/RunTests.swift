import Foundation
import TestSupport
import XCTest

final class RunTests: XCTestCase {
    func testClassifierPrintsLabelAndSoftmaxOfTheGoldenLogits() throws {
        let r = try ToolRun.run(["run", Repo.fixture("tiny-cls"), "The team will win today.", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let row = (try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [[String: Any]])[0]
        let golden = try GoldenBytes(path: Repo.expected("tiny-cls.acts.safetensors"))
        let logits = Array(golden.floats("classifier")[0..<5]).map(Double.init)
        let e = logits.map { exp($0 - logits.max()!) }, z = e.reduce(0, +)
        let labels = ["World", "Sports", "Business", "Sci/Tech", "Other"]
        let scores = row["scores"] as! [String: Double]
        for (k, name) in labels.enumerated() {
            // Softmax of logits that match PyTorch to ~1e-6.
            XCTAssertEqual(scores[name]!, e[k] / z, accuracy: 1e-5, name)
        }
        XCTAssertEqual(row["label"] as? String, labels[e.indices.max { e[$0] < e[$1] }!])
        XCTAssertEqual(row["score_kind"] as? String, "softmax")

        let text = try ToolRun.run(["run", Repo.fixture("tiny-cls"), "The team will win today."])
        XCTAssertTrue(text.stdout.contains("→ \(row["label"] as! String)"), text.stdout)
    }

    func testEncoderPrintsThePooledVector() throws {
        let r = try ToolRun.run(["run", try Repo.requireMiniLM(), "Hello, world!", "Go!"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout.components(separatedBy: "pooler output: 384 values").count, 3, r.stdout)
    }

    func testLongTextIsTruncatedWithAWarningOrRefused() throws {
        let long = String(repeating: "the quick brown fox ", count: 40)  // tiny-bert has 64 positions
        let r = try ToolRun.run(["run", Repo.fixture("tiny-bert"), long, "short"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("warning: text 1 has") && r.stderr.contains("truncated to"), r.stderr)
        CLI.assertBadInput(try ToolRun.run(["run", Repo.fixture("tiny-bert"), long, "--no-truncate"]), names: ["text 1", "--no-truncate"])
    }

    /// --truncation-rule reaches the encoder: a pair cut on both sides with odd room (tiny-cls has 64
    /// positions: 61 after [CLS] a [SEP] b [SEP]) gives other inputs, so other scores, under each rule.
    func testTruncationRuleChangesHowALongPairIsCut() throws {
        let a = String(repeating: "the team will win ", count: 10), b = String(repeating: "a quick brown fox ", count: 12)
        func scores(_ extra: [String]) throws -> [String: Double] {
            let r = try ToolRun.run(["run", Repo.fixture("tiny-cls"), a, "--pair", b, "--json"] + extra)
            XCTAssertEqual(r.status, 0, r.stderr)
            return (try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [[String: Any]])[0]["scores"] as! [String: Double]
        }
        let byDefault = try scores([])
        XCTAssertEqual(byDefault, try scores(["--truncation-rule", "rust"]))
        XCTAssertNotEqual(byDefault, try scores(["--truncation-rule", "python"]))
        XCTAssertEqual(try ToolRun.run(["run", Repo.fixture("tiny-cls"), a, "--truncation-rule", "perl"]).status, 64)
    }

    func testMissingModelIsBadInput() throws {
        CLI.assertBadInput(try ToolRun.run(["run", "/nonexistent/model", "hi"]), names: ["/nonexistent/model"])
    }
}

extension RunTests {
    func testMultiLabelClassifierUsesSigmoidPerLabel() throws {
        let dir = try CLI.copy("tiny-cls", to: Repo.temporaryDirectory())
        let config = dir + "/config.json"
        var text = try String(contentsOfFile: config, encoding: .utf8)
        text = text.replacingOccurrences(of: "\"hidden_act\": \"gelu\",", with: "\"hidden_act\": \"gelu\", \"problem_type\": \"multi_label_classification\",")
        try text.write(toFile: config, atomically: true, encoding: .utf8)
        let r = try ToolRun.run(["run", dir, "The team will win today.", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let row = (try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [[String: Any]])[0]
        XCTAssertEqual(row["score_kind"] as? String, "sigmoid")
        let logits = row["logits"] as! [Double], scores = row["scores"] as! [String: Double]
        for (k, name) in ["World", "Sports", "Business", "Sci/Tech", "Other"].enumerated() {
            XCTAssertEqual(scores[name]!, 1 / (1 + exp(-logits[k])), accuracy: 1e-6, name)
        }
    }
}
