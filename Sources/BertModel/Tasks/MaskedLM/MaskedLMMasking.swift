import BertFormats
import BertTensors
import BertTokenizer
import Foundation

// The masking of transformers' data/data_collator.py, per row of token ids:
// - DataCollatorForLanguageModeling (5.23; `torch_mask_tokens`): every token whose id is not a
//   special id (`get_special_tokens_mask(..., already_has_special_tokens=True)`: [CLS], [SEP],
//   [PAD], [UNK], [MASK] and the additional special tokens) is chosen with `mlm_probability`;
//   a chosen token becomes [MASK] with `mask_replace_prob` (0.8), else a random id in
//   [0, len(tokenizer)) with random_replace_prob / (1 − mask_replace_prob) (0.5), else stays.
//   Labels are the original ids at chosen positions and −100 elsewhere.
// - DataCollatorForWholeWordMask (4.57.6; removed from 5.x, whose `whole_word_mask=True` groups
//   by offsets and always writes [MASK]): the words are a token and the `##` tokens after it,
//   [CLS] and [SEP] excluded; they are shuffled and taken in that order while the masked count stays
//   within max(1, round(len × mlm_probability)) (Python's round, half to even; len counts the
//   specials; at most 512), a word that would overshoot being passed over; special ids are then
//   cleared, and the chosen tokens are replaced 80/10/10 as above, token by token.
// torch's generator is not reproduced (bit-equal masks with PyTorch are not the goal): each row
// draws from its own SplitMix64 stream keyed by (seed, a, b) — (seed, step, row) in training,
// (seed, example, 0) in evaluation — so a row's masks never depend on the other rows, the batch
// size or how many steps ran before a resume. golden/mlm_masking.py mirrors these draws.

/// How tokens are chosen and replaced.
public struct MaskingOptions: Sendable, Equatable {
    /// `mlm_probability`.
    public var probability = 0.15
    /// `mask_replace_prob`.
    public var maskReplace = 0.8
    /// `random_replace_prob`.
    public var randomReplace = 0.1
    /// DataCollatorForWholeWordMask instead of DataCollatorForLanguageModeling.
    public var wholeWord = false

    public init(probability: Double = 0.15, wholeWord: Bool = false) {
        self.probability = probability
        self.wholeWord = wholeWord
    }
}

public enum MaskingError: LocalizedError, Equatable {
    case probability(name: String, value: Double)
    case noMaskToken(token: String)
    /// The tokenizer has more ids than the model's vocabulary: a random replacement could fall outside it.
    case vocabulary(tokenizer: Int, model: Int)
    /// A training batch in which masking chose no token: its loss would be torch's NaN (a mean over nothing).
    case nothingMasked(step: Int, documents: Int)

    public var errorDescription: String? {
        switch self {
        case let .probability(name, value): "\(name) is \(value); expected a probability in 0...1"
        case let .noMaskToken(token): "the vocabulary has no mask token \(token) (mask_token), so nothing can be masked"
        case let .vocabulary(t, m): "the tokenizer has \(t) ids but the model's vocabulary only \(m)"
        case let .nothingMasked(s, n):
            "step \(s): masking chose no token in the batch's \(n) documents, so the loss (a mean over the masked tokens) is undefined"
        }
    }
}

/// One row masked: the model's input ids and the labels (−100 where nothing is predicted).
public struct MaskedRow: Sendable, Equatable {
    public var inputIds: [Int]
    public var labels: [Int]
}

/// The collator's masking for one tokenizer.
public struct MaskedLMMasker: Sendable {
    public let options: MaskingOptions
    public let maskTokenId: Int
    /// `len(tokenizer)`: the vocabulary and the added tokens.
    public let tokenCount: Int
    /// Ids never masked.
    public let specialIds: Set<Int>
    /// Ids that never start a word: [CLS] and [SEP] (whole-word masking).
    let wordExcluded: Set<Int>
    /// Per id: a `##` continuation (whole-word masking).
    let continuation: [Bool]

