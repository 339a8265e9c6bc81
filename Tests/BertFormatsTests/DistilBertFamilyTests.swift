import BertFormats
import BertTensors
import Foundation
import TestSupport
import XCTest

/// DistilBERT's family description (Families/DistilBERT.swift, modeling_distilbert.py 5.23): its
/// config keys, its fixed eps, no token types, its layer and head spellings, what is refused by key.
final class DistilBertFamilyTests: XCTestCase {
    private func config(_ fields: [String: String]) throws -> BertConfig {
        try FamilyConfigs.config(fields, base: [
            "model_type": "\"distilbert\"", "vocab_size": "40", "dim": "8", "n_layers": "1", "n_heads": "2",
            "hidden_dim": "12", "max_position_embeddings": "20", "activation": "\"relu\"",
        ])
    }

    private func refused(_ fields: [String: String], key: String, _ fragments: [String], line: UInt = #line) {
        XCTAssertThrowsError(try config(fields), line: line) { e in
            guard let c = e as? ConfigError else { return XCTFail("\(e)", line: line) }
            XCTAssertEqual(c.key, key, line: line)
            for f in fragments { XCTAssertTrue(c.problem.contains(f), "\"\(c.problem)\" lacks \"\(f)\"", line: line) }
        }
    }

    /// configuration_distilbert.py's keys fill BERT's typed fields; eps is 1e-12 whatever the file
    /// says (DistilBERT's LayerNorms hard-code it); the written config keeps DistilBERT's keys only.
    func testTheConfigReadsDistilBertsKeysAndWritesThemBack() throws {
        let c = try config(["layer_norm_eps": "1e-5", "dropout": "0.3", "attention_dropout": "0.2", "seq_classif_dropout": "0.4"])
        XCTAssertEqual(c.family, .distilbert)
        XCTAssertEqual([c.hiddenSize, c.numHiddenLayers, c.numAttentionHeads, c.intermediateSize], [8, 1, 2, 12])
        XCTAssertEqual(c.hiddenAct, .relu)
        XCTAssertEqual(c.layerNormEps, 1e-12, "eps=1e-12 in every DistilBERT LayerNorm; no config key")
        XCTAssertEqual([c.hiddenDropoutProb, c.attentionProbsDropoutProb, c.classifierDropout], [0.3, 0.2, 0.4])
        XCTAssertEqual(try config([:]).classifierDropout, 0.2, "seq_classif_dropout's default")
        XCTAssertEqual(c.maxSequenceLength, 20)
        let json = c.json
        for k in ["hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size", "hidden_act", "type_vocab_size"] {
            XCTAssertNil(json[k], "\(k) is BERT's key, not DistilBERT's")
        }
        XCTAssertEqual(json["dim"], .int(8))
        XCTAssertEqual(json["activation"], .string("relu"))
        XCTAssertEqual(json["layer_norm_eps"]?.doubleValue, 1e-5, "the file's own key is kept as it was, not acted on")
    }

    /// issue 14's bad input: `n_heads` not dividing `dim` is refused naming `n_heads`.
    func testConfigsThatContradictTheFamilyNameTheKey() {
        refused(["n_heads": "3"], key: "n_heads", ["dim 8 is not a multiple of n_heads 3"])
        refused(["dim": "0"], key: "dim", ["must be positive"])
        refused(["activation": "\"tanh\""], key: "activation", ["unsupported activation \"tanh\""])
    }

