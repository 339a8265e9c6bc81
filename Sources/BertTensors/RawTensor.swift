import CBertKit

/// A tensor as a file stores it: dtype, shape and a view of bytes (little-endian, row-major).
/// It may point into a memory-mapped file; reading it never copies until you ask for floats.
public struct RawTensor: @unchecked Sendable {
    public let dtype: DType
    public let shape: [Int]
    public let storage: ByteStorage
    public let offset: Int
    public let byteCount: Int

    /// Checks that the view lies inside its storage and that its size is shape × dtype.
    public init(dtype: DType, shape: [Int], storage: ByteStorage, offset: Int, byteCount: Int) throws {
        guard let n = checkedElementCount(shape), case let (b, o) = n.multipliedReportingOverflow(by: dtype.byteSize), !o
        else { throw TensorError.shapeOverflow(shape: shape) }
        guard b == byteCount else { throw TensorError.sizeMismatch(shape: shape, dtype: dtype, expected: b, found: byteCount) }
        guard storage.slice(offset: offset, length: byteCount) != nil else {
            throw TensorError.outOfBounds(offset: offset, length: byteCount, available: storage.count)
        }
        self.dtype = dtype
        self.shape = shape
        self.storage = storage
        self.offset = offset
        self.byteCount = byteCount
    }

    /// A tensor that owns a copy of `values`, stored as `dtype` (rounded to nearest even).
    public init(floats values: [Float], shape: [Int], dtype: DType = .f32) {
        precondition(checkedElementCount(shape) == values.count, "shape \(shape) does not hold \(values.count) values")
        precondition(DType.storable.contains(dtype), "cannot store floats as \(dtype)")
        let bytes = values.count * dtype.byteSize
        let (s, p) = ByteStorage.allocate(count: bytes, origin: "memory")
        values.withUnsafeBufferPointer { src in
            guard let base = src.baseAddress else { return }
            switch dtype {
            case .f32: p.copyMemory(from: base, byteCount: bytes)
            case .f16: bk_f32_to_f16(base, p.assumingMemoryBound(to: UInt16.self), values.count)
            default: bk_f32_to_bf16(base, p.assumingMemoryBound(to: UInt16.self), values.count)
            }
        }
        self = try! RawTensor(dtype: dtype, shape: shape, storage: s, offset: 0, byteCount: bytes)
    }

    /// A tensor owning a copy of raw little-endian bytes.
    public init(dtype: DType, shape: [Int], copying bytes: UnsafeRawBufferPointer) throws {
        let s = ByteStorage(copying: bytes, origin: "memory")
        try self.init(dtype: dtype, shape: shape, storage: s, offset: 0, byteCount: bytes.count)
    }

    public var elementCount: Int { byteCount / dtype.byteSize }
    public var bytes: UnsafeRawBufferPointer { storage.slice(offset: offset, length: byteCount)! }

    /// The values as f32 (f16/bf16 widened exactly, f64 and integers rounded).
    public func floats() -> [Float] {
        let n = elementCount
        return [Float](unsafeUninitializedCapacity: n) { out, count in
            if n > 0 { copyFloats(into: out.baseAddress!) }
            count = n
        }
    }

    /// Writes the values as f32 into `out`, which must hold `elementCount` floats.
    public func copyFloats(into out: UnsafeMutablePointer<Float>) {
        let n = elementCount, src = bytes
        guard n > 0 else { return }
        switch dtype {
        case .f32: out.update(from: src.baseAddress!.assumingMemoryBound(to: Float.self), count: n)
        case .f16: bk_f16_to_f32(src.baseAddress!.assumingMemoryBound(to: UInt16.self), out, n)
        case .bf16: bk_bf16_to_f32(src.baseAddress!.assumingMemoryBound(to: UInt16.self), out, n)
        default: for i in 0..<n { out[i] = Float(element(i)) }
        }
    }

    /// One element as a Double (unaligned-safe), for integers and statistics.
    public func element(_ i: Int) -> Double {
        let p = bytes.baseAddress! + i * dtype.byteSize
        switch dtype {
        case .bool, .u8: return Double(p.load(as: UInt8.self))
        case .i8: return Double(p.loadUnaligned(as: Int8.self))
        case .i16: return Double(p.loadUnaligned(as: Int16.self))
        case .u16: return Double(p.loadUnaligned(as: UInt16.self))
        case .i32: return Double(p.loadUnaligned(as: Int32.self))
        case .u32: return Double(p.loadUnaligned(as: UInt32.self))
        case .i64: return Double(p.loadUnaligned(as: Int64.self))
        case .u64: return Double(p.loadUnaligned(as: UInt64.self))
        case .f64: return p.loadUnaligned(as: Double.self)
        case .f32: return Double(p.loadUnaligned(as: Float.self))
        case .f16, .bf16:
            var f: Float = 0
            var h = p.loadUnaligned(as: UInt16.self)
            if dtype == .f16 { bk_f16_to_f32(&h, &f, 1) } else { bk_bf16_to_f32(&h, &f, 1) }
            return Double(f)
        case .f8e5m2, .f8e4m3: return .nan
        }
    }

    /// Integer elements exactly (for ids, masks and buffers). Nil for float dtypes.
    public func integers() -> [Int64]? {
        guard dtype.isInteger || dtype == .bool else { return nil }
        let p = bytes.baseAddress!
        return (0..<elementCount).map { i in
            let q = p + i * dtype.byteSize
            switch dtype {
            case .i64: return q.loadUnaligned(as: Int64.self)
            case .u64: return Int64(truncatingIfNeeded: q.loadUnaligned(as: UInt64.self))
            case .i32: return Int64(q.loadUnaligned(as: Int32.self))
            case .u32: return Int64(q.loadUnaligned(as: UInt32.self))
            case .i16: return Int64(q.loadUnaligned(as: Int16.self))
            case .u16: return Int64(q.loadUnaligned(as: UInt16.self))
            case .i8: return Int64(q.load(as: Int8.self))
            default: return Int64(q.load(as: UInt8.self))
            }
        }
    }

    /// The same values stored as `target` (f32/f16/bf16); integers are kept as they are.
    public func converted(to target: DType) -> RawTensor {
        guard target != dtype, dtype.isFloatingPoint, DType.storable.contains(target) else { return self }
        return RawTensor(floats: floats(), shape: shape, dtype: target)
    }

    /// True when both hold the same dtype, shape and bytes.
    public func bitIdentical(to other: RawTensor) -> Bool {
        dtype == other.dtype && shape == other.shape && byteCount == other.byteCount
            && (byteCount == 0 || memcmp(bytes.baseAddress!, other.bytes.baseAddress!, byteCount) == 0)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
