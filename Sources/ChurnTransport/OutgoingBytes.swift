/// Bytes for `TCPConnection.write(_:)`: an array, or memory that an owner object keeps alive.
///
/// The connection holds the array or the owner until the kernel has the bytes, so nothing is copied
/// on the way out. The bytes must not change meanwhile.
public struct OutgoingBytes {
    private let array: [UInt8]?
    private let owner: AnyObject?
    private let memory: UnsafeRawBufferPointer

    /// An array's bytes. Its storage stays put while it is held and never mutated (native arrays,
    /// which is all a `[UInt8]` can be on Linux), so its address can be handed to the kernel.
    public init(_ array: [UInt8]) {
        self.array = array
        owner = nil
        memory = array.withUnsafeBytes { $0 }
    }

    /// `bytes`, which live as long as `owner` does.
    public init(_ bytes: UnsafeRawBufferPointer, owner: AnyObject) {
        array = nil
        self.owner = owner
        memory = bytes
    }

    var bytes: UnsafeRawBufferPointer { memory }
}
