import Foundation

/// A `config.json` (or a config stored in a `.bkm`) that bertkit will not use, naming the key.
public struct ConfigError: LocalizedError, Equatable {
    public let file: String
    public let key: String
    public let problem: String

    public init(file: String, key: String, _ problem: String) {
        self.file = file
        self.key = key
        self.problem = problem
    }

    public var errorDescription: String? { "\(file): \"\(key)\": \(problem)" }
}
