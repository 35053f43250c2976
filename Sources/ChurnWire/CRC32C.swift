import CCRC32C

/// CRC-32C (Castagnoli), the checksum of every frame's payload.
public enum CRC32C {
    /// The CRC-32C of `bytes`, continuing from `crc` (the CRC of what came before; 0 to start).
    @inlinable
    public static func checksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return crc }
        return churn_crc32c(crc, base, bytes.count)
    }

    /// The CRC-32C of a byte collection (contiguous storage is used when it has it).
    public static func checksum<C: Collection>(_ bytes: C, continuing crc: UInt32 = 0) -> UInt32 where C.Element == UInt8 {
        if let result = bytes.withContiguousStorageIfAvailable({ checksum(UnsafeRawBufferPointer($0), continuing: crc) }) {
            return result
        }
        return Array(bytes).withUnsafeBytes { checksum($0, continuing: crc) }
    }

    /// Whether the CPU's CRC instructions are in use (SSE4.2 on x86-64, the CRC extension on ARMv8).
    public static var usesHardware: Bool { churn_crc32c_hardware_available() != 0 }
}
