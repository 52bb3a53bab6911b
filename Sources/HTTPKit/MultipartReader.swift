import CMicroHTTPD

/// Streams a `multipart/form-data` body through libmicrohttpd's post processor.
///
/// Each part's bytes reach `sink` as they are decoded, in order, never
/// gathered whole. Owns the `MHD_PostProcessor` and destroys it in `deinit`.
/// Not thread-safe: one request's events feed it.
public final class MultipartReader {
    /// The part a chunk belongs to.
    public struct Part: Sendable {
        /// The form field's name.
        public var field: String
        /// The file name the client gave, for a file part.
        public var filename: String?
        /// The part's own content type, if it declared one.
        public var contentType: String?
        /// Where this chunk starts within the part.
        public var offset: UInt64
    }

    /// Why a body could not be decoded.
    public enum Failure: Error, Equatable, CustomStringConvertible {
        /// The body broke the multipart syntax or ended inside a part.
        case malformed

        public var description: String { "malformed multipart body" }
    }

    public typealias Sink = (Part, UnsafeRawBufferPointer) throws -> Void

    private final class Box {
        let sink: Sink
        var error: (any Error)?
        init(sink: @escaping Sink) { self.sink = sink }
    }

    private var processor: OpaquePointer?
    private let box: Box

    /// Makes a reader for `request`, or nil when its `Content-Type` is not a
    /// multipart type libmicrohttpd can decode (no boundary, say).
    ///
    /// Call during the request's `.start` event. Wraps `MHD_create_post_processor`.
    public init?(request: HTTPRequest, bufferSize: Int = 32 * 1024, sink: @escaping Sink) {
        guard request.mediaType == "multipart/form-data" else { return nil }
        box = Box(sink: sink)
        let iterator: MHD_PostDataIterator = {
            cls, _, key, filename, contentType, _, data, offset, size in
            let box = Unmanaged<Box>.fromOpaque(cls!).takeUnretainedValue()
            let part = Part(
                field: key.map { String(cString: $0) } ?? "",
                filename: filename.map { String(cString: $0) },
                contentType: contentType.map { String(cString: $0) },
                offset: offset)
            do {
                try box.sink(part, UnsafeRawBufferPointer(start: data, count: size))
                return .YES
            } catch {
                box.error = error
                return .NO
            }
        }
        processor = MHD_create_post_processor(
            request.connection.pointer, max(256, bufferSize), iterator,
            Unmanaged.passUnretained(box).toOpaque())
        guard processor != nil else { return nil }
    }

    deinit {
        if let processor { _ = MHD_destroy_post_processor(processor) }
    }

    /// Decodes the next chunk of the body; rethrows what the sink threw.
    ///
    /// Wraps `MHD_post_process`.
    public func feed(_ bytes: UnsafeRawBufferPointer) throws {
        guard let processor, let base = bytes.baseAddress, bytes.count > 0 else { return }
        let pointer = base.assumingMemoryBound(to: CChar.self)
        if MHD_post_process(processor, pointer, bytes.count) != .YES {
            if let error = box.error { throw error }
            throw Failure.malformed
        }
    }

    /// Ends decoding; throws `.malformed` when the body stopped inside a part.
    ///
    /// Wraps `MHD_destroy_post_processor`.
    public func finish() throws {
        guard let processor else { return }
        self.processor = nil
        if MHD_destroy_post_processor(processor) != .YES {
            if let error = box.error { throw error }
            throw Failure.malformed
        }
    }
}
