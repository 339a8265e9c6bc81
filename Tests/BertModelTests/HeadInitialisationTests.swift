import BertFormats
import BertModel
import TestSupport
import XCTest

/// `Checkpoint.forHead`: every head created as transformers' `_init_weights` does, kept when present.
final class HeadInitialisationTests: XCTestCase {
    let labels = ["O", "B-PER", "I-PER"]

    /// The tensors each head adds to an encoder with a pooler (tiny-bert), sorted as transformers lists them.
    let expected: [HeadKind: [String]] = [
        .sequenceClassification: ["classifier.bias", "classifier.weight"],
        .tokenClassification: ["classifier.bias", "classifier.weight"],
        .questionAnswering: ["qa_outputs.bias", "qa_outputs.weight"],
        .multipleChoice: ["classifier.bias", "classifier.weight"],
        .nextSentence: ["cls.seq_relationship.bias", "cls.seq_relationship.weight"],
        .maskedLM: ["cls.predictions.bias", "cls.predictions.transform.LayerNorm.bias", "cls.predictions.transform.LayerNorm.weight",
                    "cls.predictions.transform.dense.bias", "cls.predictions.transform.dense.weight"],
        .preTraining: ["cls.predictions.bias", "cls.predictions.transform.LayerNorm.bias", "cls.predictions.transform.LayerNorm.weight",
                       "cls.predictions.transform.dense.bias", "cls.predictions.transform.dense.weight",
                       "cls.seq_relationship.bias", "cls.seq_relationship.weight"],
    ]

    func testEveryHeadIsCreatedAsInitWeightsDoes() throws {
        let encoder = try CheckpointLoader.load(path: Repo.fixture("tiny-bert"))
        XCTAssertEqual(encoder.architecture.head, .none)
        XCTAssertNotNil(encoder["pooler.dense.weight"], "the fixture has a pooler")
        let range = Double(encoder.config.initializerRange)
        for kind in EncoderFamily.bert.heads where kind != .none {
            let (c, created) = try encoder.forHead(kind, labels: labels, seed: 5)
            XCTAssertEqual(created, expected[kind], "\(kind)")
            XCTAssertEqual(c.config.architectures, [kind.architectureName])
            // It binds: every tensor the head reads is there with its shape, nothing else.
            let model = try BertModel(checkpoint: c)
            XCTAssertEqual(model.head, kind)
            XCTAssertEqual(c["pooler.dense.weight"] != nil, kind.usesPooler!, "\(kind): pooler only where add_pooling_layer")
            if kind.usesPooler == false { XCTAssertTrue(c.report.unused.contains("pooler.dense.weight"), "\(kind) reports the pooler unused") }
            XCTAssertEqual(c["pooler.dense.weight"]?.floats(), kind.usesPooler! ? encoder["pooler.dense.weight"]!.floats() : nil,
                           "\(kind): a stored pooler is kept")
            XCTAssertNil(c["cls.predictions.decoder.weight"], "\(kind): the decoder is tied to the word embeddings")
            for name in created {
                let v = c[name]!.floats()
                if name.hasSuffix("LayerNorm.weight") {
                    XCTAssertEqual(Set(v), [1], name)
                } else if name.hasSuffix("bias") {
                    XCTAssertEqual(Set(v), [0], name)
                } else {
                    // normal(0, initializer_range = 0.2): at least 64 samples (2 × 32) have a standard
                    // deviation within ±40% of it and a mean within 0.1.
                    let sd = (v.map { Double($0 * $0) }.reduce(0, +) / Double(v.count)).squareRoot()
                    XCTAssertEqual(sd, range, accuracy: 0.4 * range, name)
                    XCTAssertEqual(v.map(Double.init).reduce(0, +) / Double(v.count), 0, accuracy: 0.1, name)
                }
            }
        }
        let (tok, _) = try encoder.forHead(.tokenClassification, labels: labels, seed: 5)
        XCTAssertEqual(tok.config.id2label, labels)
        XCTAssertEqual(tok["classifier.weight"]?.shape, [3, 32])
        let (mc, _) = try encoder.forHead(.multipleChoice, labels: labels, seed: 5)
        XCTAssertEqual(mc["classifier.weight"]?.shape, [1, 32], "one score per choice whatever the labels")
    }

    func testPresentTensorsAreKeptAndTheSeedRepeats() throws {
        let tokcls = try CheckpointLoader.load(path: Repo.fixture("tiny-tokcls"))
        let own = tokcls.config.id2label
        let (same, none) = try tokcls.forHead(.tokenClassification, labels: own, seed: 1)
        XCTAssertEqual(none, [])
        XCTAssertEqual(same["classifier.weight"]!.floats(), tokcls["classifier.weight"]!.floats())
        XCTAssertThrowsError(try tokcls.forHead(.tokenClassification, labels: ["O", "B-X"], seed: 1)) {
            XCTAssertEqual($0 as? FineTuningError, .headLabelCount(existing: own.count, requested: 2))
        }
        let (reset, created) = try tokcls.forHead(.tokenClassification, labels: ["O", "B-X"], resetHead: true, seed: 1)
        XCTAssertEqual(created, ["classifier.bias", "classifier.weight"])
        let (again, _) = try tokcls.forHead(.tokenClassification, labels: ["O", "B-X"], resetHead: true, seed: 1)
        XCTAssertEqual(reset["classifier.weight"]!.floats(), again["classifier.weight"]!.floats(), "same seed, same head")
        let (other, _) = try tokcls.forHead(.tokenClassification, labels: ["O", "B-X"], resetHead: true, seed: 2)
        XCTAssertNotEqual(reset["classifier.weight"]!.floats(), other["classifier.weight"]!.floats())
        // A MaskedLM checkpoint's prediction head is loaded, not re-created, under pre-training.
        let encoder = try CheckpointLoader.load(path: Repo.fixture("tiny-bert"))
        let (mlm, _) = try encoder.forHead(.maskedLM, labels: [], seed: 3)
        let (pre, new) = try mlm.forHead(.preTraining, labels: [], seed: 4)
        XCTAssertEqual(new, ["cls.seq_relationship.bias", "cls.seq_relationship.weight", "pooler.dense.bias", "pooler.dense.weight"])
        XCTAssertEqual(pre["cls.predictions.transform.dense.weight"]!.floats(), mlm["cls.predictions.transform.dense.weight"]!.floats())
    }
}
