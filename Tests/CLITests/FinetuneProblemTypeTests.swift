import Foundation
import TestSupport
import XCTest

/// `bertkit finetune` and `evaluate` for transformers' regression and multi_label_classification
/// problem types, on the tiny fixtures and golden/data/problems.
final class FinetuneProblemTypeTests: XCTestCase {
    func data(_ name: String) -> String { Repo.golden("data/problems/\(name).csv") }

    /// The numbers of the `Step N: Loss = …, NAME = …` lines.
    func reports(_ r: ToolRun, metric: String, file: StaticString = #filePath, line: UInt = #line) -> [(loss: Double, metric: Double)] {
        let lines = r.stdout.split(separator: "\n").filter { $0.contains("Loss = ") }
        return lines.compactMap { l in
            let parts = l.split(whereSeparator: { " :,=".contains($0) }).map(String.init)
            guard parts.count == 6, parts[4] == metric, let loss = Double(parts[3]), let m = Double(parts[5]) else {
                XCTFail("not a \(metric) report line: \(l)", file: file, line: line)
                return nil
            }
            return (loss, m)
        }
    }

    func config(_ folder: String) -> [String: Any] {
        CLI.json((try? String(contentsOfFile: folder + "/config.json", encoding: .utf8)) ?? "")
    }

