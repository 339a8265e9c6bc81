import Foundation
import TestSupport
import XCTest

/// `bertkit validate --data` on models fine-tuned for transformers' multi_label_classification and
/// regression problem types: the Quality check follows the config's problem_type and reports the
/// figures `bertkit evaluate` computes.
final class ValidateProblemTypeTests: XCTestCase {
    func data(_ name: String) -> String { Repo.golden("data/problems/\(name).csv") }

    /// Models fine-tuned once for every test (tiny-bert, no dropout, a few steps: seconds).
    nonisolated(unsafe) static var models: [String: String] = [:]

    func model(_ problem: String) throws -> String {
        if let m = Self.models[problem] { return m }
        let dir = Repo.temporaryDirectory(problem)
        let args = problem == "regression"
            ? ["--train", data("sentiment"), "--problem-type", "regression", "-o", dir + "/sentiment.bkm"]
            : ["--train", data("topics"), "--problem-type", "multi_label_classification", "--labels", "sport,money,tech",
               "-o", dir + "/topics"]
        let r = try ToolRun.run(["finetune", Repo.fixture("tiny-bert"), "--lr", "1e-2", "--seed", "3", "--steps", "10",
                                 "--no-dropout"] + args)
        XCTAssertEqual(r.status, 0, r.stderr)
        Self.models[problem] = args.last!
        return args.last!
    }

    /// The Quality check of a `validate --json` run, and its exit status.
    func quality(_ args: [String], file: StaticString = #filePath, line: UInt = #line) throws -> (status: Int32, check: [String: Any]) {
        let r = try ToolRun.run(["validate"] + args + ["--json"])
        let checks = CLI.json(r.stdout, file: file, line: line)["checks"] as? [[String: Any]] ?? []
        let q = checks.filter { $0["family"] as? String == "Quality" }
        XCTAssertEqual(q.count, 1, "one Quality check: \(r.stdout) \(r.stderr)", file: file, line: line)
        return (r.status, q.first ?? [:])
    }

    func figures(_ check: [String: Any]) -> [String: Double] {
        (check["figures"] as? [String: Any] ?? [:]).compactMapValues { ($0 as? NSNumber)?.doubleValue }
    }

    func evaluate(_ model: String, _ csv: String) throws -> [String: Any] {
        let e = try ToolRun.run(["evaluate", model, "--data", csv, "--json"])
        XCTAssertEqual(e.status, 0, e.stderr)
        return CLI.json(e.stdout)
    }

    func testMultiLabelGatesPerLabelAccuracyAndMicroF1() throws {
        let m = try model("multilabel")
        let (status, q) = try quality([m, "--data", data("topics")])
        XCTAssertEqual(status, 0, "\(q)")
        XCTAssertEqual(q["status"] as? String, "WARN", "no bound: the figures only")
        XCTAssertEqual(q["name"] as? String, "multi-label scores")
        // The same logits and metric code as evaluate (batch 32, 128 tokens); 1e-12 relative only
        // because Foundation's JSON parser can lose the last bit of a 17-digit double.
        let e = try evaluate(m, data("topics"))
        let f = figures(q)
        for (mine, theirs) in [("label_accuracy", "labelAccuracy"), ("micro_f1", "microF1"), ("subset_accuracy", "subsetAccuracy"),
                               ("macro_f1", "macroF1"), ("loss", "loss")] {
            let want = (e[theirs] as? NSNumber)?.doubleValue ?? .nan
            XCTAssertEqual(f[mine] ?? .nan, want, accuracy: 1e-12 * abs(want), "\(mine) = evaluate's \(theirs): \(f) \(e)")
        }
        XCTAssertEqual(f["threshold"], 0.5)
        XCTAssertEqual(f["examples"], 20)
        let accuracy = try XCTUnwrap(f["label_accuracy"]), f1 = try XCTUnwrap(f["micro_f1"])
        XCTAssertLessThan(accuracy, 1, "10 steps leave some label wrong, so a bound above it can fail")
        // A hair (1e-9) either side of the measured figures: below passes, above fails.
        let loose = try quality([m, "--data", data("topics"), "--min-accuracy", "\(max(0, accuracy - 1e-9))", "--min-f1", "\(max(0, f1 - 1e-9))"])
        XCTAssertEqual(loose.status, 0, "\(loose.check)")
        XCTAssertEqual(loose.check["status"] as? String, "PASS")
        let tight = try quality([m, "--data", data("topics"), "--min-accuracy", "\(accuracy + 1e-9)", "--min-f1", "0"])
        XCTAssertEqual(tight.status, 1, "\(tight.check)")
        XCTAssertEqual(tight.check["status"] as? String, "FAIL")
        XCTAssertTrue((tight.check["reason"] as? String ?? "").hasPrefix("label accuracy "), "\(tight.check)")
        if f1 < 1 {
            let noF1 = try quality([m, "--data", data("topics"), "--min-f1", "\(f1 + 1e-9)"])
            XCTAssertEqual(noF1.status, 1, "\(noF1.check)")
            XCTAssertTrue((noF1.check["reason"] as? String ?? "").hasPrefix("micro F1 "), "\(noF1.check)")
        }
        // The text report names the figures and prints the per-label table.
        let text = try ToolRun.run(["validate", m, "--data", data("topics"), "--min-accuracy", "0"])
        XCTAssertEqual(text.status, 0, text.stdout + text.stderr)
        XCTAssertTrue(text.stdout.contains("PASS  Quality   multi-label scores: label accuracy "), text.stdout)
        XCTAssertTrue(text.stdout.contains("exact match ") && text.stdout.contains("micro F1 "), text.stdout)
        XCTAssertTrue(text.stdout.contains("\nsport   "), text.stdout)
    }

