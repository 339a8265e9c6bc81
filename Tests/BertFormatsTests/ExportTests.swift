import BertFormats
import BertTensors
import Foundation
import TestSupport
import XCTest

final class ExportTests: XCTestCase {
    func testSafetensorsUseTheArchitecturesHuggingFaceNames() throws {
        let dir = Repo.temporaryDirectory()
        try CheckpointExporter.write(CheckpointLoader.load(path: Repo.fixture("tiny-cls")), to: dir + "/cls.safetensors")
        let cls = try SafeTensorsFile.read(path: dir + "/cls.safetensors")
        XCTAssertEqual(Set(cls.tensors.map(\.name)), Set(try SafeTensorsFile.read(path: Repo.fixture("tiny-cls/model.safetensors")).tensors.map(\.name)))
        XCTAssertNotNil(cls["bert.encoder.layer.2.output.dense.weight"])
        XCTAssertNotNil(cls["classifier.weight"])
        XCTAssertEqual(cls.metadataDictionary, ["format": "pt"])
        try CheckpointExporter.write(CheckpointLoader.load(path: Repo.fixture("tiny-bert")), to: dir + "/bert.safetensors")
        XCTAssertNotNil(try SafeTensorsFile.read(path: dir + "/bert.safetensors")["encoder.layer.1.output.dense.weight"])
    }

    func testSafetensorsToBKMAndBackIsBitExact() throws {
        for fixture in ["tiny-bert", "tiny-cls"] {
            let dir = Repo.temporaryDirectory()
            let original = try SafeTensorsFile.read(path: Repo.fixture(fixture + "/model.safetensors"))
            try CheckpointExporter.write(CheckpointLoader.load(path: Repo.fixture(fixture)), to: dir + "/m.bkm")
            try CheckpointExporter.write(CheckpointLoader.load(path: dir + "/m.bkm"), to: dir + "/m.safetensors")
            let back = try SafeTensorsFile.read(path: dir + "/m.safetensors")
            XCTAssertEqual(back.tensors.count, original.tensors.count)
            for (name, t) in original.tensors { XCTAssertTrue(back[name]?.bitIdentical(to: t) == true, "\(fixture) \(name)") }
        }
    }

