import BertFormats
import BertTensors
import CBertKit
import Foundation

/// Times the forward at one batch shape on synthetic ids: warm-up runs, then timed runs.
public struct ForwardBenchmark: Sendable, Codable {
    public let batch: Int
    public let seq: Int
    public let threads: Int
    public let runs: Int
    /// Milliseconds per forward of the whole batch.
    public let medianMs: Double
    public let minMs: Double
    public let meanMs: Double
    /// Process CPU time (user + system, every thread) per forward: twice the wall time means two
    /// threads fully busy; more than the work needs shows spinning or contention.
    public let cpuMsPerBatch: Double
    public let sequencesPerSecond: Double
    public let gflops: Double
    public let blasCore: String
    public let kernels: String
    /// The process's peak resident set so far (getrusage), in MiB.
    public let peakRSSMiB: Double
    public let bufferMiB: Double
    public let parameterMiB: Double
    /// The packed copy of the encoder's weights the small-M GEMM uses (0 when it did not run).
    public let packedWeightMiB: Double

    /// Synthetic ids: a fixed pseudo-random sequence over the vocabulary, every token real.
    public static func syntheticInput(config c: BertConfig, batch: Int, seq: Int) throws -> BertInput {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        let ids = (0..<batch * seq).map { _ -> Int in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(c.vocabSize))
        }
        return try BertInput(batch: batch, seq: seq, inputIds: ids, config: c)
    }

    public static func run(model: BertModel, batch: Int, seq: Int, warmup: Int = 3, runs: Int = 10,
                           packedWeights: Bool = true) throws -> ForwardBenchmark {
        let input = try syntheticInput(config: model.config, batch: batch, seq: seq)
        let buffers = model.makeBuffers(batch: batch, seq: seq, keepEveryLayer: false)
        for _ in 0..<warmup { try model.forward(input, into: buffers, packedWeights: packedWeights) }
        var times: [Double] = []
        let cpu0 = cpuSeconds()
        for _ in 0..<max(1, runs) {
            let t0 = DispatchTime.now().uptimeNanoseconds
            try model.forward(input, into: buffers, packedWeights: packedWeights)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
        }
        let cpu = (cpuSeconds() - cpu0) * 1000 / Double(times.count)
        let sorted = times.sorted()
        let median = sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
        return ForwardBenchmark(
            batch: batch, seq: seq, threads: ComputeThreads.count, runs: times.count, medianMs: median, minMs: sorted[0],
            meanMs: times.reduce(0, +) / Double(times.count), cpuMsPerBatch: cpu, sequencesPerSecond: Double(batch) / (median / 1000),
            gflops: model.flops(batch: batch, seq: seq) / (median / 1000) / 1e9, blasCore: BLAS.info.core,
            kernels: String(cString: bk_kernels_isa()), peakRSSMiB: peakRSSMiB(), bufferMiB: Double(buffers.byteCount) / 1_048_576,
            parameterMiB: Double(model.parameters.count * 4) / 1_048_576,
            packedWeightMiB: Double(model.packedWeightBytes) / 1_048_576)
    }

    static func usage() -> rusage {
        var u = rusage()
        #if canImport(Glibc)
        getrusage(RUSAGE_SELF.rawValue, &u)
        #else
        getrusage(RUSAGE_SELF, &u)
        #endif
        return u
    }

    static func cpuSeconds() -> Double {
        let u = usage()
        return Double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + Double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6
    }

    public static func peakRSSMiB() -> Double {
        var u = rusage()
        #if canImport(Glibc)
        getrusage(RUSAGE_SELF.rawValue, &u)
        #else
        getrusage(RUSAGE_SELF, &u)
        #endif
        #if canImport(Darwin)
        return Double(u.ru_maxrss) / 1_048_576
        #else
        return Double(u.ru_maxrss) / 1024
        #endif
    }
}
