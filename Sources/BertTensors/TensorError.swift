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

public enum IOError: LocalizedError, Equatable {
    case cannotOpen(path: String, reason: String)
    case notARegularFile(path: String)
    case cannotWrite(path: String, reason: String)
    case interrupted(path: String)
    case alreadyExists(path: String)

    public var errorDescription: String? {
        switch self {
        case .cannotOpen(let p, let r): "\(p): cannot open: \(r)"
        case .notARegularFile(let p): "\(p): not a regular file"
        case .cannotWrite(let p, let r): "\(p): cannot write: \(r) (nothing was left at \(p))"
        case .interrupted(let p): "\(p): interrupted; the partial file was removed"
        case .alreadyExists(let p): "\(p): already exists; pass --force to replace it"
        }
    }
}
