import BertFormats
import BertTokenizer
import Foundation

// transformers 5.23 pipelines/fill_mask.py (FillMaskPipeline): every occurrence of the mask token
// is a mask; a text without one is refused. At each mask: softmax over the whole vocabulary (special
// tokens included), `targets` pick columns of those probabilities (no renormalising) and cap top_k
// at their count, top_k by probability. `token_str` is decode([id]); `sequence` is the input ids
// with that one mask filled, padding ids removed, decoded with special tokens skipped for one mask
// and kept for several (so the other masks stay visible). One list per mask, each filling only its
// own mask.

/// One candidate for one mask, with the keys transformers' fill-mask pipeline returns.
public struct FillMaskCandidate: Codable, Equatable, Sendable {
    public var score: Double
    public var token: Int
    public var tokenStr: String
    public var sequence: String

    enum CodingKeys: String, CodingKey {
        case score, token, sequence
        case tokenStr = "token_str"
    }

    public init(score: Double, token: Int, tokenStr: String, sequence: String) {
        self.score = score
        self.token = token
        self.tokenStr = tokenStr
        self.sequence = sequence
    }
}

/// What the pipeline returns for one text: a list of candidates, or one list per mask when the
/// text has several. Encoded as exactly that JSON value.
public enum FillMaskPrediction: Codable, Equatable, Sendable {
    case oneMask([FillMaskCandidate])
    case severalMasks([[FillMaskCandidate]])

    /// One list per mask, in text order.
    public var masks: [[FillMaskCandidate]] {
        switch self {
        case .oneMask(let c): [c]
        case .severalMasks(let m): m
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .oneMask(let list): try c.encode(list)
        case .severalMasks(let lists): try c.encode(lists)
        }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let lists = try? c.decode([[FillMaskCandidate]].self) {
            self = .severalMasks(lists)
        } else {
            self = .oneMask(try c.decode([FillMaskCandidate].self))
        }
    }
}

/// A `targets` entry as the pipeline uses it: a vocabulary entry as is; otherwise the first token
/// it tokenizes to (transformers warns); nothing when it tokenizes to nothing (warned and dropped).
public struct FillMaskTarget: Equatable, Sendable {
    public let target: String
    public let id: Int?
    public let token: String?
    public let inVocabulary: Bool
}

public enum FillMaskError: LocalizedError, Equatable {
    case noMaskToken(token: String)
    case noUsableTarget(targets: [String])
    case badTopK(Int)

    public var errorDescription: String? {
        switch self {
        case .noMaskToken(let t):
            "the model's vocabulary has no mask token \(t) (mask_token), so fill-mask has nothing to fill"
        case .noUsableTarget(let t):
            "none of the targets (" + t.map { "\"\($0)\"" }.joined(separator: ", ") + ") is a vocabulary token or tokenizes to one"
        case .badTopK(let k):
            "top_k is \(k); it must be at least 1"
        }
    }
}

/// The fill-mask pipeline on a masked-LM or pre-training model.
public struct FillMask {
    public let model: BertModel
    public let tokenizer: ModelTokenizer
    public let decoder: TokenDecoder
    public let maskToken: String
    public let maskTokenId: Int

    /// The predictions per text, and the texts cut to the model's length.
    public struct Output: Sendable {
        public let predictions: [FillMaskPrediction]
        public let truncated: [(row: Int, tokens: Int)]
        public let limit: Int
    }

    public init(model: BertModel) throws {
        try PipelineTask.fillMask.check(model.architecture)
        self.model = model
        tokenizer = try model.makeTokenizer()
        decoder = TokenDecoder(tokenizer: tokenizer)
        maskToken = tokenizer.special.mask?.content ?? tokenizer.settings.maskToken
        guard let id = tokenizer.maskTokenId else { throw FillMaskError.noMaskToken(token: maskToken) }
        maskTokenId = id
    }

    /// `targets` as the pipeline resolves them (get_target_ids), in the given order; throws when
    /// none resolves to a token.
    public func resolve(targets: [String]) throws -> [FillMaskTarget] {
        let resolved = try targets.map { t -> FillMaskTarget in
            // get_vocab() holds the added tokens too.
            if let id = tokenizer.id(of: t) {
                return FillMaskTarget(target: t, id: id, token: t, inVocabulary: true)
            }
            let first = try tokenizer.tokenize(t).ids.first
            return FillMaskTarget(target: t, id: first, token: first.map(tokenizer.token(of:)), inVocabulary: false)
        }
        guard resolved.contains(where: { $0.id != nil }) else { throw FillMaskError.noUsableTarget(targets: targets) }
        return resolved
    }

