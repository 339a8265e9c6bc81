import BertFormats
import BertTensors
import Foundation
import XCTest

/// The head is chosen from `architectures`, else from the tensors; every head binds strictly.
final class ArchitectureTests: XCTestCase {
    private func config(_ extra: String = "") throws -> BertConfig {
        let text = #"{"vocab_size": 10, "hidden_size": 4, "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 6, "max_position_embeddings": 8, "type_vocab_size": 2"# + extra + "}"
        guard case .object(let o) = try JSONParser.parse(Array(text.utf8), file: "config.json") else { fatalError() }
        return try BertConfig(json: o, file: "config.json")
    }

    private func arch(_ name: String, labels: Int = 0) throws -> BertConfig {
        let l = labels > 0 ? #", "id2label": {"# + (0..<labels).map { "\"\($0)\": \"L\($0)\"" }.joined(separator: ", ") + "}" : ""
        return try config(#", "architectures": [""# + name + #""]"# + l)
    }

    /// Every tensor of `head` (with `pooler`), HF-named, plus `extra`; `reshape` overrides shapes.
    private func tensors(_ c: BertConfig, _ head: HeadKind, pooler: Bool? = nil, tied: Bool = true, extra: [(String, [Int])] = [],
                         reshape: [String: [Int]] = [:]) -> NamedTensors {
        let a = Architecture(head: head, pooler: pooler ?? head.usesPooler ?? true, tiedDecoder: tied)
        var e: [(name: String, tensor: RawTensor)] = []
        for (p, s) in a.parameters(c) {
            let shape = reshape[p.name] ?? s
            e.append((WeightNames.huggingFaceName(p, prefixed: head != .none),
                      RawTensor(floats: (0..<shape.reduce(1, *)).map { Float($0 % 7) * 0.1 }, shape: shape)))
        }
        for (n, s) in extra { e.append((n, RawTensor(floats: [Float](repeating: 0.5, count: s.reduce(1, *)), shape: s))) }
        return NamedTensors(file: "model.safetensors", entries: e)
    }

    func testEveryHeadBindsFromItsArchitectureName() throws {
        XCTAssertEqual(HeadKind.replacedTokenDetection.architectureName, "ElectraForPreTraining", "BERT has no discriminator")
        for head in EncoderFamily.bert.heads {
            let c = try arch(head.architectureName, labels: head == .sequenceClassification || head == .tokenClassification ? 3 : 0)
            let ck = try Checkpoint.bind(config: c, tensors: tensors(c, head))
            XCTAssertEqual(ck.head, head, head.rawValue)
            XCTAssertEqual(ck.architecture.pooler, head.usesPooler ?? true, head.rawValue)
            XCTAssertEqual(ck.report.unexpected, [], head.rawValue)
            XCTAssertEqual(ck.architecture.carried, [], head.rawValue)
        }
    }

    func testTheHeadIsInferredFromTheTensorsWithoutArchitectures() throws {
        let c = try config(#", "num_labels": 3"#)
        for head in [HeadKind.none, .preTraining, .maskedLM, .nextSentence, .sequenceClassification, .questionAnswering] {
            XCTAssertEqual(try Checkpoint.bind(config: c, tensors: tensors(c, head)).head, head, head.rawValue)
        }
        // BertModel without its pooler.
        let bare = try Checkpoint.bind(config: c, tensors: tensors(c, .none, pooler: false))
        XCTAssertEqual(bare.head, HeadKind.none)
        XCTAssertFalse(bare.architecture.pooler)
    }

    func testAClassifierWithoutAPoolerAndNoArchitecturesIsAmbiguous() throws {
        let c = try config(#", "num_labels": 3"#)
        XCTAssertThrowsError(try Checkpoint.bind(config: c, tensors: tensors(c, .tokenClassification))) { e in
            guard case ArchitectureError.ambiguousHead(let f, let why) = e else { return XCTFail("\(e)") }
            XCTAssertEqual(f, "model.safetensors")
            XCTAssertTrue(why.contains("BertForTokenClassification") && why.contains("architectures"), why)
        }
    }

    func testTwoTaskHeadsAreRefusedNamingBoth() throws {
        let c = try config(#", "num_labels": 3"#)
        let both = tensors(c, .sequenceClassification, extra: [("qa_outputs.weight", [2, 4]), ("qa_outputs.bias", [2])])
        XCTAssertThrowsError(try Checkpoint.bind(config: c, tensors: both)) { e in
            let m = (e as? LocalizedError)?.errorDescription ?? ""
            XCTAssertTrue(m.contains("classifier.bias") && m.contains("qa_outputs.bias") && m.contains("two heads"), m)
        }
        let named = try arch("BertForSequenceClassification", labels: 3)
        XCTAssertThrowsError(try Checkpoint.bind(config: named, tensors: tensors(named, .sequenceClassification,
                                                                             extra: [("qa_outputs.weight", [2, 4]), ("qa_outputs.bias", [2])]))) { e in
            XCTAssertEqual(e as? ArchitectureError, .unexplainedHeads(file: "model.safetensors", architecture: "BertForSequenceClassification",
                                                                      tensors: ["qa_outputs.bias"]))
        }
    }

    /// bert-base-uncased: BertForMaskedLM that also holds the NSP head and the pooler from pre-training.
    func testPreTrainingLeftoversAreCarriedNotDropped() throws {
        let c = try arch("BertForMaskedLM")
        let nsp = HeadKind.nextSentence.parameters(c, tied: true).map { ($0.0.name, $0.1) }
        let ck = try Checkpoint.bind(config: c, tensors: tensors(c, .maskedLM, extra: nsp + [("bert.pooler.dense.weight", [4, 4]),
                                                                                           ("bert.pooler.dense.bias", [4])]))
        XCTAssertEqual(ck.head, .maskedLM)
        XCTAssertFalse(ck.architecture.pooler)
        XCTAssertEqual(ck.architecture.carried, [.pooler(.weight), .pooler(.bias), .head(.nspWeight), .head(.nspBias)])
        XCTAssertEqual(ck.report.unexpected, [])
        XCTAssertNotNil(ck["cls.seq_relationship.weight"])
        XCTAssertNotNil(ck["pooler.dense.bias"])
    }

    func testUnsupportedArchitectureAndSeveralArchitecturesAreRefusedByName() throws {
        let c = try arch("BertLMHeadModel")
        XCTAssertThrowsError(try Checkpoint.bind(config: c, tensors: tensors(c, .maskedLM))) { e in
            let m = (e as? LocalizedError)?.errorDescription ?? ""
            XCTAssertTrue(m.contains("\"BertLMHeadModel\"") && m.contains("BertForQuestionAnswering"), m)
        }
        let two = try config(#", "architectures": ["BertForMaskedLM", "BertForPreTraining"]"#)
        XCTAssertThrowsError(try Checkpoint.bind(config: two, tensors: tensors(two, .preTraining))) { e in
            XCTAssertEqual(e as? ArchitectureError, .severalArchitectures(file: "model.safetensors", names: ["BertForMaskedLM", "BertForPreTraining"]))
        }
    }

    func testOtherModelTypesAreRefusedInOneLine() throws {
        for (t, name) in [("camembert", "CamemBERT"), ("deberta", "DeBERTa")] {
            XCTAssertThrowsError(try config(#", "model_type": ""# + t + #"""#)) { e in
                let m = (e as? LocalizedError)?.errorDescription ?? ""
                XCTAssertEqual(m, "config.json: \"model_type\": \"\(t)\" (\(name)) is not supported yet; bertkit supports \"bert\", \"roberta\", \"xlm-roberta\", \"electra\", \"distilbert\", \"mpnet\", \"albert\"")
            }
        }
        XCTAssertThrowsError(try config(#", "model_type": "gpt2""#)) { e in
            XCTAssertEqual((e as? LocalizedError)?.errorDescription,
                           "config.json: \"model_type\": \"gpt2\" is not supported; bertkit supports \"bert\", \"roberta\", \"xlm-roberta\", \"electra\", \"distilbert\", \"mpnet\", \"albert\"")
        }
    }

    func testHeadTensorShapesAreCheckedAgainstTheHead() throws {
        let cases: [(HeadKind, Int, String, [Int], [Int])] = [
            (.questionAnswering, 0, "qa_outputs.weight", [3, 4], [2, 4]),
            (.multipleChoice, 0, "classifier.weight", [2, 4], [1, 4]),
            (.maskedLM, 0, "cls.predictions.transform.dense.weight", [4, 5], [4, 4]),
            (.nextSentence, 0, "cls.seq_relationship.weight", [3, 4], [2, 4]),
        ]
        for (head, labels, name, bad, want) in cases {
            let c = try arch(head.architectureName, labels: labels)
            XCTAssertThrowsError(try Checkpoint.bind(config: c, tensors: tensors(c, head, reshape: [name: bad]))) { e in
                guard case CheckpointError.shapeMismatches(_, let found) = e else { return XCTFail("\(head): \(e)") }
                XCTAssertEqual(found.map(\.name), [name], "\(head)")
                XCTAssertEqual(found.first?.expected, want, "\(head)")
                XCTAssertEqual(found.first?.found, bad, "\(head)")
            }
        }
        // An untied decoder must be vocab × hidden.
        let untied = try arch("BertForMaskedLM").with { $0.tieWordEmbeddings = false }
        XCTAssertThrowsError(try Checkpoint.bind(config: untied, tensors: tensors(untied, .maskedLM, tied: false,
                                                                                  reshape: ["cls.predictions.decoder.weight": [9, 4]]))) { e in
            guard case CheckpointError.shapeMismatches(_, let found) = e else { return XCTFail("\(e)") }
            XCTAssertEqual(found.first?.expected, [10, 4])
        }
    }

    func testATiedDecoderIsStoredOnceAndADifferingCopyIsReported() throws {
        let c = try arch("BertForMaskedLM")
        var t = tensors(c, .maskedLM)
        let word = t.entries.first { $0.name == "bert.embeddings.word_embeddings.weight" }!.tensor
        t.entries.append(("cls.predictions.decoder.weight", word))
        let same = try Checkpoint.bind(config: c, tensors: t)
        XCTAssertEqual(same.report.tied, ["cls.predictions.decoder.weight"])
        XCTAssertEqual(same.report.warnings, [])
        XCTAssertNil(same["cls.predictions.decoder.weight"])

        t.entries[t.entries.count - 1] = ("cls.predictions.decoder.weight", RawTensor(floats: [Float](repeating: 9, count: 40), shape: [10, 4]))
        let differs = try Checkpoint.bind(config: c, tensors: t)
        XCTAssertEqual(differs.report.warnings.count, 1)
        XCTAssertTrue(differs.report.warnings[0].contains("cls.predictions.decoder.weight differs from bert.embeddings.word_embeddings.weight"),
                      differs.report.warnings[0])
    }

    func testAnUntiedDecoderIsItsOwnParameter() throws {
        let c = try arch("BertForMaskedLM").with { $0.tieWordEmbeddings = false }
        let ck = try Checkpoint.bind(config: c, tensors: tensors(c, .maskedLM, tied: false))
        XCTAssertFalse(ck.architecture.tiedDecoder)
        XCTAssertNotNil(ck["cls.predictions.decoder.weight"])
        XCTAssertNotNil(ck["cls.predictions.decoder.bias"])
        XCTAssertEqual(ck.report.tied, [])
    }
}

extension BertConfig {
    func with(_ change: (inout BertConfig) -> Void) -> BertConfig {
        var c = self
        change(&c)
        return c
    }
}
