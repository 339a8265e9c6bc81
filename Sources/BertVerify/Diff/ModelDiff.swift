import BertFormats
import BertModel
import BertTokenizer
import Foundation

/// Layer-by-layer comparison of two models (or dumps) on the same tokens, in the manner of
/// Polygraphy's `run --compare` and its per-layer mode: B is compared against A tap by tap, and the
/// first tap over tolerance is the first divergent layer.
public struct ModelDiff: Sendable, Codable {
    /// The first place the two tokenizers disagree on a text.
    public struct TokenizerMismatch: Sendable, Codable {
        public var row: Int
        public var text: String
        public var position: Int
        public var tokenA: String
        public var tokenB: String
        public var countA: Int
        public var countB: Int
    }

    public struct TapShapeMismatch: Sendable, Codable {
        public var tap: String
        public var shapeA: [Int]
        public var shapeB: [Int]
    }

    public var a: String
    public var b: String
    public var tolerance: Tolerance
    public var batch: Int
    public var seq: Int
    public var tokenizer: TokenizerMismatch?
    /// "hidden_size: 384 vs 768", one line per differing config field.
    public var configDifferences: [String]
    /// Notes on what could not be compared or how inputs were chosen.
    public var notes: [String]
    /// One row per pair of tensors compared (see `pairs`), in forward order, named by the dumps'
    /// own names (`goldenName`); both sides have the tap with the same shape.
    public var taps: [TapComparison]
    public var tapShapeMismatches: [TapShapeMismatch]
    public var onlyInA: [String]
    public var onlyInB: [String]
    /// A dump's tensors for one tap compared with each other (empty for a model).
    public var aliasesA: [AliasComparison]
    public var aliasesB: [AliasComparison]
    /// When both sides are models.
    public var weights: WeightDiff?

    public var firstDivergent: TapComparison? { taps.first { !$0.passed } }
    public var aliasesAgree: Bool { (aliasesA + aliasesB).allSatisfy(\.agree) }
    public var passed: Bool {
        firstDivergent == nil && tokenizer == nil && tapShapeMismatches.isEmpty && !taps.isEmpty && aliasesAgree
    }

    /// The texts used when neither the caller nor a dump gives any.
    public static let defaultTexts: [TextInput] = [
        TextInput("PyTorch is a great framework for NLP"),
        TextInput("The quick brown fox jumps over the lazy dog."),
        TextInput("How old are you?", pair: "I am six years old."),
    ]

    /// Compares B against A. Inputs: a dump's own (A's first), else `texts` tokenized by A's
    /// tokenizer (and by B's, to detect a tokenizer difference).
    public static func run(_ sa: DiffSide, _ sb: DiffSide, texts: [TextInput]?, tolerance: Tolerance) throws -> ModelDiff {
        var notes: [String] = []
        switch (sa, sb) {
        case (.dump(let g), _), (_, .dump(let g)):
            if case .dump(let ga) = sa, case .dump(let gb) = sb,
               ga.inputIds != gb.inputIds || ga.attentionMask != gb.attentionMask {
                notes.append("the two dumps were made from different input_ids or attention_mask: taps compare different tokens")
            }
            notes.append("inputs: the \(g.batch)×\(g.seq) tokens recorded in \(g.path)")
            let input = try (sa.config ?? sb.config).map { try g.input(config: $0) }
            let tokens = Tokens(batch: g.batch, seq: g.seq, mask: g.attentionMask, choices: g.choices)
            return try finish(sa, sb, input, input, tokens, nil, notes, tolerance)
        case (.model(_, _, let ma), .model(_, _, let mb)):
            let t = texts ?? defaultTexts
            let ea = try BertInput.encode(t, tokenizer: ma.makeTokenizer(), config: ma.config).input
            let mismatch = try firstTokenDifference(t, ma, mb)
            var ib = ea
            // B's tables must hold every id and token type it is given; otherwise it runs on its own tokens.
            if ea.inputIds.allSatisfy({ $0 < mb.config.vocabSize }) && ea.tokenTypeIds.allSatisfy({ $0 < mb.config.typeVocabSize })
                && ea.seq <= mb.config.maxSequenceLength {
                if mismatch != nil { notes.append("both models run on A's token ids (they fit B's vocabulary)") }
            } else {
                ib = try BertInput.encode(t, tokenizer: mb.makeTokenizer(), config: mb.config).input
                notes.append("A's token ids or types do not fit B's tables (vocab_size \(mb.config.vocabSize), type_vocab_size "
                             + "\(mb.config.typeVocabSize)): B runs on its own tokens, so per-token taps compare different tokens")
            }
            let tokens = Tokens(batch: ea.batch, seq: ea.seq, mask: ea.attentionMask.map { Int($0) })
            return try finish(sa, sb, ea, ib, tokens, mismatch, notes, tolerance)
        }
    }

