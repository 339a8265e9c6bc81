import BertTensors
import Foundation
import TestSupport
import XCTest

@testable import BertFormats

/// The head fixtures (golden/generate_heads.py): every transformers head in every weights format.
enum HeadFixtures {
    /// Folder name → the head its config names.
    static let heads: [(name: String, head: HeadKind)] = [
        ("bert-pooler", .none), ("bert-no-pooler", .none), ("pretraining", .preTraining), ("masked-lm", .maskedLM),
        ("masked-lm-untied", .maskedLM), ("next-sentence", .nextSentence), ("sequence-classification", .sequenceClassification),
        ("token-classification", .tokenClassification), ("question-answering", .questionAnswering),
        ("multiple-choice", .multipleChoice),
    ]
    /// Every format generate_heads.py writes besides the safetensors original, with its weights file.
    static let formats: [(folder: String, weights: String)] = [
        ("sharded", "model.safetensors.index.json"), ("bin", "pytorch_model.bin"), ("h5-flat", "model.h5"),
        ("h5-nested", "model.h5"), ("keras", "tf_model.h5"),
    ]

    static func folder(_ name: String, _ format: String = "safetensors") -> String { Repo.fixture("heads/\(name)/\(format)") }

    /// The formats a head has on disk (the untied MLM has no Keras file: TF cannot untie it).
    static func formats(of name: String) -> [(folder: String, weights: String)] {
        formats.filter { FileManager.default.fileExists(atPath: folder(name, $0.folder) + "/" + $0.weights) }
    }

    /// The safetensors original, read by the tests' own parser.
    static func original(_ name: String) throws -> Checkpoint { try SafeTensorsOriginal.checkpoint("heads/\(name)/safetensors") }
}

final class HeadFormatsTests: XCTestCase {
    /// Names that differ in order, or tensors that differ in dtype, shape or any bit.
    private func differences(_ a: Checkpoint, _ b: Checkpoint) -> [String] {
        guard a.parameters.map(\.name) == b.parameters.map(\.name) else {
            return ["the parameter names differ: \(a.parameters.map(\.name)) vs \(b.parameters.map(\.name))"]
        }
        return zip(a.parameters, b.parameters).compactMap { x, y in x.tensor.bitIdentical(to: y.tensor) ? nil : "\(x.name) differs" }
    }

    private func assertSame(_ a: Checkpoint, _ b: Checkpoint, _ label: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.architecture, b.architecture, label, file: file, line: line)
        let d = differences(a, b)
        if !d.isEmpty { XCTFail("\(label): " + d.joined(separator: "; "), file: file, line: line) }
    }

    func testEveryHeadInEveryFormatBindsToTheOriginalsTensors() throws {
        var checked = 0
        for (name, head) in HeadFixtures.heads {
            let original = try HeadFixtures.original(name)
            XCTAssertEqual(original.head, head, name)
            XCTAssertEqual(original.architecture.pooler, name != "bert-no-pooler" && (head.usesPooler ?? true), name)
            XCTAssertEqual(original.architecture.carried, [], name)
            XCTAssertEqual(original.report.unexpected, [], name)
            let formats = HeadFixtures.formats(of: name)
            XCTAssertEqual(formats.count, name == "masked-lm-untied" ? 4 : 5, name)
            for f in formats {
                let c = try CheckpointLoader.load(path: HeadFixtures.folder(name, f.folder))
                assertSame(c, original, "\(name)/\(f.folder)")
                XCTAssertEqual(c.report.unexpected, [], "\(name)/\(f.folder)")
                XCTAssertEqual(c.report.warnings, [], "\(name)/\(f.folder)")
                checked += 1
            }
        }
        XCTAssertEqual(checked, 49)
    }

    /// Source → X and source → .bkm → X, for X = safetensors, HF folder, .h5: read back, every
    /// tensor is the original's.
    func testEveryHeadRoundTripsBitIdenticalDirectlyAndThroughBKM() throws {
        for (name, _) in HeadFixtures.heads {
            let tmp = Repo.temporaryDirectory()
            let original = try HeadFixtures.original(name)
            let config = HeadFixtures.folder(name) + "/config.json"
            for f in [("bin", "pytorch_model.bin")] + [("safetensors", "model.safetensors")] {
                let src = HeadFixtures.folder(name, f.0)
                try CheckpointConverter.convert(source: src, output: "\(tmp)/\(f.0).bkm")
                for via in [src, "\(tmp)/\(f.0).bkm"] {
                    let tag = via.hasSuffix(".bkm") ? "\(f.0)-bkm" : f.0
                    for out in ["m.safetensors", "m.h5", "hf"] {
                        let path = "\(tmp)/\(tag)-\(out)"
                        try CheckpointConverter.convert(source: via, output: path)
                        let back = try CheckpointLoader.load(path: path, configOverride: out == "hf" ? nil : config)
                        assertSame(back, original, "\(name): \(tag) → \(out)")
                    }
                }
            }
        }
    }

    /// A folder export of a transformers folder rewrites none of its text files: config.json (key
    /// order, label maps, numbers), the vocabulary and the tokenizer files come back byte for byte.
    func testAFolderExportKeepsTheSourcesFilesByteForByte() throws {
        for (name, _) in HeadFixtures.heads {
            let tmp = Repo.temporaryDirectory()
            try CheckpointConverter.convert(source: HeadFixtures.folder(name), output: tmp + "/m.bkm")
            try CheckpointConverter.convert(source: tmp + "/m.bkm", output: tmp + "/hf")
            for f in ["config.json", "vocab.txt", "tokenizer_config.json", "special_tokens_map.json"] {
                XCTAssertEqual(FileManager.default.contents(atPath: tmp + "/hf/" + f),
                               FileManager.default.contents(atPath: HeadFixtures.folder(name) + "/" + f), "\(name) \(f)")
            }
        }
    }

    /// Tied: the safetensors has no decoder (absent); the `.bin` stores it sharing the word
    /// embeddings' storage (present and equal: reported as tied, no warning); a copy that differs
    /// is reported. Untied: the decoder is a parameter of its own and every export keeps it.
    func testTiedDecoderAbsentPresentAndDifferent() throws {
        for name in ["masked-lm", "pretraining"] {
            let absent = try CheckpointLoader.load(path: HeadFixtures.folder(name))
            XCTAssertTrue(absent.architecture.tiedDecoder)
            XCTAssertEqual(absent.report.tied, [], name)
            XCTAssertNil(absent["cls.predictions.decoder.weight"])

            let bin = try CheckpointLoader.load(path: HeadFixtures.folder(name, "bin"))
            XCTAssertEqual(bin.report.tied, ["cls.predictions.decoder.weight", "cls.predictions.decoder.bias"], name)
            XCTAssertEqual(bin.report.warnings, [], name)
            XCTAssertEqual(bin.parameters.count, absent.parameters.count)
            XCTAssertFalse(CheckpointExporter.huggingFaceTensors(bin).contains { $0.name.hasPrefix("cls.predictions.decoder") })

            var raw = try PyTorchBinReader.read(path: HeadFixtures.folder(name, "bin") + "/pytorch_model.bin")
            let i = try XCTUnwrap(raw.entries.firstIndex { $0.name == "cls.predictions.decoder.weight" })
            var values = raw.entries[i].tensor.floats()
            values[7] += 0.5
            raw.entries[i].tensor = RawTensor(floats: values, shape: raw.entries[i].tensor.shape)
            let config = try BertConfig(contentsOf: HeadFixtures.folder(name, "bin") + "/config.json")
            let different = try Checkpoint.bind(config: config, tensors: raw)
            XCTAssertEqual(different.report.warnings.count, 1, name)
            let w = different.report.warnings.first ?? ""
            XCTAssertTrue(w.contains("cls.predictions.decoder.weight differs from bert.embeddings.word_embeddings.weight")
                          && w.contains("tie_word_embeddings"), w)
            // transformers uses the word embeddings; so does bertkit.
            XCTAssertTrue(different["embeddings.word_embeddings.weight"]!.bitIdentical(to: absent["embeddings.word_embeddings.weight"]!))
        }

        let untied = try CheckpointLoader.load(path: HeadFixtures.folder("masked-lm-untied", "bin"))
        XCTAssertFalse(untied.architecture.tiedDecoder)
        XCTAssertEqual(untied.report.tied, [])
        let names = CheckpointExporter.huggingFaceTensors(untied).map(\.name)
        for n in ["cls.predictions.decoder.weight", "cls.predictions.decoder.bias", "cls.predictions.bias"] {
            XCTAssertTrue(names.contains(n), n)
        }
        XCTAssertFalse(untied["cls.predictions.decoder.weight"]!.bitIdentical(to: untied["embeddings.word_embeddings.weight"]!))
    }
}

