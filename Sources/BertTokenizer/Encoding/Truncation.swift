// Mirrors transformers' PythonBackend.prepare_for_model / truncate_sequences
// (tokenization_python.py, transformers 5): the number of tokens to remove counts the special
// tokens; longest_first takes from the longer sequence first and splits the rest evenly, the extra
// one from the pair; only_first / only_second take everything from one side. When that side has no
// more tokens than must go, transformers 4 and the Rust tokenizer refuse, transformers 5 silently
// empties it (usually still too long): bertkit refuses.

struct TokenRun {
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

/// Returns why it cannot truncate, or nil when done.
func truncate(_ a: inout TokenRun, _ b: inout TokenRun?, remove n: Int, strategy: Truncation, side: String) -> String? {
    guard n > 0 else { return nil }
    switch strategy {
    case .none:
        return nil
    case .onlyFirst, .onlySecond:
        let first = strategy == .onlyFirst
        guard first || b != nil else { return "only_second truncation needs a pair of texts" }
        let have = first ? a.count : b!.count
        guard have > n else {
            return "\(n) tokens must go to fit, and the \(first ? "first" : "second") text has only \(have)"
        }
        if first { a.drop(n, side: side) } else { b!.drop(n, side: side) }
    case .longestFirst where b == nil:
        guard a.count >= n else { return "\(n) tokens must go to fit, and the text has only \(a.count)" }
        a.drop(n, side: side)
    case .longestFirst:
        let lenA = a.count, lenB = b!.count
        guard lenA + lenB >= n else { return "\(n) tokens must go to fit, and the texts have only \(lenA + lenB)" }
        let first = min(abs(lenB - lenA), n), second = n - first
        if lenA > lenB {
            a.drop(first + second / 2, side: side)
            b!.drop(second - second / 2, side: side)
        } else {
            a.drop(second / 2, side: side)
            b!.drop(first + second - second / 2, side: side)
        }
    }
    return nil
}
