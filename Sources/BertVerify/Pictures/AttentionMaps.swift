import BertModel
import BertTokenizer
import Foundation

/// The attention probabilities of one text as heat maps: queries down, keys across, labelled with
/// the tokens (transformers' `attentions` output, the softmax of QKᵀ/√d per head).
public struct AttentionMaps {
    public let tokens: [String]
    public let layers: Int
    public let heads: Int
    /// [layers][heads][S × S] row-major (query, key).
    public let probabilities: [[[Float]]]

    public init(model: BertModel, text: TextInput) throws {
        let tokenizer = try model.makeTokenizer()
        let input = try BertInput.encode([text], tokenizer: tokenizer, config: model.config).input
        let buffers = model.makeBuffers(batch: 1, seq: input.seq, keepEveryLayer: true)
        try model.forward(input, into: buffers)
        let c = model.config, s = input.seq
        tokens = input.inputIds.map { id in model.vocabulary?.tokens[Int(id)] ?? "#\(id)" }
        layers = c.appliedLayers
        heads = c.numAttentionHeads
        probabilities = (0..<layers).map { l in
            let p = buffers.values(of: .attentionProbs(layer: l), config: c)!
            return (0..<c.numAttentionHeads).map { h in Array(p[(h * s * s)..<((h + 1) * s * s)]) }
        }
    }

    /// One head, or (head nil) the mean over heads.
    public func map(layer: Int, head: Int?) -> HeatMap {
        let values: [Float]
        if let h = head {
            values = probabilities[layer][h]
        } else {
            let all = probabilities[layer]
            values = (0..<all[0].count).map { i in all.reduce(0) { $0 + $1[i] } / Float(all.count) }
        }
        let title = "layer \(layer), " + (head.map { "head \($0)" } ?? "mean of \(heads) heads") + " (queries down, keys across)"
        return HeatMap(title: title, rowLabels: tokens, columnLabels: tokens, values: values)
    }

    /// Every layer × head, one row of tiles per layer.
    public func grid(title: String) -> HeatMapGrid {
        let maps = (0..<layers).flatMap { l in (0..<heads).map { h in
            var m = map(layer: l, head: h)
            m.title = "L\(l) H\(h)"
            return m
        } }
        return HeatMapGrid(title: title, maps: maps, columns: heads)
    }
}
