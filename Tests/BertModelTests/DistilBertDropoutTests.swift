import BertFormats
@testable import BertModel
import TestSupport
import XCTest

/// DistilBERT's training dropout per site (modeling_distilbert.py 5.23, DropoutSchema in
/// Families/DistilBERT.swift): `dropout` after the embeddings and after `ffn.lin2`, `attention_dropout`
/// on the probabilities, nothing after `out_lin`; sequence classification and multiple choice
/// `seq_classif_dropout` after pre_classifier's ReLU (nothing before it), token classification `dropout`
/// on every token, question answering `qa_dropout` on every token.
final class DistilBertDropoutTests: XCTestCase {
    private func config(_ fields: [String: String], family: String = "distilbert") throws -> BertConfig {
        try FamilyConfigs.config(fields, base: family == "distilbert" ? [
            "model_type": "\"distilbert\"", "vocab_size": "40", "dim": "8", "n_layers": "1", "n_heads": "2",
            "hidden_dim": "12", "max_position_embeddings": "20",
        ] : [
            "model_type": "\"bert\"", "vocab_size": "40", "hidden_size": "8", "num_hidden_layers": "1", "num_attention_heads": "2",
            "intermediate_size": "12", "max_position_embeddings": "20",
        ])
    }

    private static let heads: [HeadKind] = [.sequenceClassification, .tokenClassification, .questionAnswering, .multipleChoice]

    /// Each head's rate at [embeddings, attention probabilities, attention output, output, head input, after the dense].
    private func rates(_ c: BertConfig) -> [HeadKind: [Float]] {
        Dictionary(uniqueKeysWithValues: Self.heads.map { h in
            let r = DropoutRates(config: c, head: h)
            return (h, [r.rate(.embeddings), r.rate(.attentionProbs(layer: 0)), r.rate(.attentionOutput(layer: 0)), r.rate(.output(layer: 0)),
                        r.rate(.classifier), r.rate(.classifierDense)])
        })
    }

    func testEachRateIsReadFromItsOwnKeyAndNothingElseChanges() throws {
        // configuration_distilbert.py's defaults: dropout 0.1, attention_dropout 0.1, seq_classif_dropout 0.2, qa_dropout 0.1.
        let defaults: [HeadKind: [Float]] = [
            .sequenceClassification: [0.1, 0.1, 0, 0.1, 0, 0.2], .multipleChoice: [0.1, 0.1, 0, 0.1, 0, 0.2],
            .tokenClassification: [0.1, 0.1, 0, 0.1, 0.1, 0], .questionAnswering: [0.1, 0.1, 0, 0.1, 0.1, 0],
        ]
        XCTAssertEqual(rates(try config([:])), defaults)
        // One key at a time: (key, value, the (head, site index) pairs it moves).
        let all = Self.heads
        let cases: [(String, Float, [(HeadKind, Int)])] = [
            ("dropout", 0.3, all.flatMap { [($0, 0), ($0, 3)] } + [(.tokenClassification, 4)]),
            ("attention_dropout", 0.35, all.map { ($0, 1) }),
            ("seq_classif_dropout", 0.45, [(.sequenceClassification, 5), (.multipleChoice, 5)]),
            ("qa_dropout", 0.55, [(.questionAnswering, 4)]),
        ]
        for (key, value, moved) in cases {
            var want = defaults
            for (h, i) in moved { want[h]![i] = value }
            XCTAssertEqual(rates(try config([key: "\(value)"])), want, key)
        }
    }

    /// The masks follow the rates: QA's site covers every token; no site after out_lin nor before pre_classifier.
    func testTheMasksHaveDistilBertsSites() throws {
        let c = try config([:])
        let qa = DropoutMasks(config: c, batch: 2, seq: 3, rates: DropoutRates(config: c, head: .questionAnswering), head: .questionAnswering)
        XCTAssertEqual(qa.mask(.classifier)?.count, 2 * 3 * 8)
        XCTAssertNil(qa.mask(.attentionOutput(layer: 0)))
        let sc = DropoutMasks(config: c, batch: 2, seq: 3, rates: DropoutRates(config: c, head: .sequenceClassification))
        XCTAssertNil(sc.mask(.classifier))
        XCTAssertEqual(sc.mask(.classifierDense)?.count, 2 * 8)
        // BERT's QA head has no dropout (modeling_bert.py BertForQuestionAnswering): no site, whatever classifier_dropout says.
        let bert = try config(["classifier_dropout": "0.3"], family: "bert")
        let bqa = DropoutRates(config: bert, head: .questionAnswering)
        XCTAssertEqual([bqa.rate(.classifier), bqa.rate(.attentionOutput(layer: 0))], [0, 0.1])
        XCTAssertNil(DropoutMasks(config: bert, batch: 2, seq: 3, rates: bqa, head: .questionAnswering).mask(.classifier))
    }

    /// QA's dropout is in the forward and the backward: at rate 1 nothing reaches `qa_outputs`, so the
    /// logits are its bias, and no gradient reaches its weight nor the encoder.
    func testQuestionAnsweringDropsItsInputInForwardAndBackward() throws {
        let model = try BertModel(checkpoint: FamilyFixtures.checkpoint("distilbert-question-answering"))
        let t = Trainer(model: model, optimizer: .init(kind: .adam, learningRate: 1e-3),
                        dropout: DropoutRates(hidden: 0, attention: 0, classifier: 1, attentionOutput: 0), seed: 1)
        let input = try BertInput(rows: [[4, 7, 8, 9, 5], [4, 10, 11, 5]], config: model.config)
        let (_, logits) = try t.lossAndGradients(input, targets: .spans(start: [1, 2], end: [3, 2]))
        let bias = model.parameters[.head(.qaBias)]
        XCTAssertEqual(logits.count, 2 * input.batch * input.seq)
        for i in stride(from: 0, to: logits.count, by: 2) { XCTAssertEqual([logits[i], logits[i + 1]], [bias[0], bias[1]], "token \(i / 2)") }
        let layout = model.parameters.layout
        for p in [BertParameter.head(.qaWeight), .layer(0, .outputWeight), .embeddings(.word)] {
            let n = try XCTUnwrap(layout[p]).count, g = t.gradients[p]
            XCTAssertEqual((0..<n).map { abs(g[$0]) }.max(), 0, "\(p): nothing passes a rate-1 dropout")
        }
        XCTAssertNotEqual(t.gradients[.head(.qaBias)][0], 0, "the bias still learns")
    }
}
