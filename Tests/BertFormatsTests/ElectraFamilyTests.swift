import BertFormats
import BertTensors
import Foundation
import TestSupport
import XCTest

/// ELECTRA as data (Families/ELECTRA.swift, modeling_electra.py): its config keys and defaults,
/// `embedding_size` and the projection, the generator's and the heads' names in both spellings, and
/// what is refused by name or key.
final class ElectraFamilyTests: XCTestCase {
    private func config(_ fields: [String: String]) throws -> BertConfig {
        var all: [String: String] = [
            "model_type": "\"electra\"", "vocab_size": "40", "hidden_size": "8", "num_hidden_layers": "1",
            "num_attention_heads": "2", "intermediate_size": "12", "max_position_embeddings": "20",
        ]
        for (k, v) in fields { all[k] = v }
        let text = "{" + all.sorted { $0.key < $1.key }.map { "\"\($0.key)\": \($0.value)" }.joined(separator: ", ") + "}"
        guard case .object(let o) = try JSONParser.parse(Array(text.utf8), file: "config.json") else { fatalError() }
        return try BertConfig(json: o, file: "config.json")
    }

    private func refused(_ fields: [String: String], key: String, _ fragments: [String], line: UInt = #line) {
        XCTAssertThrowsError(try config(fields), line: line) { e in
            guard let c = e as? ConfigError else { return XCTFail("\(e)", line: line) }
            XCTAssertEqual(c.key, key, line: line)
            for f in fragments { XCTAssertTrue(c.problem.contains(f), "\"\(c.problem)\" lacks \"\(f)\"", line: line) }
        }
    }

    /// configuration_electra.py: embedding_size 128, hidden_size 256, 4 heads, intermediate 1024,
    /// summary_last_dropout 0.1; the projection exists exactly when embedding_size ≠ hidden_size.
    func testElectraConfigReadsEmbeddingSizeAndItsFamilysDefaults() throws {
        let c = try config(["embedding_size": "6"])
        XCTAssertEqual(c.family, .electra)
        XCTAssertEqual(c.embeddingSize, 6)
        XCTAssertTrue(c.projectsEmbeddings)
        XCTAssertEqual(c.maskedLMWidth, 6, "ElectraGeneratorPredictions is embedding_size wide")
        XCTAssertFalse(try config(["embedding_size": "8"]).projectsEmbeddings)
        var o = JSONObject()
        o["model_type"] = .string("electra")
        let d = try BertConfig(json: o, file: "config.json")
        XCTAssertEqual([d.embeddingSize, d.hiddenSize, d.numAttentionHeads, d.intermediateSize, d.vocabSize], [128, 256, 4, 1024, 30522])
        XCTAssertEqual(d.summaryLastDropout, 0.1)
        XCTAssertEqual(d.summaryFirstDropout, 0)
        // BERT has no embedding_size: the key is not read there.
        var b = JSONObject()
        b["embedding_size"] = .int(3)
        XCTAssertEqual(try BertConfig(json: b, file: "c.json").embeddingSize, 768)
        XCTAssertEqual(c.json["embedding_size"], .int(6), "written back")
    }

    /// ElectraSequenceSummary's settings bertkit does not compute are refused naming the key.
    func testSequenceSummarySettingsOtherThanElectrasAreRefusedByKey() {
        refused(["summary_type": "\"last\""], key: "summary_type", ["\"last\"", "\"first\" only", "ELECTRA"])
        refused(["summary_use_proj": "false"], key: "summary_use_proj", ["false", "true only"])
        refused(["summary_activation": "\"tanh\""], key: "summary_activation", ["\"tanh\"", "\"gelu\" only"])
        refused(["summary_proj_to_labels": "true"], key: "summary_proj_to_labels", ["true"])
        refused(["summary_last_dropout": "1.5"], key: "summary_last_dropout", ["between 0 and 1"])
        refused(["embedding_size": "0"], key: "embedding_size", ["positive"])
        XCTAssertNoThrow(try config(["summary_type": "\"first\"", "summary_use_proj": "true", "summary_activation": "\"gelu\""]))
    }

    func testElectraNamesMapBothWays() {
        let f = EncoderFamily.electra
        let cases: [(String, BertParameter)] = [
            ("electra.embeddings_project.weight", .embeddingsProjection(.weight)),
            ("electra.embeddings.word_embeddings.weight", .embeddings(.word)),
            ("generator_predictions.dense.weight", .head(.mlmTransformWeight)),
            ("generator_predictions.LayerNorm.bias", .head(.mlmNormBias)),
            ("generator_lm_head.bias", .head(.mlmBias)),
            ("generator_lm_head.weight", .head(.mlmDecoderWeight)),
            ("classifier.dense.weight", .head(.classifierDenseWeight)),
            ("classifier.out_proj.bias", .head(.classifierBias)),
            ("sequence_summary.summary.weight", .head(.classifierDenseWeight)),
        ]
        for (name, p) in cases { XCTAssertEqual(WeightNames.map(huggingFace: name, family: f), .parameter(p, transposed: false), name) }
        XCTAssertEqual(WeightNames.map(huggingFace: "cls.predictions.decoder.bias", family: f), .unexpected, "the generator has one bias")
        XCTAssertEqual(WeightNames.huggingFaceName(.embeddingsProjection(.bias), prefixed: true, family: f), "electra.embeddings_project.bias")
        XCTAssertEqual(WeightNames.huggingFaceName(.head(.classifierDenseBias), prefixed: true, family: f, head: .multipleChoice),
                       "sequence_summary.summary.bias")
        XCTAssertEqual(WeightNames.huggingFaceName(.head(.classifierDenseBias), prefixed: true, family: f, head: .sequenceClassification),
                       "classifier.dense.bias")
        // TFElectra… (transformers 4.57.6) weight names.
        XCTAssertEqual(WeightNames.map(keras: "tf_electra_for_masked_lm/electra/embeddings_project/kernel:0", family: f),
                       .parameter(.embeddingsProjection(.weight), transposed: true))
        XCTAssertEqual(WeightNames.map(keras: "tf_electra_for_multiple_choice/sequence_summary/summary/kernel:0", family: f),
                       .parameter(.head(.classifierDenseWeight), transposed: true))
        XCTAssertEqual(WeightNames.map(keras: "tf_electra_for_masked_lm/generator_lm_head/bias:0", family: f),
                       .parameter(.head(.mlmBias), transposed: false))
    }

