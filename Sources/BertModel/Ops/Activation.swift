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

// Backward: dinp[n] = dout[n] · act'(inp[n]) for elements `range` (written; `dinp` may be `dout`).
func activationBackward(_ act: HiddenActivation, dinp: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>,
                        inp: UnsafePointer<Float>, range: Range<Int>) {
    let c0: Float = 0.7978845608028654, c1: Float = 0.044715, invSqrt2: Float = 0.7071067811865476
    let invSqrt2Pi: Float = 0.3989422804014327
    for i in range {
        let x = inp[i]
        let d: Float
        switch act {
        case .gelu:
            d = 0.5 * (1 + erf(x * invSqrt2)) + x * invSqrt2Pi * exp(-0.5 * x * x)
        case .geluTanh:
            let t = tanh(c0 * (x + c1 * x * x * x))
            d = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * c0 * (1 + 3 * c1 * x * x)
        case .relu:
            d = x > 0 ? 1 : 0
        case .silu:
            let s = 1 / (1 + exp(-x))
            d = s * (1 + x * (1 - s))
        }
        dinp[i] = dout[i] * d
    }
}
