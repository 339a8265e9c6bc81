/// The per-code-point facts BertTokenizer needs, as Python 3.11's `unicodedata` (Unicode 14.0.0)
/// states them; see `UnicodeTables.swift` and golden/unicode-tables.py. Swift's own tables are newer
/// (a code point unassigned in 14.0 is a control character to transformers and is dropped), so the
/// tokenizer never asks the standard library.
struct CharFlags: OptionSet, Sendable {
    let rawValue: UInt16
    /// Removed by `_clean_text`: U+0000, U+FFFD and categories C* other than \t \n \r.
    static let drop = CharFlags(rawValue: 1 << 0)
    /// `_is_whitespace`: space, \t, \n, \r and category Zs.
    static let whitespace = CharFlags(rawValue: 1 << 1)
    /// `str.isspace`, which `str.split()` splits on (adds U+2028, U+2029 and some controls).
    static let pythonSpace = CharFlags(rawValue: 1 << 2)
    /// `_is_punctuation`: category P* and the ASCII symbols 33–47, 58–64, 91–96, 123–126.
    static let punctuation = CharFlags(rawValue: 1 << 3)
    /// Category Mn, removed by `_run_strip_accents`.
    static let nonspacingMark = CharFlags(rawValue: 1 << 4)
    /// `_is_chinese_char` (transformers' ranges, including U+2B820–U+2CEAF).
    static let cjk = CharFlags(rawValue: 1 << 5)
    /// Cased and not case-ignorable: ends a final-sigma context.
    static let cased = CharFlags(rawValue: 1 << 6)
    /// Case_Ignorable: skipped when looking for a final sigma's context.
    static let caseIgnorable = CharFlags(rawValue: 1 << 7)
    /// `str.lower()` changes it.
    static let hasLowercase = CharFlags(rawValue: 1 << 8)
    /// NFD changes it (Hangul syllables included).
    static let hasDecomposition = CharFlags(rawValue: 1 << 9)
    /// Canonical combining class is not 0.
    static let combining = CharFlags(rawValue: 1 << 10)
    /// The second half of some canonical composition: NFC may merge it into the character before.
    static let composesWithPrevious = CharFlags(rawValue: 1 << 11)

    /// A word with none of these is already in NFC.
    static let affectsNFC: CharFlags = [.hasDecomposition, .combining, .composesWithPrevious]
}

struct UnicodeProperties: Sendable {
    static let shared = UnicodeProperties()

    /// The flags of every code point, as plain pointers (built once, never freed).
    let flagTable: FlagTable
    private let lowercase: [UInt32: [UInt32]]
    private let decomposition: [UInt32: [UInt32]]
    private let combiningClasses: [UInt32: UInt8]
    private let compositions: [UInt64: UInt32]

    private init() {
        var all = [UInt16](repeating: 0, count: 0x110000)
        let runs = Self.parse(UnicodeTables.flagRuns) { entry -> (UInt32, UInt16) in
            let p = entry.split(separator: ":")
            return (UInt32(p[0], radix: 16)!, UInt16(p[1], radix: 16)!)
        }
        for (k, run) in runs.enumerated() {
            let end = k + 1 < runs.count ? Int(runs[k + 1].0) : all.count
            for cp in Int(run.0)..<end { all[cp] = run.1 }
        }
        var index = [UInt16](), blocks = [UInt16](), seen = [[UInt16]: UInt16]()
        for b in 0..<(all.count >> 8) {
            let block = Array(all[(b << 8)..<((b + 1) << 8)])
            if let i = seen[block] { index.append(i); continue }
            let i = UInt16(blocks.count >> 8)
            seen[block] = i
            blocks += block
            index.append(i)
        }
        flagTable = FlagTable(index: index, blocks: blocks)
        func mapping(_ s: String) -> [UInt32: [UInt32]] {
            Dictionary(uniqueKeysWithValues: Self.parse(s) { e in
                let p = e.split(separator: ">")
                return (UInt32(p[0], radix: 16)!, p[1].split(separator: " ").map { UInt32($0, radix: 16)! })
            })
        }
        lowercase = mapping(UnicodeTables.lowercase)
        decomposition = mapping(UnicodeTables.decomposition)
        combiningClasses = Dictionary(uniqueKeysWithValues: Self.parse(UnicodeTables.combiningClass) { e in
            let p = e.split(separator: ">")
            return (UInt32(p[0], radix: 16)!, UInt8(p[1], radix: 16)!)
        })
        compositions = Dictionary(uniqueKeysWithValues: Self.parse(UnicodeTables.composition) { e in
            let p = e.split(separator: ">"), pair = p[0].split(separator: " ").map { UInt64($0, radix: 16)! }
            return (pair[0] << 21 | pair[1], UInt32(p[1], radix: 16)!)
        })
    }

    private static func parse<T>(_ table: String, _ entry: (Substring) -> T) -> [T] {
        table.split(whereSeparator: { $0 == ";" || $0 == "\n" }).map(entry)
    }

    @inline(__always)
    func flags(_ cp: UInt32) -> CharFlags { flagTable.flags(cp) }

    func lowercased(_ cp: UInt32) -> [UInt32]? { lowercase[cp] }
    func decomposed(_ cp: UInt32) -> [UInt32]? { decomposition[cp] }
    func combiningClass(_ cp: UInt32) -> UInt8 { cp < 0x300 ? 0 : combiningClasses[cp] ?? 0 }
    func composed(_ a: UInt32, _ b: UInt32) -> UInt32? { compositions[UInt64(a) << 21 | UInt64(b)] }
}

/// Two-stage lookup: `blockIndex[cp >> 8]` picks a 256-entry block of `blocks`. Plain pointers to
/// memory that lives as long as the process, so encoders on several threads read it without
/// reference counting.
struct FlagTable: @unchecked Sendable {
    private let blockIndex: UnsafePointer<UInt16>
    private let blocks: UnsafePointer<UInt16>

    init(index: [UInt16], blocks: [UInt16]) {
        let i = UnsafeMutablePointer<UInt16>.allocate(capacity: index.count)
        i.initialize(from: index, count: index.count)
        let b = UnsafeMutablePointer<UInt16>.allocate(capacity: blocks.count)
        b.initialize(from: blocks, count: blocks.count)
        blockIndex = UnsafePointer(i)
        self.blocks = UnsafePointer(b)
    }

    @inline(__always)
    func flags(_ cp: UInt32) -> CharFlags {
        CharFlags(rawValue: blocks[Int(blockIndex[Int(cp >> 8)]) << 8 | Int(cp & 0xFF)])
    }

    /// Block 0 is stored first, so a byte below 256 indexes `blocks` directly.
    @inline(__always)
    func flags(byte b: UInt8) -> CharFlags { CharFlags(rawValue: blocks[Int(b)]) }
}
