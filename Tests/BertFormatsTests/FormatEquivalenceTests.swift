import BertTensors
import Foundation
import TestSupport
import XCTest

@testable import BertFormats

/// The committed safetensors originals, read by a deliberately small parser of the test's own,
/// so that the readers under test are compared with something independent of them.
enum SafeTensorsOriginal {
    static func read(_ path: String) throws -> [String: RawTensor] {
        let s = try ByteStorage.map(path: path)
        let n = Int(s.buffer.loadUnaligned(as: UInt64.self).littleEndian)
        let header = try JSONParser.parse(Array(s.slice(offset: 8, length: n)!), file: path)
        var out: [String: RawTensor] = [:]
        for (name, v) in header.objectValue! where name != "__metadata__" {
            let o = v.objectValue!
            let offsets = o["data_offsets"]!.arrayValue!.map { $0.intValue! }
            out[name] = try RawTensor(dtype: DType(rawValue: o["dtype"]!.stringValue!)!, shape: o["shape"]!.arrayValue!.map { $0.intValue! },
                                      storage: s, offset: 8 + n + offsets[0], byteCount: offsets[1] - offsets[0])
        }
        return out
    }

    /// The original bound to its config: canonical names, in the binder's order.
    static func checkpoint(_ model: String, weights: String = "model") throws -> Checkpoint {
        let config = try BertConfig(contentsOf: Repo.fixture("\(model)/config.json"))
        let tensors = try read(Repo.fixture("\(model)/\(weights).safetensors"))
        return try Checkpoint.bind(config: config, tensors: NamedTensors(file: model, entries: tensors.map { ($0.key, $0.value) }))
    }
}

/// Every format of the same tiny model loads to bit-identical canonical tensors: PyTorch .bin
/// (plain, with views, TF-era pre-training names), h5py flat and nested, HF Keras tf_model.h5
/// (kernels transposed back), each against the committed safetensors original.
final class FormatEquivalenceTests: XCTestCase {
    private func load(_ folder: String, _ file: String) throws -> Checkpoint {
        let dir = Repo.fixture("formats/\(folder)")
        let config = try BertConfig(contentsOf: dir + "/config.json")
        let path = dir + "/" + file
        let tensors = file.hasSuffix(".bin") ? try PyTorchBinReader.read(path: path) : try HDF5Reader.read(path: path)
        return try Checkpoint.bind(config: config, tensors: tensors)
    }

    /// Names that differ in order, or tensors that differ in dtype, shape or any bit.
    private func differences(_ a: Checkpoint, _ b: Checkpoint) -> [String] {
        guard a.parameters.map(\.name) == b.parameters.map(\.name) else { return ["the parameter names differ"] }
        return zip(a.parameters, b.parameters).compactMap { x, y in
            x.tensor.bitIdentical(to: y.tensor) ? nil : "\(x.name) differs (\(x.tensor.dtype) \(x.tensor.shape) vs \(y.tensor.dtype) \(y.tensor.shape))"
        }
    }

    private func assertIdentical(_ a: Checkpoint, _ b: Checkpoint, _ label: String, file: StaticString = #filePath, line: UInt = #line) {
        let d = differences(a, b)
        if !d.isEmpty { XCTFail("\(label): " + d.joined(separator: "; "), file: file, line: line) }
    }

    func testEveryFormatOfTinyClsIsBitIdentical() throws {
        let original = try SafeTensorsOriginal.checkpoint("tiny-cls")
        XCTAssertTrue(original.head == .sequenceClassification && original.architecture.pooler)
        for (folder, file) in [("tiny-cls-bin", "pytorch_model.bin"), ("tiny-cls-bin-views", "pytorch_model.bin"),
                               ("tiny-cls-h5-flat", "model.h5"), ("tiny-cls-h5-nested", "model.h5"),
                               ("tiny-cls-keras", "tf_model.h5")] {
            assertIdentical(try load(folder, file), original, folder)
        }
    }

    func testEveryFormatOfTinyBertIsBitIdentical() throws {
        let original = try SafeTensorsOriginal.checkpoint("tiny-bert")
        for (folder, file) in [("tiny-bert-bin", "pytorch_model.bin"), ("tiny-bert-keras", "tf_model.h5")] {
            assertIdentical(try load(folder, file), original, folder)
        }
        // The same encoder under BertForPreTraining's heads.
        var encoder = try load("tiny-bert-pretraining-bin", "pytorch_model.bin")
        XCTAssertEqual(encoder.head, .preTraining)
        encoder.parameters.removeAll { $0.name.hasPrefix("cls.") }
        assertIdentical(encoder, original, "tiny-bert-pretraining-bin")
    }

    func testHalfPrecisionFormatsAreBitIdentical() throws {
        let f16 = try SafeTensorsOriginal.checkpoint("tiny-cls", weights: "model-f16")
        let bf16 = try SafeTensorsOriginal.checkpoint("tiny-cls", weights: "model-bf16")
        XCTAssertEqual(f16.parameters[0].tensor.dtype, .f16)
        XCTAssertEqual(bf16.parameters[0].tensor.dtype, .bf16)
        for (folder, file) in [("tiny-cls-bin-f16", "pytorch_model.bin"), ("tiny-cls-h5-f16", "model.h5")] {
            assertIdentical(try load(folder, file), f16, folder)
        }
        for (folder, file) in [("tiny-cls-bin-bf16", "pytorch_model.bin"), ("tiny-cls-h5-bf16", "model.h5"),
                               ("tiny-cls-h5-bf16-float", "model.h5")] {
            assertIdentical(try load(folder, file), bf16, folder)
        }
    }

    func testWrittenHDF5ReadsBackBitIdentical() throws {
        for weights in ["model", "model-f16", "model-bf16"] {
            let original = try SafeTensorsOriginal.checkpoint("tiny-cls", weights: weights)
            let p = Repo.temporaryDirectory() + "/model.h5"
            let named = CheckpointExporter.huggingFaceTensors(original)
            try HDF5Writer.write(named, to: p)
            let back = try Checkpoint.bind(config: original.config, tensors: try HDF5Reader.read(path: p))
            assertIdentical(back, original, "written \(weights)")
        }
    }

    func testTheComparisonCanFail() throws {
        // A single flipped bit in one tensor must be reported.
        let original = try SafeTensorsOriginal.checkpoint("tiny-bert")
        var changed = try load("tiny-bert-bin", "pytorch_model.bin")
        let t = changed.parameters[3].tensor
        var bytes = Array(t.bytes)
        bytes[0] ^= 1
        changed.parameters[3].tensor = try bytes.withUnsafeBytes { try RawTensor(dtype: t.dtype, shape: t.shape, copying: $0) }
        XCTAssertEqual(differences(changed, original).count, 1)
        XCTAssertEqual(differences(try load("tiny-bert-bin", "pytorch_model.bin"), original), [])
    }
}