    func testHuggingFaceFolderReloadsWithConfigLabelsAndTokenizer() throws {
        let source = try CheckpointLoader.load(path: Repo.fixture("tiny-cls"))
        let out = Repo.temporaryDirectory() + "/hf"
        try CheckpointExporter.write(source, to: out)
        XCTAssertEqual(folderListing(out), ["config.json", "model.safetensors", "special_tokens_map.json", "tokenizer_config.json", "vocab.txt"])
        let back = try CheckpointLoader.load(path: out)
        for (a, b) in zip(source.parameters, back.parameters) { XCTAssertTrue(a.tensor.bitIdentical(to: b.tensor), a.name) }
        XCTAssertEqual(back.config.id2label, ["World", "Sports", "Business", "Sci/Tech", "Other"])
        XCTAssertEqual(back.config.raw["my_custom_key"], source.config.raw["my_custom_key"])
        XCTAssertEqual(back.config.raw["custom_settings"], source.config.raw["custom_settings"])
        XCTAssertEqual(back.vocabulary, source.vocabulary)
        XCTAssertEqual(back.tokenizer?.doLowerCase, source.tokenizer?.doLowerCase)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out + "/vocab.txt")),
                       try Data(contentsOf: URL(fileURLWithPath: Repo.fixture("tiny-cls/vocab.txt"))))
    }

    func testFolderConfigNamesTheStoredDType() throws {
        let out = Repo.temporaryDirectory() + "/hf16"
        try CheckpointExporter.write(CheckpointLoader.load(path: Repo.fixture("tiny-bert")).converted(to: .bf16), to: out)
        XCTAssertEqual(try BertConfig(contentsOf: out + "/config.json").raw["dtype"], .string("bfloat16"))
    }

    func testMiniLMThroughBKMToAFolderAndBack() throws {
        let dir = try Repo.requireMiniLM()
        let tmp = Repo.temporaryDirectory()
        let source = try CheckpointLoader.load(path: dir)
        try CheckpointExporter.write(source, to: tmp + "/m.bkm")
        try CheckpointExporter.write(CheckpointLoader.load(path: tmp + "/m.bkm"), to: tmp + "/hf")
        XCTAssertEqual(folderListing(tmp + "/hf"), ["1_Pooling", "config.json", "config_sentence_transformers.json", "model.safetensors",
                                                    "modules.json", "sentence_bert_config.json", "special_tokens_map.json", "tokenizer.json",
                                                    "tokenizer_config.json", "vocab.txt"])
        // The tokenizer files come back byte for byte (tokenizer.json's truncation and padding included).
        for f in ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt"] {
            XCTAssertEqual(FileManager.default.contents(atPath: tmp + "/hf/" + f), FileManager.default.contents(atPath: dir + "/" + f), f)
        }
        let back = try CheckpointLoader.load(path: tmp + "/hf")
        XCTAssertEqual(back.parameters.count, source.parameters.count)
        for (a, b) in zip(source.parameters, back.parameters) { XCTAssertTrue(a.tensor.bitIdentical(to: b.tensor), a.name) }
        XCTAssertEqual(back.sentenceTransformers, source.sentenceTransformers)
        XCTAssertEqual(back.config.json, source.config.json)
        XCTAssertEqual(back.vocabulary, source.vocabulary)
    }

    /// Every sentence-transformers file and setting through .bkm and back to a folder.
    func testSentenceTransformersFolderThroughBKMAndBack() throws {
        let dir = Repo.fixture("tiny-st-dense"), tmp = Repo.temporaryDirectory()
        let source = try CheckpointLoader.load(path: dir)
        try CheckpointExporter.write(source, to: tmp + "/m.bkm")
        try CheckpointExporter.write(CheckpointLoader.load(path: tmp + "/m.bkm"), to: tmp + "/hf")
        XCTAssertEqual(folderListing(tmp + "/hf"), ["1_Pooling", "2_Dense", "3_Dense", "config.json", "config_sentence_transformers.json",
                                                    "model.safetensors", "modules.json", "sentence_bert_config.json", "special_tokens_map.json",
                                                    "tokenizer_config.json", "vocab.txt"])
        XCTAssertEqual(folderListing(tmp + "/hf/3_Dense"), ["config.json", "model.safetensors"])
        for f in ["tokenizer_config.json", "special_tokens_map.json", "vocab.txt"] {
            XCTAssertEqual(FileManager.default.contents(atPath: tmp + "/hf/" + f), FileManager.default.contents(atPath: dir + "/" + f), f)
        }
        let back = try CheckpointLoader.load(path: tmp + "/hf")
        XCTAssertEqual(back.sentenceTransformers, source.sentenceTransformers)
        XCTAssertEqual(back.moduleTensors.map(\.name), source.moduleTensors.map(\.name))
        for (a, b) in zip(back.moduleTensors, source.moduleTensors) { XCTAssertTrue(a.tensor.bitIdentical(to: b.tensor), a.name) }
        for (a, b) in zip(back.parameters, source.parameters) { XCTAssertTrue(a.tensor.bitIdentical(to: b.tensor), a.name) }
        // The files say it in the spellings every sentence-transformers from 2.x reads.
        let pooling = try JSONParser.parse(contentsOf: tmp + "/hf/1_Pooling/config.json").objectValue!
        XCTAssertEqual(pooling["pooling_mode_mean_tokens"], .bool(true))
        XCTAssertEqual(pooling["include_prompt"], .bool(false))
        XCTAssertEqual(try JSONParser.parse(contentsOf: tmp + "/hf/sentence_bert_config.json"),
                       .object(JSONObject([("max_seq_length", .int(16)), ("do_lower_case", .bool(true))])))
        // .bkm → .bkm keeps every byte (the settings, prompts in order, module tensors after the parameters).
        try CheckpointConverter.convert(source: tmp + "/m.bkm", output: tmp + "/again.bkm")
        XCTAssertEqual(FileManager.default.contents(atPath: tmp + "/again.bkm"), FileManager.default.contents(atPath: tmp + "/m.bkm"))
        // A .safetensors cannot hold the Dense weights: the conversion says so.
        let st = try CheckpointConverter.convert(source: dir, output: tmp + "/m.safetensors")
        XCTAssertTrue(st.report.warnings.contains { $0.contains("sentence_transformers.2_Dense.linear.weight") && $0.contains("not in it") }, "\(st.report.warnings)")
    }

    func testExistingOutputIsKeptUnlessReplaceIsAsked() throws {
        let dir = Repo.temporaryDirectory()
        let c = try CheckpointLoader.load(path: Repo.fixture("tiny-bert"))
        FileManager.default.createFile(atPath: dir + "/m.bkm", contents: Data("keep me".utf8))
        assertThrows(IOError.alreadyExists(path: dir + "/m.bkm"), mentions: ["--force"]) { try CheckpointExporter.write(c, to: dir + "/m.bkm") }
        XCTAssertEqual(FileManager.default.contents(atPath: dir + "/m.bkm"), Data("keep me".utf8))
        try FileManager.default.createDirectory(atPath: dir + "/hf", withIntermediateDirectories: false)
        XCTAssertThrowsError(try CheckpointExporter.write(c, to: dir + "/hf"))
        try CheckpointExporter.write(c, to: dir + "/m.bkm", replace: true)
        try CheckpointExporter.write(c, to: dir + "/hf", replace: true)
        XCTAssertNoThrow(try CheckpointLoader.load(path: dir + "/m.bkm"))
        XCTAssertNoThrow(try CheckpointLoader.load(path: dir + "/hf"))
        XCTAssertEqual(folderListing(dir), ["hf", "m.bkm"])
    }

    func testUnknownOutputExtensionIsRefused() {
        XCTAssertTrue(thrownMessage { _ = try OutputFormat.detect(path: "/tmp/model.onnx") }.contains("\".onnx\""))
        XCTAssertEqual(try OutputFormat.detect(path: "/tmp/out"), .huggingFaceFolder)
    }
}

