import Foundation
import TestSupport
import XCTest

final class InspectTests: XCTestCase {
    func testJSONMatchesTheGoldenStatistics() throws {
        for (fixture, golden) in [("tiny-bert/model.safetensors", "tiny-bert.inspect.json"), ("tiny-cls/model.safetensors", "tiny-cls.inspect.json"),
                                  ("tiny-bert/model-bf16.safetensors", "tiny-bert-bf16.inspect.json")] {
            let r = try ToolRun.run(["inspect", Repo.fixture(fixture), "--json"])
            XCTAssertEqual(r.status, 0, r.stderr)
            let out = CLI.json(r.stdout)
            let expected = CLI.json(try String(contentsOfFile: Repo.expected(golden), encoding: .utf8))
            XCTAssertEqual(out["totals"] as? [String: Int], expected["totals"] as? [String: Int])
            let a = out["tensors"] as! [String: [String: Any]], e = expected["tensors"] as! [String: [String: Any]]
            XCTAssertEqual(Set(a.keys), Set(e.keys))
            for (name, et) in e {
                let at = a[name]!
                XCTAssertEqual(at["dtype"] as? String, et["dtype"] as? String)
                XCTAssertEqual(at["shape"] as? [Int], et["shape"] as? [Int])
                XCTAssertEqual(at["nbytes"] as? Int, et["nbytes"] as? Int)
                XCTAssertEqual(at["nan"] as? Int, et["nan"] as? Int)
                XCTAssertEqual(at["min"] as? Double, et["min"] as? Double, name)
                XCTAssertEqual(at["max"] as? Double, et["max"] as? Double, name)
                // Summation order differs from numpy's pairwise sum: a few ulps, far below 1e-12 relative.
                for k in ["mean", "std"] {
                    let x = at[k] as! Double, y = et[k] as! Double
                    XCTAssertLessThanOrEqual(abs(x - y), 1e-12 * max(abs(y), 1e-3), "\(name).\(k)")
                }
            }
        }
    }

    /// inspect names the architecture and the head, and what is stored once because it is tied.
    func testArchitectureAndHeadAreNamed() throws {
        let r = try ToolRun.run(["inspect", Repo.fixture("formats/tiny-bert-pretraining-bin"), "--no-stats"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("architecture: BertForPreTraining: bert encoder, pooler, pre-training head, decoder tied to the word embeddings"), r.stdout)
        XCTAssertTrue(r.stdout.contains("tied (stored once) (1): cls.predictions.decoder.weight"), r.stdout)
        let j = CLI.json(try ToolRun.run(["inspect", Repo.fixture("tiny-cls"), "--json", "--no-stats"]).stdout)
        let a = j["architecture"] as? [String: Any]
        XCTAssertEqual(a?["class"] as? String, "BertForSequenceClassification")
        XCTAssertEqual(a?["head"] as? String, "sequence-classification")
        XCTAssertEqual(a?["pooler"] as? Bool, true)
    }

    func testMiniLMFolderSummary() throws {
        let dir = try Repo.requireMiniLM()
        let r = try ToolRun.run(["inspect", dir])
        XCTAssertEqual(r.status, 0, r.stderr)
        for s in ["config: BertModel", "layers 6, hidden 384, heads 12, intermediate 1536, gelu", "vocabulary: 30522 tokens",
                  "[CLS]=101", "[SEP]=102", "[PAD]=0", "[UNK]=100", "[MASK]=103", "pooling: mean + normalize",
                  "encoder.layer.5.output.LayerNorm.bias", "total: 104 tensors, 22,713,216 parameters, 90,856,960 bytes",
                  "ignored buffers (1): embeddings.position_ids", "loads: yes"] {
            XCTAssertTrue(r.stdout.contains(s), "stdout lacks \"\(s)\"")
        }
        XCTAssertEqual(r.stderr, "")
    }

    func testBKMWithoutStatisticsAndOneTensor() throws {
        let tmp = Repo.temporaryDirectory()
        XCTAssertEqual(try ToolRun.run(["convert", Repo.fixture("tiny-cls"), tmp + "/m.bkm"]).status, 0)
        let none = CLI.json(try ToolRun.run(["inspect", tmp + "/m.bkm", "--no-stats", "--json"]).stdout)
        let rows = none["tensors"] as! [String: [String: Any]]
        XCTAssertEqual(rows.count, 57)
        XCTAssertTrue(rows.values.allSatisfy { $0["min"] == nil })
        XCTAssertEqual((none["provenance"] as? [String: Any])?["source_format"] as? String, "safetensors")
        XCTAssertEqual((none["config"] as? [String: Any])?["labels"] as? [String], ["World", "Sports", "Business", "Sci/Tech", "Other"])
        let one = try ToolRun.run(["inspect", tmp + "/m.bkm", "--tensor", "classifier.bias"])
        XCTAssertEqual(one.status, 0, one.stderr)
        XCTAssertTrue(one.stdout.contains("classifier.bias") && !one.stdout.contains("classifier.weight"))
        let unknown = try ToolRun.run(["inspect", tmp + "/m.bkm", "--tensor", "bert.classifier.bias"])
        CLI.assertBadInput(unknown, names: ["no tensor named \"bert.classifier.bias\""])
    }

    func testBareWeightsFileWithAndWithoutConfig() throws {
        let bare = try ToolRun.run(["inspect", Repo.fixture("tiny-cls/model.safetensors"), "--no-stats"])
        XCTAssertEqual(bare.status, 0, bare.stderr)
        XCTAssertTrue(bare.stdout.contains("config: none"))
        let withConfig = try ToolRun.run(["inspect", Repo.fixture("tiny-cls/model.safetensors"), "--config", Repo.fixture("tiny-bert/config.json"), "--no-stats"])
        // tiny-bert's config describes another model: the report lists what does not fit, and the exit is 2.
        XCTAssertEqual(withConfig.status, 2)
        XCTAssertTrue(withConfig.stdout.contains("MISSING") || withConfig.stdout.contains("WRONG SHAPE") || withConfig.stdout.contains("DOES NOT LOAD"), withConfig.stdout)
    }

    func testMissingTensorsAreListedAndExitIsTwo() throws {
        let tmp = Repo.temporaryDirectory()
        let dir = try CLI.copy("tiny-bert-sharded", to: tmp)
        try FileManager.default.removeItem(atPath: dir + "/model-00003-of-00003.safetensors")
        let r = try ToolRun.run(["inspect", dir])
        CLI.assertBadInput(r, names: ["model-00003-of-00003.safetensors", "does not exist"])
    }

    func testBadInputsExitTwoAndNameTheFile() throws {
        let tmp = Repo.temporaryDirectory()
        let truncated = tmp + "/truncated.safetensors"
        _ = FileManager.default.createFile(atPath: truncated, contents: Data([1, 2, 3]))
        CLI.assertBadInput(try ToolRun.run(["inspect", truncated]), names: [truncated, "truncated"])
        let notBKM = tmp + "/x.bkm"
        _ = FileManager.default.createFile(atPath: notBKM, contents: Data(repeating: 0x41, count: 64))
        CLI.assertBadInput(try ToolRun.run(["inspect", notBKM]), names: [notBKM, "magic"])
        CLI.assertBadInput(try ToolRun.run(["inspect", tmp + "/nothing-here"]), names: [tmp + "/nothing-here", "no such file"])
    }
}
