import BertFormats
import BertModel
import Foundation

/// The result of running a model on a golden's inputs and comparing every recorded tap.
public struct VerifyReport: Sendable, Codable {
    public let golden: String
    public let tolerance: Tolerance
    /// One row per tap, in forward order (stops after the first failure with fail-fast).
    public let taps: [TapComparison]
    /// Tensors the golden holds that were not compared because fail-fast stopped early.
    public let notCompared: [String]
    /// Every pair of tensors the golden records for one tap, compared with each other.
    public let aliases: [AliasComparison]
    public var passed: Bool { notCompared.isEmpty && taps.allSatisfy(\.passed) && aliases.allSatisfy(\.agree) }
    public var firstFailure: TapComparison? { taps.first { !$0.passed } }
    public var aliasDisagreements: [AliasComparison] { aliases.filter { !$0.agree } }
}

public enum Verifier {
    /// Runs `model` on the golden's own inputs and compares each tensor it recorded (a tap the
    /// golden names twice is compared twice, and the two recorded tensors with each other).
    /// Throws (naming the tap) when the golden's inputs, tap names or shapes do not fit the model.
    public static func verify(model: BertModel, golden g: GoldenFile, tolerance: Tolerance = .f32,
                              failFast: Bool = false) throws -> VerifyReport {
        let input: BertInput
        do {
            input = try g.input(config: model.config)
        } catch let e as ModelError {
            let name: String
            switch e {
            case .tokenTypeOutOfRange: name = "token_type_ids"
            case .badMaskValue: name = "attention_mask"
            default: name = "input_ids"
            }
            throw GoldenError.badInput(file: g.path, name: name, problem: e.errorDescription ?? "\(e)")
        }
        let buffers = model.makeBuffers(batch: g.batch, seq: g.seq, keepEveryLayer: true,
                                        allPredictions: g.entries.contains { $0.tap == .predictions })
        buffers.choices = g.choices
        try check(g, against: model, buffers: buffers)
        try model.forward(input, into: buffers)

        let mask = g.attentionMask, s = g.seq
        var rows: [TapComparison] = []
        var rest: [String] = []
        for e in g.entries {
            if failFast, rows.last?.passed == false { rest.append(e.name); continue }
            let shape = buffers.shape(of: e.tap, config: model.config)
            let actual = buffers.values(of: e.tap, config: model.config)!
            let include = realPositions(of: e.tap, head: model.head, shape: shape, mask: mask, seq: s)
            rows.append(TapComparison(tap: e.tap.description, goldenName: e.name, shape: shape, actual: actual,
                                      expected: e.tensor.floats(), tolerance: tolerance, include: include))
        }
        return VerifyReport(golden: g.path, tolerance: tolerance, taps: rows, notCompared: rest,
                            aliases: g.aliasComparisons(tolerance: tolerance))
    }

    /// Which flat elements of a tap lie on real tokens (attention mask 1); for probabilities, query
    /// and key both real. Padding holds values no reference agrees on, so it is never compared.
    public static func realPositions(of tap: Tap, head: HeadKind, shape: [Int], mask: [Int], seq s: Int) -> (Int) -> Bool {
        switch tap {
        case .attentionProbs:
            return { i in
                let j = i % s, q = (i / s) % s, b = i / (s * s * shape[1])
                return mask[b * s + q] == 1 && mask[b * s + j] == 1
            }
        case let t where t.isPerToken(head: head):
            let width = shape.count > 2 ? shape[2...].reduce(1, *) : 1
            return { i in mask[i / width] == 1 }
        default:
            return { _ in true }
        }
    }

    /// Every golden tap must exist in the model and have the shape the model gives.
    static func check(_ g: GoldenFile, against model: BertModel, buffers: ActivationBuffers) throws {
        let c = model.config
        for e in g.entries {
            if let l = e.tap.layer, l >= c.appliedLayers {
                throw GoldenError.tapNotInModel(file: g.path, name: e.name, reason: "the model has \(c.appliedLayers) layers (0...\(c.appliedLayers - 1))")
            }
            switch e.tap {
            case .pooler where !model.architecture.pooler:
                throw GoldenError.tapNotInModel(file: g.path, name: e.name, reason: "the model has no pooler")
            case .embeddingsProjection where !c.projectsEmbeddings:
                throw GoldenError.tapNotInModel(file: g.path, name: e.name,
                                                reason: "the model has no embeddings_project (embedding_size \(c.embeddingSize) = hidden_size)")
            case .sentenceEmbedding where model.pooling == nil:
                throw GoldenError.tapNotInModel(file: g.path, name: e.name,
                                                reason: "the model has no sentence-transformers pooling (modules.json)")
            case .embeddings, .embeddingsProjection, .attentionProbs, .attentionSelf, .attention, .intermediate, .output, .pooler,
                 .sentenceEmbedding:
                break
            default:
                guard Tap.headTaps(model.head).contains(e.tap) else {
                    throw GoldenError.tapNotInModel(file: g.path, name: e.name,
                                                    reason: "the model is \(model.architecture.className), whose head has no \(e.tap) output")
                }
            }
            let expected = buffers.shape(of: e.tap, config: c)
            guard e.tensor.shape == expected else {
                throw GoldenError.tapShape(file: g.path, name: e.name, expected: expected, found: e.tensor.shape)
            }
        }
    }
}