    /// Fills every mask of each text. `targets` (ids, see `resolve`) limit the candidates; duplicates
    /// count once. Texts are batched, right-padded; longer ones are cut to the model's length, or
    /// refused when `truncate` is false. A text (after any cut) without the mask token is refused.
    public func callAsFunction(_ texts: [TextInput], topK: Int = 5, targets: [Int]? = nil, truncate: Bool = true) throws -> Output {
        guard topK >= 1 else { throw FillMaskError.badTopK(topK) }
        let encoded = try BertInput.encode(texts, tokenizer: tokenizer, config: model.config, truncate: truncate)
        let input = encoded.input, lengths = input.lengths
        var masks: [[Int]] = []  // per row, positions
        for b in 0..<input.batch {
            let ids = input.inputIds[b * input.seq..<b * input.seq + lengths[b]]
            let positions = ids.indices.filter { Int(ids[$0]) == maskTokenId }.map { $0 - b * input.seq }
            guard !positions.isEmpty else {
                let cut = encoded.truncated.contains { $0.row == b } ? " (in its first \(encoded.limit) tokens: it was truncated)" : ""
                throw PipelineError.badInput(index: b, problem: "the text has no \(maskToken), the model's mask token\(cut)")
            }
            masks.append(positions)
        }
        let buffers = model.makeBuffers(batch: input.batch, seq: input.seq, keepEveryLayer: false)
        try model.forward(input, into: buffers)
        let flat = masks.enumerated().flatMap { b, ps in ps.map { b * input.seq + $0 } }
        let logits = model.maskedLMLogits(buffers, tokens: flat)
        let v = model.config.vocabSize
        let candidates = targets.map { Array(Set($0)).sorted() }
        let k = min(topK, candidates?.count ?? v)

        var row = 0
        let predictions = masks.enumerated().map { b, positions -> FillMaskPrediction in
            let ids = input.inputIds[b * input.seq..<b * input.seq + lengths[b]].map(Int.init)
            let lists = positions.map { p -> [FillMaskCandidate] in
                defer { row += 1 }
                let probs = logits[row * v..<(row + 1) * v].withUnsafeBufferPointer { softmax($0) }
                let best = topIndices(candidates.map { c in c.map { probs[$0] } } ?? probs, k)
                return best.map { i in
                    let token = candidates?[i] ?? i
                    var filled = ids
                    filled[p] = token
                    return FillMaskCandidate(score: Double(probs[token]), token: token, tokenStr: decoder.decode([token]),
                                             sequence: decoder.decode(filled.filter { $0 != tokenizer.padTokenId },
                                                                      skipSpecialTokens: positions.count == 1))
                }
            }
            return lists.count == 1 ? .oneMask(lists[0]) : .severalMasks(lists)
        }
        return Output(predictions: predictions, truncated: encoded.truncated, limit: encoded.limit)
    }
}

/// softmax over one row, as torch.softmax: shifted by the max; the sum in Double.
func softmax(_ x: UnsafeBufferPointer<Float>) -> [Float] {
    guard let m = x.max() else { return [] }
    var e = x.map { expf($0 - m) }
    let s = Float(e.reduce(0.0) { $0 + Double($1) })
    for i in e.indices { e[i] /= s }
    return e
}

func softmax(_ x: [Float]) -> [Float] { x.withUnsafeBufferPointer { softmax($0) } }

/// The indices of the `k` largest values, largest first; equal values by lower index.
func topIndices(_ values: [Float], _ k: Int) -> [Int] {
    let k = min(k, values.count)
    guard k > 0 else { return [] }
    func before(_ a: Int, _ b: Int) -> Bool { values[a] > values[b] || values[a] == values[b] && a < b }
    if k * 16 >= values.count { return Array(values.indices.sorted(by: before).prefix(k)) }
    // A sorted window of the best k so far: one comparison per value once the window is full.
    var best: [Int] = []
    best.reserveCapacity(k + 1)
    for i in values.indices {
        if best.count == k, !before(i, best[k - 1]) { continue }
        var j = best.count
        while j > 0, before(i, best[j - 1]) { j -= 1 }
        best.insert(i, at: j)
        if best.count > k { best.removeLast() }
    }
    return best
}
