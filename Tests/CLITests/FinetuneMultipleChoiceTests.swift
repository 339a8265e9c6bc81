import Foundation
import TestSupport
import XCTest

/// `bertkit finetune|evaluate|validate --task multiple-choice` on the tiny multiple-choice fixture.
final class FinetuneMultipleChoiceTests: XCTestCase {
    let tiny = Repo.fixture("heads/multiple-choice/safetensors")
    let train = Repo.golden("data/multiple-choice/train.csv"), test = Repo.golden("data/multiple-choice/test.csv")

    func testTrainsReportsAccuracyAndEvaluates() throws {
        let dir = Repo.temporaryDirectory()
        let r = try ToolRun.run(["finetune", tiny, "--train", train, "--eval", test, "--lr", "1e-3", "--batch-size", "4", "--steps", "10",
                                 "--report-every", "5", "--no-dropout", "--max-length", "48", "-o", dir + "/m.bkm"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n").filter { $0.contains("Loss = ") }.map(String.init)
        XCTAssertEqual(lines.count, 2, r.stdout)
        XCTAssertTrue(lines[0].hasPrefix("Step 5: Loss = ") && lines[0].contains(", Accuracy = "), lines[0])
        XCTAssertTrue(r.stdout.contains("Eval accuracy = ") && r.stdout.contains("on 4 examples of"), r.stdout)
        let e = try ToolRun.run(["evaluate", dir + "/m.bkm", "--task", "multiple-choice", "--data", test, "--max-length", "48", "--json"])
        XCTAssertEqual(e.status, 0, e.stderr)
        let o = CLI.json(e.stdout)
        XCTAssertEqual(o["examples"] as? Int, 4)
        XCTAssertEqual(o["choices"] as? Int, 4)
        XCTAssertEqual((o["predictions"] as? [Int])?.count, 4)
        // The untrained fixture gets 2 of the 4 test examples at validate's 128 tokens.
        let v = try ToolRun.run(["validate", tiny, "--data", test, "--min-accuracy", "0.75"])
        XCTAssertEqual(v.status, 1, v.stdout + v.stderr)
        XCTAssertTrue(v.stdout.contains("FAIL") && v.stdout.contains("accuracy 0.5 < 0.75"), v.stdout)
        let ok = try ToolRun.run(["validate", tiny, "--data", test, "--min-accuracy", "0.5"])
        XCTAssertEqual(ok.status, 0, ok.stdout + ok.stderr)
        XCTAssertTrue(ok.stdout.contains("PASS") && ok.stdout.contains("accuracy 0.5 ≥ 0.5"), ok.stdout)
    }

    func testALabelOutOfRangeStopsWithFileAndLine() throws {
        let dir = Repo.temporaryDirectory()
        let bad = dir + "/swag.csv"
        FileManager.default.createFile(atPath: bad, contents: Data("sent1,sent2,ending0,ending1,label\nA cat.,It,sat,ran,0\nA dog.,It,sat,ran,2\n".utf8))
        for args in [["finetune", tiny, "--train", bad, "--steps", "1", "-o", dir + "/m.bkm"], ["evaluate", tiny, "--data", bad],
                     ["validate", tiny, "--data", bad, "--min-accuracy", "0.5"]] {
            let r = try ToolRun.run(args)
            CLI.assertBadInput(r, names: ["swag.csv:3: the label 2 is out of range: there are 2 endings (0...1)"])
        }
        XCTAssertEqual(CLI.listing(dir), ["swag.csv"])
    }
}
