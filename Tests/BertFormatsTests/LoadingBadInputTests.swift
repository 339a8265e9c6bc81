import BertFormats
import BertTensors
import Foundation
import TestSupport
import XCTest

/// REFERENCES §6 cases for config.json, vocab.txt and the strict binding, on copies of the tiny
/// fixtures broken by hand. Each message must name the file and the field.
final class LoadingBadInputTests: XCTestCase {
    /// A copy of a fixture folder that a test may break.
    private func copy(_ fixture: String, function: String = #function) throws -> String {
        let dir = Repo.temporaryDirectory(function) + "/" + fixture
        try FileManager.default.copyItem(atPath: Repo.fixture(fixture), toPath: dir)
        return dir
    }

    private func editConfig(_ dir: String, _ edit: (inout JSONObject) -> Void) throws {
        try editJSON(dir + "/config.json", edit)
    }

    private func editJSON(_ path: String, _ edit: (inout JSONObject) -> Void) throws {
        var o = try JSONParser.parse(contentsOf: path).objectValue!
        edit(&o)
        try Data(JSONValue.object(o).serialized().utf8).write(to: URL(fileURLWithPath: path))
    }

    private func replaceText(_ path: String, _ old: String, _ new: String) throws {
        let s = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssertTrue(s.contains(old), "\(path) lacks \(old)")
        try s.replacingOccurrences(of: old, with: new).write(toFile: path, atomically: false, encoding: .utf8)
    }

    private func editWeights(_ dir: String, _ edit: (inout [(name: String, tensor: RawTensor)]) -> Void) throws {
        var t = try SafeTensorsFile.read(path: dir + "/model.safetensors").tensors
        edit(&t)
        try SafeTensorsWriter.write(t, metadata: [("format", "pt")], to: dir + "/model.safetensors")
    }

    func testHiddenSizeNotAMultipleOfHeads() throws {
        let dir = try copy("tiny-bert")
        try editConfig(dir) { $0["num_attention_heads"] = .int(5) }
        let m = thrownMessage { _ = try CheckpointLoader.load(path: dir) }
        XCTAssertTrue(m.contains(dir + "/config.json") && m.contains("\"hidden_size\"") && m.contains("num_attention_heads 5"), m)
    }

