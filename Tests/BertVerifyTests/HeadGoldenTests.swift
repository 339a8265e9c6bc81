import BertFormats
import BertModel
import BertTensors
import BertVerify
import TestSupport
import XCTest

/// Every head's forward against transformers (golden/expected/heads/*.acts.safetensors, recorded by
/// golden/record.py on golden/fixtures/heads/*: hooks on the head modules plus the output fields).
final class HeadGoldenTests: XCTestCase {
    /// Golden name → the head, the head taps the golden must hold (module paths and output names).
    static let goldens: [(name: String, head: HeadKind, headNames: [String])] = [
        ("bert-pooler", .none, ["pooler", "pooler_output"]),
        ("bert-no-pooler", .none, []),
        ("pretraining", .preTraining, ["cls.predictions", "prediction_logits", "cls.seq_relationship", "seq_relationship_logits"]),
        ("masked-lm", .maskedLM, ["cls.predictions", "logits"]),
        ("masked-lm-untied", .maskedLM, ["cls.predictions", "logits"]),
        ("next-sentence", .nextSentence, ["cls.seq_relationship", "logits"]),
        ("sequence-classification", .sequenceClassification, ["classifier", "logits"]),
        ("token-classification", .tokenClassification, ["classifier", "logits"]),
        ("question-answering", .questionAnswering, ["qa_outputs", "start_logits", "end_logits"]),
        ("multiple-choice", .multipleChoice, ["classifier", "logits"]),
    ]

    private func model(_ name: String, edit: ((inout Checkpoint) -> Void)? = nil) throws -> BertModel {
        var c = try CheckpointLoader.load(path: Repo.fixture("heads/\(name)/safetensors"))
        edit?(&c)
        return try BertModel(checkpoint: c)
    }

    private func golden(_ name: String, layers: Int) throws -> GoldenFile {
        // No head given: the golden's `architecture` metadata names it.
        try GoldenFile.read(path: Repo.expected("heads/\(name).acts.safetensors"), layers: layers)
    }

    func testEveryHeadGoldenNamesItsArchitectureAndHeadTaps() throws {
        for (name, head, headNames) in Self.goldens {
            let m = try model(name)
            let g = try golden(name, layers: m.config.numHiddenLayers)
            XCTAssertEqual(g.head, head, name)
            XCTAssertEqual(g.metadataDictionary["architecture"], head.architectureName, name)
            let names = Set(g.entries.map(\.name))
            for n in headNames { XCTAssertTrue(names.contains(n), "\(name) lacks \(n)") }
            XCTAssertEqual(names.contains("pooler_output"), m.architecture.pooler, name)
            XCTAssertTrue(g.aliasComparisons(tolerance: .f32).allSatisfy { $0.maxAbsDifference == 0 }, name)
        }
    }

    /// f32 against f32: bertkit and PyTorch differ only in summation order and the last bits of
    /// erf/tanh/exp, far below the default 1e-4 on these 1–2-layer models.
    func testEveryHeadVerifiesAgainstTransformers() throws {
        for (name, head, _) in Self.goldens {
            let m = try model(name)
            let g = try golden(name, layers: m.config.numHiddenLayers)
            let r = try Verifier.verify(model: m, golden: g)
            XCTAssertTrue(r.passed, "\(name): " + r.taps.filter { !$0.passed }.map { "\($0.goldenName) \($0.maxAbsError)" }.joined(separator: ", "))
            XCTAssertEqual(r.taps.map(\.goldenName), g.entries.map(\.name), name)
            let headTaps = Set(Tap.headTaps(head).map(\.description))
            XCTAssertEqual(Set(r.taps.map(\.tap)).intersection(headTaps), headTaps, "\(name): every head tap compared")
            for t in r.taps { XCTAssertLessThan(t.maxAbsError, 1e-5, "\(name) \(t.goldenName)") }
        }
    }

    /// A folder sentence-transformers 6.2 saved (its modules.json names
    /// `sentence_transformers.sentence_transformer.modules.pooling.Pooling`): bertkit reads the
    /// pooling, and record.py's `sentence_embedding` verifies with the rest.
    func testASentenceTransformersSixFolderVerifiesItsSentenceEmbedding() throws {
        let c = try CheckpointLoader.load(path: Repo.fixture("heads/sentence-transformers"))
        XCTAssertEqual(c.pooling?.mode, .mean)
        XCTAssertEqual(c.sentenceTransformers?.normalizes, true)
        let m = try BertModel(checkpoint: c)
        let g = try GoldenFile.read(path: Repo.expected("heads/sentence-transformers.acts.safetensors"), layers: 2, head: m.head)
        XCTAssertTrue(g.entries.contains { $0.tap == .sentenceEmbedding })
        let r = try Verifier.verify(model: m, golden: g)
        XCTAssertTrue(r.passed, r.taps.filter { !$0.passed }.map(\.goldenName).joined(separator: ", "))
    }

