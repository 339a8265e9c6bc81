// Cutting an input down to a max length, by either rule of `TruncationRule`:
// - .rust mirrors `truncate_encodings` in huggingface/tokenizers `tokenizers/src/utils/truncation.rs`
//   (tokenizers 0.23), which `TokenizerImpl::post_process` calls with the max length less the special
//   tokens: what transformers 5's BertTokenizer / AutoTokenizer and transformers 4's
//   BertTokenizerFast do.
// - .python mirrors transformers' PythonBackend.truncate_sequences (tokenization_python.py,
//   transformers 5; BertTokenizerLegacy, the slow tokenizer of transformers 4).
// Where a library returns an encoding longer than the max length, or (Python) empties the text
// only_first / only_second must cut, bertkit refuses instead; formats/tokenizer.md §4 lists each case.

/// Tokens that truncation cuts from either end.
protocol TruncatableRun {
    var count: Int { get }
    /// Removes `n` tokens from the end ("right") or the start ("left").
    mutating func drop(_ n: Int, side: String)
}

extension TruncatableRun {
    mutating func keep(_ n: Int, side: String) { drop(count - n, side: side) }
}

struct TokenRun: TruncatableRun {
    var ids: [Int32]
    var starts: [Int32]
    var ends: [Int32]

    init(_ sink: TokenSink) {
        ids = sink.ids
        starts = sink.starts
        ends = sink.ends
    }

    var count: Int { ids.count }

    /// Removes `n` tokens from the end ("right") or the start ("left").
    mutating func drop(_ n: Int, side: String) {
        let n = min(n, count)
        guard n > 0 else { return }
        if side == "left" {
            ids.removeFirst(n); starts.removeFirst(n); ends.removeFirst(n)
        } else {
            ids.removeLast(n); starts.removeLast(n); ends.removeLast(n)
        }
    }
}

/// Cuts `a` (and the pair `b`) to fit `maxLength` with `special` special tokens around them.
/// Returns why it cannot, or nil when done.
func truncate<Run: TruncatableRun>(_ a: inout Run, _ b: inout Run?, maxLength: Int, special: Int, strategy: Truncation,
              rule: TruncationRule, side: String) -> String? {
    guard strategy != .none else { return nil }
    let budget = maxLength - special
    // Rust's usize `max_length - n_added_tokens` wraps and nothing is cut; Python cuts the texts
    // to nothing and returns the special tokens, still too long.
    guard budget >= 0 else { return "the \(special) special tokens alone are longer" }
    if budget == 0, rule == .rust {
        // truncate_encodings: `max_length == 0` empties both texts, whatever the strategy.
        a.keep(0, side: side)
        b?.keep(0, side: side)
        return nil
    }
    let n = a.count + (b?.count ?? 0) - budget
    guard n > 0 else { return nil }
    switch strategy {
    case .none:
        return nil
    case .onlyFirst, .onlySecond:
        let first = strategy == .onlyFirst
        guard first || b != nil else { return "only_second truncation needs a pair of texts" }
        let have = first ? a.count : b!.count
        // Rust raises SequenceTooShort; Python (transformers 5) empties that text and returns the rest.
        guard have > n else {
            return "\(n) tokens must go to fit, and the \(first ? "first" : "second") text has only \(have)"
        }
        if first { a.drop(n, side: side) } else { b!.drop(n, side: side) }
    case .longestFirst:
        guard b != nil else {
            a.drop(n, side: side)
            return nil
        }
        let (keepA, keepB) = longestFirstLengths(a.count, b!.count, budget: budget, rule: rule)
        a.keep(keepA, side: side)
        b!.keep(keepB, side: side)
    }
    return nil
}

/// How many tokens each text of a `longest_first` pair keeps when together they are longer than
/// `budget`. The longer text is cut first, down to the shorter one; when both must be cut they get
/// half the budget each, and an odd budget's extra token goes to the first text (Python: it loses
/// `⌊r/2⌋` of the last `r`) or to the longer text, the pair on a tie (Rust: `n1 = max_length / 2`
/// for the shorter, `n2 = n1 + max_length % 2`).
func longestFirstLengths(_ lenA: Int, _ lenB: Int, budget: Int, rule: TruncationRule) -> (a: Int, b: Int) {
    if 2 * min(lenA, lenB) <= budget {
        return lenA < lenB ? (lenA, budget - lenA) : (budget - lenB, lenB)
    }
    let half = budget / 2, rest = budget - half
    let firstKeepsExtra = rule == .python || lenA > lenB
    return firstKeepsExtra ? (rest, half) : (half, rest)
}
