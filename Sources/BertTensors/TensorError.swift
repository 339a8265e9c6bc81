import Foundation

public enum TensorError: LocalizedError, Equatable {
    case shapeOverflow(shape: [Int])
    case sizeMismatch(shape: [Int], dtype: DType, expected: Int, found: Int)
    case outOfBounds(offset: Int, length: Int, available: Int)

    public var errorDescription: String? {
        switch self {
        case .shapeOverflow(let s): "shape \(s) has an element count that overflows or a negative dimension"
        case .sizeMismatch(let s, let d, let e, let f): "shape \(s) of \(d.rawValue) needs \(e) bytes, found \(f)"
        case .outOfBounds(let o, let l, let a): "bytes \(o)..<\(o + l) lie outside the \(a) bytes available"
        }
    }
}

public enum IOError: LocalizedError, Equatable, Codable {
    case cannotOpen(path: String, reason: String)
    case notARegularFile(path: String)
    case cannotWrite(path: String, reason: String)
    case interrupted(path: String)
    case alreadyExists(path: String)
    /// Replacing the folder would delete these entries, which the new output does not have.
    case wouldDelete(path: String, files: [String])

    public var errorDescription: String? {
        switch self {
        case .cannotOpen(let p, let r): "\(p): cannot open: \(r)"
        case .notARegularFile(let p): "\(p): not a regular file"
        case .cannotWrite(let p, let r): "\(p): cannot write: \(r) (nothing was left at \(p))"
        case .interrupted(let p): "\(p): interrupted; the partial file was removed"
        case .alreadyExists(let p): "\(p): already exists; pass --force to replace it"
        case .wouldDelete(let p, let f):
            "\(p): not replaced: the folder holds \(f.count == 1 ? "an entry" : "\(f.count) entries") bertkit does not write "
                + "there (\(f.prefix(10).joined(separator: ", "))\(f.count > 10 ? ", …" : "")), which replacing it would delete; "
                + "move \(f.count == 1 ? "it" : "them") out, or write to another folder"
        }
    }
}