    /// `bertkit diff MODEL GOLDEN` runs the model on the golden's rows, so a multiple-choice golden's
    /// `logits` [B, C] meets the model's [B, C] too (not [B·C, 1]): every head's diff passes, with
    /// every tensor of the golden in a row.
    func testDiffOfEveryHeadAgainstItsGoldenPasses() throws {
        for (name, _, _) in Self.goldens {
            let model = try DiffSide.load(path: Repo.fixture("heads/\(name)/safetensors"))
            let golden = try DiffSide.load(path: Repo.expected("heads/\(name).acts.safetensors"))
            let d = try ModelDiff.run(model, golden, texts: nil, tolerance: .f32)
            XCTAssertEqual(d.tapShapeMismatches.map(\.tap), [], name)
            XCTAssertTrue(d.passed, "\(name): " + DiffText.render(d))
            guard case .dump(let g) = golden else { return XCTFail(name) }
            XCTAssertEqual(d.taps.count, g.entries.count, name)
        }
    }

    /// Multiple choice: inputs [B, C, S] run as B·C rows; `classifier` is [B·C, 1], `logits` [B, C].
    func testMultipleChoiceGoldenShapes() throws {
        let g = try golden("multiple-choice", layers: 2)
        XCTAssertEqual(g.choices, 3)
        XCTAssertEqual(g.batch, 6)
        XCTAssertEqual(g.texts?.count, 6)
        XCTAssertEqual(g.entries.first { $0.name == "classifier" }?.tensor.shape, [6, 1])
        XCTAssertEqual(g.entries.first { $0.name == "logits" }?.tensor.shape, [2, 3])
        XCTAssertEqual(g.entries.first { $0.name == "logits" }?.tap, .choiceLogits)
    }

    /// formats/golden.md: `[B, C, S]` inputs only for a multiple-choice golden; a head tap the model's
    /// head does not have is refused naming the tensor and the model's class.
    func testAGoldenThatDoesNotFitTheHeadIsRefusedNamingTheTensor() throws {
        let mc = Repo.expected("heads/multiple-choice.acts.safetensors")
        XCTAssertThrowsError(try GoldenFile.read(path: mc, layers: 2, head: .sequenceClassification)) { e in
            guard case GoldenError.badInput(let f, let name, let problem) = e else { return XCTFail("\(e)") }
            XCTAssertEqual(f, mc)
            XCTAssertEqual(name, "input_ids")
            XCTAssertTrue(problem.contains("expected shape [batch, seq], found [2, 3, 11]"), problem)
        }
        // The pre-training golden's encoder has sequence-classification's shapes; its MLM head is not there.
        let m = try model("sequence-classification")
        let g = try GoldenFile.read(path: Repo.expected("heads/pretraining.acts.safetensors"), layers: 2, head: m.head)
        XCTAssertThrowsError(try Verifier.verify(model: m, golden: g)) { e in
            guard case GoldenError.tapNotInModel(_, let name, let reason) = e else { return XCTFail("\(e)") }
            XCTAssertEqual(name, "cls.predictions")
            XCTAssertTrue(reason.contains("BertForSequenceClassification"), reason)
        }
    }

    /// A changed head weight fails the head's taps and only those; the encoder still passes.
    func testAPerturbedHeadWeightFailsTheHeadTaps() throws {
        let cases: [(String, String, [String])] = [
            ("pretraining", "cls.predictions.transform.dense.weight", ["cls.predictions", "prediction_logits"]),
            ("pretraining", "cls.seq_relationship.weight", ["cls.seq_relationship", "seq_relationship_logits"]),
            ("masked-lm", "cls.predictions.bias", ["cls.predictions", "logits"]),
            ("masked-lm-untied", "cls.predictions.decoder.weight", ["cls.predictions", "logits"]),
            ("next-sentence", "cls.seq_relationship.bias", ["cls.seq_relationship", "logits"]),
            ("sequence-classification", "classifier.weight", ["classifier", "logits"]),
            ("token-classification", "classifier.bias", ["classifier", "logits"]),
            ("question-answering", "qa_outputs.weight", ["qa_outputs", "start_logits", "end_logits"]),
            ("multiple-choice", "classifier.weight", ["classifier", "logits"]),
        ]
        for (name, weight, failing) in cases {
            let m = try model(name) { c in
                let i = c.parameters.firstIndex { $0.name == weight }!
                var v = c.parameters[i].tensor.floats()
                for k in v.indices { v[k] += 0.01 * Float(k % 3 + 1) }
                c.parameters[i].tensor = RawTensor(floats: v, shape: c.parameters[i].tensor.shape)
            }
            let r = try Verifier.verify(model: m, golden: try golden(name, layers: m.config.numHiddenLayers))
            XCTAssertFalse(r.passed, "\(name) \(weight)")
            XCTAssertEqual(Set(r.taps.filter { !$0.passed }.map(\.goldenName)), Set(failing), "\(name) \(weight)")
        }
    }

    /// The untied decoder is the head's own matrix, not the word embeddings: a model that wrongly
    /// ties it fails `cls.predictions`.
    func testTheUntiedDecoderIsNotTheWordEmbeddings() throws {
        var c = try CheckpointLoader.load(path: Repo.fixture("heads/masked-lm-untied/safetensors"))
        c.architecture.tiedDecoder = true
        c.parameters.removeAll { $0.name.hasPrefix("cls.predictions.decoder.") }
        let r = try Verifier.verify(model: try BertModel(checkpoint: c), golden: try golden("masked-lm-untied", layers: 1))
        XCTAssertEqual(Set(r.taps.filter { !$0.passed }.map(\.goldenName)), ["cls.predictions", "logits"])
    }
}
