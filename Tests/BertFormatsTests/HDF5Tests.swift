import BertTensors
import Foundation
import TestSupport
import XCTest

@testable import BertFormats

final class HDF5Tests: XCTestCase {
    private func expectError(_ path: String, _ check: (HDF5Error, String) -> Void) {
        do {
            _ = try HDF5Reader.read(path: path)
            XCTFail("expected an HDF5 error for \(path)")
        } catch let e as HDF5Error {
            let m = e.errorDescription ?? ""
            XCTAssertTrue(m.contains(path), "the message should name the file: \(m)")
            check(e, m)
        } catch {
            XCTFail("unexpected error \(error)")
        }
    }

    private func broken(_ name: String) -> String { Repo.fixture("formats/broken/\(name)") }

    // MARK: - PyTorch layouts

    /// libhdf5 never returns on this fuzzer-made file (a 170 KB `.h5`): the reading child is killed
    /// at its CPU limit (30 s for a small file, formats/hdf5.md "Limits"), not at the 120 s wall clock.
    func testAFileOnWhichLibHDF5NeverReturnsIsRefusedInTime() throws {
        let path = Repo.root + "/Fuzz/regressions/hdf5/libhdf5-loops-forever.h5"
        expectError(path) { e, m in
            guard case .readerFailed = e else { return XCTFail("expected readerFailed, found \(e)") }
            XCTAssertTrue(m.contains("did not finish in its 30 s of CPU"), m)
        }
    }

    func testFlatLayoutReadsEveryDatasetBitForBit() throws {
        let h5 = try HDF5Reader.read(path: Repo.fixture("formats/tiny-cls-h5-flat/model.h5"))
        let original = try SafeTensorsOriginal.read(Repo.fixture("tiny-cls/model.safetensors"))
        XCTAssertEqual(h5.naming, .huggingFace)
        XCTAssertEqual(Set(h5.entries.map(\.name)), Set(original.keys))
        for (name, t) in h5.entries { XCTAssertTrue(t.bitIdentical(to: original[name]!), name) }
    }

    func testNestedGroupsAreJoinedWithDots() throws {
        let h5 = try HDF5Reader.read(path: Repo.fixture("formats/tiny-cls-h5-nested/model.h5"))
        let original = try SafeTensorsOriginal.read(Repo.fixture("tiny-cls/model.safetensors"))
        XCTAssertEqual(Set(h5.entries.map(\.name)), Set(original.keys))
        XCTAssertTrue(h5.entries.contains { $0.name == "bert.encoder.layer.2.output.LayerNorm.bias" })
    }

    func testHalfAndBFloat16Datasets() throws {
        for (fixture, original, dtype) in [("tiny-cls-h5-f16", "model-f16", DType.f16), ("tiny-cls-h5-bf16", "model-bf16", .bf16),
                                           ("tiny-cls-h5-bf16-float", "model-bf16", .bf16)] {
            let h5 = try HDF5Reader.read(path: Repo.fixture("formats/\(fixture)/model.h5"))
            let o = try SafeTensorsOriginal.read(Repo.fixture("tiny-cls/\(original).safetensors"))
            for (name, t) in h5.entries {
                XCTAssertEqual(t.dtype, dtype, "\(fixture): \(name)")
                XCTAssertTrue(t.bitIdentical(to: o[name]!), "\(fixture): \(name)")
            }
        }
    }

    // MARK: - Keras

    func testKerasNamesAndTransposedKernels() throws {
        let h5 = try HDF5Reader.read(path: Repo.fixture("formats/tiny-cls-keras/tf_model.h5"))
        XCTAssertEqual(h5.naming, .keras)
        let names = h5.entries.map(\.name)
        XCTAssertTrue(names.contains("tf_bert_for_sequence_classification/bert/encoder/layer_._0/attention/self/query/kernel:0"), "\(names)")
        XCTAssertTrue(names.contains("tf_bert_for_sequence_classification/classifier/kernel:0"))
        let original = try SafeTensorsOriginal.read(Repo.fixture("tiny-cls/model.safetensors"))
        let kernel = h5.entries.first { $0.name.hasSuffix("layer_._1/intermediate/dense/kernel:0") }!.tensor
        // Keras stores the Linear weight [out, in] = [48, 32] as its transpose.
        XCTAssertEqual(kernel.shape, [32, 48])
        XCTAssertTrue(kernel.transposed2D().bitIdentical(to: original["bert.encoder.layer.1.intermediate.dense.weight"]!))
    }

