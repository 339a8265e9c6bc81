// A backtracking matcher for the regular expressions tokenizer.json files carry in Replace and
// Split nodes (` {2,}`, `\s+`, `[\p{P}]`, ...), over code points with no String round trip.
// Swift Regex stays the reference: a pattern outside the subset below compiles to nil and is
// matched by Swift Regex, and `NativeRegexTests` checks both agree on every supported construct.
//
// Subset: literals and `\`-escaped punctuation, `\t \n \r \f \v`, `\s \S \d \D`, `\p{L|N|P}` and
// `\P{...}`, classes `[...]`/`[^...]` of those and ranges, `(...)`, `(?:...)`, `|`, and greedy or
// lazy `* + ? {n} {n,} {n,m}`. Refused (to Swift Regex): anchors, `.`, `\w`, `\b`, lookaround,
// flags, possessive quantifiers, a quantifier over a group that holds one (backtracking stays
// linear per start) and any pattern that can match the empty string.

/// A compiled program: leftmost-first matches, as a backtracking engine (Swift Regex, Oniguruma)
/// finds them.
struct NativeRegex: Sendable {
    private let program: [NativeRegexInstruction]
    private let sets: [CodePointSet]

    /// nil when the pattern is outside the subset.
    init?(_ pattern: String) {
        var p = RegexParser(Array(pattern.unicodeScalars.map(\.value)))
        guard let node = p.parseAll(), !node.nullable else { return nil }
        var c = RegexCompiler()
        guard c.emit(node) else { return nil }
        c.program.append(.match)
        program = c.program
        sets = c.sets
    }

    /// The non-overlapping matches, leftmost first, as code-point ranges.
    func matches(_ chars: [UInt32]) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var stack: [(pc: Int, pos: Int)] = []
        chars.withUnsafeBufferPointer { text in
            var start = 0
            while start < text.count {
                if let end = match(text, at: start, &stack) {
                    out.append(start..<end)
                    start = end  // never empty: nullable patterns are refused
                } else {
                    start += 1
                }
            }
        }
        return out
    }

    private func match(_ text: UnsafeBufferPointer<UInt32>, at start: Int, _ stack: inout [(pc: Int, pos: Int)]) -> Int? {
        stack.removeAll(keepingCapacity: true)
        stack.append((0, start))
        while let (pc0, pos0) = stack.popLast() {
            var pc = pc0, pos = pos0
            thread: while true {
                switch program[pc] {
                case .set(let s):
                    guard pos < text.count, sets[s].contains(text[pos]) else { break thread }
                    pos += 1
                    pc += 1
                case .split(let a, let b):
                    stack.append((b, pos))
                    pc = a
                case .jump(let t):
                    pc = t
                case .match:
                    return pos
                }
            }
        }
        return nil
    }
}

/// What one `[...]`, escape or literal matches.
struct CodePointSet: Sendable {
    enum Item: Sendable {
        case range(UInt32, UInt32)
        case whitespace, digit, letter, number, punctuation
        indirect case not(Item)
    }

    let items: [Item]
    let negated: Bool
    /// The answer for every ASCII code point, worked out once.
    private var ascii: (UInt64, UInt64) = (0, 0)

    init(items: [Item], negated: Bool) {
        self.items = items
        self.negated = negated
        for c in UInt32(0)..<128 where slowContains(c) {
            if c < 64 { ascii.0 |= 1 << UInt64(c) } else { ascii.1 |= 1 << UInt64(c - 64) }
        }
    }

    @inline(__always)
    func contains(_ c: UInt32) -> Bool {
        if c < 64 { return ascii.0 >> UInt64(c) & 1 != 0 }
        if c < 128 { return ascii.1 >> UInt64(c - 64) & 1 != 0 }
        return slowContains(c)
    }

    private func slowContains(_ c: UInt32) -> Bool {
        items.contains { Self.holds($0, c) } != negated
    }

    private static func holds(_ item: Item, _ c: UInt32) -> Bool {
        switch item {
        case .range(let lo, let hi): return c >= lo && c <= hi
        case .whitespace: return Unicode.Scalar(c)?.properties.isWhitespace ?? false
        case .digit: return Unicode.Scalar(c)?.properties.generalCategory == .decimalNumber
        case .letter: return isLetter(c)
        case .number: return isNumber(c)
        case .punctuation: return isUnicodePunctuation(c)
        case .not(let i): return !holds(i, c)
        }
    }
}

/// `\p{P}`: general category P* (unlike `isPunctuation`, no ASCII symbols such as `$` or `+`).
private func isUnicodePunctuation(_ c: UInt32) -> Bool {
    switch Unicode.Scalar(c)?.properties.generalCategory {
    case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
         .finalPunctuation, .otherPunctuation: return true
    default: return false
    }
}