    /// ElectraForCausalLM is refused by name.
    func testTheCausalLMIsRefusedByName() throws {
        for (cls, fragment) in [("ElectraForCausalLM", "decoder")] {
            var c = try config(["embedding_size": "6"])
            c.architectures = [cls]
            let present = Set(BertParameter.encoder(c, pooler: false).map(\.0))
            XCTAssertThrowsError(try Architecture.resolve(config: c, present: present, file: "model.safetensors"), cls) { e in
                let m = (e as? LocalizedError)?.errorDescription ?? ""
                XCTAssertTrue(m.contains(cls) && m.contains(fragment), m)
            }
        }
    }

    /// ElectraForPreTraining is the discriminator (HeadKind.replacedTokenDetection), not BERT's pre-training
    /// head: `discriminator_predictions.dense` (H × H) and `.dense_prediction` (1 × H) under the classifier's
    /// canonical parameters, nothing else.
    func testTheDiscriminatorIsItsOwnHead() throws {
        let f = EncoderFamily.electra
        XCTAssertEqual(f.head(forClass: "ElectraForPreTraining"), .replacedTokenDetection)
        XCTAssertEqual(HeadKind(anyFamilyClass: "ElectraForPreTraining"), .replacedTokenDetection)
        XCTAssertEqual(HeadKind(anyFamilyClass: "BertForPreTraining"), .preTraining)
        XCTAssertFalse(EncoderFamily.bert.has(.replacedTokenDetection), "BERT has no discriminator")
        XCTAssertNil(EncoderFamily.bert.head(forClass: "BertForPreTraining").flatMap { $0 == .replacedTokenDetection ? $0 : nil })
        var c = try config(["embedding_size": "6"])
        c.architectures = ["ElectraForPreTraining"]
        let head = HeadKind.replacedTokenDetection.parameters(c, tied: true)
        XCTAssertEqual(head.map { p -> String in
                           guard case .head(let h) = p.0 else { return "\(p.0)" }
                           return f.huggingFaceName(h, head: .replacedTokenDetection)
                       },
                       ["discriminator_predictions.dense.weight", "discriminator_predictions.dense.bias",
                        "discriminator_predictions.dense_prediction.weight", "discriminator_predictions.dense_prediction.bias"])
        XCTAssertEqual(head.map(\.1), [[c.hiddenSize, c.hiddenSize], [c.hiddenSize], [1, c.hiddenSize], [1]])
        let present = Set(BertParameter.encoder(c, pooler: false).map(\.0) + head.map(\.0))
        let a = try Architecture.resolve(config: c, present: present, file: "model.safetensors")
        XCTAssertEqual([a.head], [.replacedTokenDetection])
        XCTAssertFalse(a.pooler)
        XCTAssertEqual(WeightNames.map(huggingFace: "discriminator_predictions.dense_prediction.weight", family: f),
                       .parameter(.head(.classifierWeight), transposed: false))
        XCTAssertEqual(WeightNames.map(keras: "tf_electra_for_pre_training/discriminator_predictions/dense/kernel:0", family: f),
                       .parameter(.head(.classifierDenseWeight), transposed: true))
    }

    /// issue 14's bad input for ELECTRA: an embeddings table whose width is not embedding_size names the key.
    func testAnEmbeddingsTableWiderThanEmbeddingSizeNamesTheKey() throws {
        XCTAssertThrowsError(try FamilyFixtures.bind("electra-sequence-classification", setting: ["embedding_size": .int(14)])) { e in
            let m = (e as? LocalizedError)?.errorDescription ?? ""
            XCTAssertTrue(m.contains("electra.embeddings.word_embeddings.weight: expected [217, 14] from the config (vocab_size × embedding_size), found [217, 16]"), m)
            XCTAssertTrue(m.contains("electra.embeddings_project.weight: expected [24, 14] from the config (hidden_size × embedding_size)"), m)
        }
    }

    /// embedding_size = hidden_size: no projection tensor (ElectraModel builds none); a checkpoint
    /// whose sizes differ must have one.
    func testTheProjectionIsThereExactlyWhenTheSizesDiffer() throws {
        let equal = try FamilyFixtures.checkpoint("electra-model-equal")
        XCTAssertFalse(equal.parameters.contains { $0.name.hasPrefix("embeddings_project") })
        XCTAssertTrue(try FamilyFixtures.checkpoint("electra-model").parameters.map(\.name).contains("embeddings_project.weight"))
        XCTAssertThrowsError(try FamilyFixtures.bind("electra-sequence-classification", dropping: { $0.contains("embeddings_project") })) { e in
            let m = (e as? LocalizedError)?.errorDescription ?? ""
            XCTAssertTrue(m.contains("2 required tensors are missing") && m.contains("embeddings_project.weight [24, 16]"), m)
        }
    }
}
