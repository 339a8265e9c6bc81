import BertTensors
import Foundation
import TestSupport
import XCTest

@testable import BertFormats

final class PyTorchBinTests: XCTestCase {
    /// A torch.save-shaped archive: `archive/data.pkl`, `archive/byteorder`, `archive/data/<key>`.
    private func writeBin(pickle: [UInt8], storages: [String: [UInt8]], aligned: Bool = true, name: String = #function) -> String {
        var z = ZipBuilder()
        z.align = aligned
        z.add("archive/data.pkl", pickle)
        z.add("archive/byteorder", Array("little".utf8))
        for (k, v) in storages.sorted(by: { $0.key < $1.key }) { z.add("archive/data/\(k)", v) }
        let p = Repo.temporaryDirectory(name) + "/pytorch_model.bin"
        z.write(to: p)
        return p
    }

    private func floatBytes(_ v: [Float]) -> [UInt8] { v.withUnsafeBytes(Array.init) }

    private func expectError<E: LocalizedError>(_ type: E.Type, _ path: String, _ check: (E, String) -> Void) {
        do {
            _ = try PyTorchBinReader.read(path: path)
            XCTFail("expected \(E.self)")
        } catch let e as E {
            let m = e.errorDescription ?? ""
            XCTAssertTrue(m.contains(path), "the message should name the file: \(m)")
            check(e, m)
        } catch {
            XCTFail("unexpected error \(error)")
        }
    }

    // MARK: - Real torch.save files

    func testReadsTorchSaveStateDictBitForBit() throws {
        let bin = try PyTorchBinReader.read(path: Repo.fixture("formats/tiny-cls-bin/pytorch_model.bin"))
        let original = try SafeTensorsOriginal.read(Repo.fixture("tiny-cls/model.safetensors"))
        XCTAssertEqual(bin.naming, .huggingFace)
        XCTAssertEqual(Set(bin.entries.map(\.name)), Set(original.keys))
        for (name, t) in bin.entries { XCTAssertTrue(t.bitIdentical(to: original[name]!), name) }
    }

    func testContiguousTensorsAliasTheMappedFile() throws {
        let bin = try PyTorchBinReader.read(path: Repo.fixture("formats/tiny-cls-bin/pytorch_model.bin"))
        // No copy: every tensor points into the one mapped file.
        let storages = Set(bin.entries.map { ObjectIdentifier($0.tensor.storage) })
        XCTAssertEqual(storages.count, 1)
    }

    func testHalfAndBFloat16Storages() throws {
        for (fixture, original, dtype) in [("tiny-cls-bin-f16", "model-f16", DType.f16), ("tiny-cls-bin-bf16", "model-bf16", .bf16)] {
            let bin = try PyTorchBinReader.read(path: Repo.fixture("formats/\(fixture)/pytorch_model.bin"))
            let o = try SafeTensorsOriginal.read(Repo.fixture("tiny-cls/\(original).safetensors"))
            for (name, t) in bin.entries {
                XCTAssertEqual(t.dtype, dtype, name)
                XCTAssertTrue(t.bitIdentical(to: o[name]!), "\(fixture): \(name)")
            }
        }
    }

    func testSharedStoragesWithOffsetsAndTransposedViews() throws {
        // q/k/v are slices of one fused storage (offsets 0, h·h, 2·h·h); intermediate.dense.weight is a
        // transposed view (strides (1, out)) that must come out row-major.
        let bin = try PyTorchBinReader.read(path: Repo.fixture("formats/tiny-cls-bin-views/pytorch_model.bin"))
        let original = try SafeTensorsOriginal.read(Repo.fixture("tiny-cls/model.safetensors"))
        for (name, t) in bin.entries { XCTAssertTrue(t.bitIdentical(to: original[name]!), name) }
        let q = bin.entries.first { $0.name == "bert.encoder.layer.0.attention.self.query.weight" }!.tensor
        let k = bin.entries.first { $0.name == "bert.encoder.layer.0.attention.self.key.weight" }!.tensor
        XCTAssertTrue(q.storage === k.storage)
        XCTAssertEqual(k.offset - q.offset, 32 * 32 * 4)
    }

