import Foundation

/// Wall time per phase of the forward, summed over calls, when `enabled` (bench --profile).
public enum ForwardProfile {
    public enum Phase: Int, CaseIterable, Sendable {
        case embeddings, qkvGEMM, attention, attentionOutputGEMM, attentionNorm, intermediateGEMM, activation, outputGEMM,
             outputNorm, heads

        public var name: String {
            switch self {
            case .embeddings: "embeddings + LayerNorm"
            case .qkvGEMM: "QKV GEMM"
            case .attention: "attention (scores, softmax, context)"
            case .attentionOutputGEMM: "attention output GEMM"
            case .attentionNorm: "attention LayerNorm + bias rows"
            case .intermediateGEMM: "intermediate GEMM"
            case .activation: "activation"
            case .outputGEMM: "output GEMM"
            case .outputNorm: "output LayerNorm + bias rows"
            case .heads: "pooler, head, sentence pooling"
            }
        }
    }

    nonisolated(unsafe) public static var enabled = false
    nonisolated(unsafe) private static var totals = [Double](repeating: 0, count: Phase.allCases.count)

    /// Seconds per phase since the last reset.
    public static var seconds: [(Phase, Double)] { Phase.allCases.map { ($0, totals[$0.rawValue]) } }
    public static func reset() { totals = [Double](repeating: 0, count: Phase.allCases.count) }

    /// Marks the end of phases as the forward goes.
    struct Clock {
        private var last: UInt64
        init() { last = enabled ? DispatchTime.now().uptimeNanoseconds : 0 }
        mutating func lap(_ p: Phase) {
            guard enabled else { return }
            let now = DispatchTime.now().uptimeNanoseconds
            totals[p.rawValue] += Double(now - last) / 1e9
            last = now
        }
    }
}
