import Foundation

// Mirrors huggingface/tokenizers `normalizers/` (bert.rs, strip.rs, replace.rs, prepend.rs,
// unicode.rs, utils.rs, precompiled.rs), each applied to a NormalizedText so offsets follow.

/// One node of a `tokenizer.json` "normalizer".
enum Normalizer: Sendable {
    case bert(cleanText: Bool, handleChineseChars: Bool, stripAccents: Bool, lowercase: Bool)
    case lowercase
    case stripAccents
    case strip(left: Bool, right: Bool)
    case replace(SplitPattern, [UInt32])
    case prepend([UInt32])
    case unicode(UnicodeForm)
    case precompiled(PrecompiledCharsMap)
    case sequence([Normalizer])

    enum UnicodeForm: Sendable { case nfc, nfd, nfkc, nfkd }

    init(_ n: JSONNode) throws {
        switch try n.type {
        case "BertNormalizer":
            try n.expectKeys(["clean_text", "handle_chinese_chars", "strip_accents", "lowercase"])
            let lower = try n.bool("lowercase", default: true)
            self = .bert(cleanText: try n.bool("clean_text", default: true),
                         handleChineseChars: try n.bool("handle_chinese_chars", default: true),
                         stripAccents: try n.bool("strip_accents", default: lower), lowercase: lower)
        case "Lowercase":
            try n.expectKeys([])
            self = .lowercase
        case "StripAccents":
            try n.expectKeys([])
            self = .stripAccents
        case "Strip":
            try n.expectKeys(["strip_left", "strip_right"])
            self = .strip(left: try n.bool("strip_left"), right: try n.bool("strip_right"))
        case "Replace":
            try n.expectKeys(["pattern", "content"])
            self = .replace(try n.pattern("pattern"), try n.string("content").scalarValues)
        case "Prepend":
            try n.expectKeys(["prepend"])
            self = .prepend(try n.string("prepend").scalarValues)
        case "NFC", "NFD", "NFKC", "NFKD":
            try n.expectKeys([])
            let forms: [String: UnicodeForm] = ["NFC": .nfc, "NFD": .nfd, "NFKC": .nfkc, "NFKD": .nfkd]
            self = .unicode(forms[try n.type]!)
        case "Precompiled":
            try n.expectKeys(["precompiled_charsmap"])
            self = .precompiled(try PrecompiledCharsMap(base64: try n.string("precompiled_charsmap"), node: n))
        case "Sequence":
            try n.expectKeys(["normalizers"])
            self = .sequence(try n.children("normalizers").map(Normalizer.init))
        default:
            throw try n.unsupportedType()
        }
    }

    func normalize(_ t: inout NormalizedText) {
        switch self {
        case .bert(let clean, let chinese, let strip, let lower):
            if clean {
                t.filter { !($0 == 0 || $0 == 0xFFFD || isBertControl($0)) }
                t.map { $0 == 0x09 || $0 == 0x0A || $0 == 0x0D || isWhiteSpace($0) ? 0x20 : $0 }
            }
            if chinese, t.chars.contains(where: isChineseChar) {
                var d: [(UInt32, Int)] = []
                for c in t.chars {
                    if isChineseChar(c) { d += [(0x20, 0), (c, 1), (0x20, 1)] } else { d.append((c, 0)) }
                }
                t.transform(d)
            }
            if strip {
                // BertNormalizer drops only Mn marks; the StripAccents node drops every mark.
                Normalizer.unicode(.nfd).normalize(&t)
                t.filter { $0 < 0x300 || Unicode.Scalar($0)?.properties.generalCategory != .nonspacingMark }
            }
            if lower { Normalizer.lowercase.normalize(&t) }
        case .lowercase:
            if t.chars.allSatisfy({ $0 < 0x80 }) {
                t.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
                return
            }
            var d: [(UInt32, Int)] = []
            d.reserveCapacity(t.count)
            for c in t.chars {
                if c < 0x80 {
                    d.append((c >= 0x41 && c <= 0x5A ? c | 0x20 : c, 0))
                } else {
                    for (i, l) in Unicode.Scalar(c)!.properties.lowercaseMapping.unicodeScalars.enumerated() { d.append((l.value, i > 0 ? 1 : 0)) }
                }
            }
            t.transform(d)
        case .stripAccents:
            // unicode-normalization's is_combining_mark: Mn, Mc and Me.
            t.filter { c in
                guard c >= 0x300 else { return true }
                switch Unicode.Scalar(c)?.properties.generalCategory {
                case .nonspacingMark, .spacingMark, .enclosingMark: return false
                default: return true
                }
            }
        case .strip(let left, let right):
            t.strip(left: left, right: right)
        case .replace(let pattern, let content):
            t.replace(pattern, with: content)
        case .prepend(let s):
            t.prepend(s)
        case .unicode(let form):
            normalizeUnicode(&t, form)
        case .precompiled(let map):
            map.normalize(&t)
        case .sequence(let list):
            for n in list { n.normalize(&t) }
        }
    }
}

