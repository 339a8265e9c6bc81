import BertFormats
import BertModel
import Foundation

/// Numbers: every weight finite, no LayerNorm scaled to zero, finite outputs on probe texts.
enum NumberChecks {
    static func weights(_ c: Checkpoint) -> [ValidationCheck] {
        var bad: [String] = [], zeroNorms: [String] = []
        for (name, t) in c.parameters {
            let v = t.floats()
            let nan = v.reduce(0) { $0 + ($1.isNaN ? 1 : 0) }, inf = v.reduce(0) { $0 + ($1.isInfinite ? 1 : 0) }
            if nan + inf > 0 { bad.append("\(name): \(nan) NaN, \(inf) Inf of \(v.count)") }
            if name.hasSuffix("LayerNorm.weight"), v.allSatisfy({ $0 == 0 }) { zeroNorms.append(name) }
        }
        return [
            .passIf(bad.isEmpty, "Numbers", "weights finite", pass: "no NaN or Inf in \(c.parameters.count) tensors",
                    fail: bad.joined(separator: "; "), figures: ["non_finite_tensors": Double(bad.count)]),
            .passIf(zeroNorms.isEmpty, "Numbers", "LayerNorm weights not all zero",
                    pass: "every LayerNorm has a nonzero scale",
                    fail: "all-zero LayerNorm weight (the layer outputs only its bias): \(zeroNorms.joined(separator: ", "))"),
        ]
    }

    static func outputs(_ o: BertOutput, model: BertModel) -> ValidationCheck {
        let name = o.logits != nil ? "logits" : (o.nextSentenceLogits != nil ? "seq_relationship_logits"
            : (o.pooled != nil ? "pooler_output" : "last_hidden_state"))
        let v = o.logits ?? o.nextSentenceLogits ?? o.pooled ?? o.lastHiddenState
        let bad = v.filter { !$0.isFinite }.count
        return .passIf(bad == 0, "Numbers", "outputs finite on probe inputs",
                       pass: "\(name) finite on \(o.batch) probe texts",
                       fail: "\(bad) of \(v.count) \(name) values are NaN or Inf on the probe texts")
    }
}
