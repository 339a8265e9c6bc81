import BertFormats
import BertTensors
import Foundation
import TestSupport
import XCTest

/// Every RoBERTa / XLM-RoBERTa fixture (golden/generate_roberta.py) in every format it comes in binds
/// to the same parameters, bit for bit, and converts back under transformers' names without losing a
/// tensor: safetensors, .bin (tied tensors sharing storage), PyTorch-named .h5, Keras tf_model.h5.
final class FamilyFormatsTests: XCTestCase {
    private func bytes(_ t: RawTensor) -> [UInt8] { Array(UnsafeRawBufferPointer(t.bytes)) }

    private func assertSameParameters(_ a: Checkpoint, _ b: Checkpoint, _ label: String, line: UInt = #line) {
        XCTAssertEqual(a.parameters.map(\.name), b.parameters.map(\.name), label, line: line)
        XCTAssertEqual(a.architecture, b.architecture, label, line: line)
        for (x, y) in zip(a.parameters, b.parameters) {
            XCTAssertEqual(x.tensor.shape, y.tensor.shape, "\(label) \(x.name)", line: line)
            XCTAssertTrue(bytes(x.tensor.converted(to: .f32)) == bytes(y.tensor.converted(to: .f32)), "\(label) \(x.name) differs", line: line)
        }
    }

    func testEveryFormatOfEveryFixtureBindsToTheSameParameters() throws {
        for (name, head, formats) in FamilyFixtures.all {
            let reference = try FamilyFixtures.checkpoint(name)
            XCTAssertEqual(reference.head, head, name)
            XCTAssertTrue(reference.report.unexpected.isEmpty, "\(name): \(reference.report.unexpected)")
            for format in formats.dropFirst() {
                var c = try FamilyFixtures.checkpoint(name, format)
                if format == "keras", name.hasPrefix("mpnet-"), !reference.architecture.pooler {
                    // TFMPNetMainLayer always builds its pooler (modeling_tf_mpnet.py), so a TFMPNetFor… file
                    // has one the PyTorch head lacks: carried (kept, never run), as any unused pooler is.
                    XCTAssertEqual(c.architecture.carried, [.pooler(.weight), .pooler(.bias)], name)
                    var tensors = try HDF5Reader.read(path: FamilyFixtures.weights(name, format))
                    tensors.entries.removeAll { $0.name.contains("/pooler/") }
                    c = try Checkpoint.bind(config: c.config, tensors: tensors)
                }
                assertSameParameters(reference, c, "\(name) \(format)")
                XCTAssertTrue(c.report.unexpected.isEmpty, "\(name) \(format): \(c.report.unexpected)")
            }
        }
    }

    /// safetensors → .bkm → safetensors / .h5 / folder: the names transformers' files have, the same
    /// bytes, nothing dropped (the source file's tensors minus what transformers' save_pretrained
    /// leaves out: a tied decoder).
    func testEveryFixtureConvertsBackUnderItsFamilysNamesBitForBit() throws {
        let dir = Repo.temporaryDirectory(#function)
        for (name, _, _) in FamilyFixtures.all {
            let source = try SafeTensorsFile.read(path: FamilyFixtures.weights(name, "safetensors")).named
            let sourceBytes = Dictionary(uniqueKeysWithValues: source.entries.map { ($0.name, bytes($0.tensor)) })
            let c = try FamilyFixtures.checkpoint(name)
            let bkm = dir + "/\(name).bkm"
            try CheckpointExporter.write(c, to: bkm)
            let back = try BKMFile.open(path: bkm).checkpoint()
            assertSameParameters(c, back, "\(name) .bkm")
            for out in ["\(name).safetensors", "\(name).h5", "\(name)-folder"] {
                let path = dir + "/" + out
                try CheckpointExporter.write(back, to: path)
                let written: NamedTensors = out.hasSuffix(".h5") ? try HDF5Reader.read(path: path)
                    : try SafeTensorsFile.read(path: out.hasSuffix("-folder") ? path + "/model.safetensors" : path).named
                XCTAssertEqual(Set(written.entries.map(\.name)), Set(sourceBytes.keys), "\(name) → \(out): the same tensor names")
                for e in written.entries { XCTAssertTrue(sourceBytes[e.name] == bytes(e.tensor), "\(name) → \(out): \(e.name) differs") }
            }
            let folderConfig = try BertConfig(contentsOf: dir + "/\(name)-folder/config.json")
            XCTAssertEqual(folderConfig.modelType, c.config.modelType)
            XCTAssertEqual(folderConfig.architectures, [c.architecture.className])
        }
    }

    /// issue 14's bad input: a `roberta` config saying `type_vocab_size` 2 over a one-row token-type
    /// table is refused naming the tensor and the key.
    func testARobertaConfigWhoseTokenTypesContradictTheTableNamesTheKey() throws {
        let dir = Repo.temporaryDirectory(#function)
        let src = FamilyFixtures.folder("roberta-sequence-classification")
        guard case .object(var o) = try JSONParser.parse(contentsOf: src + "/config.json") else { return XCTFail() }
        o["type_vocab_size"] = .int(2)
        let config = try BertConfig(json: o, file: dir + "/config.json")
        let tensors = try SafeTensorsFile.read(path: src + "/model.safetensors").named
        XCTAssertThrowsError(try Checkpoint.bind(config: config, tensors: tensors)) { e in
            let m = (e as? LocalizedError)?.errorDescription ?? ""
            XCTAssertTrue(m.contains("roberta.embeddings.token_type_embeddings.weight") && m.contains("expected [2, 24]")
                          && m.contains("type_vocab_size") && m.contains("found [1, 24]"), m)
        }
    }
}
