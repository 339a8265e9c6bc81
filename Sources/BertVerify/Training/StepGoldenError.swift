import Foundation

/// Why a step golden (formats/golden.md, "Step goldens") cannot be replayed on a model. Each case
/// names the file and the tensor or metadata key at fault.
public enum StepGoldenError: LocalizedError, Equatable {
    case notStepGolden(file: String, found: String)
    case missingTensor(file: String, name: String, reason: String)
    case shape(file: String, name: String, expected: [Int], found: [Int])
    case dtype(file: String, name: String, expected: String, found: String)
    case unknownTensor(file: String, name: String)
    case architecture(file: String, golden: String, model: String)
    case weights(file: String, golden: String, model: String)
    case badMetadata(file: String, key: String, problem: String)
    case badTargets(file: String, name: String, problem: String)

    public var errorDescription: String? {
        switch self {
        case let .notStepGolden(f, found):
            "\(f): not a step golden: __metadata__ format is \(found), expected bertkit-train-golden (formats/golden.md)"
        case let .missingTensor(f, n, r):
            "\(f): the step golden has no \(n) tensor: \(r)"
        case let .shape(f, n, e, found):
            "\(f): \(n) has shape \(found), but the model gives \(e)"
        case let .dtype(f, n, e, found):
            "\(f): \(n) is \(found), expected \(e)"
        case let .unknownTensor(f, n):
            "\(f): tensor \(n) is not part of a step golden for this model (formats/golden.md lists the names)"
        case let .architecture(f, g, m):
            "\(f): the step was recorded on a \(g), but the model is a \(m)"
        case let .weights(f, g, m):
            "\(f): the step was recorded from other weights: __metadata__ weights_sha256 is \(g), the model's is \(m)"
        case let .badMetadata(f, k, p):
            "\(f): __metadata__ \(k): \(p)"
        case let .badTargets(f, n, p):
            "\(f): \(n): \(p)"
        }
    }
}