final class ConverterTests: XCTestCase {
    func testBKMOutputRecordsEverySourceWithItsSHA256() throws {
        let out = Repo.temporaryDirectory() + "/m.bkm"
        let c = try CheckpointConverter.convert(source: Repo.fixture("tiny-bert-sharded"), output: out)
        let stored = try BKMFile.open(path: out).provenance
        XCTAssertEqual(stored, c.provenance)
        XCTAssertEqual(stored.sourceFormat, "safetensors-sharded")
        XCTAssertEqual(stored.tool, "bertkit \(BertKitVersion.string)")
        XCTAssertEqual(stored.sources.map(\.file), ["config.json", "vocab.txt", "tokenizer_config.json", "special_tokens_map.json",
                                                    "model.safetensors.index.json", "model-00001-of-00003.safetensors",
                                                    "model-00002-of-00003.safetensors", "model-00003-of-00003.safetensors"])
        for s in stored.sources {
            let p = Repo.fixture("tiny-bert-sharded/" + s.file)
            XCTAssertEqual(s.sha256, try FileDigest.sha256(path: p), s.file)
            XCTAssertEqual(s.bytes, try FileManager.default.attributesOfItem(atPath: p)[.size] as? Int)
        }
        XCTAssertNotNil(ISO8601DateFormatter().date(from: stored.created), stored.created)
    }

    func testDTypeConversionAndF64Sources() throws {
        let dir = Repo.temporaryDirectory()
        var t = try SafeTensorsFile.read(path: Repo.fixture("tiny-bert/model.safetensors")).tensors
        t = t.map { ($0.name, tensor($0.tensor.floats().map(Double.init), dtype: .f64, shape: $0.tensor.shape)) }
        try SafeTensorsWriter.write(t, to: dir + "/f64.safetensors")
        let c = try CheckpointConverter.convert(source: dir + "/f64.safetensors", output: dir + "/m.bkm",
                                                options: .init(configOverride: Repo.fixture("tiny-bert/config.json")))
        XCTAssertEqual(Set(c.parameters.map(\.tensor.dtype)), [.f32])
        XCTAssertTrue(c.report.warnings.contains { $0.contains("F64") })
        // F64 → F32 of values that came from F32 is exact.
        let original = try CheckpointLoader.load(path: Repo.fixture("tiny-bert"))
        let back = try CheckpointLoader.load(path: dir + "/m.bkm")
        for (a, b) in zip(original.parameters, back.parameters) { XCTAssertTrue(a.tensor.bitIdentical(to: b.tensor), a.name) }
        let half = try CheckpointConverter.convert(source: dir + "/m.bkm", output: dir + "/h.bkm", options: .init(dtype: .f16))
        XCTAssertEqual(Set(half.parameters.map(\.tensor.dtype)), [.f16])
    }
}

extension ExportTests {
    func testMiniLMThroughHDF5IsBitExact() throws {
        let dir = try Repo.requireMiniLM()
        let tmp = Repo.temporaryDirectory()
        let source = try CheckpointLoader.load(path: dir)
        try CheckpointExporter.write(source, to: tmp + "/m.h5")
        let back = try CheckpointLoader.load(path: tmp + "/m.h5", configOverride: dir + "/config.json")
        XCTAssertEqual(back.parameters.count, source.parameters.count)
        for (a, b) in zip(source.parameters, back.parameters) { XCTAssertTrue(a.tensor.bitIdentical(to: b.tensor), a.name) }
    }
}
