import Foundation
import TestSupport
import XCTest

/// `finetune --task` and `--eval-every`, shared by every task.
final class FinetuneTaskTests: XCTestCase {
    func testEvalEveryPrintsEvalPointsAndPlotsThem() throws {
        let dir = Repo.temporaryDirectory()
        let data = Repo.golden("data/text-label.csv")
        let r = try ToolRun.run(["finetune", Repo.fixture("tiny-cls"), "--task", "sequence-classification", "--train", data,
                                 "--labels", "World,Sports,Business,Sci/Tech", "--reset-head", "--lr", "1e-3", "--seed", "1",
                                 "--steps", "5", "--report-every", "5", "--eval", data, "--eval-every", "2",
                                 "--plot", dir + "/p.svg", "-o", dir + "/m.bkm"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let evals = r.stdout.split(separator: "\n").filter { $0.hasPrefix("Eval") }.map(String.init)
        XCTAssertEqual(evals.count, 3, r.stdout)
        XCTAssertTrue(evals[0].hasPrefix("Eval at step 2: accuracy = ") && evals[0].hasSuffix(" on 20 rows of \(data)"), evals[0])
        XCTAssertTrue(evals[1].hasPrefix("Eval at step 4: accuracy = "), evals[1])
        XCTAssertTrue(evals[2].hasPrefix("Eval accuracy = "), "the last step's eval is the final line: \(evals[2])")
        let svg = try String(contentsOfFile: dir + "/p.svg", encoding: .utf8)
        XCTAssertTrue(svg.contains("eval accuracy"), "the eval points are a series of the plot")
        // The final eval line is the evaluation of the saved model.
        let e = try ToolRun.run(["evaluate", dir + "/m.bkm", "--data", data, "--json"])
        let accuracy = try XCTUnwrap(CLI.json(e.stdout)["accuracy"] as? Double)
        XCTAssertTrue(evals[2].hasPrefix("Eval accuracy = \(String(format: "%.4f", accuracy)) "), "\(evals[2]) vs \(accuracy)")
    }

    func testBadTaskAndEvalEveryWithoutEvalAreRefused() throws {
        let data = Repo.golden("data/text-label.csv")
        let r = try ToolRun.run(["finetune", Repo.fixture("tiny-cls"), "--task", "summarization", "--train", data, "-o", "/tmp/never.bkm"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("--task is one of sequence-classification"), r.stderr)
        let e = try ToolRun.run(["finetune", Repo.fixture("tiny-cls"), "--train", data, "--eval-every", "2", "-o", "/tmp/never.bkm"])
        XCTAssertNotEqual(e.status, 0)
        XCTAssertTrue(e.stderr.contains("--eval-every needs --eval"), e.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/tmp/never.bkm"))
    }
}
