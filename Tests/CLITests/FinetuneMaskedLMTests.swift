import Foundation
import TestSupport
import XCTest

/// `bertkit finetune|evaluate|validate --task masked-lm` on the tiny masked-lm fixture.
final class FinetuneMaskedLMTests: XCTestCase {
    let tiny = Repo.fixture("heads/masked-lm/safetensors")
    let train = Repo.golden("data/mlm/train.txt"), heldOut = Repo.golden("data/mlm/heldout.txt")

    func finetune(_ extra: [String], out: String, model: String? = nil, train t: String? = nil) throws -> ToolRun {
        try ToolRun.run(["finetune", model ?? tiny, "--task", "masked-lm", "--train", t ?? train, "--lr", "1e-3", "--seed", "1",
                         "--max-length", "32", "-o", out] + extra)
    }

    func testTrainsReportsEvaluatesAndResumesWithTheSameMasks() throws {
        let dir = Repo.temporaryDirectory()
        let r = try finetune(["--steps", "4", "--report-every", "2", "--eval", heldOut], out: dir + "/m")
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n").filter { $0.contains("Loss = ") }.map(String.init)
        XCTAssertEqual(lines.count, 2, r.stdout)
        XCTAssertTrue(lines[0].hasPrefix("Step 2: Loss = ") && lines[0].contains(", Masked accuracy = "), lines[0])
        XCTAssertTrue(r.stdout.contains("Eval perplexity = ") && r.stdout.contains("masked tokens of 60 documents"), r.stdout)
        XCTAssertEqual(CLI.listing(dir + "/m").filter { $0.hasSuffix(".safetensors") }, ["model.safetensors", "optimizer.safetensors"])
        // Two steps, then two resumed: the same report line as the uninterrupted run (the same
        // batches, masks and dropout), and the same model.
        XCTAssertEqual(try finetune(["--steps", "2", "--report-every", "2"], out: dir + "/a").status, 0)
        let resumed = try finetune(["--steps", "4", "--report-every", "2", "--resume", dir + "/a/optimizer.safetensors"], out: dir + "/b",
                                   model: dir + "/a")
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertEqual(resumed.stdout.split(separator: "\n").filter { $0.contains("Loss = ") }.map(String.init), [lines[1]])
        XCTAssertEqual(FileManager.default.contents(atPath: dir + "/m/model.safetensors"), FileManager.default.contents(atPath: dir + "/b/model.safetensors"),
                       "resumed weights equal the uninterrupted run's")
        // evaluate: the same seed scores the same masks; --json fields.
        let e = try ToolRun.run(["evaluate", dir + "/m", "--task", "masked-lm", "--data", heldOut, "--max-length", "32", "--json"])
        XCTAssertEqual(e.status, 0, e.stderr)
        let o = CLI.json(e.stdout)
        XCTAssertEqual(o["documents"] as? Int, 60)
        let ppl = try XCTUnwrap(o["perplexity"] as? Double), loss = try XCTUnwrap(o["loss"] as? Double)
        XCTAssertEqual(ppl, exp(loss), accuracy: 1e-9 * ppl)
        XCTAssertEqual(try ToolRun.run(["evaluate", dir + "/m", "--task", "masked-lm", "--data", heldOut, "--max-length", "32", "--json"]).stdout, e.stdout)
        let other = try ToolRun.run(["evaluate", dir + "/m", "--task", "masked-lm", "--data", heldOut, "--max-length", "32", "--json", "--seed", "9"])
        XCTAssertNotEqual(other.stdout, e.stdout, "another masking seed, other masks")
        let wwm = try ToolRun.run(["evaluate", dir + "/m", "--data", heldOut, "--max-length", "32", "--whole-word-mask", "--mlm-probability", "0.3"])
        XCTAssertEqual(wwm.status, 0, wwm.stderr)
        XCTAssertTrue(wwm.stdout.hasPrefix("perplexity ") && wwm.stdout.contains("mlm probability 0.3, whole words"), wwm.stdout)
    }

    func testValidateGatesOnPerplexity() throws {
        let pass = try ToolRun.run(["validate", tiny, "--data", heldOut, "--max-perplexity", "100000"])
        XCTAssertEqual(pass.status, 0, pass.stdout + pass.stderr)
        XCTAssertTrue(pass.stdout.contains("PASS") && pass.stdout.contains("perplexity"), pass.stdout)
        let fail = try ToolRun.run(["validate", tiny, "--data", heldOut, "--max-perplexity", "2", "--json"])
        XCTAssertEqual(fail.status, 1, fail.stdout + fail.stderr)
        let q = (CLI.json(fail.stdout)["checks"] as? [[String: Any]] ?? []).first { $0["family"] as? String == "Quality" }
        XCTAssertEqual(q?["status"] as? String, "FAIL", fail.stdout)
        XCTAssertGreaterThan(((q?["figures"] as? [String: Any])?["perplexity"] as? NSNumber)?.doubleValue ?? 0, 2)
        let wrong = try ToolRun.run(["validate", tiny, "--data", heldOut, "--min-f1", "0.5"])
        XCTAssertNotEqual(wrong.status, 0)
        XCTAssertTrue((wrong.stdout + wrong.stderr).contains("--min-f1 does not apply to a BertForMaskedLM"), wrong.stdout + wrong.stderr)
    }

    func testAnEmptyLineStopsWithFileAndLineAndWritesNothing() throws {
        let dir = Repo.temporaryDirectory()
        let bad = dir + "/docs.txt"
        FileManager.default.createFile(atPath: bad, contents: Data("the quick brown fox jumped over the lazy dog near the river bank today\n\nthe team won the game and the people of the city were happy\n".utf8))
        let r = try finetune(["--steps", "1"], out: dir + "/out", train: bad)
        CLI.assertBadInput(r, names: ["docs.txt:2: the line is empty", "--skip-bad-rows"])
        XCTAssertEqual(CLI.listing(dir), ["docs.txt"])
        let e = try ToolRun.run(["evaluate", tiny, "--data", bad])
        CLI.assertBadInput(e, names: ["docs.txt:2"])
        XCTAssertEqual(e.stdout, "")
        let skipped = try finetune(["--steps", "1", "--skip-bad-rows"], out: dir + "/out", train: bad)
        XCTAssertEqual(skipped.status, 0, skipped.stderr)
        XCTAssertTrue(skipped.stderr.contains("skipped \(bad) line 2: the line is empty"), skipped.stderr)
        // Two five-token documents may draw no mask at all: a clear stop, not torch's NaN loss.
        FileManager.default.createFile(atPath: bad, contents: Data("the cat\nthe dog\n".utf8))
        let none = try finetune(["--steps", "1", "--mlm-probability", "0.01"], out: dir + "/none", train: bad)
        CLI.assertBadInput(none, names: ["step 1: masking chose no token in the batch's 2 documents", "--mlm-probability"])
    }

    func testAnEncoderGetsANewTiedMLMHead() throws {
        let dir = Repo.temporaryDirectory()
        let r = try finetune(["--steps", "1"], out: dir + "/m", model: Repo.fixture("tiny-bert"))
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("BertForMaskedLM were not initialized") && r.stderr.contains("cls.predictions.transform.dense.weight"), r.stderr)
        let config = try String(contentsOfFile: dir + "/m/config.json", encoding: .utf8)
        XCTAssertTrue(config.contains("BertForMaskedLM"), config)
    }
}
