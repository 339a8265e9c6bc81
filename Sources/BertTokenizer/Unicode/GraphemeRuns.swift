// Normalizers that work one grapheme cluster at a time (Precompiled, NFC/NFD/NFKC/NFKD) need
// Swift's cluster breaking only where a cluster can hold more than one code point. Between two
// ASCII code points there is always a break except CR LF (UAX #29: no ASCII code point is Extend,
// ZWJ, SpacingMark or Prepend), so an ASCII code point followed by another (or by the end) is a
// cluster of its own, and a run of anything else ends at such a break.

/// Calls `ascii(i)` for each ASCII code point that is a cluster alone and `other(range)` for the
/// runs between them, each starting and ending on a cluster break, in order.
@inline(__always)
func forEachClusterRun(_ chars: [UInt32], ascii: (Int) -> Void, other: (Range<Int>) -> Void) {
    let n = chars.count
    @inline(__always) func breakBefore(_ j: Int) -> Bool {
        // A break between j - 1 and j both ASCII, not CR LF.
        chars[j - 1] < 0x80 && chars[j] < 0x80 && !(chars[j - 1] == 0x0D && chars[j] == 0x0A)
    }
    var i = 0
    while i < n {
        if chars[i] < 0x80 && (i + 1 == n || breakBefore(i + 1)) {
            ascii(i)
            i += 1
            continue
        }
        var j = i + 1
        while j < n && !breakBefore(j) { j += 1 }
        other(i..<j)
        i = j
    }
}
