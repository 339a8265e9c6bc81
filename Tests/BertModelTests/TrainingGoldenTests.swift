import BertFormats
import BertModel
import BertTensors
import TestSupport
import XCTest

/// Fine-tuning tiny-cls against PyTorch (golden/expected/train, written by
/// golden/generate_training.py): with dropout 0, the loss, every gradient, Adam's moments and the
/// parameters after 1 and 5 steps, a 20-step loss trajectory, regression and multi-label losses;
/// with dropout, the loss and gradients under PyTorch's own masks (TrainingDropoutTests.swift).
final class TrainingGoldenTests: XCTestCase {
    /// The three key biases, whose true gradient is exactly 0 (softmax shift invariance): PyTorch's
    /// values are rounding noise, listed in the goldens' `noise_dominated` metadata; bertkit's are 0.
    func noiseDominated(_ f: SafeTensorsFile) -> Set<String> {
        let json = f.metadataDictionary["noise_dominated"] ?? "[]"
        return Set((try? JSONDecoder().decode([String].self, from: Data(json.utf8))) ?? [])
    }

    func golden(_ name: String) throws -> SafeTensorsFile {
        try SafeTensorsFile.read(path: Repo.expected("train/tiny-cls.\(name).safetensors"))
    }

    func ints(_ t: RawTensor) -> [Int] { (0..<t.elementCount).map { Int(t.element($0)) } }

    func batch(_ f: SafeTensorsFile, _ k: Int, config: BertConfig) throws -> (BertInput, RawTensor) {
        let ids = f["batch.\(k).input_ids"]!
        let input = try BertInput(batch: ids.shape[0], seq: ids.shape[1], inputIds: ints(ids),
                                  tokenTypeIds: ints(f["batch.\(k).token_type_ids"]!),
                                  attentionMask: ints(f["batch.\(k).attention_mask"]!), config: config)
        return (input, f["batch.\(k).labels"]!)
    }

    /// The goldens without a `dropout` entry were written with dropout off.
    func trainer(_ f: SafeTensorsFile, problem: ProblemType? = nil, dropout: DropoutRates = .off) throws -> Trainer {
        let model = try BertModel(checkpoint: CheckpointLoader.load(path: Repo.fixture("tiny-cls")))
        let opt = try JSONSerialization.jsonObject(with: Data((f.metadataDictionary["optimizer"] ?? "{}").utf8)) as! [String: Any]
        let kind: AdamOptimizer.Kind = (opt["optimizer"] as? String) == "torch.optim.AdamW" ? .adamw : .adam
        let wd = Float((opt["weight_decay"] as? Double) ?? 0)
        let warmup = opt["num_warmup_steps"] as? Int, total = opt["num_training_steps"] as? Int
        let clip = (opt["clip_grad_norm"] as? [String: Any])?["max_norm"] as? Double
        return Trainer(model: model, optimizer: .init(kind: kind, learningRate: Float((opt["lr"] as? Double) ?? 1e-3), weightDecay: wd),
                       schedule: warmup.map { .linear(warmupSteps: $0, totalSteps: total ?? 0) } ?? .constant,
                       clipNorm: clip.map { Float($0) }, problem: problem, dropout: dropout)
    }

    func targets(_ labels: RawTensor) -> TrainingTargets {
        labels.dtype == .f32 ? .values(labels.floats()) : .classes(ints(labels))
    }

    /// Gradients: 1e-5 relative (the aim) plus 1e-5 of the tensor's largest element, since
    /// f32 sums of a few hundred terms in another order than PyTorch's leave a small element with
    /// the big ones' rounding (measured: within 1e-6 of the largest for all but a few elements per
    /// tensor, all within 1e-5). A dropped term (e.g. LayerNorm's mean(g·n)) is off by > 1e-2.
    func compareGradients(_ f: SafeTensorsFile, _ t: Trainer, noise: Set<String>, label: String,
                          file: StaticString = #filePath, line: UInt = #line) {
        for e in t.gradients.layout.entries {
            guard let want = f["grad." + e.name]?.floats() else { XCTFail("no grad.\(e.name)", file: file, line: line); continue }
            let got = t.gradients.values(e.name)
            if noise.contains(e.name) {
                // 0 in exact arithmetic, so bertkit's is exactly 0; PyTorch's is rounding noise, |g| ≤ 2e-8.
                XCTAssertEqual(got.filter { $0 != 0 }.count, 0, "\(label) grad.\(e.name) is not exactly 0: \(got.prefix(4))",
                               file: file, line: line)
                XCTAssertLessThanOrEqual(want.map(abs).max() ?? 0, 3e-8, "\(label) PyTorch grad.\(e.name)", file: file, line: line)
                continue
            }
            let scale = want.map(abs).max() ?? 0
            assertClose(got, want, atol: 1e-5 * scale + 1e-9, rtol: 1e-5, label: "\(label) grad.\(e.name)", file: file, line: line)
        }
    }

