// GPT-2's byte-to-unicode table (huggingface/tokenizers `pre_tokenizers/byte_level.rs`
// `bytes_char`, from openai/gpt-2 `encoder.py`): printable Latin-1 bytes stand for themselves, the
// other 68 map to U+0100 onwards in byte order, so every byte is one visible code point.

enum ByteLevelMap {
    static let byteToChar: [UInt32] = {
        var map = [UInt32](repeating: 0, count: 256), n: UInt32 = 0
        for b in 0..<256 {
            let printable = (0x21...0x7E).contains(b) || (0xA1...0xAC).contains(b) || (0xAE...0xFF).contains(b)
            if printable { map[b] = UInt32(b) } else { map[b] = 256 + n; n += 1 }
        }
        return map
    }()

    static let charToByte: [UInt32: UInt8] = {
        var m = [UInt32: UInt8]()
        for (b, c) in byteToChar.enumerated() { m[c] = UInt8(b) }
        return m
    }()

    /// Each code point becomes its UTF-8 bytes' stand-ins; all share its alignment.
    static func encode(_ t: inout NormalizedText) {
        // ASCII stays one code point for one: a map keeps every alignment.
        if t.chars.allSatisfy({ $0 < 0x80 }) {
            t.map { byteToChar[Int($0)] }
            return
        }
        var d: [(UInt32, Int)] = []
        d.reserveCapacity(t.count * 2)
        for c in t.chars {
            if c < 0x80 {
                d.append((byteToChar[Int(c)], 0))
                continue
            }
            for (i, b) in UTF8.encode(Unicode.Scalar(c)!)!.enumerated() { d.append((byteToChar[Int(b)], i > 0 ? 1 : 0)) }
        }
        t.transform(d)
    }
}
