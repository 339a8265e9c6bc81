import BertFormats
import XCTest

final class BertConfigTests: XCTestCase {
    private func config(_ patch: [String: String], drop: [String] = []) throws -> BertConfig {
        var fields: [String: String] = [
            "vocab_size": "100", "hidden_size": "32", "num_hidden_layers": "2", "num_attention_heads": "4",
            "intermediate_size": "37", "hidden_act": "\"gelu_new\"", "max_position_embeddings": "64",
            "type_vocab_size": "3", "layer_norm_eps": "1e-07", "architectures": "[\"BertModel\"]",
            "my_custom_key": "[1, 2]",
        ]
        for (k, v) in patch { fields[k] = v }
        for k in drop { fields[k] = nil }
        let text = "{" + fields.sorted { $0.key < $1.key }.map { "\"\($0.key)\": \($0.value)" }.joined(separator: ", ") + "}"
        guard case .object(let o) = try JSONParser.parse(Array(text.utf8), file: "config.json") else { fatalError() }
        return try BertConfig(json: o, file: "config.json")
    }

    private func assertRefused(_ patch: [String: String], key: String, _ fragment: String, line: UInt = #line) {
        XCTAssertThrowsError(try config(patch), line: line) { e in
            guard let c = e as? ConfigError else { return XCTFail("\(e)", line: line) }
            XCTAssertEqual(c.key, key, line: line)
            XCTAssertTrue(c.problem.contains(fragment), "\"\(c.problem)\" lacks \"\(fragment)\"", line: line)
            XCTAssertTrue(c.errorDescription!.hasPrefix("config.json: \"\(key)\""), line: line)
        }
    }

    func testReadsEveryFieldThatChangesNumbers() throws {
        let c = try config([:])
        XCTAssertEqual(c.hiddenAct, .geluTanh)
        XCTAssertEqual(c.hiddenActName, "gelu_new")
        XCTAssertEqual(c.layerNormEps, 1e-7)
        XCTAssertEqual(c.typeVocabSize, 3)
        XCTAssertEqual(c.headSize, 8)
        XCTAssertEqual(c.numLabels, 0, "a BertModel has no labels")
        XCTAssertEqual(try config(["hidden_act": "\"gelu_pytorch_tanh\""]).hiddenAct, .geluTanh)
        XCTAssertEqual(try config(["hidden_act": "\"swish\""]).hiddenAct, .silu)
        XCTAssertEqual(try config([:], drop: ["layer_norm_eps"]).layerNormEps, 1e-12, "transformers' default")
    }

    func testLabelsAndUnknownKeysRoundTrip() throws {
        let c = try config(["id2label": #"{"0": "World", "1": "Sports", "2": "Business"}"#,
                            "architectures": #"["BertForSequenceClassification"]"#, "problem_type": "\"single_label_classification\""])
        XCTAssertEqual(c.id2label, ["World", "Sports", "Business"])
        XCTAssertEqual(c.label2id["Sports"], 1)
        XCTAssertEqual(c.architectures, ["BertForSequenceClassification"])
        let again = try BertConfig(json: c.json, file: "again.json")
        XCTAssertEqual(again.id2label, c.id2label)
        XCTAssertEqual(again.json["my_custom_key"], .array([.number("1"), .number("2")]))
        XCTAssertEqual(again.json["label2id"]?.objectValue?["Business"]?.intValue, 2)
        XCTAssertEqual(try config(["architectures": #"["BertForSequenceClassification"]"#]).numLabels, 2,
                       "transformers' default of two labels")
    }

    /// transformers writes the label maps sorted by key: "10" before "2", names alphabetically. A
    /// config that is only read and written keeps that order (an export's config.json is then the
    /// source's, byte for byte); labels that changed are written in class order.
    func testLabelMapsKeepTheFilesKeyOrder() throws {
        let names = (0..<11).map { "L\(Character(UnicodeScalar(UInt8(75 - $0))))" }  // LK, LJ, …, LA: reverse-alphabetical
        let ids = (0..<11).map { String($0) }.sorted()
        let id2label = "{" + ids.map { "\"\($0)\": \"\(names[Int($0)!])\"" }.joined(separator: ", ") + "}"
        let label2id = "{" + names.enumerated().sorted { $0.1 < $1.1 }.map { "\"\($1)\": \($0)" }.joined(separator: ", ") + "}"
        let c = try config(["id2label": id2label, "label2id": label2id])
        XCTAssertEqual(c.id2label, names)
        XCTAssertEqual(c.json["id2label"]?.objectValue?.keys, ids)
        XCTAssertEqual(c.json["id2label"]?.objectValue?.keys.prefix(3), ["0", "1", "10"])
        XCTAssertEqual(c.json["label2id"]?.objectValue?.keys, names.sorted())
        XCTAssertEqual(c.json["id2label"], c.raw["id2label"])
        XCTAssertEqual(c.json["label2id"], c.raw["label2id"])
        var changed = c
        changed.id2label[0] = "new"
        XCTAssertEqual(changed.json["id2label"]?.objectValue?.keys, (0..<11).map { String($0) })
        XCTAssertEqual(changed.json["label2id"]?.objectValue?.keys.first, "new")
        XCTAssertEqual(changed.json["id2label"]?.objectValue?["0"], .string("new"))
    }

    func testValidationNamesTheKey() {
        assertRefused(["hidden_size": "30"], key: "hidden_size", "not a multiple of num_attention_heads 4")
        assertRefused(["num_hidden_layers": "0"], key: "num_hidden_layers", "must be positive")
        assertRefused(["vocab_size": "-5"], key: "vocab_size", "must be positive")
        assertRefused(["intermediate_size": "37.5"], key: "intermediate_size", "expected an integer")
        assertRefused(["intermediate_size": "\"37\""], key: "intermediate_size", "expected an integer, found a string")
        assertRefused(["hidden_act": "\"tanh\""], key: "hidden_act", "unsupported activation")
        assertRefused(["position_embedding_type": "\"relative_key\""], key: "position_embedding_type", "only \"absolute\"")
        assertRefused(["hidden_dropout_prob": "1.5"], key: "hidden_dropout_prob", "between 0 and 1")
        assertRefused(["id2label": #"{"0": "a", "2": "b"}"#], key: "id2label.2", "class indices")
        assertRefused(["id2label": #"{"0": "a"}"#, "num_labels": "3"], key: "num_labels", "id2label has 1")
        assertRefused(["problem_type": "\"ranking\""], key: "problem_type", "regression")
        assertRefused(["pad_token_id": "100"], key: "pad_token_id", "outside the vocabulary")
        assertRefused(["max_position_embeddings": "99999999999"], key: "max_position_embeddings", "implausibly large")
    }

    func testNaNLiteralIsRefusedWithLineAndKey() throws {
        let dir = Repo.temporaryDirectory()
        let path = dir + "/config.json"
        try Data("{\n  \"hidden_size\": 32,\n  \"layer_norm_eps\": NaN\n}".utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try BertConfig(contentsOf: path)) { e in
            let m = (e as? LocalizedError)?.errorDescription ?? ""
            XCTAssertTrue(m.contains("config.json:3:"), m)
            XCTAssertTrue(m.contains("layer_norm_eps"), m)
        }
    }
}

import Foundation
import TestSupport
