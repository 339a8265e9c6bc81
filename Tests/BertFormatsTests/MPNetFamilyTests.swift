import BertFormats
import BertTensors
import Foundation
import TestSupport
import XCTest

/// MPNet's names, config and relative-position buckets (modeling_mpnet.py), against
/// golden/generate_mpnet.py's fixtures and its recording of MPNetEncoder.relative_position_bucket.
final class MPNetFamilyTests: XCTestCase {
    /// Every relative position in [-600, 600], as torch buckets them (f32 log, truncation).
    func testBucketsMatchTransformersForEveryRelativePosition() throws {
        let o = try JSONParser.parse(contentsOf: Repo.expected("families/mpnet-buckets.json")).objectValue!
        let relative = o["relative"]!.arrayValue!.map { $0.intValue! }, bucket = o["bucket"]!.arrayValue!.map { $0.intValue! }
        XCTAssertEqual(relative.count, 1201)
        let rule = EncoderFamily.mpnet.relativeAttention!
        for (r, b) in zip(relative, bucket) { XCTAssertEqual(rule.bucket(relative: r), b, "relative position \(r)") }
        // Every bucket but 16: the "key after the query" half starts at distance 1 (n < 0), so its first is unused.
        XCTAssertEqual(Set(bucket), Set(0..<32).subtracting([16]), "the golden reaches every reachable bucket")
    }

    func testNamesAreMPNetsAndBERTsSpellingIsNotOne() {
        let f = EncoderFamily.mpnet
        XCTAssertEqual(WeightNames.map(huggingFace: "mpnet.encoder.layer.3.attention.attn.q.weight", family: f),
                       .parameter(.layer(3, .queryWeight), transposed: false))
        XCTAssertEqual(WeightNames.map(huggingFace: "mpnet.encoder.layer.0.attention.LayerNorm.bias", family: f),
                       .parameter(.layer(0, .attentionNormBias), transposed: false))
        XCTAssertEqual(WeightNames.map(huggingFace: "mpnet.encoder.relative_attention_bias.weight", family: f),
                       .parameter(.relativeAttentionBias, transposed: false))
        XCTAssertEqual(WeightNames.map(keras: "tf_mp_net_model/mpnet/encoder/relative_attention_bias/embeddings:0", family: f),
                       .parameter(.relativeAttentionBias, transposed: false))
        XCTAssertEqual(WeightNames.map(keras: "tf_mp_net_model/mpnet/encoder/layer_._1/attention/attn/o/kernel:0", family: f),
                       .parameter(.layer(1, .attentionOutputWeight), transposed: true))
        // BERT's spellings and tables MPNet does not have are not MPNet names.
        XCTAssertEqual(WeightNames.map(huggingFace: "mpnet.encoder.layer.3.attention.self.query.weight", family: f), .unexpected)
        XCTAssertEqual(WeightNames.map(huggingFace: "mpnet.embeddings.token_type_embeddings.weight", family: f), .unexpected)
        XCTAssertEqual(WeightNames.map(huggingFace: "roberta.encoder.relative_attention_bias.weight", family: .roberta), .unexpected)
        XCTAssertEqual(WeightNames.huggingFaceName(.layer(2, .attentionOutputBias), prefixed: true, family: f),
                       "mpnet.encoder.layer.2.attention.attn.o.bias")
        XCTAssertEqual(WeightNames.huggingFaceName(.relativeAttentionBias, prefixed: false, family: f),
                       "encoder.relative_attention_bias.weight")
    }

    private func config(_ edit: (inout JSONObject) -> Void) throws -> BertConfig {
        let path = FamilyFixtures.folder("mpnet-sequence-classification") + "/config.json"
        guard case .object(var o) = try JSONParser.parse(contentsOf: path) else { throw CocoaError(.fileReadCorruptFile) }
        edit(&o)
        return try BertConfig(json: o, file: "config.json")
    }

    /// issue 14's bad input for MPNet: a bucket count compute_position_bias does not use names the key.
    func testABucketCountOtherThan32NamesTheKey() throws {
        XCTAssertThrowsError(try config { $0["relative_attention_num_buckets"] = .int(16) }) { e in
            let m = (e as? LocalizedError)?.errorDescription ?? ""
            XCTAssertTrue(m.contains("relative_attention_num_buckets") && m.contains("16") && m.contains("32"), m)
        }
        let c = try config { _ in }
        XCTAssertEqual(c.typeVocabSize, 1, "no token-type table: only type 0")
        XCTAssertEqual(c.maxSequenceLength, 66 - 2, "positions from pad + 1, as RoBERTa's")
        XCTAssertNil(c.json["type_vocab_size"], "config.json gains no key MPNet lacks")
    }

    /// A table of the wrong shape is refused naming the tensor and its config keys.
    func testABucketTableOfTheWrongShapeNamesTheTensor() throws {
        let src = FamilyFixtures.folder("mpnet-sequence-classification")
        let c = try BertConfig(contentsOf: src + "/config.json")
        var tensors = try SafeTensorsFile.read(path: src + "/model.safetensors").named
        let name = "mpnet.encoder.relative_attention_bias.weight"
        guard let i = tensors.entries.firstIndex(where: { $0.name == name }) else { return XCTFail("no \(name)") }
        tensors.entries[i].tensor = RawTensor(floats: [Float](repeating: 0.5, count: 16 * 3), shape: [16, 3])
        XCTAssertThrowsError(try Checkpoint.bind(config: c, tensors: tensors)) { e in
            let m = (e as? LocalizedError)?.errorDescription ?? ""
            XCTAssertTrue(m.contains(name) && m.contains("relative_attention_num_buckets"), m)
        }
    }
}
