import BertFormats
import BertTensors
import TestSupport
import XCTest

/// The family core (Architecture/Families/): the registry, each family's config keys and defaults,
/// class names, the name tables in both spellings, and what is refused by name.
final class EncoderFamilyTests: XCTestCase {
    private func config(_ fields: [String: String], file: String = "config.json") throws -> BertConfig {
        try FamilyConfigs.config(fields, base: [
            "vocab_size": "40", "hidden_size": "8", "num_hidden_layers": "1", "num_attention_heads": "2",
            "intermediate_size": "12", "max_position_embeddings": "20", "type_vocab_size": "1",
        ], file: file)
    }

    private func refused(_ fields: [String: String], key: String, _ fragments: [String], line: UInt = #line) {
        XCTAssertThrowsError(try config(fields), line: line) { e in
            guard let c = e as? ConfigError else { return XCTFail("\(e)", line: line) }
            XCTAssertEqual(c.key, key, line: line)
            for f in fragments { XCTAssertTrue(c.problem.contains(f), "\"\(c.problem)\" lacks \"\(f)\"", line: line) }
        }
    }

    func testFamiliesStillToComeAreRefusedByName() {
        for (type, name) in [("camembert", "CamemBERT")] {
            refused(["model_type": "\"\(type)\""], key: "model_type", [name, "not supported yet", "\"roberta\"", "\"xlm-roberta\"", "\"electra\"",
                                                                     "\"distilbert\"", "\"mpnet\"", "\"albert\""])
        }
        refused(["model_type": "\"gpt2\""], key: "model_type", ["\"gpt2\" is not supported", "\"bert\""])
    }

    func testRobertaConfigTakesItsFamilysDefaults() throws {
        let r = try config(["model_type": "\"roberta\""])
        XCTAssertEqual(r.family, .roberta)
        XCTAssertEqual(r.padTokenId, 1, "configuration_roberta.py: pad_token_id 1")
        XCTAssertEqual(try config(["model_type": "\"roberta\""].merging(["vocab_size": "50265"]) { $1 }).vocabSize, 50265)
        XCTAssertEqual(try config(["model_type": "\"xlm-roberta\""]).padTokenId, 1)
        XCTAssertEqual(try config([:]).padTokenId, 0, "BERT's default")
        // Positions count from pad + 1: 20 rows serve 20 − 1 − 1 tokens.
        XCTAssertEqual(r.maxSequenceLength, 18)
        XCTAssertEqual(try config([:]).maxSequenceLength, 20)
    }

    func testRobertaConfigsThatCannotBeAnEncoderNameTheKey() {
        refused(["model_type": "\"roberta\"", "is_decoder": "true"], key: "is_decoder", ["decoder", "RoBERTa"])
        refused(["model_type": "\"roberta\"", "add_cross_attention": "true"], key: "add_cross_attention", ["decoder"])
        refused(["model_type": "\"roberta\"", "pad_token_id": "null"], key: "pad_token_id", ["null"])
        refused(["model_type": "\"roberta\"", "max_position_embeddings": "2"], key: "max_position_embeddings",
                ["leaves no position", "pad_token_id + 1 = 2"])
    }

    func testClassNamesPerFamilyAndHead() {
        XCTAssertEqual(EncoderFamily.roberta.className(.sequenceClassification), "RobertaForSequenceClassification")
        XCTAssertEqual(EncoderFamily.xlmRoberta.className(.none), "XLMRobertaModel")
        XCTAssertEqual(EncoderFamily.bert.className(.preTraining), "BertForPreTraining")
        XCTAssertNil(EncoderFamily.roberta.head(forClass: "RobertaForNextSentencePrediction"), "RoBERTa has no NSP head")
        XCTAssertEqual(EncoderFamily.roberta.head(forClass: "RobertaForMultipleChoice"), .multipleChoice)
        XCTAssertEqual(HeadKind(anyFamilyClass: "XLMRobertaForTokenClassification"), .tokenClassification)
        XCTAssertEqual(EncoderFamily.roberta.usesPooler(.sequenceClassification), false, "RobertaClassificationHead reads <s>")
        XCTAssertEqual(EncoderFamily.roberta.usesPooler(.multipleChoice), true)
        XCTAssertEqual(EncoderFamily.bert.usesPooler(.sequenceClassification), true)
    }

