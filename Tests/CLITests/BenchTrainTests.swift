import TestSupport
import XCTest

/// `bench --train --task`: a step of the model's own head on synthetic targets.
final class BenchTrainTests: XCTestCase {
    func testTaskTimesTheModelsOwnHead() throws {
        for (fixture, task) in [("masked-lm", "masked-lm"), ("question-answering", "question-answering"),
                                ("multiple-choice", "multiple-choice")] {
            let r = try ToolRun.run(["bench", Repo.fixture("train-heads/\(fixture)"), "--train", "--task", task, "--batch", "2",
                                     "--seq", "8", "--warmup", "0", "--runs", "1", "--json"])
            XCTAssertEqual(r.status, 0, r.stderr)
            let json = CLI.json(r.stdout)
            XCTAssertEqual(json["task"] as? String, task)
            XCTAssertGreaterThan(json["medianMs"] as? Double ?? 0, 0)
        }
    }

    func testTaskOfAnotherHeadOrWithoutTrainIsRefused() throws {
        let other = try ToolRun.run(["bench", Repo.fixture("tiny-cls"), "--train", "--task", "masked-lm", "--runs", "1"])
        XCTAssertNotEqual(other.status, 0)
        XCTAssertTrue(other.stderr.contains("BertForSequenceClassification"), other.stderr)
        let untrained = try ToolRun.run(["bench", Repo.fixture("tiny-cls"), "--task", "masked-lm"])
        XCTAssertNotEqual(untrained.status, 0)
        XCTAssertTrue(untrained.stderr.contains("--task needs --train"), untrained.stderr)
        let unknown = try ToolRun.run(["bench", Repo.fixture("tiny-cls"), "--train", "--task", "none"])
        XCTAssertNotEqual(unknown.status, 0)
        XCTAssertTrue(unknown.stderr.contains("token-classification"), unknown.stderr)
    }
}