    public init(tokenizer: ModelTokenizer, options: MaskingOptions = MaskingOptions(), modelVocabulary: Int? = nil) throws {
        for (name, p) in [("mlm probability", options.probability), ("mask_replace_prob", options.maskReplace),
                          ("random_replace_prob", options.randomReplace)] where !(0...1).contains(p) {
            throw MaskingError.probability(name: name, value: p)
        }
        guard options.maskReplace + options.randomReplace <= 1 else {
            throw MaskingError.probability(name: "mask_replace_prob + random_replace_prob", value: options.maskReplace + options.randomReplace)
        }
        let s = tokenizer.settings
        guard let mask = tokenizer.maskTokenId else { throw MaskingError.noMaskToken(token: tokenizer.special.mask?.content ?? s.maskToken) }
        self.options = options
        maskTokenId = mask
        tokenCount = tokenizer.vocabularySize
        if let m = modelVocabulary, tokenCount > m { throw MaskingError.vocabulary(tokenizer: tokenCount, model: m) }
        specialIds = tokenizer.allSpecialIds
        wordExcluded = [tokenizer.clsTokenId, tokenizer.sepTokenId]
        // Whole words by the model's continuing_subword_prefix (WordPiece's "##"), as the collator's
        // whole-word masking reads them; a tokenizer without one has no continuations.
        let prefix = tokenizer.continuingSubwordPrefix
        continuation = (0..<tokenCount).map { id in prefix.map { tokenizer.token(of: id).hasPrefix($0) } ?? false }
    }

    /// Masks `ids` (one row, without padding) with the stream keyed by (`seed`, `a`, `b`).
    public func mask(_ ids: [Int], seed: UInt64, _ a: Int, _ b: Int) -> MaskedRow {
        var rng = MaskingStream(seed: seed, a, b)
        let chosen = options.wholeWord ? wholeWords(ids, &rng) : ids.map { id in
            // One draw per position, special or not, so a position's draw does not depend on its neighbours.
            rng.uniform() < options.probability && !specialIds.contains(id)
        }
        var inputs = ids, labels = [Int](repeating: ignoredLabel, count: ids.count)
        let random = options.maskReplace < 1 ? options.randomReplace / (1 - options.maskReplace) : 0
        for i in ids.indices where chosen[i] && !specialIds.contains(ids[i]) {
            labels[i] = ids[i]
            if rng.uniform() < options.maskReplace {
                inputs[i] = maskTokenId
            } else if rng.uniform() < random {
                inputs[i] = rng.below(tokenCount)
            }
        }
        return MaskedRow(inputIds: inputs, labels: labels)
    }

    /// DataCollatorForWholeWordMask's `_whole_word_mask` for one row.
    private func wholeWords(_ ids: [Int], _ rng: inout MaskingStream) -> [Bool] {
        var words: [[Int]] = []
        for (i, id) in ids.enumerated() where !wordExcluded.contains(id) {
            if !words.isEmpty, id < continuation.count, continuation[id] { words[words.count - 1].append(i) } else { words.append([i]) }
        }
        rng.shuffle(&words)
        let budget = min(512, max(1, Int((Double(ids.count) * options.probability).rounded(.toNearestOrEven))))
        var chosen = [Bool](repeating: false, count: ids.count), count = 0
        for w in words {
            if count >= budget { break }
            if count + w.count > budget { continue }
            for i in w { chosen[i] = true }
            count += w.count
        }
        return chosen
    }
}

/// SplitMix64 (`SeededGenerator`) seeded by (seed, a, b), with the draws golden/mlm_masking.py mirrors.
struct MaskingStream {
    private var g: SeededGenerator

    init(seed: UInt64, _ a: Int, _ b: Int) {
        var s = SeededGenerator(seed: seed)
        var t = SeededGenerator(seed: s.next() ^ UInt64(bitPattern: Int64(a)))
        g = SeededGenerator(seed: t.next() ^ UInt64(bitPattern: Int64(b)))
    }

    mutating func next() -> UInt64 { g.next() }

    /// In [0, 1): the top 53 bits.
    mutating func uniform() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// In 0..<n (the modulo's bias is below n / 2⁶⁴).
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }

    /// Fisher–Yates from the back.
    mutating func shuffle<T>(_ a: inout [T]) {
        guard a.count > 1 else { return }
        for i in stride(from: a.count - 1, to: 0, by: -1) { a.swapAt(i, below(i + 1)) }
    }
}