    func testRobertaNamesMapOntoTheTypedTable() {
        let f = EncoderFamily.roberta
        func hf(_ n: String) -> WeightNames.Mapping { WeightNames.map(huggingFace: n, family: f) }
        XCTAssertEqual(hf("roberta.encoder.layer.1.attention.self.query.weight"), .parameter(.layer(1, .queryWeight), transposed: false))
        XCTAssertEqual(hf("roberta.embeddings.position_ids"), .ignoredBuffer)
        XCTAssertEqual(hf("lm_head.dense.weight"), .parameter(.head(.mlmTransformWeight), transposed: false))
        XCTAssertEqual(hf("lm_head.layer_norm.bias"), .parameter(.head(.mlmNormBias), transposed: false))
        XCTAssertEqual(hf("lm_head.bias"), .parameter(.head(.mlmBias), transposed: false))
        XCTAssertEqual(hf("classifier.out_proj.weight"), .parameter(.head(.classifierWeight), transposed: false))
        XCTAssertEqual(hf("classifier.dense.bias"), .parameter(.head(.classifierDenseBias), transposed: false))
        XCTAssertEqual(hf("classifier.weight"), .parameter(.head(.classifierWeight), transposed: false), "the token classifier")
        XCTAssertEqual(hf("cls.predictions.bias"), .unexpected, "BERT's MLM name is not RoBERTa's")
        XCTAssertEqual(hf("cls.seq_relationship.weight"), .unexpected, "RoBERTa has no NSP head")
        XCTAssertEqual(hf("bert.encoder.layer.0.output.dense.weight"), .unexpected, "another family's prefix")
        XCTAssertEqual(WeightNames.map(huggingFace: "classifier.dense.weight"), .unexpected, "BERT has no classifier dense")
        // Keras (TFRobertaFor…, transformers 4.57.6).
        func keras(_ n: String) -> WeightNames.Mapping { WeightNames.map(keras: n, family: f) }
        XCTAssertEqual(keras("tf_roberta_for_masked_lm/roberta/encoder/layer_._0/attention/self/key/kernel:0"),
                       .parameter(.layer(0, .keyWeight), transposed: true))
        XCTAssertEqual(keras("tf_roberta_for_masked_lm/lm_head/layer_norm/gamma:0"), .parameter(.head(.mlmNormWeight), transposed: false))
        XCTAssertEqual(keras("tf_roberta_for_masked_lm/lm_head/bias:0"), .parameter(.head(.mlmBias), transposed: false))
        XCTAssertEqual(keras("tf_roberta_for_sequence_classification/classifier/out_proj/kernel:0"),
                       .parameter(.head(.classifierWeight), transposed: true))
        // Written back in the family's spelling.
        XCTAssertEqual(WeightNames.huggingFaceName(.head(.classifierWeight), prefixed: true, family: f, head: .sequenceClassification),
                       "classifier.out_proj.weight")
        XCTAssertEqual(WeightNames.huggingFaceName(.head(.classifierWeight), prefixed: true, family: f, head: .tokenClassification),
                       "classifier.weight")
        XCTAssertEqual(WeightNames.huggingFaceName(.layer(0, .outputBias), prefixed: true, family: f), "roberta.encoder.layer.0.output.dense.bias")
        XCTAssertEqual(WeightNames.huggingFaceName(.head(.mlmDecoderWeight), prefixed: true, family: f, head: .maskedLM), "lm_head.decoder.weight")
    }

    /// Every parameter of every RoBERTa head, spelt as RoBERTa spells it, maps back to itself.
    func testEveryRobertaSpellingRoundTrips() throws {
        let c = try config(["model_type": "\"roberta\"", "num_labels": "3"])
        for head in EncoderFamily.roberta.heads {
            for tied in [true, false] where tied || head == .maskedLM {
                let a = Architecture(modelType: "roberta", head: head, pooler: EncoderFamily.roberta.usesPooler(head) ?? true, tiedDecoder: tied)
                for (p, _) in a.parameters(c) {
                    let n = WeightNames.huggingFaceName(p, prefixed: head != .none, family: .roberta, head: head)
                    XCTAssertEqual(WeightNames.map(huggingFace: n, family: .roberta), .parameter(p, transposed: false), "\(head) \(n)")
                }
            }
        }
    }

    private func bind(_ c: BertConfig, _ names: [(String, [Int])]) throws -> Checkpoint {
        let e = names.map { n, s in (name: n, tensor: RawTensor(floats: [Float](repeating: 0.5, count: s.reduce(1, *)), shape: s)) }
        return try Checkpoint.bind(config: c, tensors: NamedTensors(file: "model.safetensors", entries: e))
    }

    /// The RoBERTa encoder's tensors under `roberta.`, with `head`'s parameters in RoBERTa's spelling.
    private func robertaTensors(_ c: BertConfig, head: HeadKind, pooler: Bool) -> [(String, [Int])] {
        let a = Architecture(modelType: c.modelType, head: head, pooler: pooler)
        return a.parameters(c).map { (WeightNames.huggingFaceName($0.name, prefixed: head != .none, family: c.family, head: head), $0.shape) }
    }

    func testRobertaHeadsAreInferredOrNamedAndOthersRefused() throws {
        let c = try config(["model_type": "\"roberta\"", "num_labels": "3"])
        let seq = try bind(c, robertaTensors(c, head: .sequenceClassification, pooler: false))
        XCTAssertEqual(seq.head, .sequenceClassification, "classifier.dense says so without `architectures`")
        XCTAssertEqual(seq.architecture.className, "RobertaForSequenceClassification")
        XCTAssertFalse(seq.architecture.pooler)
        let named = try config(["model_type": "\"roberta\"", "num_labels": "3", "architectures": "[\"RobertaForTokenClassification\"]"])
        XCTAssertEqual(try bind(named, robertaTensors(c, head: .tokenClassification, pooler: false)).head, .tokenClassification)
        // The token classifier's `classifier.weight` is not the sequence classifier's `classifier.out_proj.weight`.
        let wrong = try config(["model_type": "\"roberta\"", "num_labels": "3", "architectures": "[\"RobertaForSequenceClassification\"]"])
        XCTAssertThrowsError(try bind(wrong, robertaTensors(c, head: .tokenClassification, pooler: false) + [
            ("classifier.dense.weight", [8, 8]), ("classifier.dense.bias", [8]),
        ])) { e in
            guard case .missingTensors(_, let names, _) = e as? CheckpointError else { return XCTFail("\(e)") }
            XCTAssertEqual(names, ["classifier.out_proj.weight", "classifier.out_proj.bias"])
        }
        for (cls, fragment) in [("RobertaForCausalLM", "causal"), ("BertForMaskedLM", "a BERT class, but model_type is \"roberta\""),
                                ("RobertaForNextSentencePrediction", "does not support for RoBERTa")] {
            let cc = try config(["model_type": "\"roberta\"", "architectures": "[\"\(cls)\"]"])
            XCTAssertThrowsError(try bind(cc, robertaTensors(c, head: .none, pooler: true))) { e in
                let m = (e as? LocalizedError)?.errorDescription ?? ""
                XCTAssertTrue(m.contains(cls) && m.contains(fragment), m)
            }
        }
    }
}
