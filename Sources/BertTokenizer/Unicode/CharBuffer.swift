/// Code points of normalized text, each with the span of original code points `[start, end)` it
/// came from, so every token can point back into the text the user gave.
struct CharBuffer {
    var scalars: [UInt32] = []
    var starts: [Int32] = []
    var ends: [Int32] = []

    var count: Int { scalars.count }
    var isEmpty: Bool { scalars.isEmpty }

    init() {
        scalars.reserveCapacity(128)
        starts.reserveCapacity(128)
        ends.reserveCapacity(128)
    }

    @inline(__always)
    mutating func append(_ scalar: UInt32, _ start: Int32, _ end: Int32) {
        scalars.append(scalar)
        starts.append(start)
        ends.append(end)
    }

    @inline(__always)
    mutating func append(from other: CharBuffer, at i: Int) {
        append(other.scalars[i], other.starts[i], other.ends[i])
    }

    mutating func removeAll() {
        scalars.removeAll(keepingCapacity: true)
        starts.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
    }

    mutating func swapAt(_ i: Int, _ j: Int) {
        scalars.swapAt(i, j)
        starts.swapAt(i, j)
        ends.swapAt(i, j)
    }

    /// The code points `[from, to)` as a Swift string (for never_split lookups and messages).
    func string(_ from: Int = 0, _ to: Int? = nil) -> String {
        var s = String.UnicodeScalarView()
        for i in from..<(to ?? count) { s.append(Unicode.Scalar(scalars[i])!) }
        return String(s)
    }
}
