import BertFormats
import BertModel
import BertTensors
import BertVerify
import TestSupport
import XCTest

/// `verify --train`'s library: bertkit's step against step goldens, those golden/record.py --train
/// wrote on golden/fixtures/train-verify (golden/generate_train_verify.py) and the first step of the
/// longer head goldens (golden/expected/train).
final class StepVerifierTests: XCTestCase {
    static let heads = ["token-classification", "question-answering", "masked-lm"]

    func model(_ folder: String) throws -> BertModel { try BertModel(checkpoint: CheckpointLoader.load(path: Repo.fixture(folder))) }

    func recorded(_ head: String) -> String { Repo.expected("train-verify/\(head).step.safetensors") }

    func verify(_ folder: String, _ golden: String, failFast: Bool = false) throws -> StepVerifyReport {
        try StepVerifier.verify(model: model(folder), golden: StepGolden.read(path: golden), failFast: failFast)
    }

    /// A copy of `golden` with `edit` applied to its tensors (by name) and metadata, in a temporary file.
    func edited(_ golden: String, _ edit: (inout [(name: String, tensor: RawTensor)]) -> Void = { _ in },
                metadata: (inout [String: String]) -> Void = { _ in }) throws -> String {
        let f = try SafeTensorsFile.read(path: golden)
        var tensors = f.tensors, meta = f.metadataDictionary
        edit(&tensors)
        metadata(&meta)
        let dir = Repo.temporaryDirectory()
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        let out = dir + "/edited.safetensors"
        try SafeTensorsWriter.write(tensors, metadata: meta.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }, to: out)
        return out
    }

    func replacing(_ name: String, _ change: @escaping ([Float]) -> [Float]) -> (inout [(name: String, tensor: RawTensor)]) -> Void {
        { tensors in
            let i = tensors.firstIndex { $0.name == name }!
            let t = tensors[i].tensor
            tensors[i].tensor = RawTensor(floats: change(t.floats()), shape: t.shape)
        }
    }

    func testRecordedStepsPassOnEveryHead() throws {
        for head in Self.heads {
            let r = try verify("train-verify/\(head)", recorded(head))
            let failing = r.rows.filter { !$0.comparison.passed }.map(\.comparison.goldenName)
            XCTAssertTrue(r.passed, "\(head): failing \(failing)")
            XCTAssertNil(r.firstDivergentGradient)
            let m = try model("train-verify/\(head)")
            let trained = m.parameters.layout.entries.count - Trainer(model: m, optimizer: .init(kind: .adamw, learningRate: 1e-3)).frozen.count
            XCTAssertEqual(r.rows.filter { $0.kind == .gradient }.count, trained, head)
            XCTAssertEqual(r.rows.first?.kind, .loss)
            XCTAssertEqual(r.rows.dropFirst().first?.kind, .logits)
            // Forward order: the gradients follow the model's layout.
            XCTAssertEqual(r.rows.filter { $0.kind == .gradient }.map(\.parameter!),
                           m.parameters.layout.entries.map(\.name).filter { n in r.rows.contains { $0.parameter == n } })
            XCTAssertEqual(r.rows.filter { $0.kind == .parameter }.count + r.skipped.filter { $0.name.hasPrefix("param1.") }.count, trained)
        }
    }

    /// QA's bias and last LayerNorm bias (shift invariant) and every key bias are bounded, and their
    /// moments and values skipped.
    func testCancellingGradientsAreBoundedAndTheirStateSkipped() throws {
        let r = try verify("train-verify/question-answering", recorded("question-answering"))
        let skipped = Set(r.skipped.map(\.name))
        for p in ["qa_outputs.bias", "encoder.layer.1.output.LayerNorm.bias", "encoder.layer.0.attention.self.key.bias"] {
            XCTAssertEqual(skipped.intersection(["exp_avg.\(p)", "exp_avg_sq.\(p)", "param1.\(p)"]).count, 3, p)
            let g = try XCTUnwrap(r.rows.first { $0.comparison.goldenName == "grad.\(p)" })
            XCTAssertEqual(g.tolerance.rtol, 0, p)
            // Bounded at 1e-5 of the matching weight's largest gradient (7e-6 for qa_outputs.bias, whose
            // weight's reach 0.7): both sides are noise, PyTorch's measured ≤ 3e-8.
            XCTAssertLessThan(g.tolerance.atol, 1e-5, p)
            XCTAssertLessThan(g.comparison.maxAbsError, 1e-7, p)
        }
    }

    /// The longer goldens of golden/generate_training*.py hold the same layout: their first step
    /// passes too (with clipping and a warmup schedule's first learning rate).
    func testFirstStepOfTheHeadGoldensPasses() throws {
        for (fixture, golden) in [("train-heads/multiple-choice", "train/multiple-choice.adamw"), ("tiny-cls", "train/tiny-cls.adamw"),
                                  ("tiny-cls", "train/tiny-cls.adamw-clip-warmup"), ("train-heads/pre-training", "train/pre-training.adamw")] {
            let r = try verify(fixture, Repo.expected(golden + ".safetensors"))
            XCTAssertTrue(r.passed, "\(golden): failing \(r.rows.filter { !$0.comparison.passed }.map(\.comparison.goldenName))")
        }
        let g = try StepGolden.read(path: Repo.expected("train/tiny-cls.adamw-clip-warmup.safetensors"))
        XCTAssertEqual(g.clipNorm, 0.5)
        XCTAssertEqual(g.optimizer.weightDecay, 0.01)
    }

    /// A gradient moved by 1e-3 of its tensor's largest element (100× the rule) fails, and the
    /// report names that parameter as the first divergent one although later tensors are fine.
    func testPerturbedGradientIsNamedAsTheFirstDivergence() throws {
        let name = "encoder.layer.1.attention.output.dense.weight"
        let golden = try edited(recorded("token-classification"), replacing("grad." + name) { g in
            var g = g
            g[5] += 1e-3 * (g.map(abs).max() ?? 0)
            return g
        })
        let r = try verify("train-verify/token-classification", golden)
        XCTAssertFalse(r.passed)
        XCTAssertEqual(r.firstDivergentGradient, name)
        XCTAssertEqual(r.rows.filter { !$0.comparison.passed }.map(\.comparison.goldenName), ["grad." + name])
        XCTAssertEqual(r.firstFailure?.comparison.failing, 1)
        XCTAssertEqual(r.firstFailure?.comparison.worstIndex, [0, 5])

        XCTAssertEqual(r.divergenceOrigin, name)

        let failFast = try verify("train-verify/token-classification", golden, failFast: true)
        XCTAssertEqual(failFast.rows.last?.comparison.goldenName, "grad." + name)
        XCTAssertTrue(failFast.notCompared.contains("param1.classifier.bias"))
    }

    /// Two gradients off: the first in forward order is named first, and the later one (which backward
    /// computes first) as where backward goes wrong, as a mistake in layer 1's backward spoils layer 0 too.
    func testDivergenceOriginIsTheLastDivergentGradientInForwardOrder() throws {
        let early = "encoder.layer.0.attention.self.query.weight", late = "encoder.layer.1.intermediate.dense.bias"
        let bump = { (g: [Float]) -> [Float] in var g = g; g[0] += 1e-2 * (g.map(abs).max() ?? 0); return g }
        let tok = recorded("token-classification")
        let once = try edited(tok, replacing("grad." + late, bump))
        let golden = try edited(once, replacing("grad." + early, bump))
        let r = try verify("train-verify/token-classification", golden)
        XCTAssertEqual(r.firstDivergentGradient, early)
        XCTAssertEqual(r.divergenceOrigin, late)
        XCTAssertNil(try verify("train-verify/token-classification", golden, failFast: true).divergenceOrigin)
    }

    /// A parameter after the step off by 1% of lr (twice the rule) fails with no divergent gradient.
    func testPerturbedParameterFailsWithoutBlamingAGradient() throws {
        let golden = try edited(recorded("masked-lm"), replacing("param1.embeddings.word_embeddings.weight") { p in
            var p = p
            p[40] += 1e-5
            return p
        })
        let r = try verify("train-verify/masked-lm", golden)
        XCTAssertFalse(r.passed)
        XCTAssertNil(r.firstDivergentGradient)
        XCTAssertEqual(r.firstFailure?.comparison.goldenName, "param1.embeddings.word_embeddings.weight")
    }

    func assertRefused(_ folder: String, _ golden: String, _ expected: StepGoldenError, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try verify(folder, golden), file: file, line: line) { e in
            XCTAssertEqual(e as? StepGoldenError, expected, file: file, line: line)
        }
    }

    func testGoldensThatDoNotFitAreRefusedNamingTheTensor() throws {
        let tok = recorded("token-classification"), folder = "train-verify/token-classification"
        let missing = try edited(tok) { $0.removeAll { $0.name == "exp_avg_sq.encoder.layer.0.intermediate.dense.bias" } }
        assertRefused(folder, missing, .missingTensor(file: missing, name: "exp_avg_sq.encoder.layer.0.intermediate.dense.bias",
                                                       reason: "bertkit trains encoder.layer.0.intermediate.dense.bias (BertForTokenClassification reads it)"))
        let transposed = try edited(tok) { t in
            let i = t.firstIndex { $0.name == "grad.encoder.layer.0.intermediate.dense.weight" }!
            t[i].tensor = RawTensor(floats: t[i].tensor.floats(), shape: t[i].tensor.shape.reversed())
        }
        assertRefused(folder, transposed, .shape(file: transposed, name: "grad.encoder.layer.0.intermediate.dense.weight",
                                                 expected: [24, 16], found: [16, 24]))
        let stray = try edited(tok) { $0.append((name: "grad.encoder.layer.7.output.dense.bias", tensor: RawTensor(floats: [0], shape: [1]))) }
        assertRefused(folder, stray, .unknownTensor(file: stray, name: "grad.encoder.layer.7.output.dense.bias"))
        let noLabels = try edited(tok) { $0.removeAll { $0.name == "batch.0.labels" } }
        assertRefused(folder, noLabels, .missingTensor(file: noLabels, name: "batch.0.labels", reason: "BertForTokenClassification trains on it"))
        // Another model: the QA golden on the token classifier, then other weights of the same class.
        assertRefused(folder, recorded("question-answering"),
                      .architecture(file: recorded("question-answering"), golden: "BertForQuestionAnswering", model: "BertForTokenClassification"))
        let m = try model(folder)
        m.parameters[BertParameter(name: "embeddings.LayerNorm.weight")!][3] += 1e-3
        m.parameters.didChange()
        XCTAssertThrowsError(try StepVerifier.verify(model: m, golden: StepGolden.read(path: tok))) { e in
            guard case .weights(tok, _, _)? = e as? StepGoldenError else { return XCTFail("\(e)") }
        }
        // Not a step golden, and a dropout replay.
        let acts = Repo.expected("tiny-cls.acts.safetensors")
        assertRefused("tiny-cls", acts, .notStepGolden(file: acts, found: "bertkit-golden"))
        let dropout = Repo.expected("train/token-classification.dropout.safetensors")
        XCTAssertThrowsError(try verify("train-heads/token-classification", dropout)) { e in
            guard case .badMetadata(dropout, "kind", _)? = e as? StepGoldenError else { return XCTFail("\(e)") }
        }
        let sgd = try edited(tok, metadata: { $0["optimizer"] = #"{"optimizer":"torch.optim.SGD","lr":0.1}"# })
        XCTAssertThrowsError(try verify(folder, sgd)) { e in
            guard case .badMetadata(sgd, "optimizer", let p)? = e as? StepGoldenError else { return XCTFail("\(e)") }
            XCTAssertTrue(p.contains("torch.optim.SGD"), p)
        }
    }
}
