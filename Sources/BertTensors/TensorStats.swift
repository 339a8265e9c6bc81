import CBertKit
import Foundation

/// Summary statistics of a tensor, as `bertkit inspect` prints them: computed in float64 on the
/// widened values, NaN and ±Inf counted and left out of min/max/mean/std, std the population
/// standard deviation (ddof 0) — numpy's `fin.mean()` and `sqrt(((fin - mean)**2).mean())`.
/// Integer tensors get min and max only.
public struct TensorStats: Sendable, Equatable {
    public var count: Int
    public var min: Double?
    public var max: Double?
    public var mean: Double?
    public var std: Double?
    public var nan = 0
    public var inf = 0

    public init(of t: RawTensor) {
        count = t.elementCount
        if t.dtype.isInteger || t.dtype == .bool {
            let v = t.integers() ?? []
            (min, max) = (v.min().map(Double.init), v.max().map(Double.init))
            return
        }
        guard t.dtype.isFloatingPoint else { return }  // F8 types: no statistics
        var lo = Double.infinity, hi = -Double.infinity, sum = 0.0, finite = 0
        Self.forEachChunk(t) { chunk in
            for x in chunk {
                if x.isNaN { nan += 1; continue }
                if x.isInfinite { inf += 1; continue }
                lo = Swift.min(lo, x)
                hi = Swift.max(hi, x)
                sum += x
                finite += 1
            }
        }
        guard finite > 0 else { return }
        let m = sum / Double(finite)
        var squares = 0.0
        Self.forEachChunk(t) { chunk in
            for x in chunk where x.isFinite { squares += (x - m) * (x - m) }
        }
        (min, max, mean, std) = (lo, hi, m, (squares / Double(finite)).squareRoot())
    }

    /// Calls `body` with the values as Doubles, a few thousand at a time, so that statistics of a
    /// large tensor need no full-size copy.
    static func forEachChunk(_ t: RawTensor, _ body: (UnsafeBufferPointer<Double>) -> Void) {
        let n = t.elementCount, step = 8192
        let src = t.bytes.baseAddress!
        var floats = [Float](repeating: 0, count: step)
        var doubles = [Double](repeating: 0, count: step)
        var i = 0
        while i < n {
            let k = Swift.min(step, n - i)
            let p = src + i * t.dtype.byteSize
            if t.dtype == .f64 {
                doubles.withUnsafeMutableBytes { $0.baseAddress!.copyMemory(from: p, byteCount: k * 8) }
            } else {
                floats.withUnsafeMutableBufferPointer { f in
                    switch t.dtype {
                    case .f16: bk_f16_to_f32(p.assumingMemoryBound(to: UInt16.self), f.baseAddress!, k)
                    case .bf16: bk_bf16_to_f32(p.assumingMemoryBound(to: UInt16.self), f.baseAddress!, k)
                    default: UnsafeMutableRawPointer(f.baseAddress!).copyMemory(from: p, byteCount: k * 4)
                    }
                }
                for j in 0..<k { doubles[j] = Double(floats[j]) }
            }
            doubles.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[0..<k])) }
            i += k
        }
    }
}