    func testConfigWithNaNOrInfinityLiterals() throws {
        for literal in ["NaN", "Infinity", "-Infinity"] {
            let dir = try copy("tiny-bert")
            try replaceText(dir + "/config.json", #""layer_norm_eps": 1e-07"#, #""layer_norm_eps": \#(literal)"#)
            let m = thrownMessage { _ = try CheckpointLoader.load(path: dir) }
            XCTAssertTrue(m.contains(dir + "/config.json:") && m.contains("layer_norm_eps") && m.contains("not JSON"), m)
        }
    }

    func testConfigWithWrongTypesNegativeFractionalOrHugeIntegers() throws {
        let cases: [(String, JSONValue, String)] = [
            ("num_hidden_layers", .string("2"), "expected an integer, found a string"),
            ("num_hidden_layers", .number("-2"), "must be positive, found -2"),
            ("hidden_size", .number("32.0"), "expected an integer, found a fractional number (32.0)"),
            ("vocab_size", .number("99999999999999999999999"), "expected an integer"),
            ("vocab_size", .number("9007199254740993"), "implausibly large"),
            ("hidden_act", .int(3), "expected a string"),
            ("id2label", .array([]), "expected an object"),
        ]
        for (key, value, expected) in cases {
            let dir = try copy("tiny-bert")
            try editConfig(dir) { $0[key] = value }
            let m = thrownMessage { _ = try CheckpointLoader.load(path: dir) }
            XCTAssertTrue(m.contains(dir + "/config.json") && m.contains("\"\(key)\"") && m.contains(expected), "\(key): \(m)")
        }
    }

    func testConfigContradictingTensorShapes() throws {
        let dir = try copy("tiny-bert")
        try editConfig(dir) { $0["intermediate_size"] = .int(40) }
        let m = thrownMessage { _ = try CheckpointLoader.load(path: dir) }
        XCTAssertTrue(m.contains(dir + "/model.safetensors") && m.contains("6 tensors have the wrong shape"), m)
        XCTAssertTrue(m.contains("encoder.layer.1.intermediate.dense.weight: expected [40, 32] from the config (intermediate_size × hidden_size), found [37, 32]"), m)
    }

    func testDuplicateTokensInTheVocabulary() throws {
        let dir = try copy("tiny-bert")
        try replaceText(dir + "/vocab.txt", "\nthe\n", "\nthe\nthe\n")
        let m = thrownMessage { _ = try CheckpointLoader.load(path: dir) }
        XCTAssertTrue(m.contains(dir + "/vocab.txt:") && m.contains("duplicate token \"the\""), m)
    }

    func testVocabularyLargerThanTheEmbeddingRows() throws {
        let dir = try copy("tiny-bert")
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/vocab.txt"))
        h.seekToEndOfFile()
        h.write(Data("extra1\nextra2\n".utf8))
        try h.close()
        let m = thrownMessage { _ = try CheckpointLoader.load(path: dir) }
        XCTAssertTrue(m.hasPrefix(dir + "/vocab.txt: the vocabulary has 219 tokens, more than the 217 rows of the word embeddings "
                                  + "(vocab_size in \(dir)/config.json); ids from 217 up have no embedding"), m)
    }

    /// Issue 12: a vocabulary shorter than the embedding rows was a warning that named no file.
    func testVocabularySmallerThanTheEmbeddingRows() throws {
        let dir = try copy("tiny-bert")
        let lines = try String(contentsOfFile: dir + "/vocab.txt", encoding: .utf8).split(separator: "\n")
        try (lines.dropLast(2).joined(separator: "\n") + "\n").write(toFile: dir + "/vocab.txt", atomically: false, encoding: .utf8)
        let m = thrownMessage { _ = try CheckpointLoader.load(path: dir) }
        XCTAssertTrue(m.hasPrefix(dir + "/vocab.txt: the vocabulary has 215 tokens, fewer than the 217 rows"), m)
        XCTAssertTrue(m.contains("does not belong to this model"), m)
        // Added tokens count: a vocabulary padded by tokenizer_config.json's added tokens to the rows is whole.
        try editJSON(dir + "/tokenizer_config.json") { o in
            var d = o["added_tokens_decoder"]!.objectValue!
            for (id, token) in [("215", "<new1>"), ("216", "<new2>")] {
                d[id] = .object(JSONObject([("content", .string(token)), ("lstrip", .bool(false)), ("normalized", .bool(false)),
                                            ("rstrip", .bool(false)), ("single_word", .bool(false)), ("special", .bool(true))]))
            }
            o["added_tokens_decoder"] = .object(d)
        }
        XCTAssertNoThrow(try CheckpointLoader.load(path: dir))
    }

    /// Issue 12: `vocab_size: null` became 30522, and the shape error that followed named no key.
    func testNullSizesAreRefusedByKey() throws {
        for key in ["vocab_size", "hidden_size", "num_hidden_layers", "intermediate_size", "layer_norm_eps", "hidden_act",
                    "hidden_dropout_prob", "tie_word_embeddings", "model_type"] {
            let dir = try copy("tiny-bert")
            try editConfig(dir) { $0[key] = .null }
            let m = thrownMessage { _ = try CheckpointLoader.load(path: dir) }
            XCTAssertTrue(m.hasPrefix(dir + "/config.json: \"\(key)\": is null; expected "), "\(key): \(m)")
        }
        // Where transformers gives None a meaning, null keeps it.
        for key in ["pad_token_id", "classifier_dropout", "position_embedding_type", "architectures", "problem_type"] {
            let dir = try copy("tiny-bert")
            try editConfig(dir) { $0[key] = .null }
            XCTAssertNoThrow(try CheckpointLoader.load(path: dir), key)
        }
    }

    /// Issue 12: "found a fractional number (1e400)" and "expected an integer, found an integer (99999999999999999999)".
    func testOutOfRangeNumbersSaySo() throws {
        for (key, value, expected) in [
            ("vocab_size", "1e400", "expected an integer, found 1e400, a number out of range (past ±1.8e308)"),
            ("vocab_size", "99999999999999999999", "expected an integer, found 99999999999999999999, an integer out of range (past ±2^63)"),
            ("pad_token_id", "-99999999999999999999", "found -99999999999999999999, an integer out of range"),
            ("layer_norm_eps", "1e400", "expected a number, found 1e400, a number out of range (past ±1.8e308)"),
            ("hidden_size", "1e3", "expected an integer, found a number with an exponent (1e3)"),
        ] {
            let dir = try copy("tiny-bert")
            try editConfig(dir) { $0[key] = .number(value) }
            let m = thrownMessage { _ = try CheckpointLoader.load(path: dir) }
            XCTAssertTrue(m.contains(dir + "/config.json: \"\(key)\": ") && m.contains(expected), "\(key)=\(value): \(m)")
        }
    }

    func testEveryMissingTensorIsListedInOneError() throws {
        let dir = try copy("tiny-bert")
        let dropped = ["encoder.layer.0.attention.self.key.bias", "encoder.layer.1.output.LayerNorm.weight", "embeddings.word_embeddings.weight"]
        try editWeights(dir) { t in t.removeAll { dropped.contains($0.name) } }
        do {
            _ = try CheckpointLoader.load(path: dir)
            XCTFail("loaded a checkpoint with missing tensors")
        } catch CheckpointError.missingTensors(let file, let names, let shapes) {
            XCTAssertEqual(file, dir + "/model.safetensors")
            XCTAssertEqual(Set(names), Set(dropped))
            XCTAssertEqual(shapes[names.firstIndex(of: "embeddings.word_embeddings.weight")!], [217, 32])
        }
    }

    func testUnexpectedTensorsAreReportedLikeTransformers() throws {
        let dir = try copy("tiny-bert")
        try editWeights(dir) { t in
            t.append(("encoder.layer.0.attention.self.rotary.weight", RawTensor(floats: [1], shape: [1])))
            t.append(("embeddings.position_ids", tensor([Int64(0)], dtype: .i64, shape: [1])))
        }
        let c = try CheckpointLoader.load(path: dir)
        XCTAssertEqual(c.report.unexpected, ["encoder.layer.0.attention.self.rotary.weight"])
        XCTAssertEqual(c.report.ignored, ["embeddings.position_ids"])
    }

    /// A head's tensors in part: the rest of that head is named as missing, not silently dropped.
    func testPartOfAHeadIsMissingTensors() throws {
        let dir = try copy("tiny-bert")
        try editWeights(dir) { t in
            t.append(("cls.predictions.bias", RawTensor(floats: [Float](repeating: 0, count: 217), shape: [217])))
        }
        XCTAssertThrowsError(try CheckpointLoader.load(path: dir)) { e in
            guard case CheckpointError.missingTensors(_, let names, _) = e else { return XCTFail("\(e)") }
            XCTAssertEqual(names, ["cls.predictions.transform.dense.weight", "cls.predictions.transform.dense.bias",
                                   "cls.predictions.transform.LayerNorm.weight", "cls.predictions.transform.LayerNorm.bias"])
        }
    }

    func testNonFloatParameterIsRefused() throws {
        let dir = try copy("tiny-bert")
        try editWeights(dir) { t in
            let i = t.firstIndex { $0.name == "embeddings.LayerNorm.bias" }!
            t[i].tensor = tensor([Int32](repeating: 0, count: 32), dtype: .i32, shape: [32])
        }
        let m = thrownMessage { _ = try CheckpointLoader.load(path: dir) }
        XCTAssertTrue(m.contains(dir + "/model.safetensors") && m.contains("embeddings.LayerNorm.bias is I32"), m)
    }

    func testBrokenSafetensorsInAFolderNamesTheFile() throws {
        let dir = try copy("tiny-bert")
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/model.safetensors"))
        try h.truncate(atOffset: 1000)
        try h.close()
        let m = thrownMessage { _ = try CheckpointLoader.load(path: dir) }
        XCTAssertTrue(m.contains(dir + "/model.safetensors") && m.contains("truncated"), m)
    }

    func testPoolingConfigErrorsNameTheKey() throws {
        let dir = try copy("tiny-bert")
        try Data(SentenceTransformers.folderFiles(SentenceTransformersSettings(pooling: .cls, normalize: false), hiddenSize: 32)[0].json.serialized().utf8)
            .write(to: URL(fileURLWithPath: dir + "/modules.json"))
        try FileManager.default.createDirectory(atPath: dir + "/1_Pooling", withIntermediateDirectories: true)
        try Data(#"{"pooling_mode_cls_token": true, "pooling_mode_mean_tokens": true}"#.utf8).write(to: URL(fileURLWithPath: dir + "/1_Pooling/config.json"))
        let m = thrownMessage { _ = try CheckpointLoader.load(path: dir) }
        XCTAssertTrue(m.contains(dir + "/1_Pooling/config.json") && m.contains("2 pooling modes are on (cls, mean)"), m)
        try Data(#"{"pooling_mode_cls_token": true}"#.utf8).write(to: URL(fileURLWithPath: dir + "/1_Pooling/config.json"))
        XCTAssertEqual(try CheckpointLoader.load(path: dir).sentenceTransformers, SentenceTransformersSettings(pooling: .cls, normalize: false))
    }

    /// sentence-transformers 6 spells modules by their class's module path and the pooling config as
    /// one `pooling_mode` (a name or a list); both are read, and what bertkit cannot do is refused by name.
    func testSentenceTransformersSixModulesAndPoolingMode() throws {
        let dir = try copy("tiny-bert")
        let modules = #"[{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.base.modules.transformer.Transformer"},"#
            + #" {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.sentence_transformer.modules.pooling.Pooling"},"#
            + #" {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.base.modules.normalize.Normalize"}]"#
        try Data(modules.utf8).write(to: URL(fileURLWithPath: dir + "/modules.json"))
        try FileManager.default.createDirectory(atPath: dir + "/1_Pooling", withIntermediateDirectories: true)
        let config = dir + "/1_Pooling/config.json"
        for (text, mode) in [(#"{"embedding_dimension": 32, "pooling_mode": "mean", "include_prompt": true}"#, SentencePooling.Mode.mean),
                             (#"{"pooling_mode": ["max"]}"#, .max), (#"{"pooling_mode": "mean_sqrt_len_tokens"}"#, .meanSqrtLen)] {
            try Data(text.utf8).write(to: URL(fileURLWithPath: config))
            let st = try CheckpointLoader.load(path: dir).sentenceTransformers
            XCTAssertEqual(st?.pooling?.mode, mode, text)
            XCTAssertEqual(st?.normalizes, true, text)
        }
        for (text, fragment) in [(#"{"pooling_mode": "weightedmean"}"#, "unsupported pooling mode \"weightedmean\""),
                                 (#"{"pooling_mode": ["cls", "mean"]}"#, "2 pooling modes are on"),
                                 (#"{"pooling_mode": 3}"#, "expected a mode name or a list of them")] {
            try Data(text.utf8).write(to: URL(fileURLWithPath: config))
            let m = thrownMessage { _ = try CheckpointLoader.load(path: dir) }
            XCTAssertTrue(m.contains(config) && m.contains("\"pooling_mode\"") && m.contains(fragment), m)
        }
    }
}
