import TestSupport
import BertFormats
import BertTensors
import XCTest

final class CheckpointBindingTests: XCTestCase {
    private func tinyConfig(labels: Int = 0) throws -> BertConfig {
        let l = labels > 0 ? #", "id2label": {"# + (0..<labels).map { "\"\($0)\": \"L\($0)\"" }.joined(separator: ", ") + "}" : ""
        let text = #"{"vocab_size": 10, "hidden_size": 4, "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 6, "max_position_embeddings": 8, "type_vocab_size": 2"# + l + "}"
        guard case .object(let o) = try JSONParser.parse(Array(text.utf8), file: "config.json") else { fatalError() }
        return try BertConfig(json: o, file: "config.json")
    }

    private func tensors(_ c: BertConfig, prefix: String = "", classifier: Bool = false, drop: Set<String> = [],
                         reshape: [String: [Int]] = [:], extra: [String] = []) -> NamedTensors {
        var e: [(name: String, tensor: RawTensor)] = []
        for (n, s) in parameterTable(c, pooler: true, classifier: classifier) where !drop.contains(n) {
            let shape = reshape[n] ?? s
            let t = RawTensor(floats: (0..<checkedElementCount(shape)!).map { Float($0) }, shape: shape)
            e.append((n.hasPrefix("classifier") ? n : prefix + n, t))
        }
        for n in extra { e.append((n, RawTensor(floats: [0], shape: [1]))) }
        return NamedTensors(file: "model.safetensors", entries: e)
    }

    func testBindsPrefixedNamesAndReportsLikeTransformers() throws {
        let c = try tinyConfig()
        let ck = try Checkpoint.bind(config: c, tensors: tensors(c, prefix: "bert.", extra: [
            "bert.embeddings.position_ids", "something.else",
        ]))
        XCTAssertEqual(ck.parameters.count, 5 + 16 + 2)
        XCTAssertEqual(ck.report.ignored, ["bert.embeddings.position_ids"])
        XCTAssertEqual(ck.report.unexpected, ["something.else"])
        XCTAssertEqual(ck.sourceNames["pooler.dense.bias"], "bert.pooler.dense.bias")
        XCTAssertTrue(ck.architecture.pooler)
        XCTAssertEqual(ck.head, .none)
    }

    func testEveryMissingTensorIsListedInOneError() throws {
        let c = try tinyConfig()
        let drop: Set = ["embeddings.LayerNorm.bias", "encoder.layer.0.output.dense.weight"]
        XCTAssertThrowsError(try Checkpoint.bind(config: c, tensors: tensors(c, drop: drop))) { e in
            guard case .missingTensors(_, let names, let shapes) = e as? CheckpointError else { return XCTFail("\(e)") }
            XCTAssertEqual(Set(names), drop)
            XCTAssertEqual(shapes[names.firstIndex(of: "encoder.layer.0.output.dense.weight")!], [4, 6])
            XCTAssertTrue((e as! CheckpointError).errorDescription!.contains("2 required tensors are missing"))
        }
    }

    func testEveryWrongShapeIsListed() throws {
        let c = try tinyConfig()
        let bad = ["encoder.layer.0.intermediate.dense.weight": [6, 5], "embeddings.word_embeddings.weight": [11, 4]]
        XCTAssertThrowsError(try Checkpoint.bind(config: c, tensors: tensors(c, reshape: bad))) { e in
            guard case .shapeMismatches(_, let found) = e as? CheckpointError else { return XCTFail("\(e)") }
            XCTAssertEqual(Set(found.map(\.name)), Set(bad.keys))
            XCTAssertTrue((e as! CheckpointError).errorDescription!.contains("expected [10, 4] from the config (vocab_size × hidden_size), found [11, 4]"))
        }
    }

    func testTwoSpellingsOfOneParameterAreRefused() throws {
        let c = try tinyConfig()
        XCTAssertThrowsError(try Checkpoint.bind(config: c, tensors: tensors(c, extra: ["bert.pooler.dense.bias"]))) { e in
            XCTAssertTrue((e as! CheckpointError).errorDescription!.contains("both map to the parameter pooler.dense.bias"))
        }
    }

    func testClassifierRowsMustMatchTheLabels() throws {
        let c = try tinyConfig(labels: 3)
        XCTAssertNoThrow(try Checkpoint.bind(config: c, tensors: tensors(c, classifier: true)))
        let wrong = tensors(c, classifier: true, reshape: ["classifier.weight": [5, 4], "classifier.bias": [5]])
        XCTAssertThrowsError(try Checkpoint.bind(config: c, tensors: wrong)) { e in
            XCTAssertEqual(e as? CheckpointError, .labelCountMismatch(file: "model.safetensors", configLabels: 3, classifierRows: 5))
        }
    }

    func testKerasKernelsAreTransposed() throws {
        let c = try tinyConfig()
        var named = tensors(c)
        named.naming = .keras
        named.entries = named.entries.map { e in
            var n = "tf_bert_model/bert/" + e.name.replacingOccurrences(of: ".", with: "/")
                .replacingOccurrences(of: "encoder/layer/", with: "encoder/layer_._")
            var t = e.tensor
            if n.hasSuffix("/weight"), t.shape.count == 2, !n.contains("embeddings") {
                n = String(n.dropLast(6)) + "kernel"
                t = t.transposed2D()
            }
            return (n + ":0", t)
        }
        let ck = try Checkpoint.bind(config: c, tensors: named)
        let original = tensors(c)
        for (n, t) in ck.parameters {
            let o = original.entries.first { $0.name == n }!.tensor
            XCTAssertTrue(t.bitIdentical(to: o), n)
        }
    }

    func testVocabularyLargerThanEmbeddingsIsRefused() throws {
        let c = try tinyConfig()
        let v = try Vocabulary(tokens: (0..<11).map { "t\($0)" })
        XCTAssertThrowsError(try Checkpoint.bind(config: c, tensors: tensors(c), vocabulary: v))
    }
}