    func testRegressionGatesMSE() throws {
        let m = try model("regression")
        let (status, q) = try quality([m, "--data", data("sentiment")])
        XCTAssertEqual(status, 0, "\(q)")
        XCTAssertEqual(q["status"] as? String, "WARN", "no --max-mse: the figures only")
        XCTAssertEqual(q["name"] as? String, "regression error")
        XCTAssertTrue((q["reason"] as? String ?? "").contains("(no --max-mse given)"), "\(q)")
        let e = try evaluate(m, data("sentiment"))
        let f = figures(q)
        for k in ["mse", "mae", "pearson", "spearman"] {
            // As above: the same code, 1e-12 for the JSON parser's last bit.
            let want = (e[k] as? NSNumber)?.doubleValue ?? .nan
            XCTAssertEqual(f[k] ?? .nan, want, accuracy: 1e-12 * abs(want), "\(k) = evaluate's: \(f) \(e)")
        }
        XCTAssertEqual(f["examples"], 24)
        let mse = try XCTUnwrap(f["mse"])
        let loose = try quality([m, "--data", data("sentiment"), "--max-mse", "\(mse * (1 + 1e-9))"])
        XCTAssertEqual(loose.status, 0, "\(loose.check)")
        XCTAssertEqual(loose.check["status"] as? String, "PASS")
        let tight = try quality([m, "--data", data("sentiment"), "--max-mse", "\(mse * (1 - 1e-9))"])
        XCTAssertEqual(tight.status, 1, "\(tight.check)")
        XCTAssertEqual(tight.check["status"] as? String, "FAIL")
        XCTAssertTrue((tight.check["reason"] as? String ?? "").hasPrefix("MSE "), "\(tight.check)")
        let text = try ToolRun.run(["validate", m, "--data", data("sentiment"), "--max-mse", "1e6"])
        XCTAssertEqual(text.status, 0, text.stdout + text.stderr)
        XCTAssertTrue(text.stdout.contains("PASS  Quality   regression error: MSE "), text.stdout)
        XCTAssertTrue(text.stdout.contains("MAE ") && text.stdout.contains("Pearson r "), text.stdout)
    }

    func testBadRowsAndMisplacedBoundsAreBadInput() throws {
        let cases: [(model: String, csv: String, line: Int, names: [String])] = [
            ("regression", "bad-regression", 3, ["minus one", "expected a number"]),
            ("multilabel", "bad-multilabel", 4, ["unknown label \"weather\""]),
        ]
        for c in cases {
            let r = try ToolRun.run(["validate", try model(c.model), "--data", data(c.csv)])
            CLI.assertBadInput(r, names: ["\(c.csv).csv:\(c.line):"] + c.names)
            XCTAssertEqual(r.stdout, "", c.csv)
        }
        // A single-label model's bad row is bad input too, as in evaluate.
        let csv = Repo.temporaryDirectory("bad-single") + "/bad.csv"
        try "text,label\nthe market rose,Business\nthe team won,Weather\n".write(toFile: csv, atomically: true, encoding: .utf8)
        let single = try ToolRun.run(["validate", Repo.fixture("tiny-cls"), "--data", csv, "--min-accuracy", "0"])
        CLI.assertBadInput(single, names: ["bad.csv:3:", "unknown label"])
        let mse = try ToolRun.run(["validate", try model("multilabel"), "--data", data("topics"), "--max-mse", "1"])
        CLI.assertBadInput(mse, names: ["--max-mse does not apply", "multi_label_classification", "HINT: use --min-accuracy"])
        let acc = try ToolRun.run(["validate", try model("regression"), "--data", data("sentiment"), "--min-accuracy", "0.5"])
        CLI.assertBadInput(acc, names: ["--min-accuracy does not apply", "problem_type regression", "HINT: use --max-mse"])
        let f1 = try ToolRun.run(["validate", Repo.fixture("tiny-cls"), "--data", Repo.golden("data/agnews-mini/test.csv"), "--min-f1", "0.5"])
        CLI.assertBadInput(f1, names: ["--min-f1 does not apply", "single_label_classification"])
        let noData = try ToolRun.run(["validate", try model("regression"), "--max-mse", "1"])
        XCTAssertEqual(noData.status, 64, noData.stderr)
        XCTAssertTrue(noData.stderr.contains("--max-mse needs --data"), noData.stderr)
    }
}
