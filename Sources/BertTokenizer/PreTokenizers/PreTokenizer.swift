// Mirrors huggingface/tokenizers `pre_tokenizers/` (byte_level.rs, metaspace.rs, bert.rs,
// punctuation.rs, whitespace.rs, split.rs, sequence.rs): each cuts every piece into smaller ones,
// and ByteLevel and Metaspace also rewrite them.

/// One node of a `tokenizer.json` "pre_tokenizer".
enum PreTokenizer: Sendable {
    case byteLevel(addPrefixSpace: Bool, useRegex: Bool)
    case metaspace(replacement: UInt32, prepend: PrependScheme, split: Bool)
    case bert
    case punctuation(SplitBehavior)
    case whitespace
    case whitespaceSplit
    case split(SplitPattern, SplitBehavior)
    case sequence([PreTokenizer])

    enum PrependScheme: String, Sendable { case always, first, never }

    init(_ n: JSONNode) throws {
        switch try n.type {
        case "ByteLevel":
            try n.expectKeys(["add_prefix_space", "trim_offsets", "use_regex"])
            self = .byteLevel(addPrefixSpace: try n.bool("add_prefix_space", default: true), useRegex: try n.bool("use_regex", default: true))
        case "Metaspace":
            try n.expectKeys(["replacement", "prepend_scheme", "split", "add_prefix_space", "str_rep"])
            var scheme = PrependScheme.always
            if n.has("prepend_scheme") {
                guard let s = PrependScheme(rawValue: try n.string("prepend_scheme")) else {
                    throw n.error("prepend_scheme", "expected always, first or never, found \"\(try n.string("prepend_scheme"))\"")
                }
                scheme = s
            } else if n.has("add_prefix_space") {
                // Files from tokenizers < 0.19 say add_prefix_space instead.
                scheme = try n.bool("add_prefix_space") ? .always : .never
            }
            self = .metaspace(replacement: try n.char("replacement"), prepend: scheme, split: try n.bool("split", default: true))
        case "BertPreTokenizer":
            try n.expectKeys([])
            self = .bert
        case "Punctuation":
            try n.expectKeys(["behavior"])
            self = .punctuation(try Self.behavior(n) ?? .isolated)
        case "Whitespace":
            try n.expectKeys([])
            self = .whitespace
        case "WhitespaceSplit":
            try n.expectKeys([])
            self = .whitespaceSplit
        case "Split":
            try n.expectKeys(["pattern", "behavior", "invert"])
            guard let b = try Self.behavior(n) else { throw n.error("behavior", "expected a split behavior, found nothing") }
            let p = try n.pattern("pattern")
            self = .split(try n.bool("invert") ? .inverted(p) : p, b)
        case "Sequence":
            try n.expectKeys(["pretokenizers"])
            self = .sequence(try n.children("pretokenizers").map(PreTokenizer.init))
        default:
            throw try n.unsupportedType()
        }
    }

    private static func behavior(_ n: JSONNode) throws -> SplitBehavior? {
        guard n.has("behavior") else { return nil }
        let s = try n.string("behavior")
        guard let b = SplitBehavior(rawValue: s) else {
            throw n.error("behavior", "expected Removed, Isolated, MergedWithPrevious, MergedWithNext or Contiguous, found \"\(s)\"")
        }
        return b
    }

    /// Cuts and rewrites `pieces` (`pre_tokenize` on a PreTokenizedString's untokenized splits).
    func apply(_ pieces: inout [NormalizedText]) {
        // Each step appends the pieces it cuts to one new array.
        func splitEach(_ cut: (NormalizedText, inout [NormalizedText]) -> Void) {
            var out: [NormalizedText] = []
            out.reserveCapacity(pieces.count * 4)
            for p in pieces { cut(p, &out) }
            pieces = out
        }
        switch self {
        case .byteLevel(let prefix, let useRegex):
            splitEach { p, out in
                var p = p
                if prefix && p.chars.first != 0x20 { p.prepend([0x20]) }
                if useRegex { p.split(.byteLevel, .isolated, into: &out) } else if !p.isEmpty { out.append(p) }
            }
            for i in pieces.indices { ByteLevelMap.encode(&pieces[i]) }
        case .metaspace(let r, let scheme, let split):
            splitEach { p, out in
                var p = p
                p.replace(.literal([0x20]), with: [r])
                switch scheme {
                case .always: if p.chars.first != r { p.prepend([r]) }
                case .first: if p.chars.first != r && p.originalStart == 0 { p.prepend([r]) }
                case .never: break
                }
                if split { p.split(.each { $0 == r }, .mergedWithNext, into: &out) } else if !p.isEmpty { out.append(p) }
            }
        case .bert:
            splitEach { p, out in p.splitBert(into: &out) }
        case .punctuation(let b):
            splitEach { p, out in p.split(.each(isPunctuation), b, into: &out) }
        case .whitespace:
            splitEach { p, out in p.split(.inverted(.regex(wordsOrSymbols)), .removed, into: &out) }
        case .whitespaceSplit:
            splitEach { p, out in p.split(.each(isWhiteSpace), .removed, into: &out) }
        case .split(let pattern, let b):
            splitEach { p, out in p.split(pattern, b, into: &out) }
        case .sequence(let list):
            for p in list { p.apply(&pieces) }
        }
    }
}

private let wordsOrSymbols = try! CompiledRegex(#"\w+|[^\w\s]+"#)

/// `char::is_ascii_punctuation || is_punctuation` (category P*).
@inline(__always)
func isPunctuation(_ c: UInt32) -> Bool {
    if c < 0x80 {
        return (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x60) || (c >= 0x7B && c <= 0x7E)
    }
    switch Unicode.Scalar(c)?.properties.generalCategory {
    case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
         .finalPunctuation, .otherPunctuation: return true
    default: return false
    }
}