    func testKerasNamesMapToCanonicalNames() {
        let cases: [(String, WeightNames.Mapping)] = [
            ("tf_bert_model/bert/embeddings/word_embeddings/weight:0", .parameter(BertParameter(name: "embeddings.word_embeddings.weight")!, transposed: false)),
            ("tf_bert_model/bert/embeddings/token_type_embeddings/embeddings:0", .parameter(BertParameter(name: "embeddings.token_type_embeddings.weight")!, transposed: false)),
            ("tf_bert_model/bert/embeddings/LayerNorm/gamma:0", .parameter(BertParameter(name: "embeddings.LayerNorm.weight")!, transposed: false)),
            ("tf_bert_model/bert/encoder/layer_._11/output/LayerNorm/beta:0", .parameter(BertParameter(name: "encoder.layer.11.output.LayerNorm.bias")!, transposed: false)),
            ("tf_bert_for_sequence_classification/bert/pooler/dense/kernel:0", .parameter(BertParameter(name: "pooler.dense.weight")!, transposed: true)),
            ("tf_bert_for_sequence_classification/classifier/bias:0", .parameter(BertParameter(name: "classifier.bias")!, transposed: false)),
            ("tf_bert_for_pre_training/mlm___cls/predictions/bias:0", .parameter(.head(.mlmBias), transposed: false)),
            ("tf_bert_for_pre_training/nsp___cls/seq_relationship/kernel:0", .parameter(.head(.nspWeight), transposed: true)),
            ("tf_bert_for_question_answering/qa_outputs/kernel:0", .parameter(.head(.qaWeight), transposed: true)),
            ("tf_bert_for_pre_training/mlm___cls/predictions/transform/LayerNorm/gamma:0", .parameter(.head(.mlmNormWeight), transposed: false)),
            ("tf_bert_model/bert/encoder/layer_._x/output/dense/bias:0", .unexpected),
            // A user's own Keras model around TFBertMainLayer, and a bare main layer.
            ("my_classifier/bert/pooler/dense/bias:0", .parameter(BertParameter(name: "pooler.dense.bias")!, transposed: false)),
            ("bert/encoder/layer_._0/attention/self/key/kernel:0", .parameter(BertParameter(name: "encoder.layer.0.attention.self.key.weight")!, transposed: true)),
            ("embeddings/position_embeddings/embeddings:0", .parameter(BertParameter(name: "embeddings.position_embeddings.weight")!, transposed: false)),
        ]
        for (name, expected) in cases { XCTAssertEqual(WeightNames.map(keras: name), expected, name) }
    }

    func testKerasFileWithoutWeightNamesIsRefused() {
        let p = broken("keras-missing-weight-names.h5")
        expectError(p) { e, m in
            guard case .missingAttribute(_, "layer group /bert", "weight_names") = e else { return XCTFail(m) }
        }
    }

    func testKerasLayerWithoutItsGroupIsRefused() {
        expectError(broken("keras-missing-layer.h5")) { e, m in
            guard case .missingLayer(_, "bert") = e else { return XCTFail(m) }
        }
    }

    // MARK: - Refusals

    func testExternalLinkIsRefused() {
        expectError(broken("external-link.h5")) { e, m in
            guard case .externalLink(_, "/embeddings.LayerNorm.bias", "/etc/elsewhere.h5:/secret") = e else { return XCTFail(m) }
        }
    }

    func testSoftLinkIsRefused() {
        expectError(broken("soft-link.h5")) { e, m in
            guard case .softLink(_, "/embeddings.LayerNorm.bias", "soft") = e else { return XCTFail(m) }
        }
    }

    func testVirtualDatasetIsRefused() {
        expectError(broken("virtual-dataset.h5")) { e, m in
            guard case .virtualDataset(_, "/embeddings.LayerNorm.weight") = e else { return XCTFail(m) }
        }
    }

    func testExternalStorageIsRefused() {
        expectError(broken("external-storage.h5")) { e, m in
            guard case .externalStorage(_, "/embeddings.LayerNorm.weight", 1) = e else { return XCTFail(m) }
        }
    }

    func testAbsurdShapeIsRefusedBeforeAllocating() {
        expectError(broken("absurd-shape.h5")) { e, m in
            guard case .absurdShape(_, "/embeddings.word_embeddings.weight", [1 << 24, 1 << 24], _) = e else { return XCTFail(m) }
            XCTAssertTrue(m.contains("1125899906842624 bytes"), m)
        }
    }

    func testHardLinkCycleIsRefused() {
        expectError(broken("hard-link-cycle.h5")) { e, m in
            guard case .linkCycle(_, "/bert/loop") = e else { return XCTFail(m) }
        }
    }

