import BertFormats
import BertTensors
import Foundation
import TestSupport
import XCTest

/// ALBERT as data (Families/ALBERT.swift, modeling_albert.py): its config keys and defaults, the map
/// from applied to stored layers, the layer-group and head names in both spellings, and bad input.
final class AlbertFamilyTests: XCTestCase {
    private func config(_ fields: [String: String]) throws -> BertConfig {
        try FamilyConfigs.config(fields, base: [
            "model_type": "\"albert\"", "vocab_size": "40", "hidden_size": "8", "embedding_size": "6", "num_hidden_layers": "4",
            "num_hidden_groups": "2", "num_attention_heads": "2", "intermediate_size": "12", "max_position_embeddings": "20",
        ])
    }

    /// configuration_albert.py's defaults: gelu_new, embedding_size 128, dropouts 0, classifier_dropout_prob 0.1.
    func testAlbertConfigTakesItsFamilysKeysAndDefaults() throws {
        var o = JSONObject()
        o["model_type"] = .string("albert")
        let d = try BertConfig(json: o, file: "config.json")
        XCTAssertEqual(d.hiddenAct, .geluTanh, "hidden_act gelu_new")
        XCTAssertEqual([d.embeddingSize, d.hiddenSize, d.numAttentionHeads, d.intermediateSize, d.vocabSize], [128, 4096, 64, 16384, 30000])
        XCTAssertEqual([d.numHiddenGroups, d.innerGroupNum], [1, 1])
        XCTAssertEqual([d.hiddenDropoutProb, d.attentionProbsDropoutProb], [0, 0])
        XCTAssertEqual(d.classifierDropout, 0.1)
        XCTAssertEqual(try config(["classifier_dropout_prob": "0.3"]).classifierDropout, 0.3)
        // embedding_hidden_mapping_in exists whatever the sizes (AlbertTransformer always builds it).
        XCTAssertTrue(try config(["embedding_size": "8"]).projectsEmbeddings)
        let c = try config(["inner_group_num": "2"])
        XCTAssertEqual(c.json["num_hidden_groups"], .int(2), "written back")
        XCTAssertEqual(c.json["inner_group_num"], .int(2))
        XCTAssertEqual(c.json["hidden_act"], .string("gelu_new"))
        // BERT reads neither key: every layer its own.
        var b = JSONObject()
        b["num_hidden_layers"] = .int(3)
        b["num_hidden_groups"] = .int(1)
        let bert = try BertConfig(json: b, file: "c.json")
        XCTAssertEqual((0..<3).map(bert.storedLayer(forLayer:)), [0, 1, 2])
        XCTAssertEqual([bert.appliedLayers, bert.storedLayers], [3, 3])
    }

    /// AlbertTransformer.forward: step i runs group int(i / (L / G)), each group its inner layers in order.
    func testEveryAppliedLayerReadsItsGroupsStoredLayer() throws {
        let c = try config([:])
        XCTAssertEqual([c.appliedLayers, c.storedLayers], [4, 2])
        XCTAssertEqual((0..<4).map(c.storedLayer(forLayer:)), [0, 0, 1, 1])
        let inner = try config(["inner_group_num": "2"])
        XCTAssertEqual([inner.appliedLayers, inner.storedLayers], [8, 4])
        XCTAssertEqual((0..<8).map(inner.storedLayer(forLayer:)), [0, 1, 0, 1, 2, 3, 2, 3])
        let one = try config(["num_hidden_groups": "1", "num_hidden_layers": "3"])
        XCTAssertEqual((0..<3).map(one.storedLayer(forLayer:)), [0, 0, 0])
        XCTAssertEqual(BertParameter.encoder(inner, pooler: false).filter { if case .layer = $0.0 { true } else { false } }.count,
                       4 * BertParameter.Layer.allCases.count, "stored layers only")
    }

    func testGroupsThatDoNotDivideTheLayersAreRefusedNamingBothKeys() {
        XCTAssertThrowsError(try config(["num_hidden_groups": "3"])) { e in
            guard let c = e as? ConfigError else { return XCTFail("\(e)") }
            XCTAssertEqual(c.key, "num_hidden_groups")
            XCTAssertTrue(c.problem.contains("does not divide num_hidden_layers 4"), c.problem)
        }
        XCTAssertThrowsError(try config(["inner_group_num": "0"])) { e in XCTAssertEqual((e as? ConfigError)?.key, "inner_group_num") }
    }

