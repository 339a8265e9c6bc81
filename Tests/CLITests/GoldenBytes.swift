import Foundation
import TestSupport

/// Reads and rewrites golden activation files (safetensors) at the byte level, so CLI tests can
/// check outputs and make broken or renamed goldens without linking bertkit's libraries.
struct GoldenBytes {
    var header: [String: Any]
    var data: [UInt8]

    init(path: String) throws {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let n = Int(bytes[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        header = try JSONSerialization.jsonObject(with: Data(bytes[8..<8 + n])) as! [String: Any]
        data = Array(bytes[(8 + n)...])
    }

    var metadata: [String: String] { header["__metadata__"] as? [String: String] ?? [:] }
    var names: [String] { header.keys.filter { $0 != "__metadata__" } }

    func span(_ name: String) -> Range<Int> {
        let o = (header[name] as! [String: Any])["data_offsets"] as! [Int]
        return o[0]..<o[1]
    }

    func shape(_ name: String) -> [Int] { (header[name] as! [String: Any])["shape"] as! [Int] }

    func floats(_ name: String) -> [Float] {
        Array(data[span(name)]).withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    }

    func ints(_ name: String) -> [Int64] {
        Array(data[span(name)]).withUnsafeBytes { Array($0.bindMemory(to: Int64.self)) }
    }

    mutating func setFloat(_ name: String, at i: Int, _ v: Float) {
        let at = span(name).lowerBound + 4 * i
        withUnsafeBytes(of: v.bitPattern.littleEndian) { for k in 0..<4 { data[at + k] = $0[k] } }
    }

    /// Adds an F32 tensor after the others.
    mutating func append(_ name: String, shape: [Int], floats: [Float]) {
        let start = data.count
        for v in floats { withUnsafeBytes(of: v.bitPattern.littleEndian) { data += $0 } }
        header[name] = ["dtype": "F32", "shape": shape, "data_offsets": [start, data.count]] as [String: Any]
    }

    mutating func rename(_ from: String, to: String) {
        header[to] = header.removeValue(forKey: from)
    }

    /// Writes the (possibly renamed or edited) tensors back; offsets are unchanged.
    func write(_ path: String) throws {
        var h = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while h.count % 8 != 0 { h.append(0x20) }
        var out = withUnsafeBytes(of: UInt64(h.count).littleEndian) { Data($0) }
        out.append(h)
        out.append(contentsOf: data)
        try out.write(to: URL(fileURLWithPath: path))
    }
}