    func testTiedDecoderSharesTheWordEmbeddings() throws {
        let bin = try PyTorchBinReader.read(path: Repo.fixture("formats/tiny-bert-pretraining-bin/pytorch_model.bin"))
        let word = bin.entries.first { $0.name == "bert.embeddings.word_embeddings.weight" }!.tensor
        let decoder = bin.entries.first { $0.name == "cls.predictions.decoder.weight" }!.tensor
        XCTAssertTrue(word.storage === decoder.storage && word.offset == decoder.offset && word.bitIdentical(to: decoder))
        XCTAssertTrue(bin.entries.contains { $0.name == "bert.embeddings.LayerNorm.gamma" })
    }

    // MARK: - Views built by hand

    func testTransposedViewIsMadeContiguous() throws {
        let p = writeBin(pickle: PickleWriter.stateDict([("t", "0", "FloatStorage", 6, 0, [3, 2], [1, 3])]),
                         storages: ["0": floatBytes([0, 1, 2, 3, 4, 5])])
        let t = try PyTorchBinReader.read(path: p).entries[0].tensor
        XCTAssertEqual(t.shape, [3, 2])
        XCTAssertEqual(t.floats(), [0, 3, 1, 4, 2, 5])
        XCTAssertNotEqual(t.storage.origin, p, "a strided view is a copy")
    }

    func testRowMajorViewAliasesTheFile() throws {
        let p = writeBin(pickle: PickleWriter.stateDict([("t", "0", "FloatStorage", 6, 2, [2, 2], [2, 1])]),
                         storages: ["0": floatBytes([0, 1, 2, 3, 4, 5])])
        let t = try PyTorchBinReader.read(path: p).entries[0].tensor
        XCTAssertEqual(t.floats(), [2, 3, 4, 5])
        XCTAssertEqual(t.storage.origin, p)
    }

    func testUnalignedStorageIsCopied() throws {
        let p = writeBin(pickle: PickleWriter.stateDict([("t", "0", "FloatStorage", 3, 0, [3], [1])]),
                         storages: ["0": floatBytes([1, 2, 3])], aligned: false)
        let t = try PyTorchBinReader.read(path: p).entries[0].tensor
        XCTAssertEqual(t.floats(), [1, 2, 3])
    }

    func testExpandedViewIsMadeContiguous() throws {
        // torch.arange(3.).expand(2, 3): stride 0 on the first dimension.
        let p = writeBin(pickle: PickleWriter.stateDict([("e", "0", "FloatStorage", 3, 0, [2, 3], [0, 1])]),
                         storages: ["0": floatBytes([7, 8, 9])])
        XCTAssertEqual(try PyTorchBinReader.read(path: p).entries[0].tensor.floats(), [7, 8, 9, 7, 8, 9])
    }

    func testOffsetViewAndEmptyTensor() throws {
        let p = writeBin(pickle: PickleWriter.stateDict([
            ("tail", "0", "FloatStorage", 6, 4, [2], [1]),
            ("empty", "0", "FloatStorage", 6, 6, [0, 5], [5, 1]),
        ]), storages: ["0": floatBytes([0, 1, 2, 3, 4, 5])])
        let e = try PyTorchBinReader.read(path: p).entries
        XCTAssertEqual(e[0].tensor.floats(), [4, 5])
        XCTAssertEqual(e[1].tensor.shape, [0, 5])
    }

    func testViewPastItsStorageIsRefused() {
        // 2×3 at offset 1 reaches element 6 of a 6-element storage.
        let p = writeBin(pickle: PickleWriter.stateDict([("bert.pooler.dense.weight", "0", "FloatStorage", 6, 1, [2, 3], [3, 1])]),
                         storages: ["0": floatBytes([0, 1, 2, 3, 4, 5])])
        expectError(PyTorchBinError.self, p) { e, m in
            guard case .viewOutOfBounds(_, "bert.pooler.dense.weight", 1, [2, 3], [3, 1], 6) = e else { return XCTFail(m) }
        }
    }

    func testStridedViewPastItsStorageIsRefused() {
        // A transposed view whose last element (offset 0 + 2·1 + 1·4 = 6) lies outside 6 elements.
        let p = writeBin(pickle: PickleWriter.stateDict([("w", "0", "FloatStorage", 6, 0, [3, 2], [1, 4])]),
                         storages: ["0": floatBytes([0, 1, 2, 3, 4, 5])])
        expectError(PyTorchBinError.self, p) { e, m in
            guard case .viewOutOfBounds(_, "w", _, _, _, _) = e else { return XCTFail(m) }
        }
    }

