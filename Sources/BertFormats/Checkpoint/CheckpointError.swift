import BertTensors
import Foundation

/// Why a set of tensors cannot be a model of the given config (any encoder family).
public enum CheckpointError: LocalizedError, Equatable {
    case missingTensors(file: String, names: [String], shapes: [[Int]])
    case shapeMismatches(file: String, found: [(name: String, expected: [Int], found: [Int])])
    case duplicateParameter(file: String, canonical: String, names: [String])
    case notFloatingPoint(file: String, name: String, dtype: DType)
    case labelCountMismatch(file: String, configLabels: Int, classifierRows: Int)
    case unsupportedSource(path: String, reason: String)
    /// Tensors a conversion would leave out: not BERT parameters, or layers past the config's.
    case unexpectedTensors(file: String, names: [String], layers: Int)
    case nonFiniteWeights(file: String, tensors: [(name: String, nan: Int, inf: Int)], roundedTo: DType?)
    /// The vocabulary and the embedding matrix disagree on how many tokens there are.
    case vocabularySize(vocabularyFile: String, tokens: Int, embeddingRows: Int, configFile: String)

    public static func == (a: CheckpointError, b: CheckpointError) -> Bool { a.errorDescription == b.errorDescription }

    public var errorDescription: String? {
        switch self {
        case .missingTensors(let f, let n, let s):
            let list = zip(n, s).map { "  \($0) \($1)" }.joined(separator: "\n")
            return "\(f): \(n.count) required tensor\(n.count == 1 ? " is" : "s are") missing:\n\(list)"
        case .shapeMismatches(let f, let m):
            let list = m.map { e -> String in
                let keys = WeightNames.configKeys(huggingFace: e.name)
                return "  \(e.name): expected \(e.expected) from the config" + (keys.map { " (\($0.joined(separator: " × ")))" } ?? "")
                    + ", found \(e.found)"
            }.joined(separator: "\n")
            return "\(f): \(m.count) tensor\(m.count == 1 ? " has" : "s have") the wrong shape:\n\(list)"
        case .duplicateParameter(let f, let c, let n):
            return "\(f): \(n.joined(separator: " and ")) both map to the parameter \(c)"
        case .notFloatingPoint(let f, let n, let d):
            return "\(f): tensor \(n) is \(d.rawValue); parameters must be F32, F16, BF16 or F64"
        case .labelCountMismatch(let f, let c, let r):
            return "\(f): the config has \(c) labels (id2label/num_labels) but classifier.weight has \(r) rows"
        case .unsupportedSource(let p, let r):
            return "\(p): \(r)"
        case .unexpectedTensors(let f, let n, let layers):
            // Layers past num_hidden_layers are the usual cause: say so once, with how many.
            let past = n.filter { WeightNames.layerIndex(huggingFace: $0).map { $0 >= layers } ?? false }
            let note = past.isEmpty ? "" : "; \(past.count) of them belong to layers past num_hidden_layers \(layers)"
            return "\(f): \(n.count) tensor\(n.count == 1 ? " is" : "s are") not part of the model the config describes and would be "
                + "left out\(note):\n" + n.map { "  \($0)" }.joined(separator: "\n")
        case .nonFiniteWeights(let f, let t, let d):
            let list = t.map { "  \($0.name): \($0.nan) NaN, \($0.inf) ±Inf" }.joined(separator: "\n")
            let after = d.map { " once rounded to \($0.rawValue)" } ?? ""
            return "\(f): \(t.count) tensor\(t.count == 1 ? " holds" : "s hold") NaN or infinite weights\(after):\n\(list)"
        case .vocabularySize(let v, let tokens, let rows, let c):
            let relation = tokens > rows ? "more" : "fewer"
            return "\(v): the vocabulary has \(tokens) tokens, \(relation) than the \(rows) rows of the word embeddings "
                + "(vocab_size in \(c)); " + (tokens > rows ? "ids from \(rows) up have no embedding" : "the tokenizer does not belong to this model")
        }
    }
}
