import Foundation
import TestSupport
import XCTest

/// `bertkit finetune` and `bertkit evaluate` on tiny-cls and the golden CSVs.
final class FinetuneTests: XCTestCase {
    let labels = "World,Sports,Business,Sci/Tech"

    func finetune(_ extra: [String], out: String, train: String = Repo.golden("data/text-label.csv")) throws -> ToolRun {
        try ToolRun.run(["finetune", Repo.fixture("tiny-cls"), "--train", train, "--labels", labels, "--reset-head",
                         "--lr", "1e-3", "--seed", "1", "-o", out] + extra)
    }

    func testReportsLinesSavesModelAndOptimizerAndResumes() throws {
        let dir = Repo.temporaryDirectory()
        let r = try finetune(["--steps", "6", "--report-every", "3"], out: dir + "/m.bkm")
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n").filter { $0.contains("Loss = ") }
        XCTAssertEqual(lines.count, 2, r.stdout)
        XCTAssertTrue(lines[0].hasPrefix("Step 3: Loss = ") && lines[0].contains(", Accuracy = "), String(lines[0]))
        XCTAssertTrue(r.stderr.contains("newly initialized: [\"classifier.bias\", \"classifier.weight\"]"), r.stderr)
        XCTAssertEqual(CLI.listing(dir), ["m.bkm", "m.bkm.optim.safetensors"])
        // Six steps in one go equal three, then three more resumed from the saved state.
        _ = try finetune(["--steps", "3", "--report-every", "3"], out: dir + "/a.bkm")
        let resumed = try ToolRun.run(["finetune", dir + "/a.bkm", "--train", Repo.golden("data/text-label.csv"), "--lr", "1e-3",
                                       "--seed", "1", "--steps", "6", "--report-every", "3", "--resume",
                                       dir + "/a.bkm.optim.safetensors", "-o", dir + "/b.bkm"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        let second = resumed.stdout.split(separator: "\n").filter { $0.contains("Loss = ") }
        XCTAssertEqual(second.map(String.init), [String(lines[1])], "resumed run continues the same data order and state")
        let direct = try ToolRun.run(["evaluate", dir + "/m.bkm", "--data", Repo.golden("data/text-label.csv"), "--json"])
        let viaResume = try ToolRun.run(["evaluate", dir + "/b.bkm", "--data", Repo.golden("data/text-label.csv"), "--json"])
        XCTAssertEqual(direct.status, 0, direct.stderr)
        XCTAssertEqual(direct.stdout, viaResume.stdout)
        let o = CLI.json(direct.stdout)
        XCTAssertEqual(o["count"] as? Int, 20)
        XCTAssertEqual((o["confusion"] as? [[Int]])?.count, 4)
    }

    func testRefusesAnotherLabelCountWithoutResetHead() throws {
        let dir = Repo.temporaryDirectory()
        let r = try ToolRun.run(["finetune", Repo.fixture("tiny-cls"), "--train", Repo.golden("data/text-label.csv"),
                                 "--labels", labels, "--steps", "1", "-o", dir + "/m.bkm"])
        CLI.assertBadInput(r, names: ["5 labels", "4 were requested", "--reset-head"])
        XCTAssertEqual(CLI.listing(dir), [])
    }

    func testBadRowsNameTheLineAndWriteNothing() throws {
        let cases = [("unterminated-quote", "3"), ("unknown-label", "2"), ("empty-text", "4"), ("one-column", "2")]
        for (name, line) in cases {
            let dir = Repo.temporaryDirectory(name)
            let csv = Repo.golden("data/bad/\(name).csv")
            let r = try finetune(["--steps", "1"], out: dir + "/m.bkm", train: csv)
            CLI.assertBadInput(r, names: ["\(name).csv:\(line)"])
            XCTAssertEqual(CLI.listing(dir), [], name)
        }
        // --skip-bad-rows trains on the rest.
        let dir = Repo.temporaryDirectory("skip")
        let r = try finetune(["--steps", "1", "--skip-bad-rows"], out: dir + "/m.bkm", train: Repo.golden("data/bad/empty-text.csv"))
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("skipped"), r.stderr)
    }

    func testEvalCSVWithALabelTrainingLacksNamesTheEvalFileAndLine() throws {
        let dir = Repo.temporaryDirectory()
        let eval = Repo.temporaryDirectory("eval-csv") + "/eval.csv"
        try Data("text,label\nthe team won the game,Sports\nrain and wind today,Weather\n".utf8).write(to: URL(fileURLWithPath: eval))
        let r = try finetune(["--steps", "1", "--eval", eval], out: dir + "/m.bkm")
        CLI.assertBadInput(r, names: ["eval.csv:3:", "unknown label \"Weather\""])
        XCTAssertEqual(CLI.listing(dir), [], "the eval CSV is read before training")
    }

    func testNumLabelsWithAGNewsNumbersNamesLabelsInOrder() throws {
        let dir = Repo.temporaryDirectory()
        let r = try ToolRun.run(["finetune", Repo.fixture("tiny-cls"), "--train", Repo.golden("data/agnews-mini/test.csv"),
                                 "--num-labels", "4", "--reset-head", "--steps", "2", "-o", dir + "/m"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let config = CLI.json(try String(contentsOfFile: dir + "/m/config.json", encoding: .utf8))
        XCTAssertEqual(config["id2label"] as? [String: String], ["0": "LABEL_0", "1": "LABEL_1", "2": "LABEL_2", "3": "LABEL_3"])
        XCTAssertEqual(config["problem_type"] as? String, "single_label_classification")
        // Classes 1…4 of the file are LABEL_0…LABEL_3: every row is read, none skipped.
        let e = try ToolRun.run(["evaluate", dir + "/m", "--data", Repo.golden("data/agnews-mini/test.csv"), "--json"])
        XCTAssertEqual(CLI.json(e.stdout)["count"] as? Int, 120, e.stderr)
    }

    func testPlotHasOnePointPerReport() throws {
        let dir = Repo.temporaryDirectory()
        let r = try finetune(["--steps", "8", "--report-every", "2", "--plot", dir + "/curve.svg"], out: dir + "/m.bkm")
        XCTAssertEqual(r.status, 0, r.stderr)
        let svg = try String(contentsOfFile: dir + "/curve.svg", encoding: .utf8)
        let root = try XMLNode.parse(svg)
        XCTAssertEqual(root.name, "svg")
        // Each report is a point titled "<series> @ <step>: <value>" (4 significant digits).
        let points = root.all("title").map(\.text).filter { $0.contains(" @ ") }
        let reports = r.stdout.split(separator: "\n").filter { $0.contains("Loss = ") }
        XCTAssertEqual(reports.count, 4)
        for line in reports {
            // "Step 2: Loss = 1.4860, Accuracy = 0.2500"
            let parts = line.split(whereSeparator: { " :,=".contains($0) }).map(String.init)
            let step = parts[1], loss = Double(parts[3])!, acc = Double(parts[5])!
            for (name, want) in [("loss", loss), ("accuracy", acc)] {
                guard let p = points.first(where: { $0.hasPrefix("\(name) @ \(step): ") }),
                      let got = Double(p.split(separator: " ").last!) else { XCTFail("no \(name) point at step \(step): \(points)"); continue }
                // 4 significant digits in the SVG vs 4 decimals on stdout.
                XCTAssertEqual(got, want, accuracy: 1e-3 * max(1, abs(want)), "\(name) at step \(step)")
            }
        }
        XCTAssertEqual(root.all("polyline").count, 2, "one line per series")
    }

    func testEvaluatePrintsPerClassTable() throws {
        let r = try ToolRun.run(["evaluate", Repo.fixture("tiny-cls"), "--data", Repo.golden("data/text-label.csv")])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.hasPrefix("accuracy "), r.stdout)
        XCTAssertTrue(r.stdout.contains("precision") && r.stdout.contains("confusion"), r.stdout)
    }

    func testNaNLossStopsNamingTheStepAndKeepsTheLastGoodCheckpoint() throws {
        let dir = Repo.temporaryDirectory()
        // Adam moves every weight by about lr per step: 1e30 overflows the logits at once.
        let r = try finetune(["--steps", "5", "--report-every", "1", "--lr", "1e30"], out: dir + "/m.bkm")
        CLI.assertBadInput(r, names: ["NaN or infinite at step 2", "last good checkpoint"])
        XCTAssertEqual(CLI.listing(dir), ["m.bkm", "m.bkm.optim.safetensors"])
        let e = try ToolRun.run(["evaluate", dir + "/m.bkm", "--data", Repo.golden("data/text-label.csv"), "--json"])
        XCTAssertEqual(e.status, 0, e.stderr)
    }
}