    /// Parameters and moments after steps: Adam divides by √v, so an f32 gradient difference of
    /// 1e-4 relative moves the update by about as much; parameters are O(0.1–1), moments follow g.
    func compareState(_ f: SafeTensorsFile, _ t: Trainer, suffix: String, noise: Set<String>,
                      file: StaticString = #filePath, line: UInt = #line) {
        let off = { (n: String) in t.gradients.layout.offset(of: n) }
        for e in t.gradients.layout.entries where !noise.contains(e.name) {
            let p = t.model.parameters.values(e.name)
            let m = Array(t.optimizer.exp_avg[off(e.name)..<off(e.name) + e.count])
            let v = Array(t.optimizer.exp_avg_sq[off(e.name)..<off(e.name) + e.count])
            let pk = suffix.isEmpty ? "param1." : "param5."
            if let want = f[pk + e.name]?.floats() {
                // lr 1e-3 per step: 5e-6 is 0.5% of one step. Adam's update lr·m̂/√v̂ turns a 1e-4
                // relative gradient difference on an element with a near-zero moment into ~3e-6.
                assertClose(p, want, atol: 5e-6, label: pk + e.name, file: file, line: line)
            }
            if let want = f["exp_avg\(suffix)." + e.name]?.floats() {
                let s = want.map(abs).max() ?? 0
                assertClose(m, want, atol: 1e-4 * s + 1e-10, rtol: 1e-3, label: "exp_avg\(suffix).\(e.name)", file: file, line: line)
            }
            if let want = f["exp_avg_sq\(suffix)." + e.name]?.floats() {
                let s = want.map(abs).max() ?? 0
                assertClose(v, want, atol: 2e-4 * s + 1e-14, rtol: 2e-3, label: "exp_avg_sq\(suffix).\(e.name)", file: file, line: line)
            }
        }
    }

    /// The key biases after the steps: no moment, no Adam update, only AdamW's decay `p·(1 − lr·wd)`
    /// per step; and wherever PyTorch's step-1 gradient was exactly 0, PyTorch's own param1.
    func compareKeyBiases(_ f: SafeTensorsFile, _ t: Trainer, initial: Checkpoint, steps: Int, noise: Set<String>,
                          file: StaticString = #filePath, line: UInt = #line) throws {
        let opt = try JSONSerialization.jsonObject(with: Data((f.metadataDictionary["optimizer"] ?? "{}").utf8)) as! [String: Any]
        let adamw = (opt["optimizer"] as? String) == "torch.optim.AdamW"
        let wd = (opt["weight_decay"] as? Double) ?? 0, lrs = (opt["lr_per_step"] as? [Double]) ?? []
        XCTAssertGreaterThanOrEqual(lrs.count, steps, file: file, line: line)
        for name in noise.sorted() {
            let off = t.gradients.layout.offset(of: name), n = t.gradients.layout[name]!.count
            XCTAssertEqual(t.optimizer.exp_avg[off..<off + n].filter { $0 != 0 }.count, 0, "exp_avg.\(name)", file: file, line: line)
            XCTAssertEqual(t.optimizer.exp_avg_sq[off..<off + n].filter { $0 != 0 }.count, 0, "exp_avg_sq.\(name)",
                           file: file, line: line)
            var want = initial[name]!.floats()
            for k in 0..<steps where adamw {
                let decay = Float(1 - lrs[k] * wd)
                want = want.map { $0 * decay }
            }
            let got = t.model.parameters.values(name)
            // The same f32 products as torch's `p.mul_(1 - lr·wd)`; 1 ulp for how the factor is rounded.
            assertClose(got, want, atol: 0, rtol: 2.4e-7, label: "key bias after \(steps) steps: \(name)", file: file, line: line)
            if steps == 1, let torchGrad = f["grad." + name]?.floats(), let torchParam = f["param1." + name]?.floats() {
                let exact = torchGrad.indices.filter { torchGrad[$0] == 0 }
                assertClose(exact.map { got[$0] }, exact.map { torchParam[$0] }, atol: 0, rtol: 2.4e-7,
                            label: "param1.\(name) where PyTorch's gradient is 0", file: file, line: line)
            }
        }
    }