    func testNullDataspaceIsRefused() {
        expectError(broken("null-dataspace.h5")) { e, m in
            guard case .noData(_, "/embeddings.LayerNorm.weight", _) = e else { return XCTFail(m) }
        }
    }

    func testTwoPathsForOneNameAreRefused() {
        expectError(broken("duplicate-name.h5")) { e, m in
            guard case .duplicateName(_, "embeddings.LayerNorm.weight", let paths) = e else { return XCTFail(m) }
            XCTAssertEqual(Set(paths), ["/embeddings.LayerNorm.weight", "/embeddings/LayerNorm/weight"])
        }
    }

    func testFilterPluginIsNotLoaded() {
        expectError(broken("lzf-filter.h5")) { e, m in
            guard case .unavailableFilter(_, "/embeddings.LayerNorm.weight", _, 32000) = e else { return XCTFail(m) }
        }
    }

    func testNotAnHDF5File() {
        let p = Repo.temporaryDirectory() + "/model.h5"
        FileManager.default.createFile(atPath: p, contents: Data("not hdf5".utf8))
        expectError(p) { e, m in
            guard case .notHDF5 = e else { return XCTFail(m) }
        }
    }

    func testTruncatedFileIsRefused() throws {
        let whole = try Data(contentsOf: URL(fileURLWithPath: Repo.fixture("formats/tiny-cls-h5-flat/model.h5")))
        let p = Repo.temporaryDirectory() + "/model.h5"
        FileManager.default.createFile(atPath: p, contents: whole.prefix(whole.count / 2))
        XCTAssertThrowsError(try HDF5Reader.read(path: p)) { e in
            XCTAssertTrue((e as? LocalizedError)?.errorDescription?.contains(p) == true, "\(e)")
        }
    }

    // MARK: - Writer

    func testWriterRoundTripsEveryDType() throws {
        let p = Repo.temporaryDirectory() + "/out.h5"
        var tensors: [(name: String, tensor: RawTensor)] = [
            ("f32", RawTensor(floats: [1, -2.5, 3e-8, .infinity], shape: [2, 2])),
            ("f16", RawTensor(floats: [1, -2.5, 65504], shape: [3], dtype: .f16)),
            ("bf16", RawTensor(floats: [1, -2.5, 1e30], shape: [3], dtype: .bf16)),
            ("scalar", RawTensor(floats: [7], shape: [])),
            ("empty", RawTensor(floats: [], shape: [0, 4])),
        ]
        let ints: [Int64] = [0, 1, -5, 1 << 40]
        tensors.append(("embeddings.position_ids", try ints.withUnsafeBytes { try RawTensor(dtype: .i64, shape: [1, 4], copying: $0) }))
        tensors.append(("mask", try [UInt8]([1, 0, 1]).withUnsafeBytes { try RawTensor(dtype: .bool, shape: [3], copying: $0) }))
        try HDF5Writer.write(tensors, to: p)
        let back = try HDF5Reader.read(path: p)
        // The writer tracks link creation order and the reader lists in it.
        XCTAssertEqual(back.entries.map(\.name), tensors.map(\.name))
        for (name, t) in tensors {
            let b = back.entries.first { $0.name == name }!.tensor
            XCTAssertTrue(b.bitIdentical(to: t), "\(name): \(b.dtype) \(b.shape)")
        }
    }

    func testWriterIsAtomicAndRefusesBadNames() throws {
        let dir = Repo.temporaryDirectory()
        let p = dir + "/out.h5"
        FileManager.default.createFile(atPath: p, contents: Data("previous".utf8))
        let t = RawTensor(floats: [1], shape: [1])
        for bad in [[("a/b", t)], [("x", t), ("x", t)], [("", t)]] {
            XCTAssertThrowsError(try HDF5Writer.write(bad, to: p)) { e in
                guard case .cannotWrite(p, _, _) = e as? HDF5Error else { return XCTFail("\(e)") }
            }
        }
        // The old file is untouched and no temporary file is left behind.
        XCTAssertEqual(try String(contentsOfFile: p, encoding: .utf8), "previous")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["out.h5"])
        try HDF5Writer.write([("x", t)], to: p)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["out.h5"])
        XCTAssertTrue(try HDF5Reader.read(path: p).entries[0].tensor.bitIdentical(to: t))
    }

    func testWriterIntoAMissingFolderFails() {
        XCTAssertThrowsError(try HDF5Writer.write([("x", RawTensor(floats: [1], shape: [1]))], to: "/nonexistent-dir/out.h5"))
    }
}