// unicode-normalization-alignments (what tokenizers uses) reports, per output code point, whether
// it replaces an input one or is new. bertkit normalizes one grapheme cluster at a time (no
// normalization form joins code points across clusters) and aligns each cluster's output with its
// input: the first code points replace, extra ones are new, a shorter output drops the rest.
private func normalizeUnicode(_ t: inout NormalizedText, _ form: Normalizer.UnicodeForm) {
    if t.chars.allSatisfy({ $0 < 0x80 }) { return }
    var d: [(UInt32, Int)] = []
    d.reserveCapacity(t.count)
    // Every form leaves an ASCII cluster as it is.
    forEachClusterRun(t.chars) { i in
        d.append((t.chars[i], 0))
    } other: { range in
        for g in String(unicodeScalars: t.chars[range]) {
            let input = g.unicodeScalars
            if input.count == 1, let only = input.first, only.value < 0x80 {
                d.append((only.value, 0))
                continue
            }
            let s = String(g)
            let out: String
            switch form {
            case .nfc: out = s.precomposedStringWithCanonicalMapping
            case .nfd: out = s.decomposedStringWithCanonicalMapping
            case .nfkc: out = s.precomposedStringWithCompatibilityMapping
            case .nfkd: out = s.decomposedStringWithCompatibilityMapping
            }
            appendAligned(&d, old: input.count, new: out.scalarValues)
        }
    }
    t.transform(d)
}

/// `new` for `old` code points, as precompiled.rs's `replace` aligns them.
func appendAligned(_ d: inout [(UInt32, Int)], old: Int, new: [UInt32]) {
    let start = d.count
    d += new.map { ($0, 0) }
    let diff = new.count - old
    if diff > 0 {
        for i in d.count - diff..<d.count { d[i].1 = 1 }
    } else if diff < 0, d.count > start {
        d[d.count - 1].1 += diff
    } else if diff < 0 {
        // Everything removed: the previous code point takes the removal.
        if start > 0 { d[start - 1].1 += diff }
    }
}

/// BertNormalizer's `is_control` (unicode_categories' `is_other`): Cc, Cf, Co, Cs, except tab,
/// newline and carriage return. Unassigned code points (Cn, U+FFFF) are kept, unlike the Python
/// BertTokenizer's category test.
func isBertControl(_ c: UInt32) -> Bool {
    if c == 0x09 || c == 0x0A || c == 0x0D { return false }
    if c < 0x20 || c == 0x7F { return true }
    if c < 0x80 { return false }
    switch Unicode.Scalar(c)?.properties.generalCategory {
    case .control, .format, .privateUse, .surrogate: return true
    default: return false
    }
}

func isChineseChar(_ c: UInt32) -> Bool {
    switch c {
    case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F, 0x2B740...0x2B81F,
         0x2B920...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F: true
    default: false
    }
}
