import BertTensors
import Foundation

/// Why a set of tensors cannot be a BERT model of the given config.
public enum CheckpointError: LocalizedError, Equatable {
    case missingTensors(file: String, names: [String], shapes: [[Int]])
    case shapeMismatches(file: String, found: [(name: String, expected: [Int], found: [Int])])
    case duplicateParameter(file: String, canonical: String, names: [String])
    case notFloatingPoint(file: String, name: String, dtype: DType)
    case labelCountMismatch(file: String, configLabels: Int, classifierRows: Int)
    case vocabularyTooLarge(file: String, vocabulary: Int, embeddingRows: Int)
    case unsupportedSource(path: String, reason: String)

    public static func == (a: CheckpointError, b: CheckpointError) -> Bool { a.errorDescription == b.errorDescription }

    public var errorDescription: String? {
        switch self {
        case .missingTensors(let f, let n, let s):
            let list = zip(n, s).map { "  \($0) \($1)" }.joined(separator: "\n")
            return "\(f): \(n.count) required tensor\(n.count == 1 ? " is" : "s are") missing:\n\(list)"
        case .shapeMismatches(let f, let m):
            let list = m.map { "  \($0.name): expected \($0.expected) from the config, found \($0.found)" }.joined(separator: "\n")
            return "\(f): \(m.count) tensor\(m.count == 1 ? " has" : "s have") the wrong shape:\n\(list)"
        case .duplicateParameter(let f, let c, let n):
            return "\(f): \(n.joined(separator: " and ")) both map to the parameter \(c)"
        case .notFloatingPoint(let f, let n, let d):
            return "\(f): tensor \(n) is \(d.rawValue); BERT parameters must be F32, F16, BF16 or F64"
        case .labelCountMismatch(let f, let c, let r):
            return "\(f): the config has \(c) labels (id2label/num_labels) but classifier.weight has \(r) rows"
        case .vocabularyTooLarge(let f, let v, let r):
            return "\(f): the vocabulary has \(v) tokens but word_embeddings has only \(r) rows"
        case .unsupportedSource(let p, let r):
            return "\(p): \(r)"
        }
    }
}
