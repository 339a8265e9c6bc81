import BertFormats
import BertTensors
import Foundation
import TestSupport
import XCTest

/// Reading a sentence-transformers folder (golden/fixtures/tiny-st-dense and copies broken by hand):
/// every setting that changes the embeddings is read, and what bertkit cannot run is refused by
/// file and key.
final class SentenceTransformersFolderTests: XCTestCase {
    typealias Module = SentenceTransformersSettings.Module

    private func copy(function: String = #function) throws -> String {
        let dir = Repo.temporaryDirectory(function) + "/tiny-st-dense"
        try FileManager.default.copyItem(atPath: Repo.fixture("tiny-st-dense"), toPath: dir)
        return dir
    }

    private func write(_ text: String, to path: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    /// Rewrites the JSON object at `path` with `edit`.
    private func edit(_ path: String, _ edit: (inout JSONObject) -> Void) throws {
        var o = try JSONParser.parse(contentsOf: path).objectValue!
        edit(&o)
        try write(JSONValue.object(o).serialized(), to: path)
    }

    private func editModules(_ dir: String, _ edit: (inout [JSONValue]) -> Void) throws {
        var a = try JSONParser.parse(contentsOf: dir + "/modules.json").arrayValue!
        edit(&a)
        try write(JSONValue.array(a).serialized(), to: dir + "/modules.json")
    }

    private func module(_ i: Int, _ path: String, _ type: String) -> JSONValue {
        .object(JSONObject([("idx", .int(i)), ("name", .string(String(i))), ("path", .string(path)), ("type", .string(type))]))
    }

    func testTinyDenseFixtureReadsEverySetting() throws {
        let dir = Repo.fixture("tiny-st-dense")
        let c = try CheckpointLoader.load(path: dir, options: LoadOptions(hashSources: true))
        var want = SentenceTransformersSettings(modules: [
            Module(path: "1_Pooling", .pooling(SentencePooling(mode: .mean, includePrompt: false))),
            Module(path: "2_Dense", .dense(DenseModule(inFeatures: 32, outFeatures: 24, bias: true, activation: .tanh))),
            Module(path: "3_Dense", .dense(DenseModule(inFeatures: 24, outFeatures: 16, bias: false, activation: .identity))),
            Module(path: "4_Normalize", .normalize),
        ], maxSeqLength: 16, doLowerCase: true)
        want.prompts = [.init(name: "passage", text: "passage: "), .init(name: "query", text: "query: ")]
        want.defaultPromptName = "query"
        want.similarityFnName = "dot"
        want.truncateDim = 12
        XCTAssertEqual(c.sentenceTransformers, want)
        XCTAssertEqual(want.dimension(hiddenSize: 32), 12)
        XCTAssertEqual(c.moduleTensors.map(\.name), ["sentence_transformers.2_Dense.linear.weight", "sentence_transformers.2_Dense.linear.bias",
                                                     "sentence_transformers.3_Dense.linear.weight"])
        XCTAssertEqual(c.moduleTensors.map(\.tensor.shape), [[24, 32], [24], [16, 24]])
        // The .bin Dense holds the same kind of values as the safetensors one: both read.
        let bin = try PyTorchBinReader.read(path: dir + "/3_Dense/pytorch_model.bin")
        XCTAssertTrue(c.moduleTensors[2].tensor.bitIdentical(to: bin.entries[0].tensor))
        XCTAssertEqual(Set(c.tokenizerFiles.keys), ["tokenizer_config.json", "special_tokens_map.json"])
        XCTAssertEqual(c.tokenizerFiles["tokenizer_config.json"], [UInt8](FileManager.default.contents(atPath: dir + "/tokenizer_config.json")!))
        let files = c.provenance.sources.map(\.file)
        for f in ["modules.json", "1_Pooling/config.json", "2_Dense/config.json", "2_Dense/model.safetensors", "3_Dense/config.json",
                  "3_Dense/pytorch_model.bin", "sentence_bert_config.json", "config_sentence_transformers.json"] {
            XCTAssertTrue(files.contains(f), "provenance lacks \(f): \(files)")
        }
    }

    /// sentence-transformers ≥ 5 writes other type names, `pooling_mode`, and modality keys in
    /// sentence_bert_config.json (and max_seq_length only in tokenizer_config.json).
    func testSentenceTransformers5SpellingsAreRead() throws {
        let dir = try copy()
        try editModules(dir) { a in
            a[0] = module(0, "", "sentence_transformers.base.modules.transformer.Transformer")
            a[1] = module(1, "1_Pooling", "sentence_transformers.sentence_transformer.modules.pooling.Pooling")
        }
        try write(#"{"embedding_dimension": 32, "pooling_mode": ["cls"], "include_prompt": true}"#, to: dir + "/1_Pooling/config.json")
        try write(#"{"transformer_task": "feature-extraction", "modality_config": {"text": {"method": "forward", "method_output_name": "last_hidden_state"}}, "module_output_name": "token_embeddings"}"#,
                  to: dir + "/sentence_bert_config.json")
        try write(#"{"module_input_name": "sentence_embedding", "module_output_name": null}"#, to: dir + "/4_Normalize/config.json")
        let s = try CheckpointLoader.load(path: dir).sentenceTransformers!
        XCTAssertEqual(s.pooling, SentencePooling(mode: .cls))
        XCTAssertNil(s.maxSeqLength)
        XCTAssertFalse(s.doLowerCase)
        XCTAssertEqual(s.modules.count, 4)
    }

    func testUnknownModuleTypesAreRefusedByName() throws {
        for type in ["sentence_transformers.models.LayerNorm", "sentence_transformers.models.WeightedLayerPooling", "my_package.MyModule"] {
            let dir = try copy()
            try editModules(dir) { $0.insert(module(3, "3_Extra", type), at: 3) }
            let m = thrownMessage { _ = try CheckpointLoader.load(path: dir) }
            XCTAssertTrue(m.contains(dir + "/modules.json") && m.contains("\"3.type\"") && m.contains(type + " is a module bertkit does not run"), m)
        }
        let dir = try copy()
        try editModules(dir) { $0[0] = self.module(0, "0_Transformer", "sentence_transformers.models.Transformer") }
        XCTAssertTrue(thrownMessage { _ = try CheckpointLoader.load(path: dir) }.contains("the Transformer is in \"0_Transformer\""))
        try editModules(dir) { $0[0] = self.module(0, "", "sentence_transformers.models.Transformer"); $0.swapAt(1, 2) }
        let order = thrownMessage { _ = try CheckpointLoader.load(path: dir) }
        XCTAssertTrue(order.contains(dir + "/modules.json") && order.contains("\"1.type\": the first module after the Transformer must be Pooling, found Dense"), order)
    }

    func testPoolingSettingsBertkitCannotRunAreRefused() throws {
        let dir = try copy()
        let config = dir + "/1_Pooling/config.json"
        func message(_ text: String) throws -> String {
            try write(text, to: config)
            return thrownMessage { _ = try CheckpointLoader.load(path: dir) }
        }
        XCTAssertTrue(try message(#"{"embedding_dimension": 32, "pooling_mode": "weightedmean"}"#).contains("unsupported pooling mode \"weightedmean\""))
        XCTAssertTrue(try message(#"{"embedding_dimension": 32, "pooling_mode": ["cls", "mean"]}"#).contains("2 pooling modes are on (cls, mean)"))
        XCTAssertTrue(try message(#"{"embedding_dimension": 32, "pooling_mode_lasttoken": true}"#).contains("unsupported pooling mode \"lasttoken\""))
        XCTAssertTrue(try message(#"{"embedding_dimension": 16, "pooling_mode": "mean"}"#).contains("expected 32 (the model's hidden_size), found 16"))
        let m = try message(#"{"embedding_dimension": 32, "pooling_mode": "mean", "attention_pooling": true}"#)
        XCTAssertTrue(m.contains(config) && m.contains("\"attention_pooling\": a Pooling setting bertkit does not know"), m)
    }

    func testDenseSettingsBertkitCannotRunAreRefused() throws {
        let dir = try copy()
        let config = dir + "/2_Dense/config.json"
        func message(_ change: (inout JSONObject) -> Void) throws -> String {
            let saved = try Data(contentsOf: URL(fileURLWithPath: config))
            defer { try? saved.write(to: URL(fileURLWithPath: config)) }
            try edit(config, change)
            return thrownMessage { _ = try CheckpointLoader.load(path: dir) }
        }
        let relu = try message { $0["activation_function"] = .string("torch.nn.modules.activation.ReLU") }
        XCTAssertTrue(relu.contains(config) && relu.contains("\"activation_function\"") && relu.contains("ReLU") && relu.contains("not an activation bertkit runs"), relu)
        XCTAssertTrue(try message { $0["use_residual"] = .bool(true) }.contains("\"use_residual\": a Dense with a residual connection"))
        XCTAssertTrue(try message { $0["module_input_name"] = .string("token_embeddings") }.contains("\"module_input_name\""))
        XCTAssertTrue(try message { $0["in_features"] = .int(31) }.contains("\"in_features\": expected 32 (the width before it), found 31"))
        // A Dense config without activation_function is Dense's default, Tanh.
        try edit(dir + "/3_Dense/config.json") { $0["activation_function"] = nil }
        guard case .dense(let d) = try CheckpointLoader.load(path: dir).sentenceTransformers!.modules[2].kind else { return XCTFail("not a Dense") }
        XCTAssertEqual(d.activation, .tanh)
        // Weights: a tensor the module does not have, a missing file.
        var t = try SafeTensorsFile.read(path: dir + "/2_Dense/model.safetensors").tensors
        t.append(("residual.weight", RawTensor(floats: [1], shape: [1])))
        try SafeTensorsWriter.write(t, to: dir + "/2_Dense/model.safetensors")
        XCTAssertTrue(thrownMessage { _ = try CheckpointLoader.load(path: dir) }.contains("\"residual.weight\": not a tensor of this Dense module"))
        try FileManager.default.removeItem(atPath: dir + "/2_Dense/model.safetensors")
        XCTAssertTrue(thrownMessage { _ = try CheckpointLoader.load(path: dir) }.contains(dir + "/2_Dense: no weights file found"))
    }

    func testModelWideSettingsAreChecked() throws {
        let dir = try copy()
        let bert = dir + "/sentence_bert_config.json", model = dir + "/config_sentence_transformers.json"
        try edit(bert) { $0["model_args"] = .object(JSONObject([("trust_remote_code", .bool(true))])) }
        XCTAssertTrue(thrownMessage { _ = try CheckpointLoader.load(path: dir) }.contains("\"model_args\": an object is a Transformer option bertkit cannot carry"))
        try edit(bert) { $0["model_args"] = .object(JSONObject()); $0["max_seq_length"] = .int(0) }
        XCTAssertTrue(thrownMessage { _ = try CheckpointLoader.load(path: dir) }.contains("\"max_seq_length\": expected a positive integer"))
        try edit(bert) { $0["max_seq_length"] = .int(16) }
        try edit(model) { $0["default_prompt_name"] = .string("classification") }
        let m = thrownMessage { _ = try CheckpointLoader.load(path: dir) }
        XCTAssertTrue(m.contains(model) && m.contains("\"default_prompt_name\": \"classification\" is not one of the prompts (passage, query)"), m)
        try edit(model) { $0["default_prompt_name"] = .null; $0["model_type"] = .string("SparseEncoder") }
        XCTAssertTrue(thrownMessage { _ = try CheckpointLoader.load(path: dir) }.contains("\"model_type\": expected \"SentenceTransformer\""))
        // Keys sentence-transformers itself ignores are ignored.
        try edit(model) { $0["model_type"] = nil; $0["requirements"] = .object(JSONObject()) }
        XCTAssertNil(try CheckpointLoader.load(path: dir).sentenceTransformers?.defaultPromptName)
    }
}