    func testAlbertNamesMapBothWays() throws {
        let f = EncoderFamily.albert
        let cases: [(String, Int, BertParameter)] = [
            ("albert.encoder.embedding_hidden_mapping_in.weight", 1, .embeddingsProjection(.weight)),
            ("albert.pooler.bias", 1, .pooler(.bias)),
            ("albert.encoder.albert_layer_groups.1.albert_layers.0.attention.query.weight", 1, .layer(1, .queryWeight)),
            ("albert.encoder.albert_layer_groups.1.albert_layers.1.ffn_output.bias", 2, .layer(3, .outputBias)),
            ("encoder.albert_layer_groups.0.albert_layers.1.full_layer_layer_norm.weight", 2, .layer(1, .outputNormWeight)),
            ("albert.encoder.albert_layer_groups.0.albert_layers.0.attention.dense.weight", 1, .layer(0, .attentionOutputWeight)),
            ("predictions.dense.weight", 1, .head(.mlmTransformWeight)),
            ("predictions.bias", 1, .head(.mlmBias)),
            ("predictions.decoder.bias", 1, .head(.mlmDecoderBias)),
            ("sop_classifier.classifier.weight", 1, .head(.nspWeight)),
        ]
        for (name, inner, p) in cases {
            XCTAssertEqual(WeightNames.map(huggingFace: name, family: f, innerLayers: inner), .parameter(p, transposed: false), name)
        }
        // A layer past its group's inner_group_num, and BERT's spellings, are no ALBERT names.
        for name in ["albert.encoder.albert_layer_groups.0.albert_layers.1.ffn.weight", "albert.pooler.dense.weight",
                     "albert.embeddings_project.weight", "albert.encoder.layer.0.attention.self.query.weight"] {
            XCTAssertEqual(WeightNames.map(huggingFace: name, family: f), .unexpected, name)
        }
        XCTAssertEqual(WeightNames.huggingFaceName(.layer(3, .queryWeight), prefixed: true, family: f, innerLayers: 2),
                       "albert.encoder.albert_layer_groups.1.albert_layers.1.attention.query.weight")
        XCTAssertEqual(WeightNames.huggingFaceName(.pooler(.weight), prefixed: true, family: f), "albert.pooler.weight")
        XCTAssertEqual(WeightNames.huggingFaceName(.head(.nspBias), prefixed: true, family: f, head: .preTraining),
                       "sop_classifier.classifier.bias")
        // TFAlbert… (transformers 4.57.6) weight names.
        XCTAssertEqual(WeightNames.map(keras: "tf_albert_model/albert/encoder/albert_layer_groups_._1/albert_layers_._1/ffn/kernel:0",
                                       family: f, innerLayers: 2),
                       .parameter(.layer(3, .intermediateWeight), transposed: true))
        XCTAssertEqual(WeightNames.map(keras: "tf_albert_for_pre_training/sop_classifier/classifier/bias:0", family: f),
                       .parameter(.head(.nspBias), transposed: false))
        XCTAssertEqual(WeightNames.map(keras: "tf_albert_model/albert/pooler/kernel:0", family: f),
                       .parameter(.pooler(.weight), transposed: true))
    }

    /// issue 14's bad input for ALBERT: an embeddings table whose width is not embedding_size names the key.
    func testAnEmbeddingsTableWiderThanEmbeddingSizeNamesTheKey() throws {
        XCTAssertThrowsError(try FamilyFixtures.bind("albert-sequence-classification", setting: ["embedding_size": .int(14)])) { e in
            let m = (e as? LocalizedError)?.errorDescription ?? ""
            XCTAssertTrue(m.contains("albert.embeddings.word_embeddings.weight: expected [800, 14] from the config (vocab_size × embedding_size), found [800, 16]"), m)
            XCTAssertTrue(m.contains("albert.encoder.embedding_hidden_mapping_in.weight: expected [24, 14] from the config (hidden_size × embedding_size)"), m)
        }
    }

    /// A stored layer group missing from the file is listed tensor by tensor in ALBERT's spelling; a
    /// config with more groups than the file has too.
    func testAMissingLayerGroupNamesItsTensors() throws {
        XCTAssertThrowsError(try FamilyFixtures.bind("albert-model-inner2", dropping: { $0.contains("albert_layer_groups.1.") })) { e in
            let m = (e as? LocalizedError)?.errorDescription ?? ""
            XCTAssertTrue(m.contains("32 required tensors are missing"), m)
            XCTAssertTrue(m.contains("encoder.albert_layer_groups.1.albert_layers.1.attention.query.weight [20, 20]"), m)
        }
    }
}
