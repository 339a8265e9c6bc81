import BertTensors
import CHDF5

/// bertkit dtypes ↔ HDF5 datatypes. Floats are recognised by their bit layout, not their name,
/// because HDF5 1.10 has no predefined half or bfloat16 types: h5py writes numpy float16 as a
/// 2-byte IEEE layout and ml_dtypes' bfloat16 as a 2-byte opaque type with an empty tag.
enum HDF5Types {
    /// A float layout: sign bit, exponent position and size, mantissa position and size, bias.
    private struct FloatLayout: Equatable {
        var size: Int, sign: Int, exponentAt: Int, exponentBits: Int, mantissaAt: Int, mantissaBits: Int, bias: Int
    }

    private static let floats: [(DType, FloatLayout)] = [
        (.f16, FloatLayout(size: 2, sign: 15, exponentAt: 10, exponentBits: 5, mantissaAt: 0, mantissaBits: 10, bias: 15)),
        (.bf16, FloatLayout(size: 2, sign: 15, exponentAt: 7, exponentBits: 8, mantissaAt: 0, mantissaBits: 7, bias: 127)),
        (.f32, FloatLayout(size: 4, sign: 31, exponentAt: 23, exponentBits: 8, mantissaAt: 0, mantissaBits: 23, bias: 127)),
        (.f64, FloatLayout(size: 8, sign: 63, exponentAt: 52, exponentBits: 11, mantissaAt: 0, mantissaBits: 52, bias: 1023)),
    ]

    /// What a dataset's file type holds, or a description of the type for the error.
    static func dtype(of t: hid_t) -> Result<DType, Unsupported> {
        let size = H5Tget_size(t), cls = H5Tget_class(t)
        let fullWidth = H5Tget_precision(t) == size * 8 && H5Tget_offset(t) == 0
        let order = H5Tget_order(t)
        let ordered = order == H5T_ORDER_LE || order == H5T_ORDER_BE
        switch cls {
        case H5T_INTEGER:
            guard fullWidth, ordered else { return .failure(Unsupported("a \(size * 8)-bit integer with padding")) }
            let signed = H5Tget_sign(t) == H5T_SGN_2
            switch (size, signed) {
            case (1, true): return .success(.i8)
            case (1, false): return .success(.u8)
            case (2, true): return .success(.i16)
            case (2, false): return .success(.u16)
            case (4, true): return .success(.i32)
            case (4, false): return .success(.u32)
            case (8, true): return .success(.i64)
            case (8, false): return .success(.u64)
            default: return .failure(Unsupported("a \(size)-byte integer"))
            }
        case H5T_FLOAT:
            var sign = 0, ep = 0, es = 0, mp = 0, ms = 0
            guard H5Tget_fields(t, &sign, &ep, &es, &mp, &ms) >= 0 else { return .failure(Unsupported("an unreadable float")) }
            let layout = FloatLayout(size: size, sign: sign, exponentAt: ep, exponentBits: es, mantissaAt: mp, mantissaBits: ms,
                                     bias: H5Tget_ebias(t))
            guard fullWidth, ordered, H5Tget_norm(t) == H5T_NORM_IMPLIED, let d = floats.first(where: { $0.1 == layout })?.0 else {
                return .failure(Unsupported("a \(size)-byte float with sign bit \(sign), exponent \(es) bits at \(ep), mantissa \(ms) bits at \(mp), bias \(layout.bias)"))
            }
            return .success(d)
        case H5T_OPAQUE:
            let tag = opaqueTag(t)
            guard size == 2, tag.isEmpty || tag.lowercased().contains("bfloat16") else {
                return .failure(Unsupported("a \(size)-byte opaque type tagged \"\(tag)\""))
            }
            return .success(.bf16)
        case H5T_ENUM:
            guard isBoolEnum(t) else { return .failure(Unsupported("an enum other than h5py's bool (FALSE=0, TRUE=1)")) }
            return .success(.bool)
        case H5T_STRING: return .failure(Unsupported("a string"))
        case H5T_COMPOUND: return .failure(Unsupported("a compound type"))
        case H5T_VLEN: return .failure(Unsupported("a variable-length sequence"))
        case H5T_ARRAY: return .failure(Unsupported("an array type"))
        case H5T_REFERENCE: return .failure(Unsupported("a reference"))
        default: return .failure(Unsupported("an HDF5 class \(cls.rawValue) type"))
        }
    }

    struct Unsupported: Error {
        let description: String
        init(_ d: String) { description = d }
    }

    /// The type to read a dataset of file type `t` into memory as little-endian bytes; the caller closes it.
    static func memoryType(for t: hid_t) -> hid_t {
        let m = H5Tcopy(t)
        let cls = H5Tget_class(t)
        if m >= 0, cls == H5T_INTEGER || cls == H5T_FLOAT { H5Tset_order(m, H5T_ORDER_LE) }
        return m
    }

    /// A new little-endian HDF5 type for `d` (the caller closes it); h5py reads each back as the
    /// same numpy dtype, except BF16, which numpy lacks: h5py widens it to float32 exactly.
    static func fileType(for d: DType) -> hid_t? {
        switch d {
        case .f32: return H5Tcopy(bk_h5t_ieee_f32le())
        case .f64: return H5Tcopy(bk_h5t_ieee_f64le())
        case .f16, .bf16:
            let l = floats.first { $0.0 == d }!.1
            let t = H5Tcopy(bk_h5t_ieee_f32le())
            guard t >= 0, H5Tset_fields(t, l.sign, l.exponentAt, l.exponentBits, l.mantissaAt, l.mantissaBits) >= 0,
                  H5Tset_offset(t, 0) >= 0, H5Tset_precision(t, 16) >= 0, H5Tset_size(t, 2) >= 0, H5Tset_ebias(t, l.bias) >= 0
            else { return nil }
            return t
        case .bool:
            let t = H5Tenum_create(bk_h5t_native_int8())
            var f: Int8 = 0, tr: Int8 = 1
            guard t >= 0, H5Tenum_insert(t, "FALSE", &f) >= 0, H5Tenum_insert(t, "TRUE", &tr) >= 0 else { return nil }
            return t
        case .i8, .u8, .i16, .u16, .i32, .u32, .i64, .u64:
            return H5Tcopy(bk_h5t_std_int_le(Int32(d.byteSize), [.i8, .i16, .i32, .i64].contains(d) ? 1 : 0))
        case .f8e5m2, .f8e4m3:
            return nil
        }
    }

    private static func opaqueTag(_ t: hid_t) -> String {
        guard let p = H5Tget_tag(t) else { return "" }
        defer { H5free_memory(p) }
        return String(decoding: UnsafeRawBufferPointer(start: p, count: strnlen(p, 256)), as: UTF8.self)
    }

    /// h5py stores numpy bool as an enum over int8 with members FALSE = 0 and TRUE = 1.
    private static func isBoolEnum(_ t: hid_t) -> Bool {
        guard H5Tget_size(t) == 1, H5Tget_nmembers(t) == 2 else { return false }
        for (i, expected) in ["FALSE", "TRUE"].enumerated() {
            guard let name = H5Tget_member_name(t, UInt32(i)) else { return false }
            let s = String(decoding: UnsafeRawBufferPointer(start: name, count: strnlen(name, 16)), as: UTF8.self)
            H5free_memory(name)
            var v: Int8 = -1
            guard s == expected, H5Tget_member_value(t, UInt32(i), &v) >= 0, v == Int8(i) else { return false }
        }
        return true
    }
}
