import Foundation
import TestSupport
import XCTest

/// `finetune / evaluate / validate` for token classification (NER) on the tiny fixtures.
final class TokenClassificationCLITests: XCTestCase {
    let train = Repo.golden("data/ner/train.conll"), test = Repo.golden("data/ner/test.conll")

    func testFinetuneReportsF1AndTheDefaultTaskFollowsTheHead() throws {
        let dir = Repo.temporaryDirectory()
        let r = try ToolRun.run(["finetune", Repo.fixture("tiny-bert"), "--task", "token-classification", "--train", train, "--eval", test,
                                 "--steps", "4", "--report-every", "2", "--max-length", "32", "--lr", "1e-2", "--seed", "1",
                                 "--label-all-tokens", "-o", dir + "/ner"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("Some weights of BertForTokenClassification were not initialized from the model checkpoint at "
                                        + "\(Repo.fixture("tiny-bert")) and are newly initialized: [\"classifier.bias\", \"classifier.weight\"]"), r.stderr)
        let steps = r.stdout.split(separator: "\n").filter { $0.hasPrefix("Step ") }
        XCTAssertEqual(steps.count, 2, r.stdout)
        XCTAssertTrue(steps[1].hasPrefix("Step 4: Loss = ") && steps[1].contains(", F1 = "), String(steps[1]))
        XCTAssertTrue(r.stdout.contains("Eval F1 = ") && r.stdout.contains(" on 60 sentences of \(test)"), r.stdout)
        let config = try String(contentsOfFile: dir + "/ner/config.json", encoding: .utf8)
        XCTAssertTrue(config.contains("BertForTokenClassification") && config.contains("\"I-PER\""), config)
        // A token classifier trains its own task without --task, and keeps its labels and head.
        let again = try ToolRun.run(["finetune", dir + "/ner", "--train", train, "--steps", "1", "--report-every", "1",
                                     "--max-length", "32", "-o", dir + "/again.bkm"])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stdout.contains("Step 1: Loss = ") && again.stdout.contains(", F1 = "), again.stdout)
        XCTAssertFalse(again.stderr.contains("newly initialized"), again.stderr)
    }

    func testEvaluatePrintsSeqevalScoresAndJSON() throws {
        let model = Repo.fixture("ner-finetuned")
        let text = try ToolRun.run(["evaluate", model, "--data", test])
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.hasPrefix("entity F1 "), text.stdout)
        XCTAssertTrue(text.stdout.contains("on 60 sentences") && text.stdout.contains("seqeval default mode"), text.stdout)
        for row in ["LOC", "ORG", "PER", "micro avg", "weighted avg"] { XCTAssertTrue(text.stdout.contains("\n" + row), row) }
        let j = CLI.json(try ToolRun.run(["evaluate", model, "--task", "token-classification", "--data", test, "--json"]).stdout)
        XCTAssertEqual(j["mode"] as? String, "default")
        XCTAssertEqual(j["sentences"] as? Int, 60)
        XCTAssertNotNil((j["micro"] as? [String: Any])?["f1"] as? Double)
        XCTAssertEqual((j["perType"] as? [[String: Any]])?.compactMap { $0["type"] as? String }, ["LOC", "ORG", "PER"])
        let strict = CLI.json(try ToolRun.run(["evaluate", model, "--data", test, "--strict", "--json"]).stdout)
        XCTAssertEqual(strict["mode"] as? String, "strict")
        // Sequence classification's evaluate refuses a token classifier by name.
        let wrong = try ToolRun.run(["evaluate", model, "--task", "sequence-classification", "--data", Repo.golden("data/text-label.csv")])
        XCTAssertEqual(wrong.status, 2, wrong.stderr)
    }

    func testValidateGatesEntityF1() throws {
        let model = Repo.fixture("ner-finetuned")
        let pass = try ToolRun.run(["validate", model, "--data", test, "--min-f1", "0"])
        XCTAssertEqual(pass.status, 0, pass.stdout)
        XCTAssertTrue(pass.stdout.contains("PASS  Quality   entity F1: entity F1 "), pass.stdout)
        XCTAssertTrue(pass.stdout.contains("per entity type on 60 sentences"), pass.stdout)
        let fail = try ToolRun.run(["validate", model, "--data", test, "--min-f1", "1", "--json"])
        XCTAssertEqual(fail.status, 1, fail.stdout)
        let checks = CLI.json(fail.stdout)["checks"] as? [[String: Any]] ?? []
        let q = checks.first { $0["family"] as? String == "Quality" }
        XCTAssertEqual(q?["status"] as? String, "FAIL")
        XCTAssertNotNil((q?["figures"] as? [String: Any])?["f1"])
        let warn = try ToolRun.run(["validate", model, "--data", test])
        XCTAssertTrue(warn.stdout.contains("WARN  Quality   entity F1: ") && warn.stdout.contains("(no --min-f1 given)"), warn.stdout)
        CLI.assertBadInput(try ToolRun.run(["validate", model, "--data", test, "--min-accuracy", "0.5"]),
                           names: ["--min-accuracy does not apply to a BertForTokenClassification"])
    }

    func testBadInputNamesFileAndLineAndWritesNothing() throws {
        let dir = Repo.temporaryDirectory()
        let bad = dir + "/bad.conll"
        try "EU NNP B-ORG\nrejects VBZ O\n\nThe DT O\nBank NNP I-ORG\n\nParis NNP\n".write(toFile: bad, atomically: true, encoding: .utf8)
        func finetune(_ extra: [String]) throws -> ToolRun {
            try ToolRun.run(["finetune", Repo.fixture("tiny-bert"), "--task", "token-classification", "--train", bad, "--steps", "1",
                             "-o", dir + "/out"] + extra)
        }
        CLI.assertBadInput(try finetune([]), names: ["\(bad):7: expected 3 columns as on line 1, found 2"])
        CLI.assertBadInput(try finetune(["--strict"]), names: ["\(bad):5: I-ORG follows O"])
        CLI.assertBadInput(try finetune(["--labels", "O,B-ORG"]), names: ["\(bad):5: tag \"I-ORG\" is not one of the labels (O, B-ORG)"])
        XCTAssertEqual(CLI.listing(dir), ["bad.conll"], "no output")
        let skipped = try finetune(["--strict", "--skip-bad-rows"])
        XCTAssertEqual(skipped.status, 0, skipped.stderr)
        XCTAssertTrue(skipped.stderr.contains("skipped \(bad) line 5: I-ORG follows O"), skipped.stderr)
        XCTAssertTrue(skipped.stderr.contains("skipped \(bad) line 7: expected 3 columns"), skipped.stderr)
        CLI.assertBadInput(try ToolRun.run(["evaluate", Repo.fixture("ner-finetuned"), "--data", bad]), names: ["\(bad):7: "])
        CLI.assertBadInput(try ToolRun.run(["validate", Repo.fixture("ner-finetuned"), "--data", bad]), names: ["\(bad):7: "])
    }
}
