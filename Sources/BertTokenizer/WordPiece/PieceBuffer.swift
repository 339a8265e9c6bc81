/// One word's UTF-8 bytes, each with the original span of the code point it encodes.
struct PieceBuffer {
    var bytes: [UInt8] = []
    var starts: [Int32] = []
    var ends: [Int32] = []
    var charCount = 0

    mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        starts.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
        charCount = 0
    }

    /// Appends code points `[from, to)` of `chars`, UTF-8 encoded.
    mutating func append(_ chars: CharBuffer, _ from: Int, _ to: Int) {
        for i in from..<to {
            let c = chars.scalars[i], a = chars.starts[i], b = chars.ends[i]
            charCount += 1
            for u in UTF8.encode(Unicode.Scalar(c)!)! {
                bytes.append(u); starts.append(a); ends.append(b)
            }
        }
    }
}
