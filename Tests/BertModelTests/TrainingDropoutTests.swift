import BertFormats
import BertModel
import BertTensors
import TestSupport
import XCTest

/// Dropout in training: PyTorch's masks give PyTorch's loss and gradients; bertkit's own masks are
/// reproducible from (seed, step) and change with either.
extension TrainingGoldenTests {
    func testDropoutWithPyTorchMasksMatchesLossAndGradients() throws {
        let f = try golden("dropout")
        let rates = DropoutRates(hidden: 0.1, attention: 0.2, classifier: 0.3)
        XCTAssertEqual(f.metadataDictionary["dropout"],
                       #"{"attention_probs_dropout_prob":0.2,"classifier_dropout":0.3,"hidden_dropout_prob":0.1}"#)
        let t = try trainer(f, dropout: rates)
        let (input, labels) = try batch(f, 0, config: t.model.config)
        let masks = DropoutMasks(config: t.model.config, batch: input.batch, seq: input.seq, rates: rates)
        // torch draws its masks in the order bertkit lists its sites.
        let torchSites = try JSONDecoder().decode([String].self, from: Data(f.metadataDictionary["mask_sites"]!.utf8))
        XCTAssertEqual(masks.sites.map(\.site.weightPrefix), torchSites)
        for (k, site) in masks.sites.enumerated() {
            let m = try XCTUnwrap(f["mask.\(k)"])
            XCTAssertEqual(m.dtype, .u8)
            XCTAssertEqual(m.elementCount, site.count, "\(site.site)")
            let buffer = try XCTUnwrap(masks.mask(site.site))
            for i in 0..<site.count { buffer[i] = UInt8(m.element(i)) }
        }
        let (loss, logits) = try t.lossAndGradients(input, targets: targets(labels), masks: masks)
        // As without dropout: one forward's f32 rounding.
        assertClose(logits, f["logits.0"]!.floats(), atol: 1e-5, label: "dropout logits")
        XCTAssertEqual(loss, f["loss"]!.floats()[0], accuracy: 1e-5 * f["loss"]!.floats()[0], "dropout loss")
        compareGradients(f, t, noise: noiseDominated(f), label: "dropout")
    }

    func testDropoutIsOnByDefaultAndReproducibleFromSeedAndStep() throws {
        let f = try golden("adam")
        let (input, labels) = try batch(f, 1, config: try trainer(f).model.config)
        func loss(seed: UInt64, dropout: DropoutRates? = nil) throws -> Float {
            let model = try BertModel(checkpoint: CheckpointLoader.load(path: Repo.fixture("tiny-cls")))
            let t = Trainer(model: model, optimizer: .init(kind: .adam, learningRate: 1e-3), dropout: dropout, seed: seed)
            return try t.lossAndGradients(input, targets: targets(labels)).loss
        }
        let eval = try trainer(f).lossAndGradients(input, targets: targets(labels)).loss
        let a = try loss(seed: 1), b = try loss(seed: 1), c = try loss(seed: 2)
        XCTAssertEqual(a, b, "the same seed and step draw the same masks")
        XCTAssertNotEqual(a, c, "another seed draws other masks")
        XCTAssertNotEqual(a, eval, "tiny-cls's config has dropout 0.1: on by default in training")
        XCTAssertEqual(try loss(seed: 1, dropout: .off), eval, "dropout off is the eval forward")
        XCTAssertEqual(try loss(seed: 1, dropout: .init(hidden: 0, attention: 0, classifier: 0)), eval, "rates of 0 are off")
        let masks = DropoutMasks(config: try trainer(f).model.config, batch: 2, seq: 8, rates: .init(hidden: 0.5, attention: 0.5, classifier: 0.5))
        masks.draw(seed: 1, step: 0)
        let step0 = Array(masks.mask(.output(layer: 1))!)
        masks.draw(seed: 1, step: 1)
        XCTAssertNotEqual(Array(masks.mask(.output(layer: 1))!), step0, "each step draws new masks")
        masks.draw(seed: 1, step: 0)
        XCTAssertEqual(Array(masks.mask(.output(layer: 1))!), step0)
    }

    func testResumedRunDropsWhatTheUninterruptedRunDrops() throws {
        let f = try golden("adam")
        func fresh(_ opt: AdamOptimizer? = nil, model: BertModel? = nil) throws -> Trainer {
            let m = try model ?? BertModel(checkpoint: CheckpointLoader.load(path: Repo.fixture("tiny-cls")))
            let t = Trainer(model: m, optimizer: .init(kind: .adam, learningRate: 1e-3), seed: 9)
            if let opt { t.optimizer = opt }
            return t
        }
        let whole = try fresh(), first = try fresh()
        var want: [Float] = [], got: [Float] = []
        for k in 0..<3 {
            let (input, labels) = try batch(f, k, config: whole.model.config)
            want.append(try whole.step(input, targets: targets(labels)).loss)
        }
        let (i0, l0) = try batch(f, 0, config: first.model.config)
        got.append(try first.step(i0, targets: targets(l0)).loss)
        let resumed = try fresh(first.optimizer, model: first.model)
        for k in 1..<3 {
            let (input, labels) = try batch(f, k, config: resumed.model.config)
            got.append(try resumed.step(input, targets: targets(labels)).loss)
        }
        XCTAssertEqual(got, want, "a new trainer at step 1 draws step 1's masks")
    }
}
