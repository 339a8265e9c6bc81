import Foundation

/// Why a golden activation file cannot be used with a model. Each case names the file and the
/// tensor (tap) at fault.
public enum GoldenError: LocalizedError, Equatable {
    case missingInput(file: String, name: String)
    case badInput(file: String, name: String, problem: String)
    case unknownTensor(file: String, name: String)
    case aliasShape(file: String, tap: String, names: [String], shapes: [[Int]])
    case notFloat(file: String, name: String, dtype: String)
    case tapNotInModel(file: String, name: String, reason: String)
    case tapShape(file: String, name: String, expected: [Int], found: [Int])
    case badMetadata(file: String, key: String, problem: String)

    public var errorDescription: String? {
        switch self {
        case .missingInput(let f, let n):
            return "\(f): the golden has no \(n) tensor; formats/golden.md requires input_ids, attention_mask and token_type_ids"
        case .badInput(let f, let n, let p):
            return "\(f): input \(n): \(p)"
        case .unknownTensor(let f, let n):
            return "\(f): tensor \(n) is not a tap bertkit knows (formats/golden.md lists the module paths and aliases)"
        case .aliasShape(let f, let t, let n, let s):
            return "\(f): \(n[0]) and \(n[1]) both name the tap \(t), but have shapes \(s[0]) and \(s[1])"
        case .notFloat(let f, let n, let d):
            return "\(f): tap \(n) is \(d); activations must be F32, F16, BF16 or F64"
        case .tapNotInModel(let f, let n, let r):
            return "\(f): tap \(n) does not fit the model: \(r)"
        case .tapShape(let f, let n, let e, let found):
            return "\(f): tap \(n) has shape \(found), but the model gives \(e) for these inputs"
        case .badMetadata(let f, let k, let p):
            return "\(f): __metadata__ \(k): \(p)"
        }
    }
}
