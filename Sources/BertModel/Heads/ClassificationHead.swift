import BertFormats
import CBertKit

// The classification heads of every family, as `ClassifierLayout` describes them:
// - BERT (modeling_bert.py) BertForSequenceClassification / BertForMultipleChoice: dropout →
//   `classifier` on the pooled output; BertForTokenClassification: dropout → `classifier` on every token.
// - RoBERTa / XLM-R (modeling_roberta.py) RobertaClassificationHead: x = features[:, 0, :]; dropout →
//   `classifier.dense` → tanh → dropout → `classifier.out_proj`; RobertaForMultipleChoice and
//   RobertaForTokenClassification as BERT's.
// - ELECTRA (modeling_electra.py) ElectraDiscriminatorPredictions: `dense` → hidden_act →
//   `dense_prediction` (one logit) on every token, no dropout.
// The input rows are contiguous: the pooled output, every token, or the first tokens gathered into
// `ActivationBuffers.classifierTokens`. Dropout (training only) applies before each Linear
// (DropoutSite.classifier and .classifierDense); in eval both are the identity.

/// Typed views of a classification head: the optional dense and the output projection.
struct ClassificationHead {
    let layout: ClassifierLayout
    let dense: LinearHead?
    let out: LinearHead
    /// What `HeadActivation.hiddenAct` computes: the config's `hidden_act`.
    let hiddenAct: HiddenActivation

    init(_ p: ParameterStore, layout: ClassifierLayout, hiddenAct: HiddenActivation) {
        self.layout = layout
        self.hiddenAct = hiddenAct
        dense = layout.dense == nil ? nil : LinearHead(p, weight: .head(.classifierDenseWeight), bias: .head(.classifierDenseBias))
        out = LinearHead.classifier(p)
    }

    /// logits[N, L] from inp[N, H]. With a dense, `densePre` and `denseOut` [N, H] keep its output
    /// before and after the activation (the backward reads them). With `masks`, each Linear's input is
    /// dropped first: into `masks.classifierInput` and `masks.classifierDenseInput`.
    func forward(logits: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, densePre: UnsafeMutablePointer<Float>?,
                 denseOut: UnsafeMutablePointer<Float>?, rows n: Int, features h: Int, masks: DropoutMasks?) {
        var x = inp
        if let d = masks, let (m, scale) = d.apply(.classifier) {
            parallelFor(n, grain: 8) { r in dropoutRows(out: d.classifierInput, inp, mask: m, scale: scale, rows: r, cols: h) }
            x = UnsafePointer(d.classifierInput)
        }
        if let dense, let act = layout.dense, let pre = densePre, let post = denseOut {
            dense.forward(out: pre, inp: x, rows: n, features: h)
            headActivationForward(act, hiddenAct: hiddenAct, out: post, inp: pre, count: n * h)
            x = UnsafePointer(post)
            if let d = masks, let (m, scale) = d.apply(.classifierDense) {
                parallelFor(n, grain: 8) { r in dropoutRows(out: d.classifierDenseInput, post, mask: m, scale: scale, rows: r, cols: h) }
                x = UnsafePointer(d.classifierDenseInput)
            }
        }
        out.forward(out: logits, inp: x, rows: n, features: h)
    }

    /// Backward: writes dinp[N, H] (the gradient of `inp`, through both dropouts) from dlogits[N, L],
    /// adding the parameters' gradients into `grads` (the same head's views of the gradient store).
    /// `scratch` [N, H] is the dense's output gradient.
    func backward(dinp: UnsafeMutablePointer<Float>, grads: ClassificationHead, dlogits: UnsafePointer<Float>,
                  inp: UnsafePointer<Float>, densePre: UnsafePointer<Float>?, denseOut: UnsafePointer<Float>?,
                  scratch: UnsafeMutablePointer<Float>, rows n: Int, features h: Int, masks: DropoutMasks?) {
        let inputDropped = masks?.mask(.classifier) != nil
        let x = inputDropped ? UnsafePointer(masks!.classifierInput) : inp
        if let dense, let gd = grads.dense, let act = layout.dense, let pre = densePre, let post = denseOut {
            let denseDropped = masks?.mask(.classifierDense) != nil
            let y = denseDropped ? UnsafePointer(masks!.classifierDenseInput) : post
            out.backward(dinp: scratch, overwrite: true, grads: grads.out, dout: dlogits, inp: y, rows: n, features: h)
            if let (m, scale) = masks?.apply(.classifierDense) {
                dropoutRows(out: scratch, scratch, mask: m, scale: scale, rows: 0..<n, cols: h)
            }
            headActivationBackward(act, hiddenAct: hiddenAct, dinp: scratch, dout: scratch, pre: pre, out: post, count: n * h)
            dense.backward(dinp: dinp, overwrite: true, grads: gd, dout: scratch, inp: x, rows: n, features: h)
        } else {
            out.backward(dinp: dinp, overwrite: true, grads: grads.out, dout: dlogits, inp: x, rows: n, features: h)
        }
        if let (m, scale) = masks?.apply(.classifier) {
            parallelFor(n, grain: 8) { r in dropoutRows(out: dinp, dinp, mask: m, scale: scale, rows: r, cols: h) }
        }
    }
}

/// out[n] = act(inp[n]) for a head's activation; `out` may not be `inp` (tanh's backward reads out).
func headActivationForward(_ act: HeadActivation, hiddenAct: HiddenActivation, out: UnsafeMutablePointer<Float>,
                           inp: UnsafePointer<Float>, count n: Int) {
    switch act {
    case .hiddenAct: parallelFor(n, grain: 4096) { r in activationForward(hiddenAct, out: out, inp: inp, range: r) }
    case .tanh: bk_tanh_forward(out, inp, n)
    case .gelu: activationForward(.gelu, out: out, inp: inp, range: 0..<n)
    case .relu: activationForward(.relu, out: out, inp: inp, range: 0..<n)
    }
}

/// dinp[n] = dout[n] · act'(pre[n]) (tanh: 1 − out², as torch's tanh_backward); `dinp` may be `dout`.
func headActivationBackward(_ act: HeadActivation, hiddenAct: HiddenActivation, dinp: UnsafeMutablePointer<Float>,
                            dout: UnsafePointer<Float>, pre: UnsafePointer<Float>, out: UnsafePointer<Float>, count n: Int) {
    switch act {
    case .hiddenAct: parallelFor(n, grain: 4096) { r in activationBackward(hiddenAct, dinp: dinp, dout: dout, inp: pre, range: r) }
    case .tanh: for i in 0..<n { dinp[i] = dout[i] * (1 - out[i] * out[i]) }
    case .gelu: activationBackward(.gelu, dinp: dinp, dout: dout, inp: pre, range: 0..<n)
    case .relu: activationBackward(.relu, dinp: dinp, dout: dout, inp: pre, range: 0..<n)
    }
}
