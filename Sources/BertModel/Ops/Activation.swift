import BertFormats
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