    /// Compares two models on the tokens a golden file recorded (`--inputs GOLDEN`).
    public static func run(_ sa: DiffSide, _ sb: DiffSide, golden g: GoldenFile, tolerance: Tolerance) throws -> ModelDiff {
        let ia = try sa.config.map { try g.input(config: $0) }, ib = try sb.config.map { try g.input(config: $0) }
        return try finish(sa, sb, ia, ib, Tokens(batch: g.batch, seq: g.seq, mask: g.attentionMask, choices: g.choices),
                          nil, ["inputs: the \(g.batch)×\(g.seq) tokens recorded in \(g.path)"], tolerance)
    }

    /// The rows both sides run; `choices` per example when a multiple-choice golden gave them.
    struct Tokens { var batch: Int, seq: Int, mask: [Int], choices = 1 }

    static func finish(_ sa: DiffSide, _ sb: DiffSide, _ ia: BertInput?, _ ib: BertInput?, _ tokens: Tokens,
                       _ mismatch: TokenizerMismatch?, _ notes: [String], _ tol: Tolerance) throws -> ModelDiff {
        func values(_ s: DiffSide, _ i: BertInput?) throws -> TapValues {
            switch s {
            case .model(_, _, let m): try TapValues(model: m, input: i!, choices: tokens.choices)
            case .dump(let g): TapValues(dump: g)
            }
        }
        let va = try values(sa, ia), vb = try values(sb, ib)
        // Different token rows (B on its own tokenizer) leave nothing position-wise to mask.
        let sameTokens = ia == nil || ib == nil || ia!.inputIds == ib!.inputIds
        var rows: [TapComparison] = [], shapes: [TapShapeMismatch] = []
        for t in va.order {
            guard let xs = va.values[t], let ys = vb.values[t] else { continue }
            for (i, j) in pairs(xs.map(\.name), ys.map(\.name)) {
                let x = xs[i], y = ys[j]
                let name = rowName(t, x.name, y.name)
                guard x.shape == y.shape else {
                    shapes.append(TapShapeMismatch(tap: name, shapeA: x.shape, shapeB: y.shape))
                    continue
                }
                let include: (Int) -> Bool = sameTokens
                    ? Verifier.realPositions(of: t, head: sa.head, shape: x.shape, mask: tokens.mask, seq: tokens.seq) : { _ in true }
                rows.append(y.floats.withUnsafeBufferPointer {
                    TapComparison(tap: t.description, goldenName: name, shape: x.shape, actual: $0, expected: x.floats,
                                  tolerance: tol, include: include)
                })
            }
        }
        func aliases(_ s: DiffSide) -> [AliasComparison] {
            if case .dump(let g) = s { return g.aliasComparisons(tolerance: tol) }
            return []
        }
        var weights: WeightDiff?
        var configDiffs: [String] = []
        if case .model(_, let ca, _) = sa, case .model(_, let cb, _) = sb {
            weights = WeightDiff(ca, cb)
            configDiffs = configDifferences(ca.config, cb.config)
        }
        return ModelDiff(
            a: sa.path, b: sb.path, tolerance: tol, batch: tokens.batch, seq: tokens.seq, tokenizer: mismatch,
            configDifferences: configDiffs, notes: notes, taps: rows, tapShapeMismatches: shapes,
            onlyInA: va.order.filter { vb.values[$0] == nil }.flatMap(va.names),
            onlyInB: vb.order.filter { va.values[$0] == nil }.flatMap(vb.names),
            aliasesA: aliases(sa), aliasesB: aliases(sb), weights: weights)
    }

