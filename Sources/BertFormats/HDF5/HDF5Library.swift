import CHDF5
import Foundation

/// Access to libhdf5. Its serial build is not thread-safe, so every use goes through `locked`;
/// it is set up once with error printing silenced and filter plugins turned off (HDF5 does not
/// claim to read hostile files safely, and a plugin is code named by the file).
enum HDF5Library {
    private static let lock = NSLock()
    private static let ready: Bool = bk_h5_init() == 0

    static func locked<T>(_ body: () throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        guard ready else { throw HDF5Error.library(path: "libhdf5", operation: "initialise", object: "", message: lastError()) }
        return try body()
    }

    /// The most specific message on libhdf5's error stack, which is then cleared.
    static func lastError() -> String {
        var buffer = [CChar](repeating: 0, count: 512)
        bk_h5_last_error(&buffer, buffer.count)
        return string(buffer)
    }

    static func string(_ chars: [CChar]) -> String {
        String(decoding: chars.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// An HDF5 identifier that is closed when dropped (always inside `HDF5Library.locked`).
final class H5Handle {
    let id: hid_t
    private let close: (hid_t) -> herr_t

    /// Nil when libhdf5 returned an error (a negative id).
    init?(_ id: hid_t, close: @escaping (hid_t) -> herr_t) {
        guard id >= 0 else { return nil }
        self.id = id
        self.close = close
    }

    deinit { _ = close(id) }

    static func object(_ id: hid_t) -> H5Handle? { H5Handle(id, close: H5Oclose) }
    static func type(_ id: hid_t) -> H5Handle? { H5Handle(id, close: H5Tclose) }
    static func space(_ id: hid_t) -> H5Handle? { H5Handle(id, close: H5Sclose) }
    static func plist(_ id: hid_t) -> H5Handle? { H5Handle(id, close: H5Pclose) }
    static func attribute(_ id: hid_t) -> H5Handle? { H5Handle(id, close: H5Aclose) }
    static func file(_ id: hid_t) -> H5Handle? { H5Handle(id, close: H5Fclose) }
}
