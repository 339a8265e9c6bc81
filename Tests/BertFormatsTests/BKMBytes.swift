import BertFormats
import BertTensors
import Foundation

/// A .bkm file taken apart so a test can break one field and put it back together (recomputing
/// the header checksum and the data start unless told not to).
struct BKMBytes {
    var magic: [UInt8]
    var version: UInt32
    var reserved: UInt32
    var header: JSONObject
    var data: [UInt8]
    var lengthOverride: UInt64?
    var crcOverride: UInt32?

    init(path: String) {
        let b = [UInt8](FileManager.default.contents(atPath: path)!)
        magic = Array(b[0..<4])
        version = b[4..<8].withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
        let h = Int(b[8..<16].withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        reserved = b[20..<24].withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
        header = try! JSONParser.parse(Array(b[24..<24 + h]), file: path).objectValue!
        let d = (24 + h + 63) / 64 * 64
        data = Array(b[d...])
    }

    var tensors: [JSONObject] {
        get { header["tensors"]!.arrayValue!.map { $0.objectValue! } }
        set { header["tensors"] = .array(newValue.map { .object($0) }) }
    }

    func bytes(headerText: [UInt8]? = nil) -> [UInt8] {
        let h = headerText ?? Array(JSONValue.object(header).serialized(indent: 0).utf8)
        var out = magic
        out += withUnsafeBytes(of: version.littleEndian) { [UInt8]($0) }
        out += withUnsafeBytes(of: (lengthOverride ?? UInt64(h.count)).littleEndian) { [UInt8]($0) }
        let crc = h.withUnsafeBytes { hb in out.withUnsafeBytes { FileDigest.crc32c(hb, seed: FileDigest.crc32c($0)) } }
        out += withUnsafeBytes(of: (crcOverride ?? crc).littleEndian) { [UInt8]($0) }
        out += withUnsafeBytes(of: reserved.littleEndian) { [UInt8]($0) }
        out += h
        while out.count % 64 != 0 { out.append(0) }
        return out + data
    }

    func write(to path: String, headerText: [UInt8]? = nil) {
        FileManager.default.createFile(atPath: path, contents: Data(bytes(headerText: headerText)))
    }
}

extension BKMBytes {
    /// Edits the header object under `key`.
    mutating func edit(_ key: String, _ change: (inout JSONObject) -> Void) {
        var o = header[key]!.objectValue!
        change(&o)
        header[key] = .object(o)
    }
}

extension JSONObject {
    /// Edits module `i` of a `sentence_transformers` object.
    mutating func editModule(_ i: Int, _ change: (inout JSONObject) -> Void) {
        var modules = self["modules"]!.arrayValue!
        var m = modules[i].objectValue!
        change(&m)
        modules[i] = .object(m)
        self["modules"] = .array(modules)
    }
}
