import BertTensors
import Foundation

/// Why a .bkm file was refused. The rule numbers are those of `formats/bkm.md`.
public enum BKMError: LocalizedError, Equatable {
    case truncated(file: String, size: Int)                                            // B1
    case badMagic(file: String, found: [UInt8])                                        // B2
    case unsupportedVersion(file: String, version: UInt32)                             // B3
    case headerTooLarge(file: String, length: UInt64)                                  // B4
    case headerPastEnd(file: String, length: UInt64, available: Int)                   // B5
    case headerChecksum(file: String, stored: UInt32, computed: UInt32)                // B6
    case reservedNotZero(file: String, value: UInt32)                                  // B7
    case headerNotJSON(file: String, reason: String)                                   // B8
    case badField(file: String, field: String, problem: String)                        // B9, B13, B24, B25
    case labelsDisagree(file: String, labels: [String], config: [String])              // B11
    case badTensor(file: String, tensor: String, field: String, problem: String)       // B14
    case duplicateTensor(file: String, name: String)                                   // B15
    case unsupportedDType(file: String, tensor: String, dtype: String)                 // B16
    case shapeOverflow(file: String, tensor: String, shape: [Int])                     // B17
    case sizeMismatch(file: String, tensor: String, expected: Int, found: Int)         // B17
    case misplaced(file: String, tensor: String, offset: Int, expected: Int)           // B18
    case dataSizeMismatch(file: String, field: String, expected: Int, found: Int)      // B19
    case tensorChecksum(file: String, tensor: String, stored: UInt32, computed: UInt32) // B20
    case unexpectedTensors(file: String, names: [String])                              // B21
    case notAStorableDType(file: String, tensor: String, dtype: DType)                 // writer

    public var errorDescription: String? {
        func hex(_ v: UInt32) -> String { "0x" + String(format: "%08X", v) }
        switch self {
        case .truncated(let f, let n):
            return "\(f): truncated: \(n) bytes, but a .bkm file starts with a 24-byte preamble"
        case .badMagic(let f, let m):
            return "\(f): magic: expected \"BKM\\0\" (42 4B 4D 00), found \(m.map { String(format: "%02X", $0) }.joined(separator: " ")) — not a .bkm file"
        case .unsupportedVersion(let f, let v):
            return "\(f): version: \(v) is not supported; this bertkit reads versions 1 to 3"
                + "\n---> HINT: the file was written by a newer bertkit; upgrade bertkit to read it"
        case .headerTooLarge(let f, let n):
            return "\(f): header_length: \(n) bytes is over the 268,435,456-byte limit"
        case .headerPastEnd(let f, let n, let a):
            return "\(f): header_length: \(n) bytes, but only \(a) bytes follow the preamble (the file is truncated)"
        case .headerChecksum(let f, let s, let c):
            return "\(f): header_crc32c: stored \(hex(s)), computed \(hex(c)) — the header is corrupt"
        case .reservedNotZero(let f, let v):
            return "\(f): reserved: expected 0, found \(v)"
        case .headerNotJSON(let f, let r):
            return "\(f): header: not a JSON object: \(r)"
        case .badField(let f, let field, let p):
            return "\(f): header.\(field): \(p)"
        case .labelsDisagree(let f, let l, let c):
            return "\(f): header.labels: \(l) disagrees with config.id2label \(c)"
        case .badTensor(let f, let t, let field, let p):
            return "\(f): tensor \"\(t)\": \(field): \(p)"
        case .duplicateTensor(let f, let n):
            return "\(f): tensor \"\(n)\": the name appears twice in the tensor table"
        case .unsupportedDType(let f, let t, let d):
            return "\(f): tensor \"\(t)\": dtype: \"\(d)\" is not stored in .bkm files; expected F32, F16 or BF16"
        case .shapeOverflow(let f, let t, let s):
            return "\(f): tensor \"\(t)\": shape \(s): the byte size overflows a 64-bit integer"
        case .sizeMismatch(let f, let t, let e, let found):
            return "\(f): tensor \"\(t)\": bytes: the shape and dtype need \(e), found \(found)"
        case .misplaced(let f, let t, let o, let e):
            return "\(f): tensor \"\(t)\": offset: expected \(e) (64-aligned, right after the previous tensor), found \(o)"
        case .dataSizeMismatch(let f, let field, let e, let found):
            return "\(f): \(field): expected \(e) bytes, found \(found)" + (found < e ? " (the file is truncated)" : " (trailing bytes)")
        case .tensorChecksum(let f, let t, let s, let c):
            return "\(f): tensor \"\(t)\": crc32c: stored \(hex(s)), computed \(hex(c)) — the tensor's bytes are corrupt"
        case .unexpectedTensors(let f, let n):
            return "\(f): \(n.count) tensor\(n.count == 1 ? " is" : "s are") not parameters of this model: \(n.joined(separator: ", "))"
        case .notAStorableDType(let f, let t, let d):
            return "\(f): tensor \"\(t)\": dtype \(d.rawValue) cannot be stored in a .bkm file (F32, F16 or BF16 only)"
        }
    }
}