/// golden/expected/heads/exports.json (golden/check_exports.py): transformers loaded every
/// `bertkit convert SRC m.bkm && bertkit convert m.bkm hf` export with the original class.
final class HeadExportRecordTests: XCTestCase {
    private struct Record: Decodable {
        struct Export: Decodable {
            let architecture: String
            let missing_keys: [String]
            let unexpected_keys: [String]
            let mismatched_keys: [String]
            let tensors_identical: Bool
            let outputs: [String]
            let max_abs_difference: Double
            let files: [String]
            let sha256: [String: String]
        }
        let exports: [String: Export]
    }

    private func record() throws -> Record {
        try JSONDecoder().decode(Record.self, from: Data(contentsOf: URL(fileURLWithPath: Repo.expected("heads/exports.json"))))
    }

    func testTransformersLoadedEveryExportCleanlyWithIdenticalOutputs() throws {
        let r = try record()
        let expectedKeys = HeadFixtures.heads.flatMap { h in (["safetensors"] + HeadFixtures.formats(of: h.name).map(\.folder)).map { "\(h.name)/\($0)" } }
        XCTAssertEqual(Set(r.exports.keys), Set(expectedKeys))
        for (key, e) in r.exports {
            let head = HeadFixtures.heads.first { key.hasPrefix($0.name + "/") }!.head
            XCTAssertEqual(e.architecture, head.architectureName, key)
            XCTAssertEqual(e.missing_keys + e.unexpected_keys + e.mismatched_keys, [], key)
            XCTAssertTrue(e.tensors_identical, key)
            XCTAssertEqual(e.max_abs_difference, 0, key)
            XCTAssertFalse(e.outputs.isEmpty, key)
        }
    }

    /// Today's exporter writes the very files transformers was checked on (same SHA-256).
    func testTodaysExporterWritesTheRecordedFiles() throws {
        for (key, e) in try record().exports {
            let parts = key.split(separator: "/").map(String.init)
            let tmp = Repo.temporaryDirectory()
            try CheckpointConverter.convert(source: HeadFixtures.folder(parts[0], parts[1]), output: tmp + "/m.bkm")
            try CheckpointConverter.convert(source: tmp + "/m.bkm", output: tmp + "/hf")
            XCTAssertEqual(folderListing(tmp + "/hf"), e.files, key)
            for (file, sha) in e.sha256 { XCTAssertEqual(try FileDigest.sha256(path: tmp + "/hf/" + file), sha, "\(key) \(file)") }
        }
    }
}