    /// DistilBertForMaskedLM with `tie_word_embeddings: false` (golden/generate_distilbert.py's
    /// masked-lm-untied): `vocab_projector` is one nn.Linear, so the untied head stores its weight beside
    /// the one bias `vocab_projector.bias`, and ties nothing.
    func testAnUntiedMaskedLMStoresVocabProjectorsWeightAndOneBias() throws {
        let c = try FamilyFixtures.checkpoint("distilbert-masked-lm-untied")
        XCTAssertFalse(c.architecture.tiedDecoder)
        XCTAssertTrue(c.architecture.ties.isEmpty)
        let heads = c.architecture.parameters(c.config).map(\.name).filter { if case .head = $0 { true } else { false } }
        XCTAssertEqual(heads.map { WeightNames.huggingFaceName($0, prefixed: false, family: .distilbert, head: .maskedLM) },
                       ["vocab_transform.weight", "vocab_transform.bias", "vocab_layer_norm.weight", "vocab_layer_norm.bias",
                        "vocab_projector.bias", "vocab_projector.weight"])
        XCTAssertNotEqual(try XCTUnwrap(c[BertParameter.head(.mlmDecoderWeight).name]).floats(), try XCTUnwrap(c[BertParameter.embeddings(.word).name]).floats(),
                          "its own decoder, not the word embeddings")
        // The tied head ties only the weight: vocab_projector.bias is the head's one bias.
        let tied = try FamilyFixtures.checkpoint("distilbert-masked-lm")
        XCTAssertEqual(tied.architecture.ties.map(\.tensor), [.head(.mlmDecoderWeight)])
    }

    /// An untied config over a tied file (no vocab_projector.weight) is refused naming the tensor.
    func testAnUntiedConfigOverATiedFileNamesTheMissingDecoder() throws {
        let folder = FamilyFixtures.folder("distilbert-masked-lm")
        guard case .object(var o) = try JSONParser.parse(contentsOf: folder + "/config.json") else { return XCTFail() }
        o["tie_word_embeddings"] = .bool(false)
        let config = try BertConfig(json: o, file: "config.json")
        let tensors = try SafeTensorsFile.read(path: folder + "/model.safetensors").named
        XCTAssertThrowsError(try Checkpoint.bind(config: config, tensors: tensors)) { e in
            let m = (e as? LocalizedError)?.errorDescription ?? ""
            XCTAssertTrue(m.contains("vocab_projector.weight"), m)
        }
    }

    func testDistilBertNamesMapOntoTheTypedTable() {
        let f = EncoderFamily.distilbert
        func hf(_ n: String) -> WeightNames.Mapping { WeightNames.map(huggingFace: n, family: f) }
        XCTAssertEqual(hf("distilbert.transformer.layer.1.attention.q_lin.weight"), .parameter(.layer(1, .queryWeight), transposed: false))
        XCTAssertEqual(hf("transformer.layer.0.sa_layer_norm.bias"), .parameter(.layer(0, .attentionNormBias), transposed: false))
        XCTAssertEqual(hf("transformer.layer.0.ffn.lin2.weight"), .parameter(.layer(0, .outputWeight), transposed: false))
        XCTAssertEqual(hf("distilbert.embeddings.LayerNorm.weight"), .parameter(.embeddings(.normWeight), transposed: false))
        XCTAssertEqual(hf("pre_classifier.weight"), .parameter(.head(.classifierDenseWeight), transposed: false))
        XCTAssertEqual(hf("vocab_projector.bias"), .parameter(.head(.mlmBias), transposed: false))
        XCTAssertEqual(hf("vocab_layer_norm.weight"), .parameter(.head(.mlmNormWeight), transposed: false))
        XCTAssertEqual(hf("distilbert.encoder.layer.0.attention.self.query.weight"), .unexpected, "BERT's layer names are not DistilBERT's")
        XCTAssertEqual(hf("distilbert.embeddings.token_type_embeddings.weight"), .unexpected, "no token types")
        XCTAssertEqual(hf("transformer.layer.0.attention.query.weight"), .unexpected)
        XCTAssertEqual(hf("transformer.layer.x.ffn.lin1.weight"), .unexpected)
        XCTAssertEqual(WeightNames.map(huggingFace: "transformer.layer.0.ffn.lin1.weight"), .unexpected, "not BERT's")
        XCTAssertEqual(WeightNames.layerIndex(huggingFace: "distilbert.transformer.layer.3.ffn.lin1.weight"), 3)
        // Keras (TFDistilBert…, transformers 4.57.6).
        XCTAssertEqual(WeightNames.map(keras: "tf_distil_bert_for_masked_lm/distilbert/transformer/layer_._0/attention/k_lin/kernel:0", family: f),
                       .parameter(.layer(0, .keyWeight), transposed: true))
        XCTAssertEqual(WeightNames.huggingFaceName(.layer(2, .intermediateBias), prefixed: true, family: f), "distilbert.transformer.layer.2.ffn.lin1.bias")
        XCTAssertEqual(WeightNames.huggingFaceName(.head(.classifierDenseBias), prefixed: true, family: f, head: .multipleChoice), "pre_classifier.bias")
    }

