import BertFormats
import BertTensors
import BertVerify
import TestSupport
import XCTest

final class ValidateTests: XCTestCase {
    func tinyCls(_ dir: String, edit: (inout Checkpoint) -> Void = { _ in }) throws -> String {
        var c = try CheckpointLoader.load(path: Repo.fixture("tiny-cls"))
        edit(&c)
        let path = dir + "/model.bkm"
        try BKMWriter.write(c, to: path)
        return path
    }

    func failing(_ r: ValidationReport) -> [String] { r.failed.map(\.name) }

    func testGoodClassifierPassesWithGolden() throws {
        let path = try tinyCls(Repo.temporaryDirectory())
        var o = Validator.Options()
        o.golden = Repo.expected("tiny-cls.acts.safetensors")
        let r = Validator.run(path: path, options: o)
        XCTAssertTrue(r.passed, r.failed.map(\.reason).joined(separator: "\n"))
        for name in ["bkm checksums", "tensors present and shaped", "weights finite", "deterministic", "padded batch = single",
                     "golden taps", "id2label count = classifier rows"] {
            XCTAssertEqual(r.checks.first { $0.name == name }?.status, .pass, name)
        }
    }

    func testFlippedByteFailsTheChecksumNamingTheTensor() throws {
        let path = try tinyCls(Repo.temporaryDirectory())
        let f = try BKMFile.open(path: path)
        let e = try XCTUnwrap(f.entry("encoder.layer.1.output.dense.weight"))
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes[e.fileOffset + 5] ^= 0x10
        try bytes.write(to: URL(fileURLWithPath: path))
        let r = Validator.run(path: path, options: .init())
        XCTAssertEqual(failing(r), ["bkm checksums"])
        let reason = r.failed.first?.reason ?? ""
        XCTAssertTrue(reason.contains("encoder.layer.1.output.dense.weight"), reason)
        XCTAssertTrue(reason.contains("1 tensor(s)"), reason)
    }

    func testNaNWeightFailsNamingTensorAndCount() throws {
        let path = try tinyCls(Repo.temporaryDirectory()) { c in
            let i = c.parameters.firstIndex { $0.name == "encoder.layer.0.attention.self.key.weight" }!
            var v = c.parameters[i].tensor.floats()
            v[3] = .nan
            v[7] = .nan
            v[9] = .infinity
            c.parameters[i].tensor = RawTensor(floats: v, shape: c.parameters[i].tensor.shape)
        }
        let r = Validator.run(path: path, options: .init())
        XCTAssertTrue(failing(r).contains("weights finite"), "\(failing(r))")
        let reason = try XCTUnwrap(r.failed.first { $0.name == "weights finite" }).reason
        XCTAssertTrue(reason.contains("encoder.layer.0.attention.self.key.weight: 2 NaN, 1 Inf"), reason)
        XCTAssertTrue(failing(r).contains("outputs finite on probe inputs"), "\(failing(r))")
    }

    func testZeroLayerNormAndMissingPoolerAreNamed() throws {
        let dir = Repo.temporaryDirectory()
        let zero = try tinyCls(dir) { c in
            let i = c.parameters.firstIndex { $0.name == "encoder.layer.1.output.LayerNorm.weight" }!
            c.parameters[i].tensor = RawTensor(floats: [Float](repeating: 0, count: c.parameters[i].tensor.shape[0]), shape: c.parameters[i].tensor.shape)
        }
        let r = Validator.run(path: zero, options: .init())
        XCTAssertEqual(failing(r), ["LayerNorm weights not all zero"])
        XCTAssertTrue(r.failed.first?.reason.contains("encoder.layer.1.output.LayerNorm.weight") == true)

        let noPooler = try tinyCls(Repo.temporaryDirectory("no-pooler")) { c in c.parameters.removeAll { $0.name.hasPrefix("pooler.") } }
        let p = Validator.run(path: noPooler, options: .init())
        // The strict loader already refuses a classification head without a pooler, naming the tensors.
        XCTAssertEqual(failing(p), ["loads"])
        XCTAssertTrue(p.failed.first?.reason.contains("pooler.dense.weight [32, 32]") == true, "\(p.checks)")
    }

    func testFailingGoldenAndAccuracyFloor() throws {
        // tiny-bert's golden does not fit tiny-cls: the fidelity check fails (it does not throw).
        let path = try tinyCls(Repo.temporaryDirectory())
        var o = Validator.Options()
        o.golden = Repo.expected("tiny-bert.acts.safetensors")
        let r = Validator.run(path: path, options: o)
        XCTAssertEqual(failing(r), ["golden taps"])
    }
}
