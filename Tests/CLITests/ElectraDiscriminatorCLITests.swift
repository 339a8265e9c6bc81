import BertFormats
import Foundation
import TestSupport
import XCTest

/// ElectraForPreTraining, the discriminator (golden/generate_electra.py's electra-pre-training), through
/// the command line: run against transformers' logits (golden/generate_family_pipelines.py), finetune
/// refused by name, diff / validate / attention / embed as for any head.
final class ElectraDiscriminatorCLITests: XCTestCase {
    private let fixture = "electra-pre-training"
    private func folder(_ format: String = "safetensors") -> String { FamilyFixtures.folder(fixture, format) }

    /// Each non-special token with its offsets and sigmoid(logit), as the golden's transformers run reads them.
    func testRunGivesEachTokensProbabilityOfHavingBeenReplaced() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Repo.expected("families/pipelines.json")))
        let all = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        let cases = (all["replaced-token-detection"] as! [String: [[String: Any]]])[fixture]!
        XCTAssertGreaterThanOrEqual(cases.count, 5)
        let r = try ToolRun.run(["run", folder()] + cases.map { $0["input"] as! String } + ["--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let got = (try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8))) as? [[[String: Any]]] ?? []
        XCTAssertEqual(got.count, cases.count)
        for (g, c) in zip(got, cases) {
            let want = c["output"] as! [[String: Any]], label = c["input"] as! String
            for key in ["token", "index", "start", "end"] {
                XCTAssertEqual(g.map { "\($0[key] ?? "nil")" }, want.map { "\($0[key] ?? "nil")" }, "\(label): \(key)")
            }
            // sigmoid of logits within ~1e-6 of PyTorch's (verify's bound on these models is 1e-5).
            let scores = g.map { Float($0["score"] as? Double ?? .nan) }
            assertClose(scores, want.map { Float($0["score"] as! Double) }, atol: 1e-5, label: label)
            XCTAssertEqual(g.map { $0["replaced"] as? Bool }, scores.map { $0 > 0.5 }, "\(label): replaced is score > 0.5")
        }
        // The text form names each token and its verdict.
        let text = try ToolRun.run(["run", folder(), "The cat sat on the mat."])
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.contains("\"cat\"") && text.stdout.contains("[4, 7)"), text.stdout)
        CLI.assertBadInput(try ToolRun.run(["run", folder(), "Hi", "--pair", "There"]), names: ["--pair", "replaced-token-detection"])
    }

    /// No loss to train it with: finetune says so by name, whatever --task, and writes nothing.
    func testFinetuneRefusesTheDiscriminatorByName() throws {
        let dir = Repo.temporaryDirectory()
        let data = Repo.golden("data") + "/text-label.csv"
        for extra in [[], ["--task", "sequence-classification"], ["--task", "replaced-token-detection"]] {
            let r = try ToolRun.run(["finetune", folder(), "--train", data, "-o", dir + "/out"] + extra)
            CLI.assertBadInput(r, names: ["ElectraForPreTraining", "replaced-token-detection", "BCEWithLogitsLoss"])
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/out"), "no partial output")
        }
        // A discriminator over a file without its head tensors is refused naming them.
        let src = FamilyFixtures.folder("electra-model"), dst = dir + "/headless"
        try FileManager.default.copyItem(atPath: src, toPath: dst)
        let config = dst + "/config.json"
        try String(contentsOfFile: config, encoding: .utf8).replacingOccurrences(of: "\"ElectraModel\"", with: "\"ElectraForPreTraining\"")
            .write(toFile: config, atomically: true, encoding: .utf8)
        CLI.assertBadInput(try ToolRun.run(["convert", dst, dir + "/d.bkm"]), names: ["discriminator_predictions.dense_prediction.weight"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/d.bkm"), "no partial output")
    }

    func testDiffValidateAttentionAndEmbedWork() throws {
        let dir = Repo.temporaryDirectory()
        let golden = Repo.expected("families/\(fixture).acts.safetensors")
        let d = try ToolRun.run(["diff", folder(), golden])
        XCTAssertEqual(d.status, 0, d.stdout + d.stderr)
        let same = try ToolRun.run(["diff", folder(), folder("keras"), "--text", "Hello world!"])
        XCTAssertEqual(same.status, 0, same.stdout + same.stderr)
        let other = try ToolRun.run(["diff", folder(), FamilyFixtures.folder("electra-model"), "--text", "Hello world!"])
        XCTAssertNotEqual(other.status, 0, "another model differs")
        let v = try ToolRun.run(["validate", folder(), "--golden", golden, "--json"])
        XCTAssertEqual(v.status, 0, v.stdout + v.stderr)
        XCTAssertTrue(v.stdout.contains("replaced-token-detection runs"), v.stdout)
        let a = try ToolRun.run(["attention", folder(), "The cat sat on the mat.", "-o", dir + "/a.svg"])
        XCTAssertEqual(a.status, 0, a.stderr)
        XCTAssertTrue(try String(contentsOfFile: dir + "/a.svg", encoding: .utf8).contains("<svg"))
        let e = try ToolRun.run(["embed", folder(), "Hello world!", "--json"])
        XCTAssertEqual(e.status, 0, e.stderr)
        XCTAssertEqual((CLI.json(e.stdout)["embeddings"] as? [[Double]])?.first?.count, 24, "hidden_size wide")
    }
}
