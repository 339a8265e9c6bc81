import BertTensors
import Foundation

/// Why a safetensors file (or a sharded index) was refused. Each case names the file and the field;
/// `formats/safetensors.md` lists the rules by number.
public enum SafeTensorsError: LocalizedError, Equatable {
    /// S1: fewer than 8 bytes.
    case truncated(file: String, size: Int)
    /// S2: the header length is over the 100,000,000-byte cap.
    case headerTooLarge(file: String, length: UInt64)
    /// S3: the header length runs past the end of the file.
    case headerPastEnd(file: String, length: UInt64, available: Int)
    /// S4: the header bytes are not UTF-8.
    case headerNotUTF8(file: String)
    /// S5: the header is not a JSON object (or is not JSON at all; `reason` says where).
    case headerNotJSON(file: String, reason: String)
    /// S6: duplicate tensor names.
    case duplicateTensor(file: String, name: String)
    /// S7: `__metadata__` is not an object of strings.
    case badMetadata(file: String, key: String, found: String)
    /// S8: a tensor entry lacks a field or has one of the wrong type.
    case badEntry(file: String, tensor: String, field: String, problem: String)
    /// S9: a dtype outside the safetensors list.
    case unknownDType(file: String, tensor: String, dtype: String)
    /// S10: the element count × dtype size overflows.
    case shapeOverflow(file: String, tensor: String, shape: [Int])
    /// S11: the byte span differs from shape × dtype size.
    case spanMismatch(file: String, tensor: String, shape: [Int], dtype: DType, expected: Int, found: Int)
    /// S12: offsets leave a gap or overlap (checked in offset order).
    case notContiguous(file: String, tensor: String, begin: Int, expected: Int)
    /// S13: the data section is shorter or longer than the tensors need.
    case dataSizeMismatch(file: String, needed: Int, available: Int)

    public var errorDescription: String? {
        switch self {
        case .truncated(let f, let n):
            "\(f): truncated: \(n) bytes, but a safetensors file starts with an 8-byte header length"
        case .headerTooLarge(let f, let n):
            "\(f): header length: \(n) bytes is over the 100,000,000-byte limit safetensors allows"
        case .headerPastEnd(let f, let n, let a):
            "\(f): header length: \(n) bytes, but only \(a) bytes follow it (the file is truncated or not safetensors)"
        case .headerNotUTF8(let f):
            "\(f): header: not valid UTF-8"
        case .headerNotJSON(let f, let r):
            "\(f): header: not a JSON object: \(r)"
        case .duplicateTensor(let f, let n):
            "\(f): tensor \"\(n)\": the name appears twice"
        case .badMetadata(let f, let k, let found):
            "\(f): __metadata__.\(k): expected a string, found \(found)"
        case .badEntry(let f, let t, let field, let p):
            "\(f): tensor \"\(t)\": \(field): \(p)"
        case .unknownDType(let f, let t, let d):
            "\(f): tensor \"\(t)\": dtype: unknown \"\(d)\"; expected one of "
                + DType.allCases.map(\.rawValue).joined(separator: ", ")
        case .shapeOverflow(let f, let t, let s):
            "\(f): tensor \"\(t)\": shape \(s): the byte size overflows a 64-bit integer"
        case .spanMismatch(let f, let t, let s, let d, let e, let found):
            "\(f): tensor \"\(t)\": data_offsets: span is \(found) bytes, but shape \(s) of \(d.rawValue) needs \(e)"
        case .notContiguous(let f, let t, let b, let e):
            "\(f): tensor \"\(t)\": data_offsets: begins at \(b), expected \(e) "
                + (b < e ? "(it overlaps the tensor before it)" : "(a gap of \(b - e) bytes precedes it)")
        case .dataSizeMismatch(let f, let n, let a):
            n < a ? "\(f): data: \(a - n) trailing bytes after the last tensor (the tensors need \(n) of the \(a) bytes)"
                : "\(f): data: truncated: the tensors need \(n) bytes but only \(a) are present"
        }
    }
}

/// Why a sharded checkpoint's `model.safetensors.index.json` was refused.
public enum ShardIndexError: LocalizedError, Equatable {
    case badField(file: String, field: String, problem: String)
    /// A shard path that is absolute or climbs out of the model folder.
    case shardOutsideFolder(file: String, tensor: String, shard: String)
    /// A shard path inside the folder that a symbolic link takes out of it.
    case shardLinksOutside(file: String, tensor: String, shard: String, resolved: String)
    case shardMissing(file: String, shard: String)
    /// A tensor stored in two shards.
    case tensorInTwoShards(file: String, tensor: String, shards: [String])
    /// The index names a tensor its shard does not hold.
    case tensorNotInShard(file: String, tensor: String, shard: String)
    /// A shard holds a tensor the index does not list for it.
    case unlistedTensor(file: String, tensor: String, shard: String)

    public var errorDescription: String? {
        switch self {
        case .badField(let f, let field, let p): "\(f): \(field): \(p)"
        case .shardOutsideFolder(let f, let t, let s):
            "\(f): weight_map.\(t): shard path \"\(s)\" points outside the model folder; shard paths must be plain relative file names"
        case .shardLinksOutside(let f, let t, let s, let r):
            "\(f): weight_map.\(t): shard path \"\(s)\" leads through a symbolic link to \(r), outside the model folder; it was not opened"
        case .shardMissing(let f, let s): "\(f): weight_map: shard \"\(s)\" does not exist"
        case .tensorInTwoShards(let f, let t, let s):
            "\(f): tensor \"\(t)\" is stored in two shards: \(s.joined(separator: " and "))"
        case .tensorNotInShard(let f, let t, let s): "\(f): weight_map.\(t): shard \"\(s)\" does not hold this tensor"
        case .unlistedTensor(let f, let t, let s): "\(f): weight_map: shard \"\(s)\" holds tensor \"\(t)\", which the index does not list for it"
        }
    }
}