    func runOptimizerGolden(_ name: String) throws {
        let f = try golden(name)
        let t = try trainer(f)
        let noise = noiseDominated(f)
        XCTAssertEqual(noise.count, 3)
        let initial = try CheckpointLoader.load(path: Repo.fixture("tiny-cls"))
        let losses = f["loss"]!.floats(), lrs = f["lr"]!.floats(), norms = f["grad_norm"]!.floats()
        for k in 0..<5 {
            let (input, labels) = try batch(f, k, config: t.model.config)
            if k == 0 {
                let (loss, logits) = try t.lossAndGradients(input, targets: targets(labels))
                // Logits and loss: one forward, f32 rounding only.
                assertClose(logits, f["logits.0"]!.floats(), atol: 1e-5, label: "\(name) logits.0")
                XCTAssertEqual(loss, losses[0], accuracy: 1e-5 * losses[0], "\(name) loss 0")
                compareGradients(f, t, noise: noise, label: name)
            }
            let r = try t.step(input, targets: targets(labels))
            // Forward rounding (1e-6 of the loss) after k steps of updates that agree to ~1e-6.
            XCTAssertEqual(r.loss, losses[k], accuracy: 2e-5 * losses[k], "\(name) loss at step \(k + 1)")
            XCTAssertEqual(r.learningRate, lrs[k], accuracy: 1e-9, "\(name) lr at step \(k + 1)")
            XCTAssertEqual(r.gradientNorm, norms[k], accuracy: 1e-4 * norms[k], "\(name) grad norm at step \(k + 1)")
            if k == 0 {
                compareState(f, t, suffix: "", noise: noise)
                try compareKeyBiases(f, t, initial: initial, steps: 1, noise: noise)
            }
        }
        compareState(f, t, suffix: "5", noise: noise)
        try compareKeyBiases(f, t, initial: initial, steps: 5, noise: noise)
    }

    func testAdamFiveSteps() throws { try runOptimizerGolden("adam") }
    func testAdamWFiveSteps() throws { try runOptimizerGolden("adamw") }
    func testAdamWWithClippingAndWarmupFiveSteps() throws { try runOptimizerGolden("adamw-clip-warmup") }

    func testTwentyStepLossTrajectory() throws {
        let f = try golden("trajectory")
        let t = try trainer(try golden("adam"))
        let want = f["loss"]!.floats()
        var got: [Float] = []
        for i in 0..<20 {
            let (input, labels) = try batch(f, i % 5, config: t.model.config)
            got.append(try t.step(input, targets: targets(labels)).loss)
        }
        // PyTorch's own 1- vs 2-thread runs differ by < 1e-5 after 20 steps.
        assertClose(got, want, atol: 5e-5, rtol: 1e-4, label: "20-step loss")
    }

    func runProblemType(_ name: String, _ problem: ProblemType) throws {
        let f = try golden(name)
        let t = try trainer(f, problem: problem)
        let (input, labels) = try batch(f, 0, config: t.model.config)
        XCTAssertEqual(labels.shape, [4, 5])
        let (loss, logits) = try t.lossAndGradients(input, targets: targets(labels))
        assertClose(logits, f["logits.0"]!.floats(), atol: 1e-5, label: "\(name) logits")
        XCTAssertEqual(loss, f["loss"]!.floats()[0], accuracy: 1e-5 * f["loss"]!.floats()[0], "\(name) loss")
        compareGradients(f, t, noise: noiseDominated(f), label: name)
    }

    func testRegressionLossAndGradients() throws { try runProblemType("regression", .regression) }
    func testMultiLabelLossAndGradients() throws { try runProblemType("multilabel", .multiLabel) }
}