    /// Which of one tap's tensors on A (names `a`) and B (`b`) are compared, as index pairs: a name
    /// both have is compared with itself; any other tensor with the other side's first. So every
    /// tensor of either side is in at least one row. nil names (a model's tap) never match.
    static func pairs(_ a: [String?], _ b: [String?]) -> [(Int, Int)] {
        var out: [(Int, Int)] = []
        for (i, n) in a.enumerated() {
            if let n, let j = b.firstIndex(of: n) { out.append((i, j)) }
        }
        for i in a.indices where !out.contains(where: { $0.0 == i }) { out.append((i, 0)) }
        for j in b.indices where !out.contains(where: { $0.1 == j }) { out.append((0, j)) }
        return out.sorted { ($0.0, $0.1) < ($1.0, $1.1) }
    }

    /// A row is named by the dumps' names: one when the names agree or one side is a model, `A / B`
    /// when two dumps name the tap differently, the module path for two models.
    static func rowName(_ tap: Tap, _ a: String?, _ b: String?) -> String {
        switch (a, b) {
        case (nil, nil): tap.description
        case (let n?, nil), (nil, let n?): n
        case (let x?, let y?): x == y ? x : "\(x) / \(y)"
        }
    }

    static func firstTokenDifference(_ texts: [TextInput], _ a: BertModel, _ b: BertModel) throws -> TokenizerMismatch? {
        let ta = try a.makeTokenizer(), tb = try b.makeTokenizer()
        for (row, t) in texts.enumerated() {
            let xa = try ta.encode([t], options: EncodingOptions(truncation: Truncation.none))[0].inputIds
            let xb = try tb.encode([t], options: EncodingOptions(truncation: Truncation.none))[0].inputIds
            let sa = xa.map { a.vocabulary?.tokens[safe: $0] ?? "#\($0)" }
            let sb = xb.map { b.vocabulary?.tokens[safe: $0] ?? "#\($0)" }
            guard sa != sb || xa != xb else { continue }
            let p = zip(sa, sb).enumerated().first { $0.element.0 != $0.element.1 || xa[$0.offset] != xb[$0.offset] }?.offset
                ?? min(sa.count, sb.count)
            return TokenizerMismatch(row: row, text: t.text, position: p, tokenA: sa[safe: p].map { "\($0) (id \(xa[p]))" } ?? "(end)",
                                     tokenB: sb[safe: p].map { "\($0) (id \(xb[p]))" } ?? "(end)", countA: xa.count, countB: xb.count)
        }
        return nil
    }

    static func configDifferences(_ a: BertConfig, _ b: BertConfig) -> [String] {
        let fields: [(String, Int, Int)] = [
            ("vocab_size", a.vocabSize, b.vocabSize), ("hidden_size", a.hiddenSize, b.hiddenSize),
            ("num_hidden_layers", a.numHiddenLayers, b.numHiddenLayers),
            ("num_attention_heads", a.numAttentionHeads, b.numAttentionHeads),
            ("intermediate_size", a.intermediateSize, b.intermediateSize),
            ("max_position_embeddings", a.maxPositionEmbeddings, b.maxPositionEmbeddings),
            ("type_vocab_size", a.typeVocabSize, b.typeVocabSize), ("num_labels", a.numLabels, b.numLabels),
        ]
        return fields.filter { $0.1 != $0.2 }.map { "\($0.0): \($0.1) vs \($0.2)" }
    }

}
extension Array {
    subscript(safe i: Int) -> Element? { indices.contains(i) ? self[i] : nil }
}
