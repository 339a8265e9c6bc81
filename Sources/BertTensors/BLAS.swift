import CBertKit

/// OpenBLAS, loaded on first use with the fastest kernels this CPU supports (see bk_blas.h).
public enum BLAS {
    public struct Info: Sendable, Codable {
        public let library: String
        public let core: String
        public let forcedCoreType: String?
        public let threads: Int
        public let config: String
    }

    public struct LoadError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Loads OpenBLAS (once). Throws with an install hint when it is missing.
    public static func load() throws {
        var buf = [CChar](repeating: 0, count: 512)
        if bk_blas_load(&buf, buf.count) != 0 {
            throw LoadError(description: String(cArray: buf))
        }
    }

    public static var info: Info {
        try? load()
        let forced = bk_blas_coretype_forced().map { String(cString: $0) }
        return Info(library: String(cString: bk_blas_library()), core: String(cString: bk_blas_corename()),
                    forcedCoreType: forced, threads: Int(bk_blas_threads()), config: String(cString: bk_blas_config()))
    }

    public static func setThreads(_ n: Int) {
        try? load()
        bk_blas_set_threads(Int32(n))
    }

    public static var threads: Int {
        try? load()
        return Int(bk_blas_threads())
    }

    /// Row-major `C[m×n] = alpha · op(A) · op(B) + beta · C`.
    @inline(__always)
    public static func sgemm(
        transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        precondition((try? load()) != nil, "OpenBLAS is not available")
        bk_sgemm(transA ? 1 : 0, transB ? 1 : 0, Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb),
                 beta, c, Int32(ldc))
    }
}