    func testStrideRankMismatchIsRefused() {
        let p = writeBin(pickle: PickleWriter.stateDict([("w", "0", "FloatStorage", 6, 0, [2, 3], [1])]),
                         storages: ["0": floatBytes([0, 1, 2, 3, 4, 5])])
        expectError(PyTorchBinError.self, p) { e, m in
            guard case .badView(_, "w", _) = e else { return XCTFail(m) }
        }
    }

    func testStorageSizeMustMatchItsElementCount() {
        let p = writeBin(pickle: PickleWriter.stateDict([("w", "0", "FloatStorage", 8, 0, [2], [1])]),
                         storages: ["0": floatBytes([0, 1, 2, 3, 4, 5])])
        expectError(PyTorchBinError.self, p) { e, m in
            guard case .storageSize(_, "archive/data/0", 8, .f32, 24) = e else { return XCTFail(m) }
        }
    }

    func testOneStorageDescribedTwoWaysIsRefused() {
        // The second persistent id claims 4 doubles (32 bytes) for an 8-byte storage already checked as 2 floats.
        let p = writeBin(pickle: PickleWriter.stateDict([("a", "0", "FloatStorage", 2, 0, [2], [1]), ("b", "0", "DoubleStorage", 4, 0, [4], [1])]),
                         storages: ["0": floatBytes([1, 2])])
        expectError(PyTorchBinError.self, p) { e, m in
            guard case .inconsistentStorage(_, "archive/data/0", "b") = e else { return XCTFail(m) }
        }
    }

    func testMissingStorageIsNamed() {
        let p = writeBin(pickle: PickleWriter.stateDict([("w", "9", "FloatStorage", 2, 0, [2], [1])]), storages: [:])
        expectError(PyTorchBinError.self, p) { e, m in
            guard case .missingStorage(_, "w", "archive/data/9") = e else { return XCTFail(m) }
        }
    }

    func testNonTensorValueIsRefused() {
        var w = PickleWriter()
        w.op(0x7D)
        w.string("epoch")
        w.int(3)
        w.op(0x73)
        w.stop()
        expectError(PyTorchBinError.self, writeBin(pickle: w.bytes, storages: [:])) { e, m in
            guard case .notATensor(_, "epoch", "int") = e else { return XCTFail(m) }
        }
    }

    func testDuplicateNameIsRefused() {
        let p = writeBin(pickle: PickleWriter.stateDict([("w", "0", "FloatStorage", 2, 0, [2], [1]), ("w", "0", "FloatStorage", 2, 0, [2], [1])]),
                         storages: ["0": floatBytes([1, 2])])
        expectError(PyTorchBinError.self, p) { e, m in
            guard case .duplicateName(_, "w") = e else { return XCTFail(m) }
        }
    }

    func testBigEndianArchiveIsRefused() {
        var z = ZipBuilder()
        z.add("archive/data.pkl", PickleWriter.stateDict([]))
        z.add("archive/byteorder", Array("big".utf8))
        let p = Repo.temporaryDirectory() + "/pytorch_model.bin"
        z.write(to: p)
        expectError(PyTorchBinError.self, p) { e, m in
            guard case .byteOrder(_, "big") = e else { return XCTFail(m) }
        }
    }

    // MARK: - Refusals

    func testLegacyTorchSaveFormatIsRefusedClearly() {
        let p = Repo.fixture("formats/broken/legacy.bin")
        expectError(PyTorchBinError.self, p) { e, m in
            guard case .legacyFormat = e else { return XCTFail(m) }
            XCTAssertTrue(m.contains("legacy") && m.contains("HINT"), m)
        }
    }

    func testTruncatedBinIsRefused() throws {
        let whole = try Data(contentsOf: URL(fileURLWithPath: Repo.fixture("formats/tiny-cls-bin/pytorch_model.bin")))
        let p = Repo.temporaryDirectory() + "/pytorch_model.bin"
        FileManager.default.createFile(atPath: p, contents: whole.prefix(whole.count - 100))
        expectError(ZipError.self, p) { e, m in
            guard case .truncated = e else { return XCTFail(m) }
        }
    }

