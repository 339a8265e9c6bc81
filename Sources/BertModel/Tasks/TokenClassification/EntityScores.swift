import Foundation

// Entity-level scores as seqeval 1.2.2 computes them (metrics/sequence_labeling.py for the default
// mode, metrics/v1.py + scheme.py for mode="strict", scheme=IOB2), re-derived, not copied:
// - default (conlleval) chunking over the sentences flattened with an "O" after each: a tag's
//   prefix is its first character, its type what follows the first "-" of the rest (else the
//   rest, "_" when empty); an entity ends and starts by `end_of_chunk` / `start_of_chunk`, so an
//   I- after O or after another type starts one and `B-X I-Y` is two;
// - strict IOB2: an entity is a B-X followed by I-X tags only; an orphan I- is no entity; a tag
//   whose prefix is not O, B or I is an error;
// - per type (sorted by name): tp = |true ∩ predicted|; precision tp/predicted, recall tp/true,
//   F1 2PR/(P+R), each 0 when its denominator is 0; micro from the summed counts; macro the mean
//   over types; weighted the mean weighted by each type's true count (0 when there are none).

/// One entity: its type and token span (`start...end` in the flattened sequence for the default
/// mode; `start..<end` within `sentence` for strict), as seqeval identifies it.
public struct TaggedEntity: Hashable, Sendable {
    public var type: String
    public var sentence: Int
    public var start: Int
    public var end: Int
}

/// A tag seqeval's strict IOB2 mode rejects.
public struct EntitySchemeError: LocalizedError, Equatable, Sendable {
    public let tag: String
    public init(tag: String) { self.tag = tag }
    public var errorDescription: String? { "tag \"\(tag)\" is not O, B-… or I-… (strict IOB2 scoring)" }
}

public enum EntityChunking {
    /// seqeval's `get_entities` (default mode) over `sentences`.
    public static func conlleval(_ sentences: [[String]]) -> [TaggedEntity] {
        var flat: [String] = []
        for s in sentences { flat += s + ["O"] }
        var chunks: [TaggedEntity] = []
        var prevTag: Unicode.Scalar = "O", prevType = "", begin = 0
        for (i, chunk) in (flat + ["O"]).enumerated() {
            let (tag, type) = split(chunk)
            if endOfChunk(prevTag, tag, prevType, type) { chunks.append(TaggedEntity(type: prevType, sentence: 0, start: begin, end: i - 1)) }
            if startOfChunk(prevTag, tag, prevType, type) { begin = i }
            prevTag = tag
            prevType = type
        }
        return chunks
    }

    /// `tag = chunk[0]`, `type = chunk[1:].split('-', maxsplit=1)[-1] or '_'` (by code point).
    static func split(_ chunk: String) -> (Unicode.Scalar, String) {
        let scalars = chunk.unicodeScalars
        guard let first = scalars.first else { return ("\u{0}", "_") }  // seqeval raises on an empty tag; never read
        let rest = String(String.UnicodeScalarView(scalars.dropFirst()))
        let type = rest.firstIndex(of: "-").map { String(rest[rest.index(after: $0)...]) } ?? rest
        return (first, type.isEmpty ? "_" : type)
    }

    static func endOfChunk(_ prev: Unicode.Scalar, _ tag: Unicode.Scalar, _ prevType: String, _ type: String) -> Bool {
        if prev == "E" || prev == "S" { return true }
        if (prev == "B" || prev == "I") && (tag == "B" || tag == "S" || tag == "O") { return true }
        return prev != "O" && prev != "." && prevType != type
    }

    static func startOfChunk(_ prev: Unicode.Scalar, _ tag: Unicode.Scalar, _ prevType: String, _ type: String) -> Bool {
        if tag == "B" || tag == "S" { return true }
        if (prev == "E" || prev == "S" || prev == "O") && (tag == "E" || tag == "I") { return true }
        return tag != "O" && tag != "." && prevType != type
    }

    struct StrictToken { var prefix: Unicode.Scalar, type: String }

