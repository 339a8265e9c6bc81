import Foundation
import TestSupport
import XCTest

/// `bertkit convert` and `verify` on the head fixtures (golden/generate_heads.py).
final class HeadConvertTests: XCTestCase {
    static let heads: [(name: String, architecture: String, head: String)] = [
        ("bert-pooler", "BertModel", "none"), ("bert-no-pooler", "BertModel", "none"),
        ("pretraining", "BertForPreTraining", "pre-training"), ("masked-lm", "BertForMaskedLM", "masked-lm"),
        ("masked-lm-untied", "BertForMaskedLM", "masked-lm"), ("next-sentence", "BertForNextSentencePrediction", "next-sentence"),
        ("sequence-classification", "BertForSequenceClassification", "sequence-classification"),
        ("token-classification", "BertForTokenClassification", "token-classification"),
        ("question-answering", "BertForQuestionAnswering", "question-answering"),
        ("multiple-choice", "BertForMultipleChoice", "multiple-choice"),
    ]

    private func folder(_ name: String, _ format: String) -> String { Repo.fixture("heads/\(name)/\(format)") }

    /// The JSON summary names the architecture and the head for every head and format; the tied
    /// decoder a `.bin` stores is listed (JSON `tied`, and the log), and nowhere else.
    func testConvertReportsTheArchitectureAndTheTiedDecoder() throws {
        let tmp = Repo.temporaryDirectory()
        for (name, architecture, head) in Self.heads {
            for format in ["safetensors", "sharded", "bin", "h5-flat", "h5-nested", "keras"]
            where FileManager.default.fileExists(atPath: folder(name, format)) {
                let r = try ToolRun.run(["convert", folder(name, format), "\(tmp)/\(name)-\(format).bkm", "--json"])
                XCTAssertEqual(r.status, 0, "\(name)/\(format): \(r.stderr)")
                let o = CLI.json(r.stdout)
                XCTAssertEqual(o["architecture"] as? String, architecture, "\(name)/\(format)")
                XCTAssertEqual(o["head"] as? String, head, "\(name)/\(format)")
                XCTAssertEqual(o["warnings"] as? [String], [], "\(name)/\(format)")
                let tiedBin = format == "bin" && ["masked-lm", "pretraining"].contains(name)
                XCTAssertEqual(o["tied"] as? [String], tiedBin ? ["cls.predictions.decoder.weight", "cls.predictions.decoder.bias"] : [],
                               "\(name)/\(format)")
                XCTAssertEqual(r.stderr.contains("stored once (tied): cls.predictions.decoder.weight, cls.predictions.decoder.bias"), tiedBin,
                               "\(name)/\(format): \(r.stderr)")
            }
            // Without --json the summary line names it too.
            let text = try ToolRun.run(["convert", folder(name, "safetensors"), "\(tmp)/\(name).safetensors"])
            XCTAssertTrue(text.stdout.hasPrefix("wrote \(tmp)/\(name).safetensors (safetensors): \(architecture), "), text.stdout)
        }
    }

    /// A decoder stored beside the word embeddings but different from them, while the config ties
    /// them: the conversion says so (transformers would silently overwrite it) and keeps the embeddings.
    func testADecoderThatDiffersFromTheTiedEmbeddingsIsReported() throws {
        let tmp = Repo.temporaryDirectory()
        let src = try CLI.copy("heads/masked-lm/safetensors", to: tmp)
        var w = try GoldenBytes(path: src + "/model.safetensors")
        var word = w.floats("bert.embeddings.word_embeddings.weight")
        word[3] += 0.25
        w.append("cls.predictions.decoder.weight", shape: w.shape("bert.embeddings.word_embeddings.weight"), floats: word)
        try w.write(src + "/model.safetensors")
        let r = try ToolRun.run(["convert", src, tmp + "/m.bkm", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let warnings = CLI.json(r.stdout)["warnings"] as? [String] ?? []
        XCTAssertEqual(warnings.count, 1, "\(warnings)")
        XCTAssertTrue(warnings.first?.contains("cls.predictions.decoder.weight differs from bert.embeddings.word_embeddings.weight") == true,
                      "\(warnings)")
        XCTAssertTrue(r.stderr.contains("warning: cls.predictions.decoder.weight differs"), r.stderr)
        // What is kept is the original model: its golden still verifies.
        let v = try ToolRun.run(["verify", tmp + "/m.bkm", Repo.expected("heads/masked-lm.acts.safetensors")])
        XCTAssertEqual(v.status, 0, v.stdout + v.stderr)
    }

    /// verify on a multiple-choice model from its `.bin`: inputs [B, C, S], the classifier's output
    /// per row and `logits` per example.
    func testVerifyMultipleChoiceFromTheBin() throws {
        let r = try ToolRun.run(["verify", folder("multiple-choice", "bin"), Repo.expected("heads/multiple-choice.acts.safetensors"), "--json"])
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        let o = CLI.json(r.stdout)
        XCTAssertEqual(o["passed"] as? Bool, true)
        let taps = o["taps"] as? [[String: Any]] ?? []
        let byName = Dictionary(taps.map { ($0["goldenName"] as! String, $0) }, uniquingKeysWith: { a, _ in a })
        XCTAssertEqual(byName["classifier"]?["shape"] as? [Int], [6, 1])
        XCTAssertEqual(byName["logits"]?["shape"] as? [Int], [2, 3])
        XCTAssertEqual(byName["logits"]?["tap"] as? String, "logits")
        XCTAssertEqual(taps.count, 19)
    }

    /// A golden of another head: exit 2, naming the tensor and the model's class.
    func testVerifyRefusesAnotherHeadsGolden() throws {
        let r = try ToolRun.run(["verify", folder("sequence-classification", "keras"), Repo.expected("heads/pretraining.acts.safetensors")])
        CLI.assertBadInput(r, names: ["cls.predictions", "BertForSequenceClassification"])
        let mc = try ToolRun.run(["verify", folder("sequence-classification", "bin"), Repo.expected("heads/multiple-choice.acts.safetensors")])
        CLI.assertBadInput(mc, names: ["input_ids", "[batch, seq]", "[2, 3, 11]"])
    }

    /// A changed head weight (one NSP weight of the pre-training model) fails exactly the NSP taps: exit 1.
    func testVerifyFailsOnAChangedHeadWeight() throws {
        let tmp = Repo.temporaryDirectory()
        let src = try CLI.copy("heads/pretraining/safetensors", to: tmp)
        var w = try GoldenBytes(path: src + "/model.safetensors")
        w.setFloat("cls.seq_relationship.weight", at: 0, w.floats("cls.seq_relationship.weight")[0] + 0.5)
        try w.write(src + "/model.safetensors")
        let r = try ToolRun.run(["verify", src, Repo.expected("heads/pretraining.acts.safetensors"), "--json"])
        XCTAssertEqual(r.status, 1, r.stdout + r.stderr)
        let failing = (CLI.json(r.stdout)["taps"] as? [[String: Any]] ?? []).filter { $0["passed"] as? Bool == false }
        XCTAssertEqual(Set(failing.map { $0["goldenName"] as! String }), ["cls.seq_relationship", "seq_relationship_logits"])
    }
}
