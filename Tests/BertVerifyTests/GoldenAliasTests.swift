import BertFormats
import BertModel
import BertTensors
import BertVerify
import TestSupport
import XCTest

/// Goldens that name one tap several times (golden/record.py: hooks + output_hidden_states).
final class GoldenAliasTests: XCTestCase {
    func read(_ name: String, layers: Int = 3) throws -> GoldenFile {
        try GoldenFile.read(path: Repo.expected(name), layers: layers)
    }

    func testHooksGoldenGroupsEveryNameUnderItsTap() throws {
        let g = try read("tiny-cls.hooks.safetensors")
        XCTAssertEqual(g.entries.count, 25)
        XCTAssertEqual(g.groups.count, 18, "embeddings, 5 per layer × 3, pooler, classifier")
        XCTAssertEqual(g.groups.filter { $0.count > 1 }.map { $0.map(\.name) }, [
            ["bert.embeddings", "hidden_states.0"], ["bert.encoder.layer.0.output", "hidden_states.1"],
            ["bert.encoder.layer.1.output", "hidden_states.2"], ["bert.encoder.layer.2.output", "hidden_states.3", "last_hidden_state"],
            ["bert.pooler", "pooler_output"], ["classifier", "logits"],
        ])
        let pairs = g.aliasComparisons(tolerance: .f32)
        XCTAssertEqual(pairs.count, 8, "one pair per two names, three for the three names of the last layer")
        for p in pairs {
            XCTAssertTrue(p.agree, "\(p.names)")
            // One transformers run: the hook and the output are the same tensor.
            XCTAssertEqual(p.maxAbsDifference, 0, "\(p.names)")
            XCTAssertGreaterThan(p.compared, 0)
        }
    }

    /// bertkit against both hooks goldens, every tensor; the f32 default tolerance applies as for the
    /// module-path goldens (the tensors are the same numbers).
    func testHooksGoldensVerify() throws {
        for (folder, golden, rows) in [("tiny-cls", "tiny-cls.hooks.safetensors", 25), ("tiny-bert", "tiny-bert.hooks.safetensors", 17)] {
            let model = try BertModel(checkpoint: CheckpointLoader.load(path: Repo.fixture(folder)))
            let g = try GoldenFile.read(path: Repo.expected(golden), layers: model.config.numHiddenLayers)
            let r = try Verifier.verify(model: model, golden: g)
            XCTAssertTrue(r.passed, golden)
            XCTAssertEqual(r.taps.map(\.goldenName), g.entries.map(\.name))
            XCTAssertEqual(r.taps.count, rows, golden)
            XCTAssertTrue(r.aliasDisagreements.isEmpty)
        }
    }

    /// Two dumps naming a tap differently: a name both have is compared with itself, every other
    /// tensor with the other side's first.
    func testDiffPairsNamesAcrossTwoDumps() throws {
        let hooks = try read("tiny-cls.hooks.safetensors")
        let config = try CheckpointLoader.load(path: Repo.fixture("tiny-cls")).config
        let emb = hooks.entries.first { $0.name == "bert.embeddings" }!.tensor
        let values = emb.floats()
        func dump(_ names: [String], _ file: String) throws -> DiffSide {
            let path = Repo.temporaryDirectory() + "/" + file
            try values.withUnsafeBufferPointer { v in
                try GoldenFile.write(path: path, input: try hooks.input(config: config),
                                     taps: names.map { (name: $0, shape: emb.shape, values: v) }, texts: [["x"]], source: "test")
            }
            return .dump(try GoldenFile.read(path: path, layers: 3))
        }
        let d = try ModelDiff.run(try dump(["embeddings", "hidden_states.0"], "a.safetensors"),
                                  try dump(["hidden_states.0", "bert.embeddings"], "b.safetensors"), texts: nil, tolerance: .f32)
        XCTAssertEqual(d.taps.map(\.goldenName), ["embeddings / bert.embeddings", "hidden_states.0"])
        XCTAssertTrue(d.passed, DiffText.render(d))
        XCTAssertEqual(d.aliasesA.map(\.names), [["embeddings", "hidden_states.0"]])
        XCTAssertEqual(d.aliasesB.map(\.names), [["bert.embeddings", "hidden_states.0"]])
    }

    /// `validate --golden` takes the same verdict: a golden that disagrees with itself fails Fidelity
    /// even when the model is within tolerance of both tensors (±0.25 apart, atol 0.3).
    func testValidateFailsOnAGoldenThatDisagreesWithItself() throws {
        let st = try SafeTensorsFile.read(path: Repo.expected("tiny-cls.hooks.safetensors"))
        let tensors = st.tensors.map { t -> (name: String, tensor: RawTensor) in
            guard let delta: Float = ["hidden_states.2": 0.25, "bert.encoder.layer.1.output": -0.25][t.name] else { return t }
            var v = t.tensor.floats()
            v[0] += delta
            return (t.name, RawTensor(floats: v, shape: t.tensor.shape))
        }
        let path = Repo.temporaryDirectory() + "/broken.safetensors"
        try SafeTensorsWriter.write(tensors, metadata: st.metadata, to: path)
        var o = Validator.Options()
        o.goldenTolerance = Tolerance(atol: 0.3, rtol: 0)
        o.golden = Repo.expected("tiny-cls.hooks.safetensors")
        XCTAssertEqual(Validator.run(path: Repo.fixture("tiny-cls"), options: o).checks.first { $0.name == "golden taps" }?.status, .pass)
        o.golden = path
        let r = Validator.run(path: Repo.fixture("tiny-cls"), options: o)
        let check = try XCTUnwrap(r.checks.first { $0.name == "golden taps" })
        XCTAssertEqual(check.status, .fail)
        XCTAssertTrue(check.reason.contains("bert.encoder.layer.1.output and hidden_states.2 both record encoder.layer.1.output"), check.reason)
    }
}
