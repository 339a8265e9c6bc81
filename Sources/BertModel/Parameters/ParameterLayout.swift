import BertFormats

/// Where each parameter lives in the one f32 allocation (llm.c's `fill_in_parameter_sizes`).
/// Names and shapes come from `WeightNames.parameters`; the order is forward order except that each
/// layer's query, key and value weights sit side by side, then their three biases, so they form
/// one `[3H, H]` weight and one `[3H]` bias and a single GEMM computes Q, K and V. Gradients and
/// optimizer moments use the same layout, so the fused views work for them too.
public struct ParameterLayout: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public let name: String
        public let shape: [Int]
        public let offset: Int
        public var count: Int { shape.reduce(1, *) }
    }

    public let entries: [Entry]
    /// Total floats.
    public let count: Int
    private let index: [String: Int]

    public init(config: BertConfig, pooler: Bool, classifier: Bool) {
        let shapes = WeightNames.parameters(for: config, pooler: pooler, classifier: classifier)
        var byName: [String: [Int]] = [:]
        for (n, s) in shapes { byName[n] = s }
        var order: [String] = []
        for (n, _) in shapes {
            if n.hasSuffix(".attention.self.query.weight") {
                let p = String(n.dropLast("query.weight".count))
                order += ["query.weight", "key.weight", "value.weight", "query.bias", "key.bias", "value.bias"].map { p + $0 }
            } else if !n.contains(".attention.self.") {
                order.append(n)
            }
        }
        precondition(order.count == shapes.count, "the parameter table lists every Q/K/V tensor")
        var entries: [Entry] = []
        var offset = 0
        for n in order {
            let s = byName[n]!
            entries.append(Entry(name: n, shape: s, offset: offset))
            offset += s.reduce(1, *)
        }
        self.entries = entries
        self.count = offset
        self.index = Dictionary(uniqueKeysWithValues: entries.enumerated().map { ($1.name, $0) })
    }

    public subscript(name: String) -> Entry? { index[name].map { entries[$0] } }

    public func offset(of name: String) -> Int {
        guard let e = self[name] else { preconditionFailure("no parameter \(name) in this model") }
        return e.offset
    }
}
