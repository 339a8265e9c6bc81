import BertFormats

// The heads that are one Linear (models/bert/modeling_bert.py): BertForSequenceClassification's and
// BertForMultipleChoice's `classifier` and BertOnlyNSPHead's `seq_relationship` on the pooled
// output; BertForTokenClassification's `classifier` and BertForQuestionAnswering's `qa_outputs` on
// every token. Their dropout (classification heads only) is the identity at inference; in training
// it is applied to `inp` before the head (Forward.swift), and to `dinp` after `backward`.

/// out[N, outputs] = inp[N, H] · weight[outputs, H]ᵀ + bias, with typed views of one head's Linear.
struct LinearHead {
    let weight: UnsafeMutablePointer<Float>
    let bias: UnsafeMutablePointer<Float>
    let outputs: Int

    init(_ p: ParameterStore, weight: BertParameter, bias: BertParameter) {
        self.weight = p[weight]
        self.bias = p[bias]
        outputs = p.layout[weight]!.shape[0]
    }

    static func classifier(_ p: ParameterStore) -> LinearHead { LinearHead(p, weight: .head(.classifierWeight), bias: .head(.classifierBias)) }
    static func nextSentence(_ p: ParameterStore) -> LinearHead { LinearHead(p, weight: .head(.nspWeight), bias: .head(.nspBias)) }
    static func questionAnswering(_ p: ParameterStore) -> LinearHead { LinearHead(p, weight: .head(.qaWeight), bias: .head(.qaBias)) }

    func forward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, rows: Int, features h: Int) {
        classifierForward(logits: out, pooled: inp, weight: weight, bias: bias, batch: rows, features: h, labels: outputs)
    }

    /// Backward: dinp[N, H] += dout[N, outputs] · weight (nil: not needed); the weight and bias
    /// gradients are added into `grads`, the same head's views of the gradient store.
    func backward(dinp: UnsafeMutablePointer<Float>?, overwrite: Bool = false, grads: LinearHead, dout: UnsafePointer<Float>,
                  inp: UnsafePointer<Float>, rows: Int, features h: Int) {
        linearBackward(dinp: dinp, overwrite: overwrite, dweight: grads.weight, dbias: grads.bias, dout: dout, inp: inp,
                       weight: weight, rows: rows, inFeatures: h, outFeatures: outputs)
    }
}