    /// Every parameter of every DistilBERT head, spelt as DistilBERT spells it, maps back to itself,
    /// and none is a token-type table.
    func testEveryDistilBertSpellingRoundTrips() throws {
        let c = try config(["num_labels": "3"])
        for head in EncoderFamily.distilbert.heads {
            let a = Architecture(modelType: "distilbert", head: head, pooler: false)
            let parameters = a.parameters(c).map(\.name)
            XCTAssertFalse(parameters.contains(.embeddings(.tokenType)), "\(head)")
            for p in parameters {
                let n = WeightNames.huggingFaceName(p, prefixed: head != .none, family: .distilbert, head: head)
                XCTAssertEqual(WeightNames.map(huggingFace: n, family: .distilbert), .parameter(p, transposed: false), "\(head) \(n)")
            }
        }
    }

    /// A wrong shape names DistilBERT's keys (`hidden_dim × dim`), not BERT's.
    func testAShapeErrorNamesTheFamilysKeys() throws {
        let src = FamilyFixtures.folder("distilbert-base")
        var tensors = try SafeTensorsFile.read(path: src + "/model.safetensors").named
        let k = tensors.entries.firstIndex { $0.name == "transformer.layer.0.ffn.lin1.weight" }!
        tensors.entries[k].tensor = RawTensor(floats: [Float](repeating: 0, count: 36 * 24), shape: [36, 24])
        let config = try BertConfig(contentsOf: src + "/config.json")
        XCTAssertThrowsError(try Checkpoint.bind(config: config, tensors: tensors)) { e in
            let m = (e as? LocalizedError)?.errorDescription ?? ""
            XCTAssertTrue(m.contains("transformer.layer.0.ffn.lin1.weight: expected [37, 24] from the config (hidden_dim × dim), found [36, 24]"), m)
        }
    }

    /// `sinusoidal_pos_embds`: transformers 5.23 loads the stored table (the formula is only its
    /// initialiser; generate_distilbert.py asserts both), and so does bertkit: the bound table is the
    /// file's, bit for bit, and the flag survives conversion. The fixture's table is not the formula,
    /// so its golden (FamilyGoldenTests) fails for a reader that recomputes it.
    func testASinusoidalTableIsUsedAsStored() throws {
        let name = "distilbert-sinusoidal"
        let stored = try SafeTensorsFile.read(path: FamilyFixtures.weights(name, "safetensors")).named
        let file = stored.entries.first { $0.name == "embeddings.position_embeddings.weight" }!.tensor
        let c = try FamilyFixtures.checkpoint(name)
        let bound = c.parameters.first { $0.name == "embeddings.position_embeddings.weight" }!.tensor
        XCTAssertEqual(bound.converted(to: .f32).floats(), file.converted(to: .f32).floats())
        // What create_sinusoidal_embeddings would give: sin at even columns, cos at odd.
        let dim = c.config.hiddenSize
        let formula = (0..<c.config.maxPositionEmbeddings * dim).map { i -> Float in
            let (pos, j) = i.quotientAndRemainder(dividingBy: dim)
            let angle = Double(pos) / pow(10000, Double(2 * (j / 2)) / Double(dim))
            return Float(j % 2 == 0 ? sin(angle) : cos(angle))
        }
        XCTAssertGreaterThan(zip(bound.converted(to: .f32).floats(), formula).map { abs($0 - $1) }.max()!, 0.1, "the fixture's table is not the formula")
        XCTAssertEqual(c.config.json["sinusoidal_pos_embds"], .bool(true))
    }
}
