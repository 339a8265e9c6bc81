/// Element types, named as safetensors names them. The raw value is the safetensors spelling.
public enum DType: String, Sendable, CaseIterable, Codable {
    case bool = "BOOL", u8 = "U8", i8 = "I8", f8e5m2 = "F8_E5M2", f8e4m3 = "F8_E4M3"
    case i16 = "I16", u16 = "U16", f16 = "F16", bf16 = "BF16"
    case i32 = "I32", u32 = "U32", f32 = "F32"
    case f64 = "F64", i64 = "I64", u64 = "U64"

    public var byteSize: Int {
        switch self {
        case .bool, .u8, .i8, .f8e5m2, .f8e4m3: 1
        case .i16, .u16, .f16, .bf16: 2
        case .i32, .u32, .f32: 4
        case .f64, .i64, .u64: 8
        }
    }

    /// Types bertkit can turn into f32 for computing and statistics.
    public var isFloatingPoint: Bool { [.f16, .bf16, .f32, .f64].contains(self) }
    public var isInteger: Bool { [.u8, .i8, .i16, .u16, .i32, .u32, .i64, .u64].contains(self) }

    /// The storage types a user can ask `convert --dtype` for.
    public static let storable: [DType] = [.f32, .f16, .bf16]

    /// Accepts `f32`, `float32`, `F32`, `fp16`, `bfloat16`, ...
    public init?(userSpelling s: String) {
        switch s.lowercased() {
        case "f32", "float32", "fp32", "float": self = .f32
        case "f16", "float16", "fp16", "half": self = .f16
        case "bf16", "bfloat16": self = .bf16
        default:
            guard let d = DType(rawValue: s.uppercased()) else { return nil }
            self = d
        }
    }
}

/// Element count of a shape, or nil when it overflows `Int` or has a negative dimension.
public func checkedElementCount(_ shape: [Int]) -> Int? {
    var n = 1
    for d in shape {
        guard d >= 0 else { return nil }
        let (p, o) = n.multipliedReportingOverflow(by: d)
        if o { return nil }
        n = p
    }
    return n
}
