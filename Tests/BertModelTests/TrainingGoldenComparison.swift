import BertFormats
import BertModel
import BertTensors
import BertVerify
import TestSupport
import XCTest

// Comparisons of a Trainer with a PyTorch step golden (golden/expected/train), shared by
// TrainingGoldenTests (sequence classification) and TrainingHeadGoldenTests (every other head).
extension XCTestCase {
    /// The three key biases, whose true gradient is exactly 0 (softmax shift invariance): PyTorch's
    /// values are rounding noise, listed in the goldens' `noise_dominated` metadata; bertkit's are 0.
    func noiseDominated(_ f: SafeTensorsFile) -> Set<String> {
        let json = f.metadataDictionary["noise_dominated"] ?? "[]"
        return Set((try? JSONDecoder().decode([String].self, from: Data(json.utf8))) ?? [])
    }

    func ints(_ t: RawTensor) -> [Int] { (0..<t.elementCount).map { Int(t.element($0)) } }

    /// Gradients by StepTolerance.gradient (as `bertkit verify --train` judges them; the reasons are there).
    func compareGradients(_ f: SafeTensorsFile, _ t: Trainer, noise: Set<String>, label: String, skipping: Set<String> = [],
                          file: StaticString = #filePath, line: UInt = #line) {
        for e in t.gradients.layout.entries where !skipping.contains(e.name) {
            guard let want = f["grad." + e.name]?.floats() else { XCTFail("no grad.\(e.name)", file: file, line: line); continue }
            let got = t.gradients.values(e.name)
            if noise.contains(e.name) {
                // 0 in exact arithmetic, so bertkit's is exactly 0; PyTorch's is rounding noise, |g| ≤ 2e-8.
                XCTAssertEqual(got.filter { $0 != 0 }.count, 0, "\(label) grad.\(e.name) is not exactly 0: \(got.prefix(4))",
                               file: file, line: line)
                XCTAssertLessThanOrEqual(want.map(abs).max() ?? 0, 3e-8, "\(label) PyTorch grad.\(e.name)", file: file, line: line)
                continue
            }
            let tol = StepTolerance.gradient(largest: Double(want.map(abs).max() ?? 0))
            assertClose(got, want, atol: Float(tol.atol), rtol: Float(tol.rtol), label: "\(label) grad.\(e.name)", file: file, line: line)
        }
    }

    /// Parameters and moments after steps, by StepTolerance (as `bertkit verify --train`): Adam
    /// divides by √v, so an f32 gradient difference of 1e-4 relative moves the update by about as
    /// much; parameters are O(0.1–1), moments follow g. `exempt`: elements (by parameter name) whose values are not compared (their moments are).
    func compareState(_ f: SafeTensorsFile, _ t: Trainer, suffix: String, noise: Set<String>, skipping: Set<String> = [],
                      exempt: [String: Set<Int>] = [:], file: StaticString = #filePath, line: UInt = #line) {
        let off = { (n: String) in t.gradients.layout.offset(of: n) }
        for e in t.gradients.layout.entries where !noise.contains(e.name) && !skipping.contains(e.name) {
            let p = t.model.parameters.values(e.name)
            let m = Array(t.optimizer.exp_avg[off(e.name)..<off(e.name) + e.count])
            let v = Array(t.optimizer.exp_avg_sq[off(e.name)..<off(e.name) + e.count])
            let pk = suffix.isEmpty ? "param1." : "param5."
            if var want = f[pk + e.name]?.floats() {
                var p = p
                if let x = exempt[e.name] {
                    p = p.indices.filter { !x.contains($0) }.map { p[$0] }
                    want = want.indices.filter { !x.contains($0) }.map { want[$0] }
                }
                // Every golden steps at lr 1e-3: 5e-6.
                let tol = StepTolerance.parameter(learningRate: Double(t.optimizer.settings.learningRate))
                assertClose(p, want, atol: Float(tol.atol), rtol: Float(tol.rtol), label: pk + e.name, file: file, line: line)
            }
            if let want = f["exp_avg\(suffix)." + e.name]?.floats() {
                let tol = StepTolerance.firstMoment(largest: Double(want.map(abs).max() ?? 0))
                assertClose(m, want, atol: Float(tol.atol), rtol: Float(tol.rtol), label: "exp_avg\(suffix).\(e.name)", file: file, line: line)
            }
            if let want = f["exp_avg_sq\(suffix)." + e.name]?.floats() {
                let tol = StepTolerance.secondMoment(largest: Double(want.map(abs).max() ?? 0))
                assertClose(v, want, atol: Float(tol.atol), rtol: Float(tol.rtol), label: "exp_avg_sq\(suffix).\(e.name)",
                            file: file, line: line)
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
}
