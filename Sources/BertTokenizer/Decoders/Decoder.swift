// Mirrors huggingface/tokenizers `decoders/` (`decode_chain` of byte_level.rs, metaspace.rs,
// wordpiece.rs, bpe.rs, byte_fallback.rs, fuse.rs, strip.rs, replace.rs, sequence.rs): token
// strings in, strings out; the tokenizer joins the last chain's strings.

/// A "decoder" node: how token strings become text (the pipelines' `word` and `sequence`).
enum Decoder: Sendable {
    case byteLevel
    case metaspace(replacement: UInt32, prepends: Bool)
    case wordPiece(prefix: String, cleanup: Bool)
    case bpe(suffix: String)
    case byteFallback
    case fuse
    case strip(content: UInt32, start: Int, stop: Int)
    case replace(SplitPattern, [UInt32])
    case sequence([Decoder])

    init(_ n: JSONNode) throws {
        switch try n.type {
        case "ByteLevel":
            try n.expectKeys(["add_prefix_space", "trim_offsets", "use_regex"])
            self = .byteLevel
        case "Metaspace":
            try n.expectKeys(["replacement", "prepend_scheme", "split", "add_prefix_space", "str_rep"])
            let scheme = n.has("prepend_scheme") ? try n.string("prepend_scheme") : (try n.bool("add_prefix_space", default: true) ? "always" : "never")
            self = .metaspace(replacement: try n.char("replacement"), prepends: scheme != "never")
        case "WordPiece":
            try n.expectKeys(["prefix", "cleanup"])
            self = .wordPiece(prefix: try n.optionalString("prefix") ?? "##", cleanup: try n.bool("cleanup", default: true))
        case "BPEDecoder":
            try n.expectKeys(["suffix"])
            self = .bpe(suffix: try n.optionalString("suffix") ?? "</w>")
        case "ByteFallback":
            try n.expectKeys([])
            self = .byteFallback
        case "Fuse":
            try n.expectKeys([])
            self = .fuse
        case "Strip":
            try n.expectKeys(["content", "start", "stop"])
            self = .strip(content: try n.char("content"), start: try n.int("start"), stop: try n.int("stop"))
        case "Replace":
            try n.expectKeys(["pattern", "content"])
            self = .replace(try n.pattern("pattern"), try n.string("content").scalarValues)
        case "Sequence":
            try n.expectKeys(["decoders"])
            self = .sequence(try n.children("decoders").map(Decoder.init))
        default:
            throw try n.unsupportedType()
        }
    }

    func decode(_ tokens: [String]) -> String { chain(tokens).joined() }

    func chain(_ tokens: [String]) -> [String] {
        switch self {
        case .byteLevel:
            var bytes: [UInt8] = []
            for t in tokens {
                let mapped = t.unicodeScalars.map { ByteLevelMap.charToByte[$0.value] }
                if mapped.allSatisfy({ $0 != nil }) { bytes += mapped.map { $0! } } else { bytes += Array(t.utf8) }
            }
            return [String(decoding: bytes, as: UTF8.self)]
        case .metaspace(let r, let prepends):
            return tokens.enumerated().map { i, t in
                var s = String.UnicodeScalarView()
                for c in t.unicodeScalars {
                    if c.value == r {
                        if !(i == 0 && prepends) { s.append(" ") }
                    } else {
                        s.append(c)
                    }
                }
                return String(s)
            }
        case .wordPiece(let prefix, let cleanup):
            return tokens.enumerated().map { i, t in
                var t = t
                // Bytes, not Characters: "##" + a combining mark is one Character.
                if i != 0 { t = t.utf8.starts(with: prefix.utf8) ? String(decoding: t.utf8.dropFirst(prefix.utf8.count), as: UTF8.self) : " " + t }
                return cleanup ? wordPieceCleanup(t) : t
            }
        case .bpe(let suffix):
            return tokens.enumerated().map { i, t in t.replacingAll(suffix, with: i == tokens.count - 1 ? "" : " ") }
        case .byteFallback:
            var out: [String] = [], pending: [UInt8] = []
            func flush() {
                guard !pending.isEmpty else { return }
                if let s = String(validating: pending, as: UTF8.self) { out.append(s) } else { out += pending.map { _ in "\u{FFFD}" } }
                pending.removeAll()
            }
            for t in tokens {
                let u = Array(t.utf8)
                if u.count == 6, t.hasPrefix("<0x"), t.hasSuffix(">"), let b = UInt8(String(decoding: u[3..<5], as: UTF8.self), radix: 16) {
                    pending.append(b)
                } else {
                    flush()
                    out.append(t)
                }
            }
            flush()
            return out
        case .fuse:
            return [tokens.joined()]
        case .strip(let content, let start, let stop):
            return tokens.map { t in
                let c = t.scalarValues
                var a = 0
                while a < min(start, c.count) && c[a] == content { a += 1 }
                var b = c.count, k = 0
                while k < stop && b - 1 >= a && c[b - 1] == content { b -= 1; k += 1 }
                return String(unicodeScalars: c[a..<b])
            }
        case .replace(let pattern, let content):
            return tokens.map { t in
                var n = NormalizedText(t)
                n.replace(pattern, with: content)
                return n.string
            }
        case .sequence(let list):
            var t = tokens
            for d in list { t = d.chain(t) }
            return t
        }
    }
}

private func wordPieceCleanup(_ s: String) -> String {
    var s = s
    for (a, b) in [(" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"), (" 'm", "'m"),
                   (" do not", " don't"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re")] {
        s = s.replacingAll(a, with: b)
    }
    return s
}

extension String {
    /// Every occurrence of `a` replaced, by code points (String's own search compares Characters).
    func replacingAll(_ a: String, with b: String) -> String {
        guard !a.isEmpty else { return self }
        var n = NormalizedText(self)
        n.replace(.literal(a.scalarValues), with: b.scalarValues)
        return n.string
    }
}
