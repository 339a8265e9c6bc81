import BertTensors
import Foundation
import TestSupport
import XCTest

/// `finetune`, `evaluate` and `validate` for question answering, on tiny-bert (mechanics only; the
/// learning is BertModelTests.QuestionAnsweringLearnabilityTests).
final class FinetuneQuestionAnsweringTests: XCTestCase {
    static let train = Repo.golden("data/squad-mini/train.json"), dev = Repo.golden("data/squad-mini/dev.jsonl")
    static let windows = ["--max-seq-len", "64", "--doc-stride", "16"]

    func finetune(_ dir: String, _ extra: [String] = []) throws -> ToolRun {
        try ToolRun.run(["finetune", Repo.fixture("tiny-bert"), "--task", "question-answering", "--train", Self.train,
                         "--lr", "1e-3", "--seed", "1", "--steps", "3", "--report-every", "3", "-o", dir + "/qa.bkm"] + Self.windows + extra)
    }

    func testFinetuneEvaluateAndValidate() throws {
        let dir = Repo.temporaryDirectory()
        let r = try finetune(dir, ["--eval", Self.dev])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("newly initialized: [\"qa_outputs.bias\", \"qa_outputs.weight\"]"), r.stderr)
        XCTAssertTrue(r.stdout.contains("Step 3: Loss = ") && r.stdout.contains(", Span accuracy = "), r.stdout)
        let last = try XCTUnwrap(r.stdout.split(separator: "\n").last.map(String.init))
        XCTAssertTrue(last.hasPrefix("Eval exact match = ") && last.hasSuffix(" on 32 questions of \(Self.dev)"), last)
        // The final eval line is `evaluate` of the saved model.
        let e = try ToolRun.run(["evaluate", dir + "/qa.bkm", "--data", Self.dev, "--json", "--predictions", dir + "/p.json"] + Self.windows)
        XCTAssertEqual(e.status, 0, e.stderr)
        let j = CLI.json(e.stdout)
        XCTAssertEqual(Set(j.keys), ["exact_match", "f1", "total", "windows"], "SQuAD v1.1 scoring: no HasAns/NoAns")
        XCTAssertEqual(j["total"] as? Int, 32)
        let f1 = try XCTUnwrap(j["f1"] as? Double)
        XCTAssertTrue(last.contains("F1 = \(String(format: "%.2f", f1))"), "\(last) vs \(f1)")
        let predictions = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/p.json"))) as! [String: String]
        XCTAssertEqual(predictions.count, 32)
        // v2 scoring adds the splits and the best thresholds.
        let v2 = CLI.json(try ToolRun.run(["evaluate", dir + "/qa.bkm", "--data", Self.dev, "--json", "--version-2-with-negative"] + Self.windows).stdout)
        XCTAssertEqual(v2["HasAns_total"] as? Int, 32)
        XCTAssertNil(v2["NoAns_total"])
        XCTAssertNotNil(v2["best_f1_thresh"])
        // validate: the bounds are fractions of the ×100 figures; a bound above the score fails (exit 1).
        let pass = try ToolRun.run(["validate", dir + "/qa.bkm", "--data", Self.dev, "--min-f1", "0"])  // validate windows at 64/21, so its F1 may differ from evaluate's
        XCTAssertTrue(pass.stdout.contains("PASS  Quality   question-answering scores: F1 "), pass.stdout)
        let fail = try ToolRun.run(["validate", dir + "/qa.bkm", "--data", Self.dev, "--min-exact-match", "1"])
        XCTAssertEqual(fail.status, 1, fail.stdout + fail.stderr)
        XCTAssertTrue(fail.stdout.contains("FAIL  Quality   question-answering scores: exact match "), fail.stdout)
        let unbounded = try ToolRun.run(["validate", dir + "/qa.bkm", "--data", Self.dev])
        XCTAssertTrue(unbounded.stdout.contains("WARN  Quality   question-answering scores:")
                      && unbounded.stdout.contains("(no --min-exact-match or --min-f1 given)"), unbounded.stdout)
        let wrongBound = try ToolRun.run(["validate", dir + "/qa.bkm", "--data", Self.dev, "--min-accuracy", "0.5"])
        XCTAssertNotEqual(wrongBound.status, 0)
        XCTAssertTrue(wrongBound.stdout.contains("--min-accuracy does not apply") || wrongBound.stderr.contains("--min-accuracy does not apply"),
                      wrongBound.stdout + wrongBound.stderr)
    }

    func testABadAnswerStartStopsWithItsPathAndExit2UnlessSkipped() throws {
        let dir = Repo.temporaryDirectory()
        var text = try String(contentsOfFile: Self.train, encoding: .utf8)
        // The third paragraph's first answer, "Carrow Hill" at 30 (the only answer there), moved one character.
        text = text.replacingOccurrences(of: "\"answer_start\": 30", with: "\"answer_start\": 31")
        let bad = dir + "/bad.json"
        try text.write(toFile: bad, atomically: true, encoding: .utf8)
        let r = try ToolRun.run(["finetune", Repo.fixture("tiny-bert"), "--task", "question-answering", "--train", bad,
                                 "--steps", "1", "-o", dir + "/qa.bkm"] + Self.windows)
        CLI.assertBadInput(r, names: [bad, "data[2].paragraphs[0].qas[0].answers[0].answer_start", "does not match the text", "--skip-bad-rows"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/qa.bkm"), "no output on bad input")
        XCTAssertEqual(r.stdout, "")
        let skipped = try ToolRun.run(["finetune", Repo.fixture("tiny-bert"), "--task", "question-answering", "--train", bad,
                                       "--steps", "1", "--skip-bad-rows", "-o", dir + "/qa.bkm"] + Self.windows)
        XCTAssertEqual(skipped.status, 0, skipped.stderr)
        XCTAssertTrue(skipped.stderr.contains("skipped 1 bad question in \(bad)"), skipped.stderr)
        let e = try ToolRun.run(["evaluate", dir + "/qa.bkm", "--data", bad] + Self.windows)
        CLI.assertBadInput(e, names: [bad, "answer_start 31"])
        let notQA = try ToolRun.run(["evaluate", Repo.fixture("tiny-cls"), "--task", "question-answering", "--data", Self.dev])
        XCTAssertEqual(notQA.status, 2, notQA.stderr)
    }

    /// golden/check_qa_export.py: transformers loads what this command saves, cleanly, with the logits
    /// bertkit computes (every tap of `bertkit verify`, qa_outputs' start and end logits among them).
    func testTransformersLoadsTheFineTunedFolderWithTheSameLogits() throws {
        let record = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Repo.expected("question-answering/export.json")))) as! [String: Any]
        XCTAssertEqual(record["architecture"] as? String, "BertForQuestionAnswering")
        for k in ["missing_keys", "unexpected_keys", "mismatched_keys"] { XCTAssertEqual(record[k] as? [String], [], k) }
        let folder = Repo.temporaryDirectory() + "/qa"
        let command = (record["command"] as! [String]).map { $0.hasPrefix("golden/") ? Repo.root + "/" + $0 : $0 }
        let r = try ToolRun.run(command + ["-o", folder])
        XCTAssertEqual(r.status, 0, r.stderr)
        // The record is of the model today's bertkit makes from that command, byte for byte.
        for (file, sha) in record["sha256"] as! [String: String] {
            XCTAssertEqual(try FileDigest.sha256(path: folder + "/" + file), sha, "\(file): rerun golden/check_qa_export.py")
        }
        let v = try ToolRun.run(["verify", folder, Repo.expected("question-answering/export.acts.safetensors")])
        XCTAssertEqual(v.status, 0, v.stdout + v.stderr)
        XCTAssertTrue(v.stdout.contains("start_logits") && v.stdout.contains("end_logits"), v.stdout)
    }
}