    /// seqeval.scheme's `Tokens(…, IOB2).entities` for each sentence.
    public static func strictIOB2(_ sentences: [[String]]) throws -> [TaggedEntity] {
        var out: [TaggedEntity] = []
        for (n, s) in sentences.enumerated() {
            // Token(…): the prefix is the first character, the type the rest stripped of "-".
            var tokens: [StrictToken] = try s.map { t in
                guard let p = t.unicodeScalars.first, p == "O" || p == "B" || p == "I" else { throw EntitySchemeError(tag: t) }
                let type = String(String.UnicodeScalarView(t.unicodeScalars.dropFirst())).trimmingCharacters(in: CharacterSet(charactersIn: "-"))
                return StrictToken(prefix: p, type: type.isEmpty ? "_" : type)
            }
            tokens.append(StrictToken(prefix: "O", type: "_"))
            func inside(_ prev: StrictToken, _ t: StrictToken) -> Bool {
                (prev.prefix == "B" || prev.prefix == "I") && t.prefix == "I" && prev.type == t.type
            }
            var i = 0
            while i < tokens.count {
                if tokens[i].prefix == "B" {
                    var end = i + 1
                    while end < tokens.count, inside(tokens[end - 1], tokens[end]) { end += 1 }
                    // Every IOB2 end pattern holds for a B/I followed by a token that is not inside.
                    out.append(TaggedEntity(type: tokens[i].type, sentence: n, start: i, end: end))
                    i = end
                } else {
                    i += 1
                }
            }
        }
        return out
    }
}

/// Precision, recall and F1 of one entity type or an average.
public struct EntityPRF: Sendable, Codable, Equatable {
    public var precision: Double
    public var recall: Double
    public var f1: Double
    public init(precision: Double, recall: Double, f1: Double) {
        self.precision = precision; self.recall = recall; self.f1 = f1
    }
}

/// seqeval's scores for predicted tag sequences against the true ones, plus token accuracy.
public struct EntityScores: Sendable, Codable, Equatable {
    public struct PerType: Sendable, Codable, Equatable {
        public var type: String
        public var precision: Double
        public var recall: Double
        public var f1: Double
        /// True entities of the type.
        public var support: Int
        public var predicted: Int
        public var correct: Int
    }

    /// "default" (conlleval chunking) or "strict" (IOB2).
    public var mode: String
    public var perType: [PerType]
    public var micro: EntityPRF
    /// nil when neither side has an entity (numpy's mean of nothing).
    public var macro: EntityPRF?
    public var weighted: EntityPRF
    /// seqeval's accuracy_score: equal tags over all tokens.
    public var tokenAccuracy: Double
    public var sentences: Int
    public var tokens: Int

    /// `truth` and `predicted` have the same shape (checked by the caller: one tag per word).
    public init(truth: [[String]], predicted: [[String]], strict: Bool) throws {
        precondition(truth.map(\.count) == predicted.map(\.count), "one predicted tag per true tag")
        let t = strict ? try EntityChunking.strictIOB2(truth) : EntityChunking.conlleval(truth)
        let p = strict ? try EntityChunking.strictIOB2(predicted) : EntityChunking.conlleval(predicted)
        mode = strict ? "strict" : "default"
        let types = Set(t.map(\.type) + p.map(\.type)).sorted { Array($0.unicodeScalars.map(\.value)).lexicographicallyPrecedes($1.unicodeScalars.map(\.value)) }
        func divide(_ a: Int, _ b: Int) -> Double { b == 0 ? 0 : Double(a) / Double(b) }
        func f1(_ p: Double, _ r: Double) -> Double { 2 * p * r / (p + r == 0 ? 1 : p + r) }
        let per = types.map { type in
            let ts = Set(t.filter { $0.type == type }), ps = Set(p.filter { $0.type == type })
            let tp = ts.intersection(ps).count
            let pr = divide(tp, ps.count), rc = divide(tp, ts.count)
            return PerType(type: type, precision: pr, recall: rc, f1: f1(pr, rc), support: ts.count, predicted: ps.count, correct: tp)
        }
        let tp = per.map(\.correct).reduce(0, +), pred = per.map(\.predicted).reduce(0, +)
        let support = per.map(\.support).reduce(0, +)
        let mp = divide(tp, pred), mr = divide(tp, support)
        func mean(_ k: KeyPath<PerType, Double>) -> Double { per.map { $0[keyPath: k] }.reduce(0, +) / Double(per.count) }
        func weightedMean(_ k: KeyPath<PerType, Double>) -> Double {
            per.map { $0[keyPath: k] * Double($0.support) }.reduce(0, +) / Double(support)
        }
        perType = per
        micro = EntityPRF(precision: mp, recall: mr, f1: f1(mp, mr))
        macro = per.isEmpty ? nil : EntityPRF(precision: mean(\.precision), recall: mean(\.recall), f1: mean(\.f1))
        weighted = support == 0 ? EntityPRF(precision: 0, recall: 0, f1: 0)
            : EntityPRF(precision: weightedMean(\.precision), recall: weightedMean(\.recall), f1: weightedMean(\.f1))
        let flatTruth = truth.flatMap { $0 }, flatPredicted = predicted.flatMap { $0 }
        tokens = flatTruth.count
        tokenAccuracy = divide(zip(flatTruth, flatPredicted).filter { $0 == $1 }.count, tokens)
        sentences = truth.count
    }
}