private indirect enum RegexNode {
    case set(CodePointSet)
    case concat([RegexNode])
    case alternation([RegexNode])
    case repeated(RegexNode, min: Int, max: Int?, lazy: Bool)

    var nullable: Bool {
        switch self {
        case .set: false
        case .concat(let l): l.allSatisfy(\.nullable)
        case .alternation(let l): l.contains(where: \.nullable)
        case .repeated(let n, let min, _, _): min == 0 || n.nullable
        }
    }

    var hasQuantifier: Bool {
        switch self {
        case .set: false
        case .concat(let l), .alternation(let l): l.contains(where: \.hasQuantifier)
        case .repeated: true
        }
    }
}

private struct RegexParser {
    let s: [UInt32]
    var i = 0
    init(_ s: [UInt32]) { self.s = s }

    private var peek: UInt32? { i < s.count ? s[i] : nil }

    mutating func parseAll() -> RegexNode? {
        guard let n = parseAlternation(), i == s.count else { return nil }
        return n
    }

    private mutating func parseAlternation() -> RegexNode? {
        var branches: [RegexNode] = []
        repeat {
            guard let c = parseConcat() else { return nil }
            branches.append(c)
        } while eat(0x7C)  // |
        return branches.count == 1 ? branches[0] : .alternation(branches)
    }

    private mutating func parseConcat() -> RegexNode? {
        var items: [RegexNode] = []
        while let c = peek, c != 0x7C, c != 0x29 {  // | )
            guard let atom = parseAtom(), let q = parseQuantified(atom) else { return nil }
            items.append(q)
        }
        guard !items.isEmpty else { return nil }  // an empty branch matches the empty string
        return items.count == 1 ? items[0] : .concat(items)
    }

    private mutating func parseQuantified(_ atom: RegexNode) -> RegexNode? {
        guard let c = peek else { return atom }
        var min = 0, max: Int?
        switch c {
        case 0x2A: i += 1; (min, max) = (0, nil)  // *
        case 0x2B: i += 1; (min, max) = (1, nil)  // +
        case 0x3F: i += 1; (min, max) = (0, 1)  // ?
        case 0x7B:  // {
            i += 1
            guard let a = number() else { return nil }
            min = a
            max = a
            if eat(0x2C) { max = peek == 0x7D ? nil : number() ?? -1 }
            guard eat(0x7D), max.map({ $0 >= min }) ?? true, min <= 64, (max ?? 0) <= 64 else { return nil }
        default: return atom
        }
        let lazy = eat(0x3F)
        // Possessive, a second quantifier, or one over a quantified group: left to Swift Regex.
        if let n = peek, n == 0x2B || n == 0x2A || n == 0x3F || n == 0x7B { return nil }
        if atom.hasQuantifier || atom.nullable { return nil }
        return .repeated(atom, min: min, max: max, lazy: lazy)
    }

    private mutating func number() -> Int? {
        var v = 0, digits = 0
        while let c = peek, c >= 0x30, c <= 0x39, digits < 4 {
            v = v * 10 + Int(c - 0x30)
            i += 1
            digits += 1
        }
        return digits > 0 ? v : nil
    }

    private mutating func eat(_ c: UInt32) -> Bool {
        guard peek == c else { return false }
        i += 1
        return true
    }

    private mutating func parseAtom() -> RegexNode? {
        guard let c = peek else { return nil }
        switch c {
        case 0x28:  // (
            i += 1
            if eat(0x3F) { guard eat(0x3A) else { return nil } }  // only (?:
            guard let inner = parseAlternation(), eat(0x29) else { return nil }
            return inner
        case 0x5B:  // [
            i += 1
            return parseClass().map { .set($0) }
        case 0x5C:  // \
            i += 1
            guard let item = parseEscape(inClass: false) else { return nil }
            return .set(Self.set([item]))
        case 0x2E, 0x5E, 0x24, 0x29, 0x7C, 0x2A, 0x2B, 0x3F, 0x7B, 0x7D, 0x5D:  // . ^ $ ) | * + ? { } ]
            return nil
        default:
            i += 1
            return .set(Self.set([.range(c, c)]))
        }
    }

    private static func set(_ items: [CodePointSet.Item], negated: Bool = false) -> CodePointSet {
        CodePointSet(items: items, negated: negated)
    }

