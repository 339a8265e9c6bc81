import BertFormats
import BertTensors

/// How far each parameter moved between two checkpoints (a base and its fine-tuned version, an
/// original and its conversion): relative change ‖B − A‖ / ‖A‖, ranked, plus what only one side has.
public struct WeightDiff: Sendable, Codable {
    public struct Entry: Sendable, Codable, Equatable {
        public var name: String
        public var relativeChange: Double
        public var maxAbsDifference: Double
        public var elements: Int
        /// True when every element is bit-identical after widening to f32.
        public var identical: Bool
    }

    public struct ShapeMismatch: Sendable, Codable, Equatable {
        public var name: String
        public var shapeA: [Int]
        public var shapeB: [Int]
    }

    /// Ranked by relative change, largest first.
    public var entries: [Entry]
    public var onlyInA: [String]
    public var onlyInB: [String]
    public var shapeMismatches: [ShapeMismatch]

    public init(_ a: Checkpoint, _ b: Checkpoint) {
        let tb = Dictionary(b.parameters.map { ($0.name, $0.tensor) }, uniquingKeysWith: { x, _ in x })
        let namesA = Set(a.parameters.map(\.name))
        var entries: [Entry] = [], mismatches: [ShapeMismatch] = []
        for (name, ta) in a.parameters {
            guard let tb = tb[name] else { continue }
            guard ta.shape == tb.shape else {
                mismatches.append(ShapeMismatch(name: name, shapeA: ta.shape, shapeB: tb.shape))
                continue
            }
            entries.append(Self.compare(name, ta.floats(), tb.floats()))
        }
        // NaN (a broken weight) ranks first.
        func key(_ e: Entry) -> Double { e.relativeChange.isNaN ? .infinity : e.relativeChange }
        self.entries = entries.sorted { key($0) > key($1) }
        onlyInA = a.parameters.map(\.name).filter { tb[$0] == nil }
        onlyInB = b.parameters.map(\.name).filter { !namesA.contains($0) }
        shapeMismatches = mismatches
    }

    static func compare(_ name: String, _ x: [Float], _ y: [Float]) -> Entry {
        var diff2 = 0.0, base2 = 0.0, maxAbs = 0.0
        var identical = true
        for i in 0..<x.count {
            let d = Double(y[i]) - Double(x[i])
            if x[i].bitPattern != y[i].bitPattern { identical = false }
            diff2 += d * d
            base2 += Double(x[i]) * Double(x[i])
            maxAbs = max(maxAbs, abs(d))
        }
        // A zero base (a fresh bias) has no scale: report the absolute norm instead.
        let rel = base2 > 0 ? (diff2 / base2).squareRoot() : diff2.squareRoot()
        return Entry(name: name, relativeChange: rel, maxAbsDifference: maxAbs, elements: x.count, identical: identical)
    }
}
