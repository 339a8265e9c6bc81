import Foundation

/// One line of `bertkit validate`: a named check, its verdict and why.
public struct ValidationCheck: Sendable, Codable, Equatable {
    public enum Status: String, Sendable, Codable { case pass = "PASS", fail = "FAIL", warn = "WARN", skip = "SKIP" }

    /// Structure, Numbers, Behaviour, Fidelity, Quality, Latency.
    public var family: String
    public var name: String
    public var status: Status
    public var reason: String
    /// Measured figures (accuracy, latency, max error...), by name.
    public var figures: [String: Double]

    public init(_ family: String, _ name: String, _ status: Status, _ reason: String, figures: [String: Double] = [:]) {
        self.family = family
        self.name = name
        self.status = status
        self.reason = reason
        self.figures = figures
    }

    static func passIf(_ ok: Bool, _ family: String, _ name: String, pass: String, fail: String,
                       figures: [String: Double] = [:]) -> ValidationCheck {
        ValidationCheck(family, name, ok ? .pass : .fail, ok ? pass : fail, figures: figures)
    }
}

/// Everything `validate` found, in the order the checks ran.
public struct ValidationReport: Sendable, Codable {
    public var model: String
    public var checks: [ValidationCheck]
    /// Extra printed detail (the confusion matrix; per-label or per-target scores).
    public var details: [String]
    public var passed: Bool { !checks.contains { $0.status == .fail } }
    public var failed: [ValidationCheck] { checks.filter { $0.status == .fail } }
}
