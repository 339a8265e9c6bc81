import BertFormats

/// Where each parameter lives in the one f32 allocation (llm.c's `fill_in_parameter_sizes`).
/// Names and shapes come from `Architecture.parameters`; the order is forward order except that each
/// layer's query, key and value weights sit side by side, then their three biases, so they form
/// one `[3H, H]` weight and one `[3H]` bias and a single GEMM computes Q, K and V. Gradients and
/// optimizer moments use the same layout, so the fused views work for them too.
public struct ParameterLayout: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public let parameter: BertParameter
        public let shape: [Int]
        public let offset: Int
        public var name: String { parameter.name }
        public var count: Int { shape.reduce(1, *) }
    }

    public let entries: [Entry]
    /// Total floats.
    public let count: Int
    private let index: [BertParameter: Int]

    public init(config: BertConfig, architecture: Architecture) {
        let shapes = architecture.parameters(config)
        var byName: [BertParameter: [Int]] = [:]
        for (n, s) in shapes { byName[n] = s }
        var order: [BertParameter] = []
        for (n, _) in shapes {
            switch n {
            case .layer(let l, .queryWeight):
                order += [.queryWeight, .keyWeight, .valueWeight, .queryBias, .keyBias, .valueBias].map { .layer(l, $0) }
            case .layer(_, .keyWeight), .layer(_, .valueWeight), .layer(_, .queryBias), .layer(_, .keyBias), .layer(_, .valueBias):
                continue
            default:
                order.append(n)
            }
        }
        precondition(order.count == shapes.count, "the parameter table lists every Q/K/V tensor")
        var entries: [Entry] = []
        var offset = 0
        for n in order {
            let s = byName[n]!
            entries.append(Entry(parameter: n, shape: s, offset: offset))
            offset += s.reduce(1, *)
        }
        self.entries = entries
        self.count = offset
        self.index = Dictionary(uniqueKeysWithValues: entries.enumerated().map { ($1.parameter, $0) })
    }

    public subscript(p: BertParameter) -> Entry? { index[p].map { entries[$0] } }

    /// By canonical name (files, tests); compute code uses the typed subscript.
    public subscript(_ name: String) -> Entry? { BertParameter(name: name).flatMap { self[$0] } }

    public func offset(of p: BertParameter) -> Int {
        guard let e = self[p] else { preconditionFailure("no parameter \(p) in this model") }
        return e.offset
    }

    public func offset(of name: String) -> Int {
        guard let e = self[name] as Entry? else { preconditionFailure("no parameter \(name) in this model") }
        return e.offset
    }
}