    func testMultiLabelTrainsAndTheSavedModelEvaluates() throws {
        let dir = Repo.temporaryDirectory()
        let r = try ToolRun.run(["finetune", Repo.fixture("tiny-bert"), "--train", data("topics"), "--problem-type",
                                 "multi_label_classification", "--labels", "sport,money,tech", "--lr", "1e-2", "--seed", "3",
                                 "--steps", "20", "--report-every", "5", "-o", dir + "/topics"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let rep = reports(r, metric: "Accuracy")
        XCTAssertEqual(rep.count, 4, r.stdout)
        XCTAssertLessThan(rep.last!.loss, rep.first!.loss, "the loss falls: \(r.stdout)")
        XCTAssertTrue(rep.allSatisfy { (0...1).contains($0.metric) }, r.stdout)
        XCTAssertEqual(config(dir + "/topics")["problem_type"] as? String, "multi_label_classification")
        XCTAssertEqual(config(dir + "/topics")["id2label"] as? [String: String], ["0": "sport", "1": "money", "2": "tech"])
        // No --problem-type: evaluate takes it from the saved config.
        let e = try ToolRun.run(["evaluate", dir + "/topics", "--data", data("topics"), "--json"])
        XCTAssertEqual(e.status, 0, e.stderr)
        let o = CLI.json(e.stdout)
        XCTAssertEqual(o["problemType"] as? String, "multi_label_classification")
        XCTAssertEqual(o["count"] as? Int, 20)
        XCTAssertEqual(o["threshold"] as? Double, 0.5)
        for k in ["subsetAccuracy", "labelAccuracy", "microPrecision", "microRecall", "microF1", "macroF1", "loss"] {
            XCTAssertNotNil(o[k] as? Double, "\(k) in \(e.stdout)")
        }
        let perLabel = o["perLabel"] as? [[String: Any]] ?? []
        XCTAssertEqual(perLabel.map { $0["label"] as? String }, ["sport", "money", "tech"])
        // topics.csv: sport on 6 rows, money on 7, tech on 7.
        XCTAssertEqual(perLabel.map { $0["support"] as? Int }, [6, 7, 7])
        // The evaluation's BCE is the loss after training, below the first report's.
        XCTAssertLessThan(o["loss"] as? Double ?? .infinity, rep.first!.loss)
        let table = try ToolRun.run(["evaluate", dir + "/topics", "--data", data("topics"), "--threshold", "0.9"])
        XCTAssertTrue(table.stdout.hasPrefix("subset accuracy ") && table.stdout.contains("at threshold 0.9"), table.stdout)
    }

    func testRegressionTrainsAndTheSavedModelEvaluates() throws {
        let dir = Repo.temporaryDirectory()
        let r = try ToolRun.run(["finetune", Repo.fixture("tiny-bert"), "--train", data("sentiment"), "--problem-type", "regression",
                                 "--lr", "1e-2", "--seed", "3", "--steps", "30", "--report-every", "10",
                                 "--eval", data("sentiment"), "-o", dir + "/s.bkm"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let rep = reports(r, metric: "MAE")
        XCTAssertEqual(rep.count, 3, r.stdout)
        XCTAssertLessThan(rep.last!.loss, rep.first!.loss, "the loss falls: \(r.stdout)")
        XCTAssertTrue(r.stdout.contains("Eval MSE = "), r.stdout)
        // The .bkm keeps problem_type and the one target the CSV's first row has.
        let i = CLI.json(try ToolRun.run(["inspect", dir + "/s.bkm", "--json"]).stdout)
        let cfg = (i["config"] as? [String: Any]) ?? i
        XCTAssertEqual(cfg["problem_type"] as? String, "regression", "\(i)")
        let e = try ToolRun.run(["evaluate", dir + "/s.bkm", "--data", data("sentiment"), "--json"])
        XCTAssertEqual(e.status, 0, e.stderr)
        let o = CLI.json(e.stdout)
        XCTAssertEqual(o["problemType"] as? String, "regression")
        XCTAssertEqual(o["labels"] as? [String], ["LABEL_0"])
        XCTAssertEqual(o["count"] as? Int, 24)
        let mse = o["mse"] as? Double ?? .nan, mae = o["mae"] as? Double ?? .nan
        XCTAssertLessThan(mse, rep.first!.loss, "MSE after training is below the first report's loss")
        XCTAssertLessThanOrEqual(mae * mae, mse + 1e-12, "MAE² ≤ MSE (Jensen)")
        XCTAssertGreaterThan(o["pearson"] as? Double ?? -1, 0.5, "the scores correlate with the targets after training")
        XCTAssertNotNil(o["spearman"] as? Double)
    }

    /// The first step's loss on 4 rows (one batch, file order) equals transformers'
    /// BertForSequenceClassification loss on the same CSV (golden/generate_problem_types.py, dropout 0).
    func testFirstStepLossEqualsPyTorch() throws {
        let golden = CLI.json(try String(contentsOfFile: Repo.expected("train/problem-types.json"), encoding: .utf8))
        for (key, problem, metric) in [("regression", "regression", "MAE"), ("multilabel", "multi_label_classification", "Accuracy")] {
            let g = golden[key] as? [String: Any] ?? [:]
            let want = g["loss"] as? Double ?? .nan
            let dir = Repo.temporaryDirectory(key)
            let r = try ToolRun.run(["finetune", Repo.fixture("tiny-cls"), "--train", Repo.root + "/" + (g["file"] as? String ?? ""),
                                     "--problem-type", problem, "--steps", "1", "--report-every", "1", "--batch-size", "4",
                                     "--no-shuffle", "--no-dropout", "-o", dir + "/m.bkm"])
            XCTAssertEqual(r.status, 0, r.stderr)
            let got = reports(r, metric: metric).first?.loss ?? .nan
            // Printed with 4 decimals (±5e-5); the f32 forward adds ~1e-6 relative.
            XCTAssertEqual(got, want, accuracy: 5e-5 + 1e-5 * want, "\(key) first-step loss: \(r.stdout)")
        }
    }

    func testBadLabelsNameFileAndLineAndWriteNothing() throws {
        let cases: [(csv: String, args: [String], line: Int, names: [String])] = [
            ("bad-regression", ["--problem-type", "regression"], 3, ["minus one", "expected a number"]),
            ("bad-multilabel", ["--problem-type", "multi_label_classification", "--labels", "sport,money,tech"], 4,
             ["unknown label \"weather\""]),
        ]
        for c in cases {
            let dir = Repo.temporaryDirectory(c.csv)
            let r = try ToolRun.run(["finetune", Repo.fixture("tiny-bert"), "--train", data(c.csv), "--steps", "1", "-o", dir + "/m.bkm"]
                                    + c.args)
            CLI.assertBadInput(r, names: ["\(c.csv).csv:\(c.line):"] + c.names)
            XCTAssertEqual(r.stdout, "", c.csv)
            XCTAssertEqual(CLI.listing(dir), [], c.csv)
            // --skip-bad-rows trains on the others and says which line it skipped.
            let s = try ToolRun.run(["finetune", Repo.fixture("tiny-bert"), "--train", data(c.csv), "--steps", "1", "--skip-bad-rows",
                                     "-o", dir + "/m.bkm"] + c.args)
            XCTAssertEqual(s.status, 0, s.stderr)
            XCTAssertTrue(s.stderr.contains("skipped \(data(c.csv)) line \(c.line): "), s.stderr)
            XCTAssertEqual(s.stderr.components(separatedBy: "skipped ").count - 1, 1, "one skipped row: \(s.stderr)")
            // evaluate applies the same rules.
            let e = try ToolRun.run(["evaluate", dir + "/m.bkm", "--data", data(c.csv)])
            CLI.assertBadInput(e, names: ["\(c.csv).csv:\(c.line):"])
        }
    }

    func testProblemTypeIsCheckedAndSingleLabelNeedsTwoLabels() throws {
        let dir = Repo.temporaryDirectory()
        let r = try ToolRun.run(["finetune", Repo.fixture("tiny-bert"), "--train", data("sentiment"), "--problem-type", "ranking",
                                 "-o", dir + "/m.bkm"])
        XCTAssertEqual(r.status, 64, r.stderr)
        XCTAssertTrue(r.stderr.contains("found \"ranking\""), r.stderr)
        let one = try ToolRun.run(["finetune", Repo.fixture("tiny-bert"), "--train", data("sentiment"), "--num-labels", "1",
                                   "--steps", "1", "-o", dir + "/m.bkm"])
        CLI.assertBadInput(one, names: ["needs at least 2 labels", "--problem-type regression"])
        // Regression and multi-label read only the text,label layout.
        let ag = try ToolRun.run(["finetune", Repo.fixture("tiny-bert"), "--train", Repo.golden("data/agnews-mini/test.csv"),
                                  "--problem-type", "regression", "--num-labels", "1", "--steps", "1", "-o", dir + "/m.bkm"])
        CLI.assertBadInput(ag, names: ["test.csv:1:", "expected a header naming text and label"])
        XCTAssertEqual(CLI.listing(dir), [])
    }
}
