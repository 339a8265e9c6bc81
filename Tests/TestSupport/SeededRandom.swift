import BertTensors
import Foundation

/// Reproducible test data: the library's SplitMix64 with uniform and normal draws (Box–Muller) of
/// its own, which the tests' float64 references were written against.
public struct SeededRandom {
    private var generator: SeededGenerator
    public init(seed: UInt64) { generator = SeededGenerator(seed: seed) }
    public mutating func next() -> UInt64 { generator.next() }
    public mutating func uniform() -> Double { Double(next() >> 11) / Double(1 << 53) }
    public mutating func normal() -> Double {
        let u = max(uniform(), 1e-300), v = uniform()
        return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
    }
}
