import BertFormats
import BertModel
import TestSupport
import XCTest

/// A fine-tuned model saved as a HF folder and as .bkm reloads with the same logits, and
/// training details the goldens do not reach.
final class FineTunedExportTests: XCTestCase {
    func trained() throws -> (BertModel, Checkpoint) {
        let labels = ["World", "Sports", "Business", "Sci/Tech"]
        let (c, _) = try CheckpointLoader.load(path: Repo.fixture("tiny-cls"))
            .forSequenceClassification(labels: labels, resetHead: true, seed: 3)
        let model = try BertModel(checkpoint: c)
        let data = try LabelledDataset(contentsOf: Repo.golden("data/text-label.csv"), labels: labels)
        var o = FineTuningOptions(steps: 5)
        o.reportEvery = 5
        try FineTuningLoop(trainer: Trainer(model: model, optimizer: .init(kind: .adamw, learningRate: 1e-2)), dataset: data,
                           options: o).run()
        return (model, c)
    }

    func testFolderAndBKMReloadWithIdenticalLogits() throws {
        let (model, source) = try trained()
        let input = try BertInput(rows: [[2, 9, 17, 33, 3], [2, 40, 3]], config: model.config)
        let want = try model.run(input).logits!
        let dir = Repo.temporaryDirectory()
        let saved = model.checkpoint(like: source)
        for out in [dir + "/folder", dir + "/m.bkm"] {
            try CheckpointExporter.write(saved, to: out)
            let back = try BertModel(checkpoint: CheckpointLoader.load(path: out))
            XCTAssertEqual(back.config.id2label, ["World", "Sports", "Business", "Sci/Tech"], out)
            // f32 written and read back: bit-identical parameters, the same kernels, the same logits.
            XCTAssertEqual(try back.run(input).logits!, want, out)
        }
        let json = try String(contentsOfFile: dir + "/folder/config.json", encoding: .utf8)
        XCTAssertTrue(json.contains("\"3\": \"Sci/Tech\"") || json.contains("\"3\":\"Sci/Tech\""), json)
    }

    /// BertEmbeddings' padding_idx: a [PAD] id inside the attended text gets no word gradient.
    func testNoGradientIntoThePaddingRow() throws {
        let model = try BertModel(checkpoint: CheckpointLoader.load(path: Repo.fixture("tiny-cls")))
        let t = Trainer(model: model, optimizer: .init(kind: .adam, learningRate: 1e-3))
        let input = try BertInput(batch: 1, seq: 5, inputIds: [2, 0, 9, 0, 3], attentionMask: [1, 1, 1, 1, 1], config: model.config)
        _ = try t.lossAndGradients(input, targets: .classes([1]))
        let h = model.config.hiddenSize
        let word = t.gradients.values("embeddings.word_embeddings.weight")
        XCTAssertEqual(Array(word[0..<h]), [Float](repeating: 0, count: h), "row of pad_token_id 0")
        XCTAssertNotEqual(Array(word[9 * h..<10 * h]), [Float](repeating: 0, count: h), "a used row")
        let position = t.gradients.values("embeddings.position_embeddings.weight")
        XCTAssertNotEqual(Array(position[h..<2 * h]), [Float](repeating: 0, count: h), "position 1 still learns")
    }

    func testHeadIsSeededAndTransformersInitialised() throws {
        let c = try CheckpointLoader.load(path: Repo.fixture("tiny-cls"))
        let (a, created) = try c.forSequenceClassification(labels: ["a", "b"], resetHead: true, seed: 7)
        let (b, _) = try c.forSequenceClassification(labels: ["a", "b"], resetHead: true, seed: 7)
        XCTAssertEqual(created, ["classifier.bias", "classifier.weight"])
        let w = a["classifier.weight"]!.floats()
        XCTAssertEqual(w, b["classifier.weight"]!.floats(), "same seed, same head")
        XCTAssertEqual(a["classifier.bias"]!.floats(), [0, 0])
        // normal(0, initializer_range = 0.2): 64 samples have a standard deviation within ±40% of it.
        let sd = (w.map { Double($0 * $0) }.reduce(0, +) / Double(w.count)).squareRoot()
        XCTAssertEqual(sd, 0.2, accuracy: 0.08)
        XCTAssertThrowsError(try c.forSequenceClassification(labels: ["a", "b"], resetHead: false, seed: 7))
        let (same, none) = try c.forSequenceClassification(labels: c.config.id2label, resetHead: false, seed: 7)
        XCTAssertEqual(none, [])
        XCTAssertEqual(same["classifier.weight"]!.floats(), c["classifier.weight"]!.floats())
    }
}