    private mutating func parseClass() -> CodePointSet? {
        let negated = eat(0x5E)
        var items: [CodePointSet.Item] = []
        guard peek != 0x5D else { return nil }  // `[]` and `[^]` differ between engines
        while let c = peek, c != 0x5D {
            var lo: UInt32
            if c == 0x5C {
                i += 1
                guard let e = parseEscape(inClass: true) else { return nil }
                guard case .range(let a, let b) = e, a == b else { items.append(e); continue }
                lo = a
            } else {
                // Nested classes, POSIX classes and set operations are not in the subset.
                if c == 0x5B || (c == 0x26 && i + 1 < s.count && s[i + 1] == 0x26) { return nil }
                if c == 0x2D && !items.isEmpty && i + 1 < s.count && s[i + 1] != 0x5D { return nil }  // - mid-class, not a range
                i += 1
                lo = c
            }
            if peek == 0x2D, i + 1 < s.count, s[i + 1] != 0x5D {
                i += 1
                var hi: UInt32
                if peek == 0x5C {
                    i += 1
                    guard let e = parseEscape(inClass: true), case .range(let a, let b) = e, a == b else { return nil }
                    hi = a
                } else {
                    guard let h = peek, h != 0x5B else { return nil }
                    i += 1
                    hi = h
                }
                guard hi >= lo else { return nil }
                items.append(.range(lo, hi))
            } else {
                items.append(.range(lo, lo))
            }
        }
        guard eat(0x5D) else { return nil }
        return Self.set(items, negated: negated)
    }

    private mutating func parseEscape(inClass: Bool) -> CodePointSet.Item? {
        guard let c = peek else { return nil }
        i += 1
        switch c {
        case 0x73: return .whitespace  // s
        case 0x53: return .not(.whitespace)  // S
        case 0x64: return .digit  // d
        case 0x44: return .not(.digit)  // D
        case 0x74: return .range(0x09, 0x09)  // t
        case 0x6E: return .range(0x0A, 0x0A)  // n
        case 0x72: return .range(0x0D, 0x0D)  // r
        case 0x66: return .range(0x0C, 0x0C)  // f
        case 0x76: return .range(0x0B, 0x0B)  // v
        case 0x70, 0x50:  // p P
            guard eat(0x7B), let k = peek, eat(k), eat(0x7D) else { return nil }
            let item: CodePointSet.Item
            switch k {
            case 0x4C: item = .letter  // L
            case 0x4E: item = .number  // N
            case 0x50: item = .punctuation  // P
            default: return nil
            }
            return c == 0x50 ? .not(item) : item
        default:
            // Escaped ASCII punctuation stands for itself; letters and digits are other escapes.
            let isPunct = (0x21...0x2F).contains(c) || (0x3A...0x40).contains(c) || (0x5B...0x60).contains(c)
                || (0x7B...0x7E).contains(c) || c == 0x20
            return isPunct ? .range(c, c) : nil
        }
    }
}

/// One step of a program.
private enum NativeRegexInstruction: Sendable {
    case set(Int)
    /// Try the first target, then the second.
    case split(Int, Int)
    case jump(Int)
    case match
}

private struct RegexCompiler {
    var program: [NativeRegexInstruction] = []
    var sets: [CodePointSet] = []

    /// Appends `node`; false when a bounded repeat would make the program too long.
    mutating func emit(_ node: RegexNode) -> Bool {
        guard program.count < 4096 else { return false }
        switch node {
        case .set(let s):
            sets.append(s)
            program.append(.set(sets.count - 1))
        case .concat(let list):
            for n in list { guard emit(n) else { return false } }
        case .alternation(let list):
            // split L1, next; L1: a; jump end; next: split L2, ...; the last branch falls through.
            var jumps: [Int] = []
            for (k, n) in list.enumerated() {
                if k == list.count - 1 {
                    guard emit(n) else { return false }
                    break
                }
                let split = program.count
                program.append(.split(split + 1, -1))
                guard emit(n) else { return false }
                jumps.append(program.count)
                program.append(.jump(-1))
                program[split] = .split(split + 1, program.count)
            }
            for j in jumps { program[j] = .jump(program.count) }
        case .repeated(let n, let min, let max, let lazy):
            for _ in 0..<min { guard emit(n) else { return false } }
            if let max {
                // (x(x(x)?)?)? for the optional part: each try nests inside the previous one.
                var splits: [Int] = []
                for _ in min..<max {
                    splits.append(program.count)
                    program.append(.split(-1, -1))
                    guard emit(n) else { return false }
                }
                let end = program.count
                for s in splits { program[s] = lazy ? .split(end, s + 1) : .split(s + 1, end) }
            } else {
                let loop = program.count
                program.append(.split(-1, -1))
                guard emit(n) else { return false }
                program.append(.jump(loop))
                let end = program.count
                program[loop] = lazy ? .split(end, loop + 1) : .split(loop + 1, end)
            }
        }
        return true
    }
}