    func testCorruptStorageIsRefusedByEntry() throws {
        var bytes = try Array(Data(contentsOf: URL(fileURLWithPath: Repo.fixture("formats/tiny-cls-bin/pytorch_model.bin"))))
        let src = Repo.fixture("formats/tiny-cls-bin/pytorch_model.bin")
        let e = try ZipArchive(path: src, storage: ByteStorage.map(path: src)).entries.first { $0.name.hasSuffix("/data/3") }!
        bytes[e.dataOffset] ^= 0x80
        let p = Repo.temporaryDirectory() + "/pytorch_model.bin"
        FileManager.default.createFile(atPath: p, contents: Data(bytes))
        expectError(ZipError.self, p) { err, m in
            guard case .crcMismatch(_, e.name, _, _) = err else { return XCTFail(m) }
        }
    }

    /// A payload that would create a file if anything ran it: the read must fail on the global's
    /// name, and the file must not exist afterwards.
    func testMaliciousPickleRunsNothing() throws {
        let dir = Repo.temporaryDirectory()
        for (module, name, code) in [
            ("os", "system", "touch \(dir)/pwned-system"),
            ("builtins", "exec", "open('\(dir)/pwned-exec', 'w').write('x')"),
            ("posix", "system", "touch \(dir)/pwned-posix"),
        ] {
            // As a state dict value (torch-shaped, protocol 2) and as the whole pickle (protocol 4).
            var w = PickleWriter()
            w.global("collections", "OrderedDict")
            w.op(0x29, 0x52)
            w.mark()
            w.string("bert.pooler.dense.weight")
            w.global(module, name)
            w.mark()
            w.string(code)
            w.op(0x74, 0x52, 0x75)  // TUPLE REDUCE SETITEMS
            w.stop()
            for pickle in [w.bytes, PickleWriter.reducePayload(module, name, code)] {
                let p = writeBin(pickle: pickle, storages: [:], name: "malicious\(module)\(name)")
                expectError(PickleError.self, p) { e, m in
                    guard case .forbiddenGlobal(_, module, name, _) = e else { return XCTFail(m) }
                    XCTAssertTrue(m.contains("\(module).\(name)") && m.contains("data.pkl"), m)
                }
            }
        }
        let left = try FileManager.default.contentsOfDirectory(atPath: dir)
        XCTAssertEqual(left, [], "the payload ran")
    }

    func testTheCheckThatNothingRanCanSeeAFile() throws {
        // The malicious test looks for files in its folder; make sure such a look finds one when it exists.
        let dir = Repo.temporaryDirectory()
        FileManager.default.createFile(atPath: dir + "/pwned-system", contents: Data())
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["pwned-system"])
    }

    // MARK: - Binding

    /// torch.save of BertForPreTraining: both heads kept, and the decoder weight, which shares the word
    /// embeddings' storage, stored once as tied.
    func testPreTrainingCheckpointCarriesBothHeadsWithTheDecoderTied() throws {
        let dir = Repo.fixture("formats/tiny-bert-pretraining-bin")
        let config = try BertConfig(contentsOf: dir + "/config.json")
        let c = try Checkpoint.bind(config: config, tensors: try PyTorchBinReader.read(path: dir + "/pytorch_model.bin"))
        XCTAssertEqual(c.head, .preTraining)
        XCTAssertTrue(c.architecture.tiedDecoder && c.architecture.pooler)
        XCTAssertEqual(c.report.tied, ["cls.predictions.decoder.weight"])
        XCTAssertEqual(c.report.warnings, [])
        XCTAssertEqual(c.report.unexpected, [])
        XCTAssertEqual(c.sourceNames["embeddings.LayerNorm.weight"], "bert.embeddings.LayerNorm.gamma")
        XCTAssertEqual(c.sourceNames["cls.predictions.transform.LayerNorm.weight"], "cls.predictions.transform.LayerNorm.gamma")
        XCTAssertNil(c["cls.predictions.decoder.weight"])
        XCTAssertEqual(c.parameters.filter { $0.name.hasPrefix("cls.") }.count, 7)
        let original = try SafeTensorsOriginal.read(Repo.fixture("tiny-bert/model.safetensors"))
        for (name, t) in c.parameters where !name.hasPrefix("cls.") { XCTAssertTrue(t.bitIdentical(to: original[name]!), name) }
    }
}
