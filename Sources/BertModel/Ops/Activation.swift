import BertFormats
import Foundation
import CBertKit

// transformers activations.py, as BertIntermediate applies config.hidden_act: GELUActivation (erf),
// NewGELUActivation / PytorchGELUTanh (tanh form), ReLU, SiLU.

/// out[n] = act(inp[n]) for elements `range`. `out` may be `inp`.
func activationForward(_ act: HiddenActivation, out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>,
                       range: Range<Int>) {
    let o = out + range.lowerBound, i = inp + range.lowerBound, n = range.count
    switch act {
    case .gelu: bk_gelu_forward(o, i, n)
    case .geluTanh: bk_gelu_tanh_forward(o, i, n)
    case .relu: bk_relu_forward(o, i, n)
    case .silu: bk_silu_forward(o, i, n)
    }
}

/// Backward: dinp[n] = dout[n] · act'(inp[n]) for elements `range` (written; `dinp` may be `dout`),
/// with torch autograd's derivatives (CBertKit activations.c).
func activationBackward(_ act: HiddenActivation, dinp: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>,
                        inp: UnsafePointer<Float>, range: Range<Int>) {
    let o = dinp + range.lowerBound, d = dout + range.lowerBound, i = inp + range.lowerBound, n = range.count
    switch act {
    case .gelu: bk_gelu_backward(o, d, i, n)
    case .geluTanh: bk_gelu_tanh_backward(o, d, i, n)
    case .relu: bk_relu_backward(o, d, i, n)
    case .silu: bk_silu_backward(o, d, i, n)
    }
}
