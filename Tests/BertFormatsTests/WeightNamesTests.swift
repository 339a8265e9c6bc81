import TestSupport
import BertFormats
import BertTensors
import XCTest

final class WeightNamesTests: XCTestCase {
    func testHuggingFaceSpellings() {
        XCTAssertEqual(WeightNames.map(huggingFace: "bert.encoder.layer.3.attention.self.query.weight"),
                       .parameter(BertParameter(name: "encoder.layer.3.attention.self.query.weight")!, transposed: false))
        XCTAssertEqual(WeightNames.map(huggingFace: "embeddings.LayerNorm.gamma"),
                       .parameter(BertParameter(name: "embeddings.LayerNorm.weight")!, transposed: false))
        XCTAssertEqual(WeightNames.map(huggingFace: "bert.encoder.layer.0.output.LayerNorm.beta"),
                       .parameter(BertParameter(name: "encoder.layer.0.output.LayerNorm.bias")!, transposed: false))
        XCTAssertEqual(WeightNames.map(huggingFace: "embeddings.position_ids"), .ignoredBuffer)
        XCTAssertEqual(WeightNames.map(huggingFace: "cls.predictions.decoder.weight"), .parameter(.head(.mlmDecoderWeight), transposed: false))
        XCTAssertEqual(WeightNames.map(huggingFace: "qa_outputs.bias"), .parameter(.head(.qaBias), transposed: false))
        XCTAssertEqual(WeightNames.map(huggingFace: "cls.seq_relationship.weight"), .parameter(.head(.nspWeight), transposed: false))
        XCTAssertEqual(WeightNames.map(huggingFace: "classifier.bias"), .parameter(BertParameter(name: "classifier.bias")!, transposed: false))
        XCTAssertEqual(WeightNames.map(huggingFace: "encoder.layer.01.output.dense.bias"), .unexpected)
        XCTAssertEqual(WeightNames.map(huggingFace: "encoder.layer.0.attention.self.rotary.weight"), .unexpected)
        XCTAssertEqual(WeightNames.map(huggingFace: "lm_head.weight"), .unexpected)
    }

    func testKerasSpellings() {
        XCTAssertEqual(WeightNames.map(keras: "tf_bert_model/bert/encoder/layer_._0/attention/self/query/kernel:0"),
                       .parameter(BertParameter(name: "encoder.layer.0.attention.self.query.weight")!, transposed: true))
        XCTAssertEqual(WeightNames.map(keras: "tf_bert_for_sequence_classification/bert/embeddings/word_embeddings/weight:0"),
                       .parameter(BertParameter(name: "embeddings.word_embeddings.weight")!, transposed: false))
        XCTAssertEqual(WeightNames.map(keras: "tf_bert_model/bert/embeddings/position_embeddings/embeddings:0"),
                       .parameter(BertParameter(name: "embeddings.position_embeddings.weight")!, transposed: false))
        XCTAssertEqual(WeightNames.map(keras: "tf_bert_model/bert/embeddings/LayerNorm/gamma:0"),
                       .parameter(BertParameter(name: "embeddings.LayerNorm.weight")!, transposed: false))
        XCTAssertEqual(WeightNames.map(keras: "tf_bert_for_sequence_classification/classifier/kernel:0"),
                       .parameter(BertParameter(name: "classifier.weight")!, transposed: true))
        XCTAssertEqual(WeightNames.map(keras: "tf_bert_model/bert/pooler/dense/bias:0"),
                       .parameter(BertParameter(name: "pooler.dense.bias")!, transposed: false))
    }

    func testParameterTableShapes() throws {
        guard case .object(let o) = try JSONParser.parse(Array(#"{"vocab_size": 50, "hidden_size": 8, "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 12, "max_position_embeddings": 16, "type_vocab_size": 3, "id2label": {"0": "a", "1": "b", "2": "c"}}"#.utf8), file: "c") else { return XCTFail() }
        let c = try BertConfig(json: o, file: "c")
        let p = parameterTable(c, pooler: true, classifier: true)
        XCTAssertEqual(p.count, 5 + 2 * 16 + 2 + 2)
        XCTAssertEqual(Set(p.map(\.name)).count, p.count)
        let shapes = Dictionary(uniqueKeysWithValues: p.map { ($0.name, $0.shape) })
        XCTAssertEqual(shapes["embeddings.token_type_embeddings.weight"], [3, 8])
        XCTAssertEqual(shapes["encoder.layer.1.intermediate.dense.weight"], [12, 8])
        XCTAssertEqual(shapes["encoder.layer.1.output.dense.weight"], [8, 12])
        XCTAssertEqual(shapes["classifier.weight"], [3, 8])
        XCTAssertTrue(p.allSatisfy { BertParameter(name: $0.name)?.name == $0.name })
    }
}
