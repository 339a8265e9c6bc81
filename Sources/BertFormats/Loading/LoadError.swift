import Foundation

/// Why a path could not be opened as a model.
public enum LoadError: LocalizedError, Equatable {
    case notFound(path: String)
    case noWeights(folder: String, lookedFor: [String])
    case needsConfig(weights: String, folderConfig: String?)
    case unknownFormat(path: String)
    case notAFile(path: String, expected: String)

    public var errorDescription: String? {
        switch self {
        case .notFound(let p):
            "\(p): no such file or folder"
        case .noWeights(let f, let names):
            "\(f): no weights file found; looked for \(names.joined(separator: ", "))"
        case .needsConfig(let w, let c):
            "\(w): a bare weights file has no config" + (c.map { "; \($0) is beside it" } ?? "")
        case .unknownFormat(let p):
            "\(p): not a format bertkit reads (expected .safetensors, .safetensors.index.json, .h5, .bin or .bkm)"
        case .notAFile(let p, let e):
            "\(p): expected \(e)"
        }
    }
}
